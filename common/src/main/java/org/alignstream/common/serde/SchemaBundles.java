package org.alignstream.common.serde;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.Topic;
import org.apache.avro.Schema;

/**
 * Writes {@code schemas/bundled/}: for every record type on a pipeline topic ({@link Pipeline#TOPICS}) its current
 * schema with every named type written out in place ({@code <Name>.avsc}, parseable on its own, defaults and docs kept),
 * and {@value #TOPICS_FILE}, which topic carries which record. Clients in other languages read these instead of the
 * source files, which name each other's types and cannot be parsed one by one.
 *
 * <p>The files are committed so that a client works from a plain clone; {@code SchemaBundlesTest} fails when they
 * differ from what this class would write from the sources and {@link Pipeline}. {@link SchemaSnapshots#main} runs it.
 */
public final class SchemaBundles {

  /** Folder under the schemas source folder. */
  public static final String DIR = "bundled";
  /** The topic to record table, a JSON object {@code {"<topic>" : "<record full name>", ...}} in flow order. */
  public static final String TOPICS_FILE = "topics.json";

  private SchemaBundles() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "schemas");
    List<Path> written = write(dir);
    if (written.isEmpty()) {
      System.out.println(dir.resolve(DIR) + " is up to date");
    }
    written.forEach(p -> System.out.println("wrote " + p));
  }

  /**
   * The content {@code schemas/bundled/} must have, file name to text, for the sources in {@code schemasDir}.
   *
   * @throws IllegalStateException if a topic's record has no source file
   */
  public static Map<String, String> expected(Path schemasDir) throws IOException {
    Map<String, Schema> current = SchemaSnapshots.parseCurrent(schemasDir);
    Map<String, String> files = new LinkedHashMap<>();
    StringBuilder topics = new StringBuilder("{\n");
    for (Topic<?> topic : Pipeline.TOPICS) {
      String fullName = topic.valueType().getName();
      Schema schema = current.get(fullName);
      if (schema == null) {
        throw new IllegalStateException("topic " + topic.name() + " carries " + fullName + " but " + schemasDir
            + " has no schema of that name");
      }
      files.putIfAbsent(schema.getName() + ".avsc", schema.toString(true) + "\n");
      topics.append(topics.length() > 2 ? ",\n" : "").append("  \"").append(topic.name()).append("\" : \"")
          .append(fullName).append('"');
    }
    files.put(TOPICS_FILE, topics.append("\n}\n").toString());
    return files;
  }

  /**
   * Brings {@code schemasDir/bundled} in line with {@link #expected}: writes changed or missing files and deletes others.
   *
   * @return the files written or deleted
   */
  public static List<Path> write(Path schemasDir) throws IOException {
    Map<String, String> expected = expected(schemasDir);
    Path dir = schemasDir.resolve(DIR);
    Files.createDirectories(dir);
    List<Path> changed = new ArrayList<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        if (!expected.containsKey(f.getFileName().toString())) {
          Files.delete(f);
          changed.add(f);
        }
      }
    }
    for (Map.Entry<String, String> e : expected.entrySet()) {
      Path target = dir.resolve(e.getKey());
      if (!Files.exists(target) || !Files.readString(target, StandardCharsets.UTF_8).equals(e.getValue())) {
        Files.writeString(target, e.getValue(), StandardCharsets.UTF_8);
        changed.add(target);
      }
    }
    return changed;
  }
}
