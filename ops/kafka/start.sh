#!/usr/bin/env bash
# Entrypoint of the apache/kafka:4.3.1 broker in docker-compose.yml (mounted read-only, run with bash): the image's own
# entrypoint (/etc/kafka/docker/run -> KafkaDockerWrapper setup) formats the storage with only --cluster-id and
# --config, so it cannot write the bootstrap SCRAM credential of the super user, which a KRaft broker with SASL/SCRAM
# needs before its first start (credentials live in the metadata log). This script does what that entrypoint does, plus
# --add-scram:
#   1. renders every KAFKA_* variable into $KAFKA_HOME/config/server.properties with the image's mapping (KAFKA_ dropped,
#      lower case, _ -> ., ___ -> -, __ -> _; the image's non-property variables such as KAFKA_HEAP_OPTS are skipped);
#   2. if the first log directory is not formatted yet (no meta.properties): kafka-storage.sh format --cluster-id
#      $CLUSTER_ID --config <that file> --add-scram 'SCRAM-SHA-256=[name="$BROKER_ADMIN_USER",password="..."]';
#      a formatted directory is left alone (so changing BROKER_ADMIN_PASSWORD later does NOT change the stored
#      credential: rotate it with kafka-configs.sh first, see docs/SECURITY.md);
#   3. writes $KAFKA_HOME/config/admin-client.properties (the super user's client settings, for the healthcheck and
#      for kafka-*.sh commands run with docker compose exec);
#   4. execs kafka-server-start.sh with the rendered file.
# ComposeParityIT runs this very script (with stand-ins for the two kafka-*.sh commands that record their arguments)
# and starts its in-process broker from the file it renders and with the format arguments it passes.
set -euo pipefail

KAFKA_HOME="${KAFKA_HOME:-/opt/kafka}"
CONFIG="$KAFKA_HOME/config/server.properties"
ADMIN_CONFIG="$KAFKA_HOME/config/admin-client.properties"
MECHANISM=SCRAM-SHA-256

fail() { echo "alignstream kafka start: $*" >&2; exit 1; }
: "${CLUSTER_ID:?set CLUSTER_ID (a base64 UUID, kafka-storage.sh random-uuid)}"
: "${BROKER_ADMIN_USER:?set BROKER_ADMIN_USER, the super user}"
: "${BROKER_ADMIN_PASSWORD:?set BROKER_ADMIN_PASSWORD}"
# they travel in --add-scram and JAAS strings, which have no escaping
for v in BROKER_ADMIN_USER BROKER_ADMIN_PASSWORD; do
  case "${!v}" in
    *[,\"\\\;\[\]]* | *[[:cntrl:]]* | *[[:space:]]*) fail "$v must not contain , \" \\ ; [ ] or blanks" ;;
  esac
done

# ---- 1. KAFKA_* -> server.properties (as KafkaDockerWrapper.getServerConfigsFromEnv)
skip=" KAFKA_VERSION KAFKA_HEAP_OPTS KAFKA_LOG4J_OPTS KAFKA_OPTS KAFKA_JMX_OPTS KAFKA_JVM_PERFORMANCE_OPTS \
KAFKA_GC_LOG_OPTS KAFKA_LOG4J_ROOT_LOGLEVEL KAFKA_LOG4J_LOGGERS KAFKA_TOOLS_LOG4J_LOGLEVEL KAFKA_JMX_HOSTNAME KAFKA_HOME "
mkdir -p "$(dirname "$CONFIG")"
{
  echo "# rendered by ops/kafka/start.sh from the KAFKA_* environment"
  for name in $(compgen -e | grep '^KAFKA_' | sort); do
    case "$skip" in *" $name "*) continue ;; esac
    key="${name#KAFKA_}"
    key="${key,,}"
    key="${key//_/.}"
    key="${key//.../-}"
    key="${key//../_}"
    printf '%s=%s\n' "$key" "${!name}"
  done
} > "$CONFIG"
chmod 600 "$CONFIG"

grep -q '^log\.dirs=' "$CONFIG" || fail "set KAFKA_LOG_DIRS"
log_dir="$(sed -n 's/^log\.dirs=//p' "$CONFIG" | head -n 1)"
log_dir="${log_dir%%,*}"

# ---- 2. format once, with the super user's SCRAM credential
if [ -f "$log_dir/meta.properties" ]; then
  echo "alignstream kafka start: $log_dir is formatted already; starting"
else
  echo "alignstream kafka start: formatting $log_dir (cluster $CLUSTER_ID) with the SCRAM credential of $BROKER_ADMIN_USER"
  "$KAFKA_HOME/bin/kafka-storage.sh" format --cluster-id "$CLUSTER_ID" --config "$CONFIG" \
    --add-scram "$MECHANISM=[name=\"$BROKER_ADMIN_USER\",password=\"$BROKER_ADMIN_PASSWORD\"]"
fi

# ---- 3. the super user's client settings (healthcheck, kafka-*.sh --command-config)
umask 077
cat > "$ADMIN_CONFIG" <<PROPS
security.protocol=SASL_PLAINTEXT
sasl.mechanism=$MECHANISM
sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="$BROKER_ADMIN_USER" password="$BROKER_ADMIN_PASSWORD";
PROPS

# ---- 4. run the broker
exec "$KAFKA_HOME/bin/kafka-server-start.sh" "$CONFIG"
