#!/usr/bin/env bash
# Retrains the default sentiment reward head (models/reward-sentiment/head.onnx + training.json).
# Usage (from anywhere): ops/reward-sentiment/train-head.sh [--seed 42] [--version 1] [--folds 5] [--threads 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -o -q -pl training -am package -DskipTests
export OPT_OUT_TRACKING=true DJL_OFFLINE=true ORT_DISABLE_TELEMETRY=1
exec java -Dai.djl.offline=true \
  -cp "training/target/alignstream-training-0.1.0-SNAPSHOT.jar:training/target/lib/*" \
  org.alignstream.training.reward.SentimentHeadTrainer \
  --data models/reward-sentiment/sentences.tsv --out models/reward-sentiment "$@"
