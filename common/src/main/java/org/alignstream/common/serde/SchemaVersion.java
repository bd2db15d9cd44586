package org.alignstream.common.serde;

import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.SchemaNormalization;

/**
 * One historical version of a record schema, read from {@code alignstream/schemas/history/<Name>.v<K>.avsc}.
 *
 * @param name     the record's simple name, e.g. {@code PromptRequest}
 * @param version  the version number K (1, 2, ...)
 * @param resource the classpath resource it was read from
 * @param schema   the fully resolved schema (history files are self-contained snapshots)
 */
public record SchemaVersion(String name, int version, String resource, Schema schema) {

  public SchemaVersion {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(resource, "resource");
    Objects.requireNonNull(schema, "schema");
    if (version < 1) {
      throw new IllegalArgumentException("schema version must be >= 1, was " + version + " in " + resource);
    }
  }

  /** The CRC-64-AVRO fingerprint of the schema's parsing canonical form, as written in single-object headers. */
  public long fingerprint() {
    return SchemaNormalization.parsingFingerprint64(schema);
  }
}
