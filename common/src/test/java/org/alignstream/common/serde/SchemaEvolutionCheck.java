package org.alignstream.common.serde;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaCompatibility.Incompatibility;
import org.apache.avro.SchemaCompatibility.SchemaPairCompatibility;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.util.RandomData;

/**
 * The build-time schema evolution check: can today's reader read what an older writer wrote? Both by Avro's
 * {@link SchemaCompatibility} rules and for real, by writing random data with the old schema in single-object encoding
 * and decoding it with the current decoder, comparing with what Avro schema resolution says the result must be.
 */
final class SchemaEvolutionCheck {

  private SchemaEvolutionCheck() {}

  /**
   * Problems reading data written with {@code writer} through {@code decode} (which reads as {@code reader}); empty if
   * none.
   */
  static List<String> check(Schema reader, Schema writer, Function<byte[], Object> decode, int samples, long seed) {
    List<String> problems = new ArrayList<>();
    SchemaPairCompatibility compat = SchemaCompatibility.checkReaderWriterCompatibility(reader, writer);
    for (Incompatibility i : compat.getResult().getIncompatibilities()) {
      problems.add("incompatible: " + i.getType() + " at " + i.getLocation() + ": " + i.getMessage());
    }
    BinaryMessageEncoder<Object> encoder = new BinaryMessageEncoder<>(GenericData.get(), writer);
    int index = 0;
    for (Object datum : new RandomData(writer, samples, seed)) {
      String sample = "sample " + index++ + ": ";
      byte[] message;
      try {
        ByteBuffer buf = encoder.encode(datum);
        message = Arrays.copyOfRange(buf.array(), buf.arrayOffset() + buf.position(), buf.arrayOffset() + buf.limit());
      } catch (IOException | RuntimeException e) {
        problems.add(sample + "cannot write random data with the old schema: " + e);
        continue;
      }
      byte[] expected;
      try {
        // what Avro schema resolution says an old record reads as today
        byte[] body = Arrays.copyOfRange(message, 10, message.length);
        Object resolved = new GenericDatumReader<>(writer, reader)
            .read(null, DecoderFactory.get().binaryDecoder(body, null));
        expected = rawBytes(reader, resolved);
      } catch (IOException | RuntimeException e) {
        problems.add(sample + "Avro cannot resolve old data to the current schema: " + e);
        continue;
      }
      try {
        Object actual = decode.apply(message);
        byte[] actualBytes = rawBytes(reader, actual);
        if (!Arrays.equals(expected, actualBytes)) {
          problems.add(sample + "decoded record differs from the resolved old record: " + actual);
        }
      } catch (IOException | RuntimeException e) {
        problems.add(sample + "decoding old data failed: " + e.getMessage());
      }
    }
    return problems;
  }

  /**
   * Current schemas whose exact (fully resolved) form is not the latest history version: someone changed a schema, or
   * a type nested in it, without snapshotting it as a new version.
   */
  static List<String> missingSnapshots(Map<String, Schema> current, List<SchemaVersion> history) {
    List<String> problems = new ArrayList<>();
    for (Schema schema : current.values()) {
      List<SchemaVersion> versions = history.stream().filter(v -> v.name().equals(schema.getName())).toList();
      if (versions.isEmpty()) {
        problems.add(schema.getName() + " has no history/" + schema.getName() + ".v1.avsc");
        continue;
      }
      for (int i = 0; i < versions.size(); i++) {
        if (versions.get(i).version() != i + 1) {
          problems.add(schema.getName() + " history versions must be 1.." + versions.size() + " without gaps, found v"
              + versions.get(i).version() + " at position " + (i + 1));
        }
      }
      SchemaVersion latest = versions.get(versions.size() - 1);
      if (latest.fingerprint() != AvroSchemas.fingerprint(schema)) {
        problems.add(schema.getName() + " (or a type nested in it) differs from its latest snapshot "
            + latest.resource() + ": snapshot it as history/" + schema.getName() + ".v" + (latest.version() + 1)
            + ".avsc (see schemas/README.md)");
      }
    }
    return problems;
  }

  private static byte[] rawBytes(Schema schema, Object datum) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    BinaryEncoder enc = EncoderFactory.get().binaryEncoder(out, null);
    new SpecificDatumWriter<>(schema).write(datum, enc);
    enc.flush();
    return out.toByteArray();
  }

}
