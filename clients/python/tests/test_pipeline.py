"""End-to-end tests against a running pipeline (generator, scorer, selector, feedback stages).

Run by the harness's PythonClientIT, which starts the in-process pipeline and sets:
* ALIGNSTREAM_BOOTSTRAP_SERVERS: the broker;
* ALIGNSTREAM_JAVA_FINGERPRINTS: a file of "<Name> <version|current> <hex fingerprint>" lines computed by Java;
* ALIGNSTREAM_METHODS: the methods' wire names, comma-separated, from Java's method spec.
Skipped when ALIGNSTREAM_BOOTSTRAP_SERVERS is not set. The tests run in name order and share one pipeline.
"""

import os
import subprocess
import sys
import time
import unittest
import uuid

from alignstream import Codec, Schemas, fingerprint

BOOTSTRAP = os.environ.get("ALIGNSTREAM_BOOTSTRAP_SERVERS")
TIMEOUT_S = float(os.environ.get("ALIGNSTREAM_TEST_TIMEOUT_S", "120"))
METHODS = [m for m in os.environ.get("ALIGNSTREAM_METHODS", "").split(",") if m]
RUN = uuid.uuid4().hex[:8]  # ids unique to this run: the topics may hold records of earlier runs
GARBAGE_KEY = f"py-{RUN}-garbage"  # the one value on prompts that is not a record


@unittest.skipUnless(BOOTSTRAP, "ALIGNSTREAM_BOOTSTRAP_SERVERS not set (run by the harness's PythonClientIT)")
class PipelineTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        from alignstream import DeadLetterWatch, FeedbackClient, PromptClient
        cls.codec = Codec(Schemas())
        cls.letters = DeadLetterWatch(BOOTSTRAP, cls.codec)  # from now on
        cls.prompts = PromptClient(BOOTSTRAP, cls.codec)
        cls.feedback = FeedbackClient(BOOTSTRAP, cls.codec)

    @classmethod
    def tearDownClass(cls):
        for c in (cls.prompts, cls.feedback, cls.letters):
            c.close()

    def assert_not_dead_lettered(self, ids):
        self.letters.poll(1.0)
        lettered = {d["original_key"].decode("utf-8"): d["reason"] for d in self.letters.received}
        self.assertFalse(set(ids) & lettered.keys(), {i: lettered[i] for i in set(ids) & lettered.keys()})

    def test_1_every_fingerprint_equals_javas(self):
        path = os.environ.get("ALIGNSTREAM_JAVA_FINGERPRINTS")
        if not path:
            self.skipTest("ALIGNSTREAM_JAVA_FINGERPRINTS not set")
        java = {}
        with open(path, encoding="utf-8") as f:
            for line in f:
                name, version, fp = line.split()
                java[(name, version)] = int(fp, 16)
        python = {(v.name, str(v.version)): v.fingerprint for v in self.codec.schemas.history}
        for schema in self.codec.schemas.current.values():
            python[(schema.name, "current")] = fingerprint(schema)
        self.assertTrue(python.keys() <= java.keys(), sorted(python.keys() - java.keys()))
        for key, fp in sorted(python.items()):
            self.assertEqual(f"{fp:016x}", f"{java[key]:016x}", f"{key[0]} {key[1]}")
        self.assertEqual(len([k for k in java if k[1] != "current"]), len(self.codec.schemas.history),
                         "every Java history version is one Python reads")

    def test_2_prompts_of_every_released_version_and_methods_are_answered(self):
        sent = {}
        for v in self.codec.schemas.versions("PromptRequest"):
            request = self.prompts.prompt_request("She was", "best_of_n", f"py-{RUN}-v{v.version}",
                                                  n=2, max_new_tokens=6, seed=v.version)
            self.prompts.send(request, version=v.version)
            sent[request["id"]] = ("best_of_n", 2)
        # the current version, one whole-response and one stepwise method, parameters by name
        sent[self.prompts.publish("It is a truth", "best_of_n", f"py-{RUN}-bon", n=3, temperature=0.9,
                                  max_new_tokens=8, seed=5)] = ("best_of_n", 3)
        sent[self.prompts.publish("My dear", "args", f"py-{RUN}-args", top_k=3, beta=1.0,
                                  max_new_tokens=5, seed=6)] = ("args", None)
        # every method with nothing but its name (and a short response): the method's defaults from its spec
        self.assertTrue(METHODS, "ALIGNSTREAM_METHODS")
        for i, method in enumerate(METHODS):
            sent[self.prompts.publish("She was", method, f"py-{RUN}-defaults-{method}", max_new_tokens=4,
                                      seed=7 + i)] = (method, None)
        started = time.monotonic()
        answers = self.prompts.await_answers(sent, TIMEOUT_S)
        print(f"\n{len(answers)} of {len(sent)} prompts answered in {time.monotonic() - started:.1f} s")
        self.assertEqual(sorted(answers), sorted(sent), "answered")
        for request_id, (method, n) in sent.items():
            answer = answers[request_id]
            self.assertEqual(answer["method"], method, request_id)
            if n is not None:
                self.assertEqual(answer["n"], n, request_id)
                self.assertEqual(len(answer["candidate_rewards"]), n, request_id)
            self.assertTrue(answer["token_ids"], request_id)
        self.assertGreater(answers[f"py-{RUN}-args"]["rounds"], 0, "args decodes token by token")
        self.assertEqual(self.prompts.unreadable, [])
        self.assert_not_dead_lettered(sent)

    def test_3_feedback_of_every_released_version_is_read_by_the_feedback_stage(self):
        ids = []
        for v in self.codec.schemas.versions("FeedbackEvent"):
            ids.append(f"py-{RUN}-pref-v{v.version}")
            self.feedback.send({"id": ids[-1], "event": ("PreferenceEvent", {
                "prompt": "She was", "chosen": " happy by the sea.", "rejected": " sad in town."})}, version=v.version)
            ids.append(f"py-{RUN}-edit-v{v.version}")
            self.feedback.send({"id": ids[-1], "event": ("EditEvent", {
                "prompt": "He said", "original": " it was dull.", "edited": " it was lovely."})}, version=v.version)
        ids.append(self.feedback.preference("The weather", " was bright.", " was grey.", f"py-{RUN}-pref"))
        ids.append(self.feedback.edit("The weather", " was grey.", " was bright.", f"py-{RUN}-edit",
                                      annotator_id="py"))
        self.feedback.flush()
        # the feedback stage turns each event into a training example on its own topic
        examples = {}
        from alignstream import TopicReader
        with TopicReader(BOOTSTRAP, "TrainingExample", self.codec, from_beginning=True) as reader:
            deadline = time.monotonic() + TIMEOUT_S
            while not set(ids) <= examples.keys() and time.monotonic() < deadline:
                for m in reader.poll(0.5):
                    example = self.codec.decode(m.value(), "TrainingExample")
                    examples[example["event_id"]] = example
        self.assertTrue(set(ids) <= examples.keys(), sorted(set(ids) - examples.keys()))
        for i in ids:
            self.assertEqual(examples[i]["source"], "edit" if "-edit" in i else "preference", i)
            self.assertTrue(examples[i]["chosen"], i)
        self.assert_not_dead_lettered(ids)

    def test_4_malformed_records_land_in_dead_letters_with_their_reason(self):
        garbage = GARBAGE_KEY
        bad_n = f"py-{RUN}-n-negative"
        self.prompts.send_raw(garbage, b"definitely not avro")
        self.prompts.publish("She was", "best_of_n", bad_n, n=-1)
        self.prompts.flush()
        letters = self.letters.await_keys([garbage, bad_n], TIMEOUT_S)
        self.assertEqual(sorted(letters), sorted([garbage, bad_n]))
        self.assertIn("not Avro single-object encoding", letters[garbage]["reason"])
        self.assertEqual(letters[garbage]["original_value"], b"definitely not avro")
        self.assertIn("n must be between 1 and 64, was -1", letters[bad_n]["reason"])
        for d in letters.values():
            self.assertEqual(d["stage"], "generator")
            self.assertEqual(d["source_topic"], self.prompts.topic)

    def test_5_java_written_records_of_every_topic_decode_and_encode_to_the_same_bytes(self):
        from confluent_kafka import OFFSET_BEGINNING, Consumer, TopicPartition
        started = time.monotonic()
        consumer = Consumer({"bootstrap.servers": BOOTSTRAP, "group.id": f"py-{RUN}-all", "enable.auto.commit": False,
                             "isolation.level": "read_committed"})
        try:
            meta = consumer.list_topics(timeout=30)
            consumer.assign([TopicPartition(topic, p, OFFSET_BEGINNING) for topic in self.codec.schemas.topics
                             for p in meta.topics[topic].partitions])
            messages, last = [], None  # everything there is: until nothing more comes for 2 s
            while time.monotonic() - started < TIMEOUT_S and (last is None or time.monotonic() - last < 2.0):
                msg = consumer.poll(0.2)
                if msg is not None and not msg.error():
                    messages.append(msg)
                    last = time.monotonic()
        finally:
            consumer.close()
        counts = {}
        for m in messages:
            topic = m.topic()
            if topic == self.prompts.topic and m.key() == GARBAGE_KEY.encode("utf-8"):
                continue
            record, writer = self.codec.decode_with_writer(m.value(), topic)
            if writer is not self.codec.schemas.record(topic):
                continue  # written by Python with a released version (tests 2 and 3)
            self.assertEqual(self.codec.encode(topic, record), m.value(), f"{topic} offset {m.offset()}")
            counts[topic] = counts.get(topic, 0) + 1
        print(f"\nre-encoded byte for byte: {counts} (every topic read in {time.monotonic() - started:.1f} s)")
        # at least what tests 2 to 4 caused: 6 answers (one after 2 or more rounds), 4 feedback examples, 2 dead letters
        expected = {"candidates": 6, "scored-candidates": 6, "aligned-responses": 6, "decode-steps": 1,
                    "feedback-examples": 4, "dead-letters": 2}
        for topic, at_least in expected.items():
            self.assertGreaterEqual(counts.get(topic, 0), at_least, f"Java-written records read from {topic}")

    def test_6_the_examples_run(self):
        examples = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples")

        def run(script, *args):
            done = subprocess.run([sys.executable, os.path.join(examples, script), "--bootstrap-servers", BOOTSTRAP,
                                   *args], capture_output=True, text=True, timeout=TIMEOUT_S + 30)
            self.assertEqual(done.returncode, 0, f"{script}: {done.stdout} {done.stderr}")
            return done.stdout

        out = run("align_prompt.py", "--prompt", "She was", "--method", "best_of_n", "-p", "n=4", "-p",
                  "max_new_tokens=6", "--timeout-s", str(TIMEOUT_S))
        self.assertIn("method best_of_n", out)
        self.assertIn("of 4 (1-based)", out)
        self.assertIn("published feedback event", run("send_feedback.py", "--prompt", "She was", "--original",
                                                      " cross.", "--edited", " calm."))
        out = run("watch_dead_letters.py", "--from-beginning", "--for-s", "3")
        self.assertIn(f"key='{GARBAGE_KEY}'", out)
        self.assertIn("not Avro single-object encoding", out)


if __name__ == "__main__":
    unittest.main()
