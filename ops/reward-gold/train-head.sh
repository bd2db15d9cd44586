#!/usr/bin/env bash
# Retrains the gold (evaluation-only) sentiment reward head on e5-small-v2 int8 features from the GOLD set only
# (models/reward-gold/head.onnx + training.json), and records its held-out agreement with each proxy head.
# Train the proxies first (their heads are read). Usage (from anywhere):
#   ops/reward-gold/train-head.sh [--seed 42] [--version 2] [--folds 5] [--threads 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
source ops/reward-sentiment/common.sh
run_trainer ops/reward-gold/train-head.sh org.alignstream.training.reward.SentimentHeadTrainer \
  --data "$GOLD_DATA" --out models/reward-gold --encoder e5-small-v2-int8 --id gold-sentiment \
  --compare-head models/reward-sentiment/head.onnx,models/reward-sentiment-100/head.onnx,models/reward-sentiment-25/head.onnx,models/reward-sentiment-noisy/head.onnx,models/reward-sentiment-partial/head.onnx,models/reward-lm-austen-partial,models/reward-lm-austen-full \
  "$@"
