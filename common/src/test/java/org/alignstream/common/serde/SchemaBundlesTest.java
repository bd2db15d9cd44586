package org.alignstream.common.serde;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.alignstream.common.pipeline.Pipeline;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaBundlesTest {

  /** The schemas module's source folder (tests run in the common module's folder). */
  private static final Path SOURCE = Path.of("..", "schemas");

  @Test
  void theCommittedBundlesAreWhatTheSourcesGive() throws IOException {
    Map<String, String> expected = SchemaBundles.expected(SOURCE);
    Path dir = SOURCE.resolve(SchemaBundles.DIR);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(f -> f.getFileName().toString()).toList())
          .as("files in %s (refresh: see schemas/README.md)", dir).containsExactlyInAnyOrderElementsOf(expected.keySet());
    }
    for (Map.Entry<String, String> e : expected.entrySet()) {
      assertThat(Files.readString(dir.resolve(e.getKey())))
          .as("%s differs from the sources; run SchemaSnapshots (schemas/README.md)", dir.resolve(e.getKey()))
          .isEqualTo(e.getValue());
    }
  }

  @Test
  void everyTopicRecordIsBundledSelfContainedWithTheCurrentFingerprint() throws IOException {
    Path dir = SOURCE.resolve(SchemaBundles.DIR);
    for (var topic : Pipeline.TOPICS) {
      Path file = dir.resolve(topic.valueType().getSimpleName() + ".avsc");
      // a fresh parser: the file must parse on its own
      Schema bundled = new SchemaParser().parse(file).mainSchema();
      Schema current = AvroSchemas.get().current(topic.valueType().getSimpleName());
      assertThat(AvroSchemas.fingerprint(bundled)).as(file.toString()).isEqualTo(AvroSchemas.fingerprint(current));
      List<String> found = new java.util.ArrayList<>();
      AvroSchemasTest.primitivesWithProperties(bundled, file.toString(), new java.util.IdentityHashMap<>(), found);
      assertThat(found).isEmpty();
    }
    assertThat(Files.readString(dir.resolve(SchemaBundles.TOPICS_FILE)))
        .contains("\"prompts\" : \"org.alignstream.avro.PromptRequest\"")
        .contains("\"dead-letters\" : \"org.alignstream.avro.DeadLetter\"");
  }

  @Test
  void aChangedDefaultInANestedTypeRewritesTheBundlesEmbeddingIt(@TempDir Path tmp) throws IOException {
    copySources(tmp);
    assertThat(SchemaBundles.write(tmp)).as("first write").isNotEmpty();
    assertThat(SchemaBundles.write(tmp)).as("nothing left to do").isEmpty();
    // a default is outside the fingerprint, so only the bundles (not the history check) can notice it
    Path strategy = tmp.resolve("Strategy.avsc");
    String changed = Files.readString(strategy).replace("\"default\": 32}", "\"default\": 48}");
    assertThat(changed).isNotEqualTo(Files.readString(strategy));
    Files.writeString(strategy, changed);
    Files.writeString(tmp.resolve(SchemaBundles.DIR).resolve("Stale.avsc"), "{}");

    List<Path> written = SchemaBundles.write(tmp);

    assertThat(written).extracting(p -> p.getFileName().toString())
        .containsExactlyInAnyOrder("Stale.avsc", "PromptRequest.avsc", "CandidateSet.avsc", "ScoredCandidateSet.avsc",
            "DecodeState.avsc");
    assertThat(Files.readString(tmp.resolve("bundled/PromptRequest.avsc"))).contains("\"default\" : 48");
  }

  private static void copySources(Path to) throws IOException {
    try (Stream<Path> files = Files.list(SOURCE)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.toString().endsWith(".avsc")) {
          Files.copy(f, to.resolve(f.getFileName()));
        }
      }
    }
  }
}
