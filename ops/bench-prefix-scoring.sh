#!/usr/bin/env bash
# Prefix-shared reward scoring for a tokenwise round (issue 11, item 4): reward-model texts/s with the round's common
# prefix encoded once (DecoderRewardModel.scoreWithSharedPrefix) over scoring each of the k texts in full, on a random
# GPT-2-layout decoder reward model written at run time (not committed; about 44 MB with the defaults below).
# Prints `ratio prefix_shared_scoring_gain=X` (target >= 3 at k = 10 with a prefix of at least 64 tokens).
#
# Usage: ops/bench-prefix-scoring.sh [K=10] [PREFIX_TOKENS=64] [ROUNDS=30] [THREADS=1]
# Needs Debian's python3-torch and python3-onnx (/usr/bin/python3); the model goes to $ALIGNSTREAM_BENCH_DIR
# (default /tmp/alignstream-bench) and is reused by later runs. Model shape: BENCH_D (384), BENCH_LAYERS (6),
# BENCH_HEADS (6).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
export OPT_OUT_TRACKING=true DJL_OFFLINE=true ORT_DISABLE_TELEMETRY=1
dir="${ALIGNSTREAM_BENCH_DIR:-/tmp/alignstream-bench}/gpt2-reward-d${BENCH_D:-384}-l${BENCH_LAYERS:-6}"
if [ ! -f "$dir/model.onnx" ]; then
  echo "writing a random GPT-2-layout reward model to $dir ..." >&2
  /usr/bin/python3 ops/lm-fixtures/make_hf_reward_fixtures.py --bench "$dir" --bench-d "${BENCH_D:-384}" \
    --bench-layers "${BENCH_LAYERS:-6}" --bench-heads "${BENCH_HEADS:-6}" >&2
fi
build_classpath evaluation
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" \
  org.alignstream.evaluation.bench.PrefixSharedScoringBench "$dir" "${1:-10}" "${2:-64}" "${3:-30}" "${4:-1}"
