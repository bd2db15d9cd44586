#!/usr/bin/env bash
# Chaos drills (org.alignstream.local.chaos.ChaosDrills): the three stages as separate JVMs against an embedded broker.
# An undisturbed run of 30 seeded Best-of-N prompts, then the same prompts again while each stage in turn is SIGKILLed
# and restarted mid-run, then while the broker is stopped and restarted mid-run. Ends with one line per drill:
#   drill NAME lost=L duplicated=D dead_lettered=X
# (answers that differ from the undisturbed run are reported above those lines). Exit code 0 only if every count is 0
# and nothing differs. Service logs stay in the printed work directory.
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
build_local_classpath
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.local.chaos.ChaosDrills "$@"
