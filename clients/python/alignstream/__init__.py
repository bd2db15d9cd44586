"""Python client of alignstream: Avro single-object encoding of every topic's records (schema defaults filled), and
helpers to publish prompts and feedback and to read answers and dead letters. Needs Debian's python3-avro and
python3-confluent-kafka (the Kafka helpers only); see clients/python/README.md."""

from .codec import Codec, DecodeError, EncodeError
from .schemas import Schemas, SchemaVersion, crc64_avro, fingerprint

__all__ = ["Codec", "DecodeError", "EncodeError", "Schemas", "SchemaVersion", "crc64_avro", "fingerprint",
           "PromptClient", "FeedbackClient", "DeadLetterWatch", "Publisher", "TopicReader"]


def __getattr__(name):
    # the Kafka helpers import confluent_kafka only when used, so the codec works without it
    if name in ("PromptClient", "FeedbackClient", "DeadLetterWatch", "Publisher", "TopicReader"):
        from . import client
        return getattr(client, name)
    raise AttributeError(name)
