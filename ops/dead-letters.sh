#!/usr/bin/env bash
# Lists the dead letters (stage, source topic/partition/offset, key, reason) and can re-publish their original records.
#   ops/dead-letters.sh --bootstrap-servers localhost:9094                       # everything on dead-letters
#   ops/dead-letters.sh --stage scorer --reason-contains "not served"            # filtered
#   ops/dead-letters.sh --key req-42 --republish                                 # send req-42's original record back
# Options also come from ALIGNSTREAM_* variables (e.g. ALIGNSTREAM_BOOTSTRAP_SERVERS); try --help.
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
build_classpath clients
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.clients.DeadLetterTool "$@"
