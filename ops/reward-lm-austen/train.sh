#!/usr/bin/env bash
# Fine-tunes lm-austen into a decoder reward model (Bradley-Terry, whole backbone) and exports it for
# DecoderRewardModel: `train.sh partial` writes models/reward-lm-austen-partial (PARGS recipe: equal-length
# truncations of every length, prompt included), `train.sh full` models/reward-lm-austen-full (full responses only).
# Needs Debian's python3-torch and python3-onnx (run with /usr/bin/python3) and libopenblas0-pthread.
# Usage (from anywhere): ops/reward-lm-austen/train.sh partial|full [--version 1] [--steps 500] [--seed 42] ...
set -euo pipefail
cd "$(dirname "$0")/../.."
kind="${1:?usage: ops/reward-lm-austen/train.sh partial|full [options of train.py]}"
shift
exec /usr/bin/python3 ops/reward-lm-austen/train.py --kind "$kind" --out "models/reward-lm-austen-$kind" "$@"
