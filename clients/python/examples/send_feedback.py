#!/usr/bin/python3
"""Publishes one preference (--chosen, --rejected) or one minimal edit (--original, --edited) to the feedback topic.

    examples/send_feedback.py --prompt "She was" --chosen " delighted." --rejected " cross."
    examples/send_feedback.py --prompt "She was" --original " cross." --edited " calm."
"""

import sys

from _common import kafka_config, parser

from alignstream import FeedbackClient


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--prompt", required=True)
    p.add_argument("--chosen")
    p.add_argument("--rejected")
    p.add_argument("--original")
    p.add_argument("--edited")
    p.add_argument("--reward-model", default=None, help="reward model to train (default: the schema's)")
    p.add_argument("--annotator", default=None)
    args = p.parse_args()
    fields = {k: v for k, v in (("reward_model", args.reward_model), ("annotator_id", args.annotator)) if v is not None}
    with FeedbackClient(kafka_config(args)) as feedback:
        if args.chosen is not None and args.rejected is not None and args.original is None:
            event_id = feedback.preference(args.prompt, args.chosen, args.rejected, **fields)
        elif args.original is not None and args.edited is not None and args.chosen is None:
            event_id = feedback.edit(args.prompt, args.original, args.edited, **fields)
        else:
            p.error("give either --chosen and --rejected, or --original and --edited")
        feedback.flush()
    print(f"published feedback event {event_id}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
