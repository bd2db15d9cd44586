# Shared by the reward-head training scripts (sourced, from the repository root): the data specs and the trainer's
# classpath. The proxy data is the original 424 sentences (style "original") plus every file of
# training/data/sentiment/proxy (style = file name); the gold data is training/data/sentiment/gold only, written
# independently of the proxy data (SentimentDataTest checks that they share no sentence).
PROXY_DATA="original=models/reward-sentiment/sentences.tsv,training/data/sentiment/proxy"
GOLD_DATA="training/data/sentiment/gold"
export OPT_OUT_TRACKING=true DJL_OFFLINE=true ORT_DISABLE_TELEMETRY=1
# ALIGNSTREAM_SKIP_BUILD=1 skips the Maven build (train-all.sh builds once for every model)
if [[ "${ALIGNSTREAM_SKIP_BUILD:-0}" != 1 ]]; then
  mvn -B -o -q -pl training -am package -DskipTests
fi
# run_trainer SCRIPT CLASS ARGS...: the trainer's main with the training jar and its dependencies
run_trainer() {
  local script="$1" cls="$2"
  shift 2
  java -Dai.djl.offline=true -Dalignstream.command="$script" \
    -cp "training/target/alignstream-training-0.1.0-SNAPSHOT.jar:training/target/lib/*" "$cls" "$@"
}
