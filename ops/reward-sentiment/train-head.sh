#!/usr/bin/env bash
# Retrains the default sentiment reward head (id sentiment) on ALL the proxy data:
# models/reward-sentiment/head.onnx + training.json (held-out accuracy per style, accuracy on the gold set).
# Usage (from anywhere): ops/reward-sentiment/train-head.sh [--seed 42] [--version 2] [--folds 5] [--threads 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
source ops/reward-sentiment/common.sh
run_trainer ops/reward-sentiment/train-head.sh org.alignstream.training.reward.SentimentHeadTrainer \
  --data "$PROXY_DATA" --eval-data "$GOLD_DATA" --out models/reward-sentiment "$@"
