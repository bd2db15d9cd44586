package org.alignstream.common.serde;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;
import org.apache.avro.SchemaParseException;
import org.apache.avro.SchemaParser;
import org.apache.avro.message.SchemaStore;

/**
 * All alignstream Avro schemas found on the classpath, current and historical, and an Avro {@link SchemaStore} holding
 * them so that single-object encoded data written with any released schema version can still be read.
 *
 * <p>The {@code alignstream-schemas} jar carries every {@code .avsc} under {@value #RESOURCE_ROOT} (current schemas) and
 * {@value #RESOURCE_ROOT}{@code history/} (one self-contained snapshot per released version, {@code <Name>.v<K>.avsc}),
 * plus an index {@value #INDEX_RESOURCE} written at build time listing them all, one path per line relative to
 * {@value #RESOURCE_ROOT}. Reading the index instead of scanning the classpath works the same from a directory, a jar
 * or a shaded jar.
 *
 * <p>Use {@link #get()} for the shared, lazily loaded instance and {@link #schemaStore()} for its store.
 */
public final class AvroSchemas {

  /** Classpath folder holding the schemas. */
  public static final String RESOURCE_ROOT = "alignstream/schemas/";
  /** Classpath resource listing every schema file, relative to {@link #RESOURCE_ROOT}. */
  public static final String INDEX_RESOURCE = RESOURCE_ROOT + "index.txt";

  private static final Pattern HISTORY_FILE = Pattern.compile("history/([A-Za-z_][A-Za-z0-9_]*)\\.v([0-9]+)\\.avsc");
  private static final Pattern CURRENT_FILE = Pattern.compile("([A-Za-z_][A-Za-z0-9_]*)\\.avsc");

  private final Map<String, Schema> current;
  private final List<SchemaVersion> history;
  private final SchemaStore.Cache store;

  private AvroSchemas(Map<String, Schema> current, List<SchemaVersion> history) {
    this.current = Collections.unmodifiableMap(current);
    this.history = List.copyOf(history);
    this.store = new SchemaStore.Cache();
    // history first, so that for an unchanged schema the store returns the current one (same fingerprint)
    history.forEach(v -> store.addSchema(v.schema()));
    current.values().forEach(store::addSchema);
  }

  private static final class Holder {
    static final AvroSchemas INSTANCE = load(AvroSchemas.class.getClassLoader());
  }

  /** The schemas on this class's classpath, loaded once. */
  public static AvroSchemas get() {
    return Holder.INSTANCE;
  }

  /** The store of every current and historical schema on the classpath (shared; {@link SchemaStore.Cache} is thread-safe). */
  public static SchemaStore.Cache schemaStore() {
    return get().store();
  }

  /** The single-object encoding fingerprint (CRC-64-AVRO of the parsing canonical form) of a schema. */
  public static long fingerprint(Schema schema) {
    return SchemaNormalization.parsingFingerprint64(schema);
  }

  /**
   * Loads every schema listed in {@value #INDEX_RESOURCE} from the given class loader.
   *
   * @throws IllegalStateException if the index or a listed file is missing, a file does not parse, a history file is not
   *     self-contained or its record name does not match its file name
   */
  public static AvroSchemas load(ClassLoader loader) {
    Objects.requireNonNull(loader, "loader");
    List<String> paths = readIndex(loader);
    SchemaParser currentParser = new SchemaParser();
    List<SchemaParser.ParseResult> currentResults = new ArrayList<>();
    List<String> currentPaths = new ArrayList<>();
    List<SchemaVersion> history = new ArrayList<>();
    for (String path : paths) {
      Matcher h = HISTORY_FILE.matcher(path);
      if (h.matches()) {
        history.add(parseHistory(loader, path, h.group(1), Integer.parseInt(h.group(2))));
      } else if (CURRENT_FILE.matcher(path).matches()) {
        try (InputStream in = open(loader, path)) {
          currentResults.add(currentParser.parse(in, StandardCharsets.UTF_8));
          currentPaths.add(path);
        } catch (IOException | SchemaParseException e) {
          throw new IllegalStateException("cannot parse schema " + RESOURCE_ROOT + path + ": " + e.getMessage(), e);
        }
      } else {
        throw new IllegalStateException("unexpected entry '" + path + "' in " + INDEX_RESOURCE
            + ": expected <Name>.avsc or history/<Name>.v<K>.avsc");
      }
    }
    Map<String, Schema> current = new LinkedHashMap<>();
    for (int i = 0; i < currentResults.size(); i++) {
      Schema schema;
      try {
        schema = currentParser.resolve(currentResults.get(i));
      } catch (SchemaParseException e) {
        throw new IllegalStateException("cannot resolve schema " + RESOURCE_ROOT + currentPaths.get(i) + ": " + e.getMessage(), e);
      }
      current.put(schema.getFullName(), schema);
    }
    history.sort(Comparator.comparing(SchemaVersion::name).thenComparingInt(SchemaVersion::version));
    return new AvroSchemas(current, history);
  }

  private static SchemaVersion parseHistory(ClassLoader loader, String path, String name, int version) {
    Schema schema;
    try (InputStream in = open(loader, path)) {
      // a fresh parser per file: a history file must be a self-contained snapshot, so that the fingerprint of the
      // schema it describes does not change when a nested type evolves later
      schema = new SchemaParser().parse(in, StandardCharsets.UTF_8).mainSchema();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE_ROOT + path, e);
    } catch (SchemaParseException e) {
      throw new IllegalStateException("cannot parse history schema " + RESOURCE_ROOT + path
          + " (history files must be self-contained: all nested types written out in full): " + e.getMessage(), e);
    }
    if (schema.getType() != Schema.Type.RECORD || !schema.getName().equals(name)) {
      throw new IllegalStateException("history schema " + RESOURCE_ROOT + path + " must define record " + name
          + " but defines " + schema.getType() + " " + schema.getFullName());
    }
    return new SchemaVersion(name, version, RESOURCE_ROOT + path, schema);
  }

  private static List<String> readIndex(ClassLoader loader) {
    InputStream in = loader.getResourceAsStream(INDEX_RESOURCE);
    if (in == null) {
      throw new IllegalStateException("schema index " + INDEX_RESOURCE + " not found on the classpath;"
          + " is the alignstream-schemas jar (built by Maven, which writes the index) on the classpath?");
    }
    List<String> paths = new ArrayList<>();
    try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
      String line;
      while ((line = reader.readLine()) != null) {
        String path = line.strip();
        if (!path.isEmpty() && !path.startsWith("#")) {
          paths.add(path);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + INDEX_RESOURCE, e);
    }
    if (paths.isEmpty()) {
      throw new IllegalStateException("schema index " + INDEX_RESOURCE + " is empty");
    }
    return paths;
  }

  private static InputStream open(ClassLoader loader, String path) {
    InputStream in = loader.getResourceAsStream(RESOURCE_ROOT + path);
    if (in == null) {
      throw new IllegalStateException(INDEX_RESOURCE + " lists " + path + " but " + RESOURCE_ROOT + path
          + " is not on the classpath");
    }
    return in;
  }

  /** The current schemas by full name, e.g. {@code org.alignstream.avro.PromptRequest}. */
  public Map<String, Schema> current() {
    return current;
  }

  /** The current schema of the record with this simple or full name. */
  public Schema current(String name) {
    Schema s = current.get(name.contains(".") ? name : "org.alignstream.avro." + name);
    if (s == null) {
      throw new IllegalArgumentException("no current schema named " + name + "; known: " + current.keySet());
    }
    return s;
  }

  /** Every historical version, sorted by name then version. */
  public List<SchemaVersion> history() {
    return history;
  }

  /** The historical versions of one record (simple name), oldest first; empty if it has none. */
  public List<SchemaVersion> history(String simpleName) {
    return history.stream().filter(v -> v.name().equals(simpleName)).toList();
  }

  /** A store holding every current and historical schema, keyed by fingerprint. */
  public SchemaStore.Cache store() {
    return store;
  }
}
