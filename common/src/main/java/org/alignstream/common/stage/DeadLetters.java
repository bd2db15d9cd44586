package org.alignstream.common.stage;

import org.alignstream.common.pipeline.Pipeline;
import java.nio.ByteBuffer;
import org.alignstream.avro.DeadLetter;
import org.alignstream.common.serde.AvroErrors;
import org.alignstream.common.serde.AvroSerde;
import org.apache.kafka.clients.producer.ProducerRecord;

/**
 * Builds {@link DeadLetter} records: which stage failed on which record (topic, partition, offset), why (a sentence a
 * user can act on), the exception class, the record's original key and value bytes (so it can be inspected, fixed and
 * replayed) and the wall-clock time of the failure. Dead letters are keyed by the original key.
 */
public final class DeadLetters {

  private static final class SerdeHolder {
    static final AvroSerde<DeadLetter> SERDE = Pipeline.DEAD_LETTERS.serde();
  }

  private DeadLetters() {}

  /** The serde of the dead-letters topic's values. */
  public static AvroSerde<DeadLetter> serde() {
    return SerdeHolder.SERDE;
  }

  /**
   * A dead letter.
   *
   * @param error the failure, or {@code null} if there was no exception (e.g. a null value)
   */
  public static DeadLetter of(String stage, String sourceTopic, int partition, long offset, String reason, Throwable error,
      byte[] originalKey, byte[] originalValue, long timestampMs) {
    return DeadLetter.newBuilder()
        .setStage(stage == null ? "unknown" : stage)
        .setSourceTopic(sourceTopic == null ? "unknown" : sourceTopic)
        .setSourcePartition(partition)
        .setSourceOffset(offset)
        .setReason(reason == null || reason.isBlank() ? describe(error) : reason)
        .setErrorClass(error == null ? null : error.getClass().getName())
        .setOriginalKey(originalKey == null ? null : ByteBuffer.wrap(originalKey.clone()))
        .setOriginalValue(originalValue == null ? null : ByteBuffer.wrap(originalValue.clone()))
        .setTimestampMs(timestampMs)
        .build();
  }

  /** The dead letter as a record for {@code topic}, keyed by its original key. */
  public static ProducerRecord<byte[], byte[]> producerRecord(String topic, DeadLetter deadLetter) {
    return new ProducerRecord<>(topic, bytes(deadLetter.getOriginalKey()), serde().encode(deadLetter));
  }

  /** The bytes of an Avro {@code bytes} field (a copy; the buffer is not consumed). */
  public static byte[] bytes(ByteBuffer buffer) {
    if (buffer == null) {
      return null;
    }
    ByteBuffer dup = buffer.duplicate();
    byte[] bytes = new byte[dup.remaining()];
    dup.get(bytes);
    return bytes;
  }

  /**
   * "SimpleName: message" for an exception and its causes, joined by " <- "; "no exception" for null. Values that Avro
   * exceptions embed in their messages are left out ({@link AvroErrors}): a reason must not carry user text (the
   * dead letter carries the original bytes separately).
   */
  public static String describe(Throwable error) {
    if (error == null) {
      return "no exception";
    }
    StringBuilder sb = new StringBuilder();
    int depth = 0;
    for (Throwable t = error; t != null && depth < 5; t = t.getCause() == t ? null : t.getCause(), depth++) {
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
}
