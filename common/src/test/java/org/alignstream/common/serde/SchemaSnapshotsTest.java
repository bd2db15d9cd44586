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

    List<String> expected = List.of(next(tmp, "Candidate"), next(tmp, "CandidateSet"), next(tmp, "ScoredCandidateSet"));

    List<Path> written = SchemaSnapshots.snapshot(tmp);

    assertThat(written).extracting(p -> p.getFileName().toString()).containsExactlyInAnyOrderElementsOf(expected);
    Schema snapshot = new SchemaParser().parse(tmp.resolve("history/" + expected.get(1))).mainSchema();
    assertThat(snapshot.getField("candidates").schema().getElementType().getField("score_hint")).isNotNull();
    // running it again finds nothing more to do
    assertThat(SchemaSnapshots.snapshot(tmp)).isEmpty();
  }

  /** The file name of the next history version of {@code name} in {@code schemasDir}, e.g. {@code Candidate.v4.avsc}. */
  private static String next(Path schemasDir, String name) throws IOException {
    int latest = 0;
    try (var files = Files.list(schemasDir.resolve("history"))) {
      for (Path f : (Iterable<Path>) files::iterator) {
        String file = f.getFileName().toString();
        if (file.startsWith(name + ".v") && file.endsWith(".avsc")) {
          latest = Math.max(latest, Integer.parseInt(file.substring(name.length() + 2, file.length() - 5)));
        }
      }
    }
    return name + ".v" + (latest + 1) + ".avsc";
  }
}
