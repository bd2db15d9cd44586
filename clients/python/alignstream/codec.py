"""Avro single-object encoding of alignstream's records, as the Java pipeline writes and reads them.

A value on a topic is ``C3 01``, the writer schema's 8-byte little-endian fingerprint (:func:`schemas.fingerprint`),
then the Avro binary body. Readers find the writer schema by fingerprint among the current and historical schemas and
resolve it to the current one, so records written with any released version are read into today's shape.

Records are plain dicts keyed by field name. :meth:`Codec.encode` fills every field the caller leaves out with its
schema default (python-avro's writer does not) and reports every problem of a record at once. A union of records
(``FeedbackEvent.event``) takes the first branch the dict fits; ``("EditEvent", {...})`` names the branch.
"""

import io
import struct
from typing import Any, Dict, List, Optional, Tuple

import avro.io
import avro.schema

from .schemas import Schemas, fingerprint

MARKER = b"\xc3\x01"
HEADER_LENGTH = 10

_INT_RANGE = {"int": (-(2 ** 31), 2 ** 31 - 1), "long": (-(2 ** 63), 2 ** 63 - 1)}


class EncodeError(ValueError):
    """A record that does not fit its schema; ``problems`` lists every problem found."""

    def __init__(self, record: str, problems: List[str]):
        super().__init__(f"cannot encode {record}: " + "; ".join(problems))
        self.problems = problems


class DecodeError(ValueError):
    """Bytes that are not a readable alignstream record of the expected type."""


def _type_name(schema: avro.schema.Schema) -> str:
    return getattr(schema, "fullname", None) or schema.type


def _branch_label(schema: avro.schema.Schema) -> str:
    return getattr(schema, "name", None) or schema.type


def from_default(schema: avro.schema.Schema, value: Any) -> Any:
    """A field's JSON default as the datum python-avro writes (a union's default is of its first branch)."""
    t = schema.type
    if t == "union":
        return from_default(schema.schemas[0], value)
    if t in ("record", "error"):
        out = {}
        for f in schema.fields:
            out[f.name] = from_default(f.type, value[f.name]) if f.name in value else from_default(f.type, f.default)
        return out
    if t == "array":
        return [from_default(schema.items, v) for v in value]
    if t == "map":
        return {k: from_default(schema.values, v) for k, v in value.items()}
    if t in ("bytes", "fixed"):
        return value.encode("latin-1")  # JSON encodes bytes defaults as code points 0-255
    if t in ("float", "double"):
        return float(value)
    return value


def fill(schema: avro.schema.Schema, datum: Any, path: str, problems: List[str]) -> Any:
    """``datum`` shaped for python-avro's writer with schema defaults filled in; appends what does not fit to problems."""
    t = schema.type
    if t in ("record", "error"):
        if not isinstance(datum, dict):
            problems.append(f"{path}: expected a {schema.name} record (a dict), got {type(datum).__name__}")
            return None
        names = [f.name for f in schema.fields]
        unknown = [k for k in datum if k not in names]
        if unknown:
            problems.append(f"{path}: {schema.name} has no field {', '.join(map(str, unknown))} (its fields: "
                            f"{', '.join(names)})")
        out = {}
        for f in schema.fields:
            if f.name in datum:
                out[f.name] = fill(f.type, datum[f.name], f"{path}.{f.name}", problems)
            elif f.has_default:
                out[f.name] = from_default(f.type, f.default)
            else:
                problems.append(f"{path}.{f.name}: required ({schema.name} gives it no default)")
        return out
    if t == "union":
        branches = schema.schemas
        if isinstance(datum, tuple) and len(datum) == 2 and isinstance(datum[0], str):
            label, value = datum
            for b in branches:
                if label in (_branch_label(b), _type_name(b)):
                    return fill(b, value, path, problems)
            problems.append(f"{path}: the union has no type {label} (its types: "
                            f"{', '.join(_branch_label(b) for b in branches)})")
            return None
        for b in branches:
            trial: List[str] = []
            value = fill(b, datum, path, trial)
            if not trial:
                return value
        problems.append(f"{path}: a {type(datum).__name__} fits none of the types "
                        f"{', '.join(_branch_label(b) for b in branches)}"
                        + ("; name the branch: (\"Name\", {...})" if isinstance(datum, dict) else ""))
        return None
    if t == "array":
        if not isinstance(datum, (list, tuple)):
            problems.append(f"{path}: expected a list, got {type(datum).__name__}")
            return None
        return [fill(schema.items, v, f"{path}[{i}]", problems) for i, v in enumerate(datum)]
    if t == "map":
        if not isinstance(datum, dict) or not all(isinstance(k, str) for k in datum):
            problems.append(f"{path}: expected a dict with string keys, got {type(datum).__name__}")
            return None
        return {k: fill(schema.values, v, f"{path}[{k!r}]", problems) for k, v in datum.items()}
    if t == "null":
        if datum is not None:
            problems.append(f"{path}: expected None, got {type(datum).__name__}")
        return None
    if t == "boolean":
        if not isinstance(datum, bool):
            problems.append(f"{path}: expected a bool, got {type(datum).__name__}")
        return datum
    if t in ("int", "long"):
        if not isinstance(datum, int) or isinstance(datum, bool):
            problems.append(f"{path}: expected an {t}, got {type(datum).__name__}")
        elif not _INT_RANGE[t][0] <= datum <= _INT_RANGE[t][1]:
            problems.append(f"{path}: {datum} is out of the range of an Avro {t}")
        return datum
    if t in ("float", "double"):
        if not isinstance(datum, (int, float)) or isinstance(datum, bool):
            problems.append(f"{path}: expected a number, got {type(datum).__name__}")
            return None
        return float(datum)
    if t == "string":
        if not isinstance(datum, str):
            problems.append(f"{path}: expected a str, got {type(datum).__name__}")
        return datum
    if t == "bytes":
        if not isinstance(datum, (bytes, bytearray)):
            problems.append(f"{path}: expected bytes, got {type(datum).__name__}")
            return None
        return bytes(datum)
    if t == "enum":
        if datum not in schema.symbols:
            problems.append(f"{path}: {datum!r} is not one of {schema.symbols}")
        return datum
    if t == "fixed":
        if not isinstance(datum, (bytes, bytearray)) or len(datum) != schema.size:
            problems.append(f"{path}: expected {schema.size} bytes")
        return datum
    problems.append(f"{path}: unsupported Avro type {t}")
    return None


class Codec:
    """Encodes and decodes the records of every topic (see the module doc)."""

    def __init__(self, schemas: Optional[Schemas] = None):
        self.schemas = schemas or Schemas()
        self._fingerprints: Dict[int, int] = {}

    def _fingerprint(self, schema: avro.schema.Schema) -> int:
        key = id(schema)
        if key not in self._fingerprints:
            self._fingerprints[key] = fingerprint(schema)
        return self._fingerprints[key]

    def writer_schema(self, name_or_topic: str, version: Optional[int] = None) -> avro.schema.RecordSchema:
        """The current schema of a topic's record, or its released ``version`` (history/<Name>.v<version>.avsc)."""
        current = self.schemas.record(name_or_topic)
        return current if version is None else self.schemas.version(current.name, version)

    def fill(self, name_or_topic: str, record: Dict[str, Any], version: Optional[int] = None) -> Dict[str, Any]:
        """The record with every missing field set to its schema default; raises EncodeError listing every problem."""
        schema = self.writer_schema(name_or_topic, version)
        problems: List[str] = []
        filled = fill(schema, record, schema.name, problems)
        if problems:
            raise EncodeError(schema.name + (f" v{version}" if version else ""), problems)
        return filled

    def encode(self, name_or_topic: str, record: Dict[str, Any], version: Optional[int] = None) -> bytes:
        """Single-object encoding of a record (by topic or record name), defaults filled; ``version`` writes with a
        released schema version instead of the current one."""
        schema = self.writer_schema(name_or_topic, version)
        filled = self.fill(name_or_topic, record, version)
        out = io.BytesIO()
        out.write(MARKER)
        out.write(struct.pack("<Q", self._fingerprint(schema)))
        avro.io.DatumWriter(schema).write(filled, avro.io.BinaryEncoder(out))
        return out.getvalue()

    def writer_of(self, data: bytes, expected: str = "a record") -> avro.schema.RecordSchema:
        """The schema the bytes were written with, from their header."""
        if data is None:
            raise DecodeError(f"cannot decode {expected}: value is null")
        if len(data) < HEADER_LENGTH:
            raise DecodeError(f"cannot decode {expected}: {len(data)} bytes is too short for Avro single-object"
                              f" encoding (needs at least {HEADER_LENGTH}: marker C3 01 + 8-byte schema fingerprint)")
        if data[:2] != MARKER:
            raise DecodeError(f"cannot decode {expected}: not Avro single-object encoding (starts with"
                              f" 0x{data[0]:02X} 0x{data[1]:02X}, expected 0xC3 0x01)")
        fp = struct.unpack("<Q", data[2:HEADER_LENGTH])[0]
        writer = self.schemas.by_fingerprint.get(fp)
        if writer is None:
            raise DecodeError(f"cannot decode {expected}: unknown writer schema fingerprint {fp:016x} (not a current"
                              f" or historical schema under {self.schemas.dir})")
        return writer

    def decode(self, data: bytes, expected: Optional[str] = None) -> Dict[str, Any]:
        """The record in single-object encoded bytes, read into the current schema of its type.

        ``expected`` (a topic or record name) makes bytes of another record type an error.
        """
        return self.decode_with_writer(data, expected)[0]

    def decode_with_writer(self, data: bytes, expected: Optional[str] = None
                           ) -> Tuple[Dict[str, Any], avro.schema.RecordSchema]:
        """Like :meth:`decode`, also returning the writer schema."""
        want = self.schemas.record(expected) if expected else None
        label = want.name if want else "a record"
        writer = self.writer_of(data, label)
        if want is not None and writer.fullname != want.fullname:
            raise DecodeError(f"cannot decode {label}: wrong record type, the bytes hold a {writer.fullname},"
                              f" expected {want.fullname}")
        reader = want or self.schemas.current.get(writer.fullname, writer)
        body = io.BytesIO(data[HEADER_LENGTH:])
        try:
            record = avro.io.DatumReader(writer, reader).read(avro.io.BinaryDecoder(body))
        except Exception as e:  # python-avro raises several types on a corrupt body
            raise DecodeError(f"cannot decode {label}: truncated or corrupt body ({len(data)} bytes, writer schema"
                              f" fingerprint {self._fingerprint(writer):016x}): {type(e).__name__}") from e
        left = len(data) - HEADER_LENGTH - body.tell()
        if left:
            raise DecodeError(f"cannot decode {label}: {left} unexpected trailing bytes after the record")
        return record, writer
