#!/usr/bin/env bash
# Retrains the graded proxy sentiment-25: the sentiment head's recipe on only 25 of the proxy training sentences
# (drawn stratified by style and label, seeded; same held-out split as sentiment), reporting held-out accuracy per
# style and accuracy on the gold set: models/reward-sentiment-25/head.onnx + training.json.
# Usage (from anywhere): ops/reward-sentiment-25/train-head.sh [--seed 42] [--version 1] [--folds 5] [--threads 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
source ops/reward-sentiment/common.sh
run_trainer ops/reward-sentiment-25/train-head.sh org.alignstream.training.reward.SentimentHeadTrainer \
  --data "$PROXY_DATA" --eval-data "$GOLD_DATA" --train-size 25 --id sentiment-25 \
  --out models/reward-sentiment-25 "$@"
