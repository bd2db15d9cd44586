#!/usr/bin/env bash
# Performance benchmark (docs/BENCHMARKS.md): each model stage running as its own Kafka Streams application on an
# embedded broker against the same model calls in a bare loop, measured interleaved in ONE run, then the whole
# pipeline end to end, then tokenwise (stepwise ARGS) decoding through the pipeline against the bare decoding loop
# under several stage configurations. Ends with lines
#   ratio scorer_pipeline_vs_bare=X
#   ratio scorer_scaling_2_vs_1=S   (two scorer instances over one; --sections=scaling, about 2 minutes)
#   ratio generator_pipeline_vs_bare=Y
#   ratio bon8_prompts_per_s=Z
#   ratio tokenwise_pipeline_vs_bare=T
#   ratio tokenwise_latency_pipeline_vs_bare=L
#   ratio round_overhead_ms=O
#   ratio feedback_to_live_s=F        (section feedback: retrain trigger -> first response scored by the new version)
#   ratio feedback_events_per_s=E     (section feedback: feedback events through the feedback stage)
#   ratio tokenwise_cost_growth=..., tokenwise_cost_growth_encoder_rm, kv_reuse_speedup, generator_batching_gain,
#         prefix_shared_scoring_gain, realistic_pipeline_vs_bare, generator_rss_mib_64_requests (section realistic,
#         only when named: a 124 M-parameter decoder and an 82 M-parameter decoder reward model written by
#         ops/realistic/make_realistic_models.py with Debian's torch; about 8 minutes)
#   ratio sustained_bon8_prompts_per_s=X, overload_drain_s=D (section load, only when named: a Best-of-8 load ramp,
#         the highest rate held with bounded consumer lag, then an overload and its drain; lost=0 duplicated=0 or it
#         fails; about 4 minutes)
#   ratio specrej_compute_vs_bon=C, specrej_reward_calls_vs_bon=R (section specrej, only when named: speculative
#         rejection's generated tokens and reward-model calls over Best-of-N's at equal mean proxy reward; about 4-9 minutes)
# Full run: scorer, generator and e2e about 2.5-4 minutes on 2 cores, the tokenwise section (--sections=tokenwise)
# about 4-5 more, the feedback section (--sections=feedback) about 3 more; `ops/bench.sh --quick` (a smoke run) about 5 under load. Extra arguments go to org.alignstream.evaluation.bench.Bench (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
build_classpath evaluation
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.evaluation.bench.Bench "$@"
