package org.alignstream.common.serde;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.avro.Schema;
import org.apache.avro.SchemaParser;

/**
 * Developer tool: writes {@code history/<Name>.v<K+1>.avsc} for every schema in a {@code schemas/} source folder whose
 * fully resolved form (nested types written out) differs from its latest history version, or {@code .v1} if it has none.
 * History files are self-contained so a historical fingerprint never changes when a nested type evolves later.
 *
 * <p>Then refreshes {@code bundled/} ({@link SchemaBundles}).
 *
 * <pre>{@code java -cp ... org.alignstream.common.serde.SchemaSnapshots schemas}</pre>
 *
 * See {@code schemas/README.md}.
 */
public final class SchemaSnapshots {

  private static final Pattern HISTORY_FILE = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\.v([0-9]+)\\.avsc");

  private SchemaSnapshots() {}

  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "schemas");
    List<Path> written = snapshot(dir);
    if (written.isEmpty()) {
      System.out.println("every schema in " + dir + " is already snapshotted as its latest history version");
    }
    written.forEach(p -> System.out.println("wrote " + p));
    // the self-contained current schemas that clients in other languages read follow the same sources
    SchemaBundles.main(new String[] {dir.toString()});
  }

  /**
   * Snapshots every changed schema of {@code schemasDir} into {@code schemasDir/history}.
   *
   * @return the files written
   */
  public static List<Path> snapshot(Path schemasDir) throws IOException {
    Map<String, Schema> current = parseCurrent(schemasDir);
    Path historyDir = schemasDir.resolve("history");
    Files.createDirectories(historyDir);
    List<Path> written = new ArrayList<>();
    for (Schema schema : current.values()) {
      int latestVersion = 0;
      Schema latest = null;
      try (Stream<Path> files = Files.list(historyDir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          Matcher m = HISTORY_FILE.matcher(f.getFileName().toString());
          if (m.matches() && m.group(1).equals(schema.getName()) && Integer.parseInt(m.group(2)) > latestVersion) {
            latestVersion = Integer.parseInt(m.group(2));
            latest = new SchemaParser().parse(f).mainSchema();
          }
        }
      }
      if (latest == null || AvroSchemas.fingerprint(latest) != AvroSchemas.fingerprint(schema)) {
        Path target = historyDir.resolve(schema.getName() + ".v" + (latestVersion + 1) + ".avsc");
        Files.writeString(target, schema.toString(true) + "\n", StandardCharsets.UTF_8);
        written.add(target);
      }
    }
    return written;
  }

  /** The current schemas of a source folder ({@code *.avsc}, may reference each other), by full name. */
  static Map<String, Schema> parseCurrent(Path schemasDir) throws IOException {
    SchemaParser parser = new SchemaParser();
    List<SchemaParser.ParseResult> results = new ArrayList<>();
    try (Stream<Path> files = Files.list(schemasDir)) {
      for (Path f : (Iterable<Path>) files.sorted()::iterator) {
        if (Files.isRegularFile(f) && f.getFileName().toString().endsWith(".avsc")) {
          results.add(parser.parse(f));
        }
      }
    }
    Map<String, Schema> current = new TreeMap<>();
    for (SchemaParser.ParseResult r : results) {
      Schema s = parser.resolve(r);
      current.put(s.getFullName(), s);
    }
    return current;
  }
}
