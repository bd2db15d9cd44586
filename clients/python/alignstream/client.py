"""Kafka helpers: publish prompts and feedback, collect the answers (matched by request id) and the dead letters.

Keys are UTF-8 strings (request id, event id), values single-object encoded Avro (:mod:`alignstream.codec`), as the
Java clients write them. Readers use ``isolation.level=read_committed``: the stages write transactionally.

``config`` is a librdkafka configuration (e.g. ``{"bootstrap.servers": "localhost:9092"}``, plus
``security.protocol``, ``sasl.*`` on a secured cluster).
"""

import time
import uuid
from typing import Any, Dict, Iterable, List, Optional

from confluent_kafka import OFFSET_BEGINNING, Consumer, KafkaException, Producer, TopicPartition

from .codec import Codec, DecodeError

# topic names come from schemas/bundled/topics.json (written from the Java Pipeline), looked up by record type
PROMPT = "PromptRequest"
ANSWER = "AlignedResponse"
FEEDBACK_EVENT = "FeedbackEvent"
DEAD_LETTER = "DeadLetter"


def _config(config: Any) -> Dict[str, Any]:
    return {"bootstrap.servers": config} if isinstance(config, str) else dict(config)


def now_ms() -> int:
    return int(time.time() * 1000)


class Publisher:
    """An idempotent producer of encoded records to a topic of the pipeline (one per topic or several)."""

    def __init__(self, config: Any, codec: Optional[Codec] = None):
        self.codec = codec or Codec()
        c = _config(config)
        c.setdefault("acks", "all")
        c.setdefault("enable.idempotence", True)
        c.setdefault("linger.ms", 0)
        self._producer = Producer(c)
        self._errors: List[str] = []

    def _delivered(self, err, msg):
        if err is not None:
            self._errors.append(f"{msg.topic()} key {msg.key()!r}: {err}")

    def send(self, topic: str, key: str, record: Dict[str, Any], version: Optional[int] = None) -> None:
        """Encodes ``record`` as the topic's record type (defaults filled; ``version``: a released schema version)."""
        self.send_raw(topic, key, self.codec.encode(topic, record, version))

    def send_raw(self, topic: str, key: Optional[str], value: Optional[bytes]) -> None:
        """Sends bytes as they are (e.g. to see how the pipeline treats a malformed record)."""
        self._producer.produce(topic, key=None if key is None else key.encode("utf-8"), value=value,
                               on_delivery=self._delivered)
        self._producer.poll(0)

    def flush(self, timeout_s: float = 30.0) -> None:
        """Waits until everything sent is acknowledged; raises KafkaException on a failed or pending delivery."""
        left = self._producer.flush(timeout_s)
        errors, self._errors = self._errors, []
        if left or errors:
            raise KafkaException(f"{left} records not delivered within {timeout_s} s; failed: {errors}")

    def close(self) -> None:
        self.flush()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class TopicReader:
    """Reads the topic of a record type (read committed) from its current end, or from the beginning; poll() gives the
    raw messages, decode them with the codec."""

    def __init__(self, config: Any, record: str, codec: Optional[Codec] = None, from_beginning: bool = False):
        self.codec = codec = codec or Codec()
        self.record = record
        self.topic = topic = codec.schemas.topic_of(record)
        c = _config(config)
        c.setdefault("group.id", "alignstream-python-" + uuid.uuid4().hex)  # required by librdkafka; never committed
        c.setdefault("enable.auto.commit", False)
        c.setdefault("isolation.level", "read_committed")
        c.setdefault("allow.auto.create.topics", False)  # a reader must not create the pipeline's topics
        self._consumer = Consumer(c)
        meta = self._consumer.list_topics(topic, timeout=30)
        info = meta.topics.get(topic)
        if info is None or info.error is not None or not info.partitions:
            self._consumer.close()
            raise RuntimeError(f"topic {topic} does not exist on {c.get('bootstrap.servers')}: is the pipeline set up?")
        partitions = []
        for p in sorted(info.partitions):
            if from_beginning:
                partitions.append(TopicPartition(topic, p, OFFSET_BEGINNING))
            else:
                # the end offsets now, before the caller sends anything, so no answer to it can be missed
                _, high = self._consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=30)
                partitions.append(TopicPartition(topic, p, high))
        self._consumer.assign(partitions)

    def poll(self, timeout_s: float) -> List[Any]:
        """The messages that arrive within ``timeout_s`` (at least one poll), raw confluent_kafka messages."""
        out = []
        deadline = time.monotonic() + timeout_s
        while True:
            msg = self._consumer.poll(max(0.0, min(0.2, deadline - time.monotonic())))
            if msg is not None:
                if msg.error():
                    raise KafkaException(msg.error())
                out.append(msg)
            elif time.monotonic() >= deadline:
                return out

    def close(self) -> None:
        self._consumer.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class PromptClient:
    """Publishes prompts to ``prompts`` and collects their answers from ``aligned-responses``, matched by request id.

    Reading starts at the end of ``aligned-responses`` when the client is created, so only answers that arrive
    afterwards are seen.
    """

    def __init__(self, config: Any, codec: Optional[Codec] = None):
        self.codec = codec or Codec()
        self._publisher = Publisher(config, self.codec)
        self._answers = TopicReader(config, ANSWER, self.codec)
        self.topic = self.codec.schemas.topic_of(PROMPT)
        self.received: List[Dict[str, Any]] = []
        self.unreadable: List[str] = []

    def prompt_request(self, prompt: str, method: str = "best_of_n", request_id: Optional[str] = None,
                       **parameters: Any) -> Dict[str, Any]:
        """A PromptRequest record; ``parameters`` are Strategy fields (n, top_k, beta, temperature, max_new_tokens,
        seed, ...), the others take the schema's defaults."""
        return {"id": request_id or str(uuid.uuid4()), "prompt": prompt,
                "strategy": dict(parameters, method=method), "created_at_ms": now_ms()}

    def publish(self, prompt: str, method: str = "best_of_n", request_id: Optional[str] = None,
                **parameters: Any) -> str:
        """Publishes a prompt to ``prompts`` and returns its request id. Raises EncodeError (every problem of the
        request) before sending when a parameter is unknown or of the wrong type; the generator checks the values."""
        request = self.prompt_request(prompt, method, request_id, **parameters)
        self.send(request)
        return request["id"]

    def send(self, request: Dict[str, Any], version: Optional[int] = None) -> None:
        """Publishes a PromptRequest record (``version``: write it with a released schema version)."""
        self._publisher.send(self.topic, request["id"], request, version)

    def send_raw(self, key: Optional[str], value: Optional[bytes]) -> None:
        self._publisher.send_raw(self.topic, key, value)

    def flush(self) -> None:
        self._publisher.flush()

    def await_answers(self, ids: Iterable[str], timeout_s: float = 60.0) -> Dict[str, Dict[str, Any]]:
        """Polls until every id has an answer or the timeout passes; returns the answers found, by request id."""
        self.flush()
        wanted = set(ids)
        found = {r["id"]: r for r in self.received if r["id"] in wanted}
        deadline = time.monotonic() + timeout_s
        while not wanted <= found.keys() and time.monotonic() < deadline:
            for msg in self._answers.poll(min(0.5, max(0.0, deadline - time.monotonic()))):
                try:
                    answer = self.codec.decode(msg.value(), ANSWER)
                except DecodeError as e:
                    self.unreadable.append(str(e))
                    continue
                self.received.append(answer)
                if answer["id"] in wanted:
                    found.setdefault(answer["id"], answer)
        return found

    def answer(self, request_id: str, timeout_s: float = 60.0) -> Optional[Dict[str, Any]]:
        """The answer to one request, or None if none came within the timeout."""
        return self.await_answers([request_id], timeout_s).get(request_id)

    def close(self) -> None:
        try:
            self._publisher.close()
        finally:
            self._answers.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class FeedbackClient:
    """Publishes human feedback (preferences and minimal edits) to ``feedback``, keyed by event id."""

    def __init__(self, config: Any, codec: Optional[Codec] = None):
        self.codec = codec or Codec()
        self._publisher = Publisher(config, self.codec)
        self.topic = self.codec.schemas.topic_of(FEEDBACK_EVENT)

    def preference(self, prompt: str, chosen: str, rejected: str, event_id: Optional[str] = None,
                   **fields: Any) -> str:
        """Publishes that ``chosen`` is preferred over ``rejected``; ``fields``: reward_model, annotator_id, time_ms,
        chosen_response_id, rejected_response_id. Returns the event id."""
        event = {"prompt": prompt, "chosen": chosen, "rejected": rejected}
        return self._send("PreferenceEvent", event, event_id, fields,
                          ("chosen_response_id", "rejected_response_id"))

    def edit(self, prompt: str, original: str, edited: str, event_id: Optional[str] = None, **fields: Any) -> str:
        """Publishes an annotator's minimal edit of a response; ``fields``: reward_model, annotator_id, time_ms,
        response_id. Returns the event id."""
        event = {"prompt": prompt, "original": original, "edited": edited}
        return self._send("EditEvent", event, event_id, fields, ("response_id",))

    def _send(self, kind: str, event: Dict[str, Any], event_id: Optional[str], fields: Dict[str, Any],
              event_fields: tuple) -> str:
        record = {k: v for k, v in fields.items() if k not in event_fields}
        event.update({k: v for k, v in fields.items() if k in event_fields})
        record.update(id=event_id or str(uuid.uuid4()), event=(kind, event))
        record.setdefault("time_ms", now_ms())
        self.send(record)
        return record["id"]

    def send(self, event: Dict[str, Any], version: Optional[int] = None) -> None:
        """Publishes a FeedbackEvent record (``version``: write it with a released schema version)."""
        self._publisher.send(self.topic, event["id"], event, version)

    def flush(self) -> None:
        self._publisher.flush()

    def close(self) -> None:
        self._publisher.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


class DeadLetterWatch:
    """Reads ``dead-letters``: what a stage could not read or process, with its reason and the original bytes.

    Starts at the end of the topic (only new dead letters), or at the beginning with ``from_beginning=True``.
    """

    def __init__(self, config: Any, codec: Optional[Codec] = None, from_beginning: bool = False):
        self.codec = codec or Codec()
        self._reader = TopicReader(config, DEAD_LETTER, self.codec, from_beginning)
        self.received: List[Dict[str, Any]] = []

    def poll(self, timeout_s: float = 1.0) -> List[Dict[str, Any]]:
        """The dead letters that arrive within ``timeout_s``."""
        letters = [self.codec.decode(m.value(), DEAD_LETTER) for m in self._reader.poll(timeout_s)]
        self.received.extend(letters)
        return letters

    def await_keys(self, keys: Iterable[str], timeout_s: float = 60.0) -> Dict[str, Dict[str, Any]]:
        """Polls until a dead letter has arrived for every original key (a request or event id), or the timeout."""
        wanted = {k.encode("utf-8") for k in keys}
        deadline = time.monotonic() + timeout_s
        while not wanted <= {d["original_key"] for d in self.received} and time.monotonic() < deadline:
            self.poll(min(0.5, max(0.0, deadline - time.monotonic())))
        return {d["original_key"].decode("utf-8"): d for d in self.received if d["original_key"] in wanted}

    def close(self) -> None:
        self._reader.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
