#!/usr/bin/env bash
# Performance benchmark (docs/BENCHMARKS.md): each model stage running as its own Kafka Streams application on an
# embedded broker against the same model calls in a bare loop, measured interleaved in ONE run, then the whole
# pipeline end to end, then tokenwise (stepwise ARGS) decoding through the pipeline against the bare decoding loop
# under several stage configurations. Ends with lines
#   ratio scorer_pipeline_vs_bare=X
#   ratio generator_pipeline_vs_bare=Y
#   ratio bon8_prompts_per_s=Z
#   ratio tokenwise_pipeline_vs_bare=T
#   ratio tokenwise_latency_pipeline_vs_bare=L
#   ratio round_overhead_ms=O
# Full run about 7-9 minutes on 2 cores (the tokenwise section alone, --sections=tokenwise, about 4-5); `ops/bench.sh
# --quick` (a smoke run) about 3. Extra arguments go to org.alignstream.local.bench.Bench (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
build_local_classpath
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.local.bench.Bench "$@"
