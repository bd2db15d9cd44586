#!/usr/bin/env bash
# Sends one prompt through a running alignstream pipeline and prints the aligned response
# (text, reward, candidate rewards, timings); --json prints the whole AlignedResponse.
# A rejected request prints the reason from the dead-letters topic and exits 3; a timeout exits 4.
#   ops/align.sh --bootstrap-servers localhost:9092 --prompt "It was a fine morning" --n 8
# Options also come from ALIGNSTREAM_* variables (e.g. ALIGNSTREAM_BOOTSTRAP_SERVERS); try --help.
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
build_classpath clients
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.clients.AlignClient "$@"
