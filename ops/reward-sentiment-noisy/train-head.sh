#!/usr/bin/env bash
# Retrains the graded proxy sentiment-noisy: the sentiment head's recipe on all proxy training sentences with 30 % of
# their labels flipped (seeded; held-out and gold labels clean), reporting held-out accuracy per style and accuracy
# on the gold set: models/reward-sentiment-noisy/head.onnx + training.json.
# Usage (from anywhere): ops/reward-sentiment-noisy/train-head.sh [--seed 42] [--version 1] [--folds 5] [--threads 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
source ops/reward-sentiment/common.sh
run_trainer ops/reward-sentiment-noisy/train-head.sh org.alignstream.training.reward.SentimentHeadTrainer \
  --data "$PROXY_DATA" --eval-data "$GOLD_DATA" --label-noise 0.3 --id sentiment-noisy \
  --out models/reward-sentiment-noisy "$@"
