"""Shared by the examples: makes the package importable from a clone and reads the broker address."""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))


def parser(description: str) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(description=description)
    p.add_argument("--bootstrap-servers", default=os.environ.get("ALIGNSTREAM_BOOTSTRAP_SERVERS", "localhost:9092"),
                   help="Kafka bootstrap servers (default: $ALIGNSTREAM_BOOTSTRAP_SERVERS or localhost:9092)")
    p.add_argument("-X", dest="config", action="append", default=[], metavar="KEY=VALUE",
                   help="any other librdkafka property, e.g. -X security.protocol=SASL_PLAINTEXT (repeatable)")
    return p


def kafka_config(args) -> dict:
    config = {"bootstrap.servers": args.bootstrap_servers}
    for item in args.config:
        key, _, value = item.partition("=")
        config[key] = value
    return config
