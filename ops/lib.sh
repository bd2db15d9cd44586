# Shared by the ops scripts: builds one module (with what it needs) once and exposes its classpath.
export OPT_OUT_TRACKING=true DJL_OFFLINE=true ORT_DISABLE_TELEMETRY=1
ALIGNSTREAM_JAVA_OPTS="${ALIGNSTREAM_JAVA_OPTS:--Xmx4g} -Dai.djl.offline=true -Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro"

# The release the build leaves in release/target (alignstream-VERSION.tar.gz, also unpacked there), or an unpacked
# release named by ALIGNSTREAM_HOME: lib/ holds every jar of the stages, the clients and the local run.
RELEASE_TARBALL=release/target/alignstream-0.1.0-SNAPSHOT.tar.gz
RELEASE_HOME=release/target/alignstream-0.1.0-SNAPSHOT/alignstream-0.1.0-SNAPSHOT

# build_classpath MODULE: clients (the command-line tools), harness (the local run), evaluation (bench, eval) or
# drills (chaos); sets ALIGNSTREAM_CP. clients and harness run from a release without Maven when one is present:
# ALIGNSTREAM_HOME, else the build's own when no source, pom, schema or model is newer than its tarball. Otherwise
# builds the module (with what it needs) when a source is newer than its jar.
build_classpath() {
  local module=$1
  command -v java >/dev/null || { echo "java 17 is required (apt-get install openjdk-17-jdk-headless)" >&2; exit 1; }
  if [ "$module" = clients ] || [ "$module" = harness ]; then
    if [ -n "${ALIGNSTREAM_HOME:-}" ]; then
      [ -d "$ALIGNSTREAM_HOME/lib" ] || { echo "ALIGNSTREAM_HOME=$ALIGNSTREAM_HOME has no lib/: not an unpacked release" >&2; exit 1; }
      ALIGNSTREAM_CP="$ALIGNSTREAM_HOME/lib/*"
      return
    fi
    if [ -f "$RELEASE_TARBALL" ] && [ -d "$RELEASE_HOME/lib" ] && ! sources_newer_than "$RELEASE_TARBALL"; then
      ALIGNSTREAM_CP="$RELEASE_HOME/lib/*"
      return
    fi
  fi
  command -v mvn >/dev/null || { echo "Maven is required (apt-get install maven), or a release: set ALIGNSTREAM_HOME to an unpacked alignstream-VERSION.tar.gz" >&2; exit 1; }
  local jar="$module/target/alignstream-$module-0.1.0-SNAPSHOT.jar"
  if [ ! -f "$jar" ] || sources_newer_than "$jar"; then
    echo "building (mvn -B -q -DskipTests -pl $module -am package)..." >&2
    mvn -B -q -DskipTests -pl "$module" -am package >&2
  fi
  ALIGNSTREAM_CP="$jar:$module/target/lib/*"
}

# sources_newer_than FILE: true when a source, pom, schema or model of the repository is newer than FILE.
sources_newer_than() {
  [ -n "$(find . \( -name target -o -path ./ops/.run \) -prune -o \( -name '*.java' -o -name 'pom.xml' -o -name '*.avsc' -o -name '*.onnx' \) -newer "$1" -print -quit)" ]
}
