#!/usr/bin/env bash
# Runs the whole pipeline on one machine: an embedded single-node KRaft broker (--brokers 3: three nodes in one KRaft
# quorum, every topic at replication factor 3 with min.insync.replicas=2), the generator,
# scorer and selector stages, publishes the bundled sample prompts twice (N=1 and Best-of-8) and
# prints each aligned response with its reward. Last line:
#   summary: prompts=P responses=R mean_reward_n1=X mean_reward_bon8=Y
# The OpenAI-compatible HTTP gateway runs beside the stages on --gateway-port (default 8000, printed in the banner;
# -1: none); --serve keeps the pipeline and the gateway running after the sample runs, for curl or the OpenAI client.
# Extra arguments go to org.alignstream.harness.RunLocal (try --help).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
build_classpath harness
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.harness.RunLocal "$@"
