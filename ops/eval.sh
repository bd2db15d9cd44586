#!/usr/bin/env bash
# Quality evaluation (docs/EVALUATION.md and its plots docs/eval-frontier-*.png), two sections:
#  selection: per prompt 256 candidates sampled once from lm-austen and scored once by every proxy reward model
#    (models/reward-sentiment, -100, -25, -noisy) and the gold (models/reward-gold); Best-of-N at N = 1..256,
#    RBoN-KL/WD, soft Best-of-N and speculative rejection chosen among them per proxy;
#  tokenwise: ARGS with models/reward-lm-austen-full against PARGS with models/reward-lm-austen-partial across w = beta,
#    Transfer Q* with m = 1 and 4 rollouts, through the bare decoding loop.
# Prints the tables and the papers' claims with verdicts computed from the figures, draws gold and proxy reward against
# KL per proxy, and writes docs/EVALUATION.md. A missing model directory stops the run before any work, naming it.
#   ops/eval.sh              full run (24 prompts, 24 new tokens; about 15 minutes on 2 shared cores)
#   ops/eval.sh --quick      smoke run (4 prompts, 16 new tokens, N up to 32; 1-2 minutes)
#   ops/eval.sh --prompts N  the first N prompts; --sections selection|tokenwise one section only
#   ops/eval.sh --proxy-model-dirs A,B --gold-model-dir G --full-reward-model-dir F --partial-reward-model-dir P
#                            other reward models (directories as the scorer's --reward-model-dir takes them)
# Extra arguments go to org.alignstream.evaluation.quality.Evaluation (try --help; --out - writes no report).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
build_classpath evaluation
# ops/eval.sh --section feedback [ARGS]: the feedback learning curve instead (org.alignstream.evaluation.quality.FeedbackCurve,
# try --help): a simulated annotator's feedback (its gold taste: --gold sentiment+family, the default, or sentiment)
# streamed in steps, held-out accuracy and proxy-gold agreement after each retraining, and the ceiling of the proxy
# class; writes docs/feedback-learning-curve.png and only the feedback-curve section of docs/EVALUATION.md. About
# 6-8 minutes for the default, one curve of 800 events, on 2 cores (--prior-l2 0.01,0.003 draws two curves).
# ops/eval.sh --section feedback-replay [ARGS]: the same loop replayed offline without Kafka, per training rule
# (org.alignstream.evaluation.quality.FeedbackReplay, try --help; prints only; about 4 minutes).
if [ "${1:-}" = "--section=feedback" ] || { [ "${1:-}" = "--section" ] && [ "${2:-}" = "feedback" ]; }; then
  [ "$1" = "--section" ] && shift 2 || shift 1
  exec java $ALIGNSTREAM_JAVA_OPTS -Djava.awt.headless=true -cp "$ALIGNSTREAM_CP" org.alignstream.evaluation.quality.FeedbackCurve \
    "--command-line=ops/eval.sh --section feedback${*:+ $*}" "$@"
fi
if [ "${1:-}" = "--section=feedback-replay" ] || { [ "${1:-}" = "--section" ] && [ "${2:-}" = "feedback-replay" ]; }; then
  [ "$1" = "--section" ] && shift 2 || shift 1
  exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.evaluation.quality.FeedbackReplay "$@"
fi
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.evaluation.quality.Evaluation \
  "--command-line=ops/eval.sh${*:+ $*}" "$@"
