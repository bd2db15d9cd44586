#!/usr/bin/env bash
# Publishes one piece of human feedback to the feedback topic: a preference or a minimal edit.
#   ops/feedback.sh --prompt "She was" --chosen "She was delighted." --rejected "She was miserable."
#   ops/feedback.sh --prompt "She was" --original "She was miserable." --edited "She was content."
# Options also come from ALIGNSTREAM_* variables (e.g. ALIGNSTREAM_BOOTSTRAP_SERVERS); try --help.
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
build_classpath clients
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.clients.FeedbackClient "$@"
