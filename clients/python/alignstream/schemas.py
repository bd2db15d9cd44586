"""alignstream's Avro schemas, as the repository's schemas/ folder holds them, with their single-object fingerprints.

* ``schemas/bundled/<Name>.avsc``: the current schema of every record on a topic, all named types written out
  (written by the Java build's SchemaBundles, checked against the sources by SchemaBundlesTest);
* ``schemas/bundled/topics.json``: which topic carries which record (from the Java ``Pipeline``);
* ``schemas/history/<Name>.v<K>.avsc``: every released version, self-contained; records written with any of them
  can still be read.

A record's fingerprint is the CRC-64-AVRO of its parsing canonical form, as in the Avro specification and Java's
``SchemaNormalization.parsingFingerprint64``.
"""

import json
import os
import re
from dataclasses import dataclass
from typing import Dict, List, Optional

import avro.errors
import avro.schema

ENV_SCHEMAS_DIR = "ALIGNSTREAM_SCHEMAS"

_EMPTY = 0xC15D213AA4D7A795  # the CRC-64-AVRO polynomial, also its initial value (Avro specification)


def _table() -> List[int]:
    table = []
    for i in range(256):
        fp = i
        for _ in range(8):
            fp = (fp >> 1) ^ (_EMPTY & -(fp & 1))
        table.append(fp)
    return table


_TABLE = _table()


def crc64_avro(data: bytes) -> int:
    """The 64-bit Rabin fingerprint Avro uses for schemas (unsigned)."""
    fp = _EMPTY
    for b in data:
        fp = (fp >> 8) ^ _TABLE[(fp ^ b) & 0xFF]
    return fp


def fingerprint(schema: avro.schema.Schema) -> int:
    """The single-object encoding fingerprint of a schema: CRC-64-AVRO of its parsing canonical form (unsigned)."""
    return crc64_avro(schema.canonical_form.encode("utf-8"))


def default_schemas_dir() -> str:
    """$ALIGNSTREAM_SCHEMAS, else the repository's schemas/ folder (this package lives in clients/python/)."""
    configured = os.environ.get(ENV_SCHEMAS_DIR)
    if configured:
        return configured
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.normpath(os.path.join(here, "..", "..", "..", "schemas"))


@dataclass(frozen=True)
class SchemaVersion:
    """One released version of a record's schema (``history/<name>.v<version>.avsc``)."""

    name: str
    version: int
    path: str
    schema: avro.schema.RecordSchema

    @property
    def fingerprint(self) -> int:
        return fingerprint(self.schema)


_HISTORY_FILE = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\.v([0-9]+)\.avsc$")


def _parse_file(path: str) -> avro.schema.Schema:
    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        return avro.schema.parse(text)
    except avro.errors.SchemaParseException as e:
        raise ValueError(f"cannot parse {path} on its own (bundled and history schemas are self-contained): {e}") from e


class Schemas:
    """The current schemas of the topic records, the topic table and every historical version, by name and fingerprint."""

    def __init__(self, schemas_dir: Optional[str] = None):
        self.dir = schemas_dir or default_schemas_dir()
        bundled = os.path.join(self.dir, "bundled")
        topics_file = os.path.join(bundled, "topics.json")
        if not os.path.isfile(topics_file):
            raise FileNotFoundError(
                f"{topics_file} not found: point ${ENV_SCHEMAS_DIR} at the repository's schemas/ folder")
        with open(topics_file, encoding="utf-8") as f:
            self.topics: Dict[str, str] = json.load(f)  # topic -> record full name, in flow order
        self.current: Dict[str, avro.schema.RecordSchema] = {}  # full name -> schema
        for full_name in dict.fromkeys(self.topics.values()):
            simple = full_name.rsplit(".", 1)[-1]
            schema = _parse_file(os.path.join(bundled, simple + ".avsc"))
            if schema.fullname != full_name:
                raise ValueError(f"bundled/{simple}.avsc defines {schema.fullname}, topics.json says {full_name}")
            self.current[full_name] = schema
        self.history: List[SchemaVersion] = []
        history_dir = os.path.join(self.dir, "history")
        for file_name in sorted(os.listdir(history_dir)):
            m = _HISTORY_FILE.match(file_name)
            if m:
                path = os.path.join(history_dir, file_name)
                self.history.append(SchemaVersion(m.group(1), int(m.group(2)), path, _parse_file(path)))
        self.history.sort(key=lambda v: (v.name, v.version))
        self.by_fingerprint: Dict[int, avro.schema.RecordSchema] = {}
        for v in self.history:
            self.by_fingerprint[v.fingerprint] = v.schema
        # the current schema wins for an unchanged version (same fingerprint): it carries today's docs and defaults
        for schema in self.current.values():
            self.by_fingerprint[fingerprint(schema)] = schema

    def record(self, name_or_topic: str) -> avro.schema.RecordSchema:
        """The current schema of a topic's record, by topic name, simple or full record name."""
        if name_or_topic in self.topics:
            return self.current[self.topics[name_or_topic]]
        full = name_or_topic if "." in name_or_topic else "org.alignstream.avro." + name_or_topic
        if full not in self.current:
            raise KeyError(f"no topic or topic record named {name_or_topic!r}; topics: {list(self.topics)},"
                           f" records: {sorted(s.rsplit('.', 1)[-1] for s in self.current)}")
        return self.current[full]

    def topic_of(self, simple_name: str) -> str:
        """The topic that carries a record type (e.g. PromptRequest -> prompts), from topics.json."""
        topics = [t for t, full in self.topics.items() if full.rsplit(".", 1)[-1] == simple_name]
        if len(topics) != 1:
            raise KeyError(f"{len(topics)} topics carry {simple_name} in topics.json: {topics}")
        return topics[0]

    def versions(self, simple_name: str) -> List[SchemaVersion]:
        """Every released version of a record (simple name), oldest first."""
        return [v for v in self.history if v.name == simple_name]

    def version(self, simple_name: str, version: int) -> avro.schema.RecordSchema:
        for v in self.versions(simple_name):
            if v.version == version:
                return v.schema
        raise KeyError(f"no history/{simple_name}.v{version}.avsc in {self.dir}")
