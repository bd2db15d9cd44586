# Shared by the ops scripts: builds the local module once and exposes its classpath.
export OPT_OUT_TRACKING=true DJL_OFFLINE=true ORT_DISABLE_TELEMETRY=1
ALIGNSTREAM_JAVA_OPTS="${ALIGNSTREAM_JAVA_OPTS:--Xmx4g} -Dai.djl.offline=true -Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro"

build_local_classpath() {
  command -v java >/dev/null || { echo "java 17 is required (apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
  command -v mvn >/dev/null || { echo "Maven is required (apt-get install maven)" >&2; exit 1; }
  local jar=local/target/alignstream-local-0.1.0-SNAPSHOT.jar
  if [ ! -f "$jar" ] || [ -n "$(find . -path ./local/target -prune -o \( -name '*.java' -o -name 'pom.xml' -o -name '*.avsc' -o -name '*.onnx' \) -newer "$jar" -print -quit)" ]; then
    echo "building (mvn -B -q -DskipTests -pl local -am package)..." >&2
    mvn -B -q -DskipTests -pl local -am package >&2
  fi
  ALIGNSTREAM_CP="$jar:local/target/lib/*"
}
