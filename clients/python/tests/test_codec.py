"""Unit tests of the codec and the schemas (no Kafka): python3 -m unittest discover -s tests -t . (in clients/python)."""

import json
import os
import random
import struct
import unittest

from alignstream import Codec, DecodeError, EncodeError, Schemas, crc64_avro, fingerprint
from alignstream.codec import HEADER_LENGTH, MARKER

SCHEMAS = Schemas()
CODEC = Codec(SCHEMAS)


def crc64_bitwise(data: bytes) -> int:
    """CRC-64-AVRO one bit at a time, straight from the specification's definition (no table)."""
    poly = 0xC15D213AA4D7A795
    fp = poly
    for b in data:
        fp ^= b
        for _ in range(8):
            fp = (fp >> 1) ^ (poly if fp & 1 else 0)
    return fp


def random_datum(schema, rnd: random.Random, depth: int = 0):
    """A random value of an Avro schema, with floats exactly representable in 32 bits."""
    t = schema.type
    if t == "record":
        return {f.name: random_datum(f.type, rnd, depth + 1) for f in schema.fields}
    if t == "union":
        branch = rnd.choice(schema.schemas)
        value = random_datum(branch, rnd, depth + 1)
        return (branch.name, value) if branch.type == "record" else value
    if t == "array":
        return [random_datum(schema.items, rnd, depth + 1) for _ in range(rnd.randint(0, 3 if depth < 4 else 0))]
    if t == "map":
        return {f"k{i}": random_datum(schema.values, rnd, depth + 1) for i in range(rnd.randint(0, 3))}
    if t == "string":
        return rnd.choice(["", "She was", "élan ✓", "x" * rnd.randint(0, 40)])
    if t == "bytes":
        return bytes(rnd.randrange(256) for _ in range(rnd.randint(0, 12)))
    if t == "int":
        return rnd.randint(-(2 ** 31), 2 ** 31 - 1)
    if t == "long":
        return rnd.randint(-(2 ** 63), 2 ** 63 - 1)
    if t in ("float", "double"):
        return rnd.randint(-1000, 1000) / 8.0
    if t == "boolean":
        return rnd.random() < 0.5
    if t == "null":
        return None
    raise AssertionError(f"no generator for {t}")


def plain(datum):
    """A datum with union branch tags ("Name", value) removed: what decoding gives back."""
    if isinstance(datum, tuple):
        return plain(datum[1])
    if isinstance(datum, dict):
        return {k: plain(v) for k, v in datum.items()}
    if isinstance(datum, list):
        return [plain(v) for v in datum]
    return datum


def field_defaults(path):
    """{field: default} of the Strategy record as written in the source schema file."""
    with open(path, encoding="utf-8") as f:
        return {fld["name"]: fld["default"] for fld in json.load(f)["fields"] if "default" in fld}


class Crc64Test(unittest.TestCase):
    def test_table_driven_crc_equals_the_bitwise_definition(self):
        rnd = random.Random(1)
        for n in (0, 1, 7, 64, 1000):
            data = bytes(rnd.randrange(256) for _ in range(n))
            self.assertEqual(crc64_avro(data), crc64_bitwise(data), n)

    def test_the_empty_input_gives_the_initial_value(self):
        self.assertEqual(crc64_avro(b""), 0xC15D213AA4D7A795)


class SchemasTest(unittest.TestCase):
    def test_every_topic_has_a_self_contained_current_schema(self):
        self.assertIn("prompts", SCHEMAS.topics)
        self.assertIn("dead-letters", SCHEMAS.topics)
        for topic, full_name in SCHEMAS.topics.items():
            self.assertEqual(SCHEMAS.record(topic).fullname, full_name)

    def test_the_latest_history_version_of_every_topic_record_has_the_bundled_fingerprint(self):
        for full_name, schema in SCHEMAS.current.items():
            versions = SCHEMAS.versions(schema.name)
            self.assertTrue(versions, full_name)
            self.assertEqual(versions[-1].fingerprint, fingerprint(schema), versions[-1].path)

    def test_no_schema_carries_java_properties_into_the_canonical_form(self):
        for v in SCHEMAS.history:
            self.assertNotIn("avro.java", v.schema.canonical_form, v.path)
        for schema in SCHEMAS.current.values():
            self.assertNotIn("avro.java", schema.canonical_form, schema.name)

    def test_every_strategy_version_is_in_a_prompt_request_version(self):
        # so that writing every PromptRequest version (tests/test_pipeline.py) writes every Strategy version too
        embedded = {fingerprint(v.schema.fields_dict["strategy"].type) for v in SCHEMAS.versions("PromptRequest")}
        for v in SCHEMAS.versions("Strategy"):
            self.assertIn(v.fingerprint, embedded, v.path)

    def test_unknown_names_are_clear_errors(self):
        with self.assertRaisesRegex(KeyError, "no topic or topic record named 'Nope'"):
            SCHEMAS.record("Nope")
        with self.assertRaisesRegex(KeyError, "no history/PromptRequest.v999.avsc"):
            SCHEMAS.version("PromptRequest", 999)


class EncodeTest(unittest.TestCase):
    def test_header_is_the_marker_and_the_little_endian_fingerprint(self):
        data = CODEC.encode("prompts", {"id": "r1", "prompt": "She was", "strategy": {}})
        self.assertEqual(data[:2], MARKER)
        self.assertEqual(struct.unpack("<Q", data[2:HEADER_LENGTH])[0], fingerprint(SCHEMAS.record("PromptRequest")))

    def test_missing_fields_take_the_schema_defaults(self):
        got = CODEC.decode(CODEC.encode("prompts", {"id": "r1", "prompt": "She was", "strategy": {"method": "args"}}))
        defaults = field_defaults(os.path.join(SCHEMAS.dir, "Strategy.avsc"))
        strategy = got["strategy"]
        self.assertEqual(strategy["method"], "args")
        for name, default in defaults.items():
            if name != "method":
                self.assertEqual(strategy[name], default, name)
        self.assertEqual(len(strategy), len(defaults))
        self.assertEqual(got["created_at_ms"], 0)

    def test_every_problem_of_a_record_is_reported_at_once(self):
        with self.assertRaises(EncodeError) as caught:
            CODEC.encode("prompts", {"id": 7, "strategy": {"topk": 3, "n": "eight", "beta": True}})
        problems = caught.exception.problems
        self.assertEqual(len(problems), 5, problems)
        text = str(caught.exception)
        for part in ("PromptRequest.id: expected a str, got int", "PromptRequest.prompt: required",
                     "Strategy has no field topk", "PromptRequest.strategy.n: expected an int, got str",
                     "PromptRequest.strategy.beta: a bool fits none of the types null, double"):
            self.assertIn(part, text)

    def test_out_of_range_int_is_refused(self):
        with self.assertRaisesRegex(EncodeError, "out of the range of an Avro int"):
            CODEC.encode("prompts", {"id": "r", "prompt": "p", "strategy": {"n": 2 ** 31}})

    def test_a_union_of_records_takes_the_branch_the_dict_fits_or_the_named_one(self):
        edit = {"prompt": "p", "original": "a", "edited": "b"}
        got = CODEC.decode(CODEC.encode("feedback", {"id": "e1", "event": edit}))
        self.assertEqual(got["event"], dict(edit, response_id=None))
        self.assertEqual(got["reward_model"], "sentiment")
        named = CODEC.decode(CODEC.encode("feedback", {"id": "e2", "event": ("EditEvent", edit)}))
        self.assertEqual(named["event"], got["event"])
        with self.assertRaisesRegex(EncodeError, "fits none of the types PreferenceEvent, EditEvent"):
            CODEC.encode("feedback", {"id": "e3", "event": {"prompt": "p"}})
        with self.assertRaisesRegex(EncodeError, "the union has no type Nope"):
            CODEC.encode("feedback", {"id": "e4", "event": ("Nope", edit)})

    def test_random_records_of_every_topic_round_trip(self):
        rnd = random.Random(7)
        for topic, full_name in SCHEMAS.topics.items():
            schema = SCHEMAS.record(topic)
            for _ in range(20):
                datum = random_datum(schema, rnd)
                data = CODEC.encode(topic, datum)
                self.assertEqual(CODEC.decode(data, topic), plain(datum), topic)
                # decoding then encoding again gives the same bytes
                self.assertEqual(CODEC.encode(topic, CODEC.decode(data)), data, topic)

    def test_records_written_with_every_released_version_are_read_into_the_current_schema(self):
        rnd = random.Random(11)
        checked = 0
        for full_name, current in SCHEMAS.current.items():
            for v in SCHEMAS.versions(current.name):
                datum = plain(random_datum(v.schema, rnd))
                data = CODEC.encode(current.name, datum, version=v.version)
                self.assertEqual(struct.unpack("<Q", data[2:HEADER_LENGTH])[0], v.fingerprint)
                got = CODEC.decode(data, current.name)
                self.assertEqual(sorted(got), sorted(f.name for f in current.fields), v.path)
                for f in current.fields:
                    if f.name in datum and f.type.type not in ("record", "union", "array"):
                        self.assertEqual(got[f.name], datum[f.name], f"{v.path} {f.name}")
                checked += 1
        self.assertGreaterEqual(checked, 20)


class DecodeTest(unittest.TestCase):
    GOOD = CODEC.encode("prompts", {"id": "r1", "prompt": "She was", "strategy": {"n": 2}})

    def test_bad_bytes_are_clear_errors(self):
        cases = [
            (b"\xc3\x01\x07", "3 bytes is too short"),
            (b"Z" * 20, "not Avro single-object encoding (starts with 0x5A 0x5A"),
            (MARKER + bytes(8) + b"\x00", "unknown writer schema fingerprint 0000000000000000"),
            (self.GOOD[: len(self.GOOD) // 2], "truncated or corrupt body"),
            (self.GOOD + b"\x00\x00", "2 unexpected trailing bytes"),
            (CODEC.encode("dead-letters", {"stage": "s", "source_topic": "t", "reason": "r"}),
             "wrong record type, the bytes hold a org.alignstream.avro.DeadLetter"),
        ]
        for data, message in cases:
            with self.assertRaises(DecodeError, msg=message) as caught:
                CODEC.decode(data, "prompts")
            self.assertIn(message, str(caught.exception))
        with self.assertRaisesRegex(DecodeError, "value is null"):
            CODEC.decode(None)

    def test_without_an_expected_type_any_topic_record_is_read(self):
        letter = CODEC.encode("dead-letters", {"stage": "s", "source_topic": "t", "reason": "r",
                                               "original_value": b"\x00\xff"})
        self.assertEqual(CODEC.decode(letter)["original_value"], b"\x00\xff")
        self.assertEqual(CODEC.decode(self.GOOD)["strategy"]["n"], 2)


if __name__ == "__main__":
    unittest.main()
