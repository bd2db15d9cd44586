#!/usr/bin/env bash
# Rebuilds every sentiment reward model from training/data/sentiment in dependency order (the gold model compares
# itself with every proxy, the partial head with sentiment): sentiment, -100, -25, -noisy, -partial, the two lm-austen
# decoder reward models, gold; then the cards' tables. Arguments are not passed on; versions are the ones given here.
set -euo pipefail
cd "$(dirname "$0")/../.."
export OPT_OUT_TRACKING=true DJL_OFFLINE=true ORT_DISABLE_TELEMETRY=1
mvn -B -o -q -pl training -am package -DskipTests
export ALIGNSTREAM_SKIP_BUILD=1
ops/reward-sentiment/train-head.sh --version 2
ops/reward-sentiment-100/train-head.sh --version 1
ops/reward-sentiment-25/train-head.sh --version 1
ops/reward-sentiment-noisy/train-head.sh --version 1
ops/reward-sentiment-partial/train-head.sh --version 2
ops/reward-lm-austen/train.sh partial --version 1
ops/reward-lm-austen/train.sh full --version 1
ops/reward-gold/train-head.sh --version 2
/usr/bin/python3 ops/reward-sentiment/cards.py
