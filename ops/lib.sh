# Shared by the ops scripts: builds one module (with what it needs) once and exposes its classpath.
export OPT_OUT_TRACKING=true DJL_OFFLINE=true ORT_DISABLE_TELEMETRY=1
ALIGNSTREAM_JAVA_OPTS="${ALIGNSTREAM_JAVA_OPTS:--Xmx4g} -Dai.djl.offline=true -Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro"

# build_classpath MODULE: clients (the command-line tools), harness (the local run), evaluation (bench, eval) or
# drills (chaos). Rebuilds when a source, pom, schema or model is newer than the module's jar; sets ALIGNSTREAM_CP.
build_classpath() {
  local module=$1
  command -v java >/dev/null || { echo "java 17 is required (apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
  command -v mvn >/dev/null || { echo "Maven is required (apt-get install maven)" >&2; exit 1; }
  local jar="$module/target/alignstream-$module-0.1.0-SNAPSHOT.jar"
  if [ ! -f "$jar" ] || [ -n "$(find . \( -name target -o -path ./ops/.run \) -prune -o \( -name '*.java' -o -name 'pom.xml' -o -name '*.avsc' -o -name '*.onnx' \) -newer "$jar" -print -quit)" ]; then
    echo "building (mvn -B -q -DskipTests -pl $module -am package)..." >&2
    mvn -B -q -DskipTests -pl "$module" -am package >&2
  fi
  ALIGNSTREAM_CP="$jar:$module/target/lib/*"
}
