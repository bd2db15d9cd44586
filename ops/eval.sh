#!/usr/bin/env bash
# Quality evaluation (docs/EVALUATION.md): the bundled evaluation prompts through every alignment method (Best-of-N,
# RBoN-KL/WD, ARGS, PARGS, blockwise, Transfer Q*) at fixed seeds in the bare decoding loop, each row's final texts
# re-scored by the proxy (sentiment) and the gold model (gold-sentiment); prints the table and the papers' claims with
# verdicts computed from the figures, and writes docs/EVALUATION.md.
#   ops/eval.sh              full run (24 prompts, 4-8 minutes on 2 shared cores)
#   ops/eval.sh --quick      smoke run (6 prompts, 1-2 minutes)
#   ops/eval.sh --prompts N  the first N prompts
# Extra arguments go to org.alignstream.local.eval.Evaluation (try --help; --out - writes no report).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
build_local_classpath
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.local.eval.Evaluation \
  "--command-line=ops/eval.sh${*:+ $*}" "$@"
