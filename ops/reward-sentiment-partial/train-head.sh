#!/usr/bin/env bash
# Retrains the partial-sequence sentiment reward head (Bradley-Terry on equal-length prefix pairs of the same style,
# MiniLM-L6-v2 int8 features) on the proxy data: models/reward-sentiment-partial/head.onnx + training.json, with
# held-out prefix-pair accuracy compared against the full-sequence head models/reward-sentiment/head.onnx.
# Usage (from anywhere): ops/reward-sentiment-partial/train-head.sh [--seed 42] [--version 2] [--folds 5]
#                        [--threads 1] [--negatives 4] [--prefixes 3]
set -euo pipefail
cd "$(dirname "$0")/../.."
source ops/reward-sentiment/common.sh
run_trainer ops/reward-sentiment-partial/train-head.sh org.alignstream.training.reward.PartialSentimentHeadTrainer \
  --data "$PROXY_DATA" --out models/reward-sentiment-partial --compare-head models/reward-sentiment/head.onnx "$@"
