#!/usr/bin/env bash
# Retrains the bundled token-level sentiment reward head (sentiment-token: a linear head on every response token's
# MiniLM-L6-v2 int8 state, trained as the feedback service trains it, from the labelled sentences as preferences and
# the dense credit of models/reward-sentiment/head.onnx): models/reward-sentiment-token/head.onnx + training.json.
# Usage (from anywhere): ops/reward-sentiment-token/train-head.sh [--seed 42] [--version 1] [--folds 5]
#                        [--negatives 4] [--threads 1]
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -o -q -pl training -am package -DskipTests
export OPT_OUT_TRACKING=true DJL_OFFLINE=true ORT_DISABLE_TELEMETRY=1
exec java -Dai.djl.offline=true -Dalignstream.command=ops/reward-sentiment-token/train-head.sh \
  -cp "training/target/alignstream-training-0.1.0-SNAPSHOT.jar:training/target/lib/*" \
  org.alignstream.training.reward.TokenSentimentHeadTrainer \
  --data models/reward-sentiment/sentences.tsv --out models/reward-sentiment-token \
  --credit-head models/reward-sentiment/head.onnx "$@"
