package org.alignstream.common.serde;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParser;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SchemaSnapshotsTest {

  /** The schemas module's source folder (tests run in the common module's folder). */
  private static final Path SOURCE = Path.of("..", "schemas");

  private static void copy(Path from, Path to) throws IOException {
    Files.createDirectories(to.resolve("history"));
    try (Stream<Path> files = Files.list(from)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        if (f.toString().endsWith(".avsc")) {
          Files.copy(f, to.resolve(f.getFileName()));
        }
      }
    }
    try (Stream<Path> files = Files.list(from.resolve("history"))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Files.copy(f, to.resolve("history").resolve(f.getFileName()));
      }
    }
  }

  @Test
  void theCheckedInHistoryIsUpToDate(@TempDir Path tmp) throws IOException {
    copy(SOURCE, tmp);
    assertThat(SchemaSnapshots.snapshot(tmp)).isEmpty();
  }

  @Test
  void changingANestedTypeSnapshotsItAndEveryRecordEmbeddingIt(@TempDir Path tmp) throws IOException {
    copy(SOURCE, tmp);
    Path candidate = tmp.resolve("Candidate.avsc");
    String evolved = Files.readString(candidate).replace("\"fields\": [",
        "\"fields\": [\n  {\"name\": \"score_hint\", \"type\": \"double\", \"default\": 0.0},");
    assertThat(evolved).contains("score_hint");
    Files.writeString(candidate, evolved);

    List<Path> written = SchemaSnapshots.snapshot(tmp);

    assertThat(written).extracting(p -> p.getFileName().toString())
        .containsExactlyInAnyOrder("Candidate.v3.avsc", "CandidateSet.v3.avsc", "ScoredCandidateSet.v3.avsc");
    Schema v2 = new SchemaParser().parse(tmp.resolve("history/CandidateSet.v3.avsc")).mainSchema();
    assertThat(v2.getField("candidates").schema().getElementType().getField("score_hint")).isNotNull();
    // running it again finds nothing more to do
    assertThat(SchemaSnapshots.snapshot(tmp)).isEmpty();
  }
}
