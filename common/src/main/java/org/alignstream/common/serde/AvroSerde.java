package org.alignstream.common.serde;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Objects;
import org.apache.avro.Schema;
import org.apache.avro.message.BinaryMessageDecoder;
import org.apache.avro.message.BinaryMessageEncoder;
import org.apache.avro.message.SchemaStore;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * Kafka {@link Serde} for one generated Avro record type, using Avro's binary <em>single-object encoding</em>: a 2-byte
 * marker {@code C3 01}, the 8-byte little-endian CRC-64-AVRO fingerprint of the writer schema, then the Avro binary body.
 * No schema registry: the writer schema is looked up by fingerprint in a {@link SchemaStore} holding every current and
 * historical schema ({@link AvroSchemas#schemaStore()}), so records written with an older schema version are read into
 * today's classes by Avro schema resolution.
 *
 * <pre>{@code
 * AvroSerde<PromptRequest> serde = AvroSerde.of(PromptRequest.class);
 * byte[] bytes = serde.encode(request);
 * PromptRequest back = serde.decode(bytes);   // throws AvroDecodeException on bad bytes
 * }</pre>
 *
 * <p>{@link #decode(byte[])} either returns a complete record or throws {@link AvroDecodeException} saying what was
 * wrong: too short / not single-object encoded, unknown writer schema, a different record type, a truncated or corrupt
 * body, or trailing bytes. As a Kafka deserializer, {@code null} bytes (a tombstone) give {@code null}.
 *
 * <p>Thread-safe; instances are cheap to share. Creating one makes Avro trust the generated classes
 * ({@link AvroClassTrust}).
 *
 * @param <T> the generated record class
 */
public final class AvroSerde<T extends SpecificRecord> implements Serde<T> {

  private static final int HEADER_LENGTH = 10;
  private static final byte MARKER_0 = (byte) 0xC3;
  private static final byte MARKER_1 = (byte) 0x01;

  private final Class<T> type;
  private final Schema schema;
  private final long fingerprint;
  private final SchemaStore store;
  private final BinaryMessageEncoder<T> encoder;
  private final BinaryMessageDecoder<T> decoder;

  private AvroSerde(Class<T> type, SchemaStore store) {
    AvroClassTrust.trustGeneratedClasses();
    this.type = Objects.requireNonNull(type, "type");
    this.store = Objects.requireNonNull(store, "store");
    SpecificData model = SpecificData.getForClass(type);
    this.schema = model.getSchema(type);
    this.fingerprint = AvroSchemas.fingerprint(schema);
    this.encoder = new BinaryMessageEncoder<>(model, schema);
    this.decoder = new BinaryMessageDecoder<>(model, schema, store);
  }

  /** A serde for {@code type} reading any schema version in {@link AvroSchemas#schemaStore()}. */
  public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type) {
    return new AvroSerde<>(type, AvroSchemas.schemaStore());
  }

  /** A serde for {@code type} resolving writer schemas from the given store (the current schema is always known). */
  public static <T extends SpecificRecord> AvroSerde<T> of(Class<T> type, SchemaStore store) {
    return new AvroSerde<>(type, store);
  }

  /** The record class this serde reads and writes. */
  public Class<T> type() {
    return type;
  }

  /** The current (reader and writer) schema of {@link #type()}. */
  public Schema schema() {
    return schema;
  }

  /**
   * Encodes a record in single-object encoding with the current schema.
   *
   * @throws AvroEncodeException if the record cannot be written (e.g. a required field is null)
   */
  public byte[] encode(T record) {
    Objects.requireNonNull(record, () -> "cannot encode a null " + type.getSimpleName());
    try {
      ByteBuffer buffer = encoder.encode(record);
      byte[] bytes = new byte[buffer.remaining()];
      buffer.get(bytes);
      return bytes;
    } catch (IOException | RuntimeException e) {
      // an exception that prints a value (possibly user text) is not chained: its stack trace is kept, its message not
      boolean carriesValue = AvroErrors.carriesValue(e);
      AvroEncodeException ex = new AvroEncodeException("cannot encode " + type.getSimpleName() + ": " + describe(e),
          carriesValue ? null : e);
      if (carriesValue) {
        ex.setStackTrace(e.getStackTrace());
      }
      throw ex;
    }
  }

  /**
   * Decodes single-object encoded bytes written with the current or any historical schema of {@link #type()}.
   *
   * @throws AvroDecodeException if the bytes are null, not single-object encoded, written with an unknown schema, hold
   *     another record type, are truncated or corrupt, or have trailing bytes
   */
  public T decode(byte[] bytes) {
    String expected = type.getSimpleName();
    if (bytes == null) {
      throw new AvroDecodeException("cannot decode " + expected + ": value is null");
    }
    if (bytes.length < HEADER_LENGTH) {
      throw new AvroDecodeException("cannot decode " + expected + ": " + bytes.length
          + " bytes is too short for Avro single-object encoding (needs at least " + HEADER_LENGTH
          + ": marker C3 01 + 8-byte schema fingerprint)");
    }
    if (bytes[0] != MARKER_0 || bytes[1] != MARKER_1) {
      throw new AvroDecodeException(String.format(
          "cannot decode %s: not Avro single-object encoding (starts with 0x%02X 0x%02X, expected 0xC3 0x01)",
          expected, bytes[0] & 0xFF, bytes[1] & 0xFF));
    }
    long writerFingerprint = ByteBuffer.wrap(bytes, 2, 8).order(java.nio.ByteOrder.LITTLE_ENDIAN).getLong();
    Schema writer = writerFingerprint == fingerprint ? schema : store.findByFingerprint(writerFingerprint);
    if (writer == null) {
      throw new AvroDecodeException(String.format(
          "cannot decode %s: unknown writer schema fingerprint %016x (not the current %s schema nor any schema under %s;"
              + " written by a newer or foreign producer?)",
          expected, writerFingerprint, expected, AvroSchemas.RESOURCE_ROOT));
    }
    if (!writer.getFullName().equals(schema.getFullName()) && !schema.getAliases().contains(writer.getFullName())) {
      throw new AvroDecodeException("cannot decode " + expected + ": wrong record type, the bytes hold a "
          + writer.getFullName() + ", expected " + schema.getFullName());
    }
    ByteArrayInputStream in = new ByteArrayInputStream(bytes);
    T record;
    try {
      record = decoder.decode(in, null);
    } catch (IOException | RuntimeException e) {
      throw new AvroDecodeException(String.format("cannot decode %s: truncated or corrupt body (%d bytes, writer schema"
          + " fingerprint %016x): %s", expected, bytes.length, writerFingerprint, describe(e)), e);
    }
    if (in.available() > 0) {
      throw new AvroDecodeException(String.format("cannot decode %s: %d unexpected trailing bytes after the record"
          + " (corrupt data or wrong writer schema)", expected, in.available()));
    }
    return record;
  }

  /**
   * The exception chain as "SimpleName: message <- ...", without the values Avro puts into some messages (a value not
   * in its union, a datum of an unknown type): those can be a user's prompt or a response, and the text ends up in
   * logs and dead-letter reasons.
   */
  private static String describe(Throwable e) {
    StringBuilder sb = new StringBuilder();
    for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
      if (sb.length() > 0) {
        sb.append(" <- ");
      }
      sb.append(t.getClass().getSimpleName());
      String message = AvroErrors.message(t);
      if (message != null) {
        sb.append(": ").append(message);
      }
    }
    return sb.toString();
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, data) -> data == null ? null : encode(data);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, data) -> data == null ? null : decode(data);
  }

  @Override
  public String toString() {
    return "AvroSerde[" + schema.getFullName() + "]";
  }
}
