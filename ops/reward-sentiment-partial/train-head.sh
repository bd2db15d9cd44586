#!/usr/bin/env bash
# Retrains the partial-sequence sentiment reward head (Bradley-Terry on equal-length prefix pairs,
# MiniLM-L6-v2 int8 features): models/reward-sentiment-partial/head.onnx + training.json, with
# held-out prefix-pair accuracy compared against the full-sequence head models/reward-sentiment/head.onnx.
# Usage (from anywhere): ops/reward-sentiment-partial/train-head.sh [--seed 42] [--version 1] [--folds 5]
#                        [--threads 1] [--negatives 8] [--prefixes 3]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -o -q -pl training -am package -DskipTests
export OPT_OUT_TRACKING=true DJL_OFFLINE=true ORT_DISABLE_TELEMETRY=1
exec java -Dai.djl.offline=true -Dalignstream.command=ops/reward-sentiment-partial/train-head.sh \
  -cp "training/target/alignstream-training-0.1.0-SNAPSHOT.jar:training/target/lib/*" \
  org.alignstream.training.reward.PartialSentimentHeadTrainer \
  --data models/reward-sentiment/sentences.tsv --out models/reward-sentiment-partial \
  --compare-head models/reward-sentiment/head.onnx "$@"
