#!/usr/bin/python3
"""Publishes one prompt with a method and its parameters and prints the aligned answer.

    examples/align_prompt.py --prompt "She was" --method best_of_n -p n=8 -p temperature=0.9
    examples/align_prompt.py --prompt "She was" --method args -p top_k=5 -p beta=1.0 -p max_new_tokens=16

Parameters are Strategy fields (schemas/Strategy.avsc); those not given take the schema's defaults.
"""

import json
import sys

from _common import kafka_config, parser

from alignstream import EncodeError, PromptClient


def value(text: str):
    """A parameter value: a JSON number, true/false/null, or else the text itself."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def main() -> int:
    p = parser(__doc__.splitlines()[0])
    p.add_argument("--prompt", required=True)
    p.add_argument("--method", default="best_of_n")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE", help="a Strategy field")
    p.add_argument("--timeout-s", type=float, default=120.0)
    args = p.parse_args()
    params = {}
    for item in args.param:
        name, _, text = item.partition("=")
        params[name] = value(text)
    with PromptClient(kafka_config(args)) as client:
        try:
            request_id = client.publish(args.prompt, args.method, **params)
        except EncodeError as e:
            print(e, file=sys.stderr)
            return 2
        answer = client.answer(request_id, args.timeout_s)
    if answer is None:
        print(f"no answer to {request_id} within {args.timeout_s} s; if it was refused, the reason is in dead-letters"
              " (examples/watch_dead_letters.py --from-beginning)", file=sys.stderr)
        return 1
    print(f"{answer['prompt']}{answer['text']}")
    print(f"  request {answer['id']}: method {answer['method']}, reward {answer['reward']:.4f}")
    if answer["rounds"] == 0:  # a whole-response method chose one of its candidates
        print(f"  chosen candidate {answer['chosen_index'] + 1} of {len(answer['candidate_rewards'])} (1-based)")
    if answer["kl"] is not None:
        print(f"  kl {answer['kl']:.4f} ({answer['kl_kind']})")
    print(f"  reward model {answer['reward_model']['id']}@{answer['reward_model']['version']},"
          f" rounds {answer['rounds']}, timings_ms {json.dumps(answer['timings_ms'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
