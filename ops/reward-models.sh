#!/usr/bin/env bash
# Lists reward-model versions on reward-models, or rolls a model back to an earlier version:
#   ops/reward-models.sh --bootstrap-servers kafka:9092 list
#   ops/reward-models.sh --bootstrap-servers kafka:9092 rollback --model sentiment --to-version 3
# (republishes version 3's head as the newest version; scorers swap it in, feedback builds on it)
# Options also come from ALIGNSTREAM_* variables (e.g. ALIGNSTREAM_BOOTSTRAP_SERVERS); try --help.
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
build_classpath clients
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.clients.RewardModelTool "$@"
