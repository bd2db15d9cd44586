#!/usr/bin/env bash
# Quality evaluation (docs/EVALUATION.md): the bundled evaluation prompts through every alignment method (Best-of-N,
# RBoN-KL/WD, ARGS, PARGS, blockwise, Transfer Q*) at fixed seeds in the bare decoding loop, each row's final texts
# re-scored by the proxy (sentiment) and the gold model (gold-sentiment); prints the table and the papers' claims with
# verdicts computed from the figures, and writes docs/EVALUATION.md.
#   ops/eval.sh              full run (24 prompts, 4-8 minutes on 2 shared cores)
#   ops/eval.sh --quick      smoke run (6 prompts, 1-2 minutes)
#   ops/eval.sh --prompts N  the first N prompts
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
