#!/usr/bin/env bash
# Times the default sentiment reward (MiniLM-L6-v2 int8 + head) on 1 thread for batches of 1 and 8.
set -euo pipefail
cd "$(dirname "$0")/../.."
mvn -B -o -q -pl core,inference test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt
export OPT_OUT_TRACKING=true DJL_OFFLINE=true ORT_DISABLE_TELEMETRY=1
exec java -Dai.djl.offline=true \
  -cp "inference/target/test-classes:inference/target/classes:core/target/classes:$(cat inference/target/classpath.txt)" \
  org.alignstream.inference.reward.ScoringTimingMain "$@"
