#!/usr/bin/env bash
# Performance benchmark (docs/BENCHMARKS.md): each model stage running as its own Kafka Streams application on an
# embedded broker against the same model calls in a bare loop, measured interleaved in ONE run, then the whole
# pipeline end to end. Ends with lines
#   ratio scorer_pipeline_vs_bare=X
#   ratio generator_pipeline_vs_bare=Y
#   ratio bon8_prompts_per_s=Z
#   ratio feedback_to_live_s=T        (section feedback: retrain trigger -> first response scored by the new version)
#   ratio feedback_events_per_s=E     (section feedback: feedback events through the feedback stage)
# Full run about 4 minutes on 2 cores, plus about 3 for the feedback section; `ops/bench.sh --quick` (a smoke run)
# about 1.5 plus 2. Extra arguments go to
# org.alignstream.local.bench.Bench (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
build_local_classpath
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.local.bench.Bench "$@"
