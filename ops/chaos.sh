#!/usr/bin/env bash
# Chaos drills (org.alignstream.drills.ChaosDrills): the four stages as separate JVMs against an embedded broker.
# An undisturbed run of 1,000 seeded Best-of-N prompts, then the same prompts again while each pipeline stage in turn is
# SIGKILLed and restarted mid-run, while the broker is stopped and restarted, and while a reward-model version trained
# from streamed feedback is hot-swapped into the scorer; last the feedback service is SIGKILLed as it retrains. Ends
# with one line per drill:
#   drill NAME lost=L duplicated=D dead_lettered=X
# (answers that differ from an undisturbed run scored by the same reward-model version are reported above those lines).
# Exit code 0 only if every count is 0 and nothing differs. Service logs stay in the printed work directory.
# Options: --prompts=N (default 1000; ChaosIT runs 30), --interval-ms=MS between sends (default 25). About 10 minutes
# on 2 cores (each run of 1,000 prompts ~75 s).
#
# --brokers 3: three brokers instead, each its own JVM (one KRaft quorum, every topic at replication factor 3 with
# min.insync.replicas=2), the generator, scorer and selector at that replication factor, and the three-broker drills:
# kill_partition_leader (SIGKILL the broker leading most input partitions), kill_transaction_coordinator (SIGKILL the
# coordinator of the scorer's transactions), roll_brokers (each broker in turn restarted with a controlled shutdown)
# and lose_in_sync_minimum (two brokers SIGKILLed for 10 s: writes are refused, then both return). Each drill line is
# followed by "stall NAME longest_s=S", the longest time without an answer. --drills=a,b runs only those drills
# (ThreeBrokerChaosIT runs two of them on 100 prompts).
set -euo pipefail
cd "$(dirname "$0")/.."
source ops/lib.sh
build_classpath drills
exec java $ALIGNSTREAM_JAVA_OPTS -cp "$ALIGNSTREAM_CP" org.alignstream.drills.ChaosDrills "$@"
