#!/usr/bin/python3
"""Prints the records the stages could not read or process, with their reasons, as they arrive (Ctrl-C stops).

    examples/watch_dead_letters.py                    # new dead letters only
    examples/watch_dead_letters.py --from-beginning   # all, then new ones
"""

import sys

from _common import kafka_config, parser

from alignstream import DeadLetterWatch


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--from-beginning", action="store_true")
    p.add_argument("--for-s", type=float, default=None, help="stop after this many seconds (default: run until Ctrl-C)")
    args = p.parse_args()
    import time
    deadline = None if args.for_s is None else time.monotonic() + args.for_s
    with DeadLetterWatch(kafka_config(args), from_beginning=args.from_beginning) as watch:
        try:
            while deadline is None or time.monotonic() < deadline:
                for d in watch.poll(1.0):
                    key = d["original_key"].decode("utf-8", "replace") if d["original_key"] is not None else None
                    size = len(d["original_value"]) if d["original_value"] is not None else 0
                    print(f"{d['stage']} {d['source_topic']}[{d['source_partition']}]@{d['source_offset']}"
                          f" key={key!r} ({size} bytes): {d['reason']}", flush=True)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
