#!/usr/bin/env bash
# Retrains the gold (evaluation-only) sentiment reward head on e5-small-v2 int8 features
# (models/reward-gold/head.onnx + training.json), and records its held-out agreement with the
# proxy head models/reward-sentiment/head.onnx.
# Usage (from anywhere): ops/reward-gold/train-head.sh [--seed 42] [--version 1] [--folds 5] [--threads 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -o -q -pl training -am package -DskipTests
export OPT_OUT_TRACKING=true DJL_OFFLINE=true ORT_DISABLE_TELEMETRY=1
exec java -Dai.djl.offline=true -Dalignstream.command=ops/reward-gold/train-head.sh \
  -cp "training/target/alignstream-training-0.1.0-SNAPSHOT.jar:training/target/lib/*" \
  org.alignstream.training.reward.SentimentHeadTrainer \
  --data models/reward-sentiment/sentences.tsv --out models/reward-gold \
  --encoder e5-small-v2-int8 --id gold-sentiment --compare-head models/reward-sentiment/head.onnx "$@"
