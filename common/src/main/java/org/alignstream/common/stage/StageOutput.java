package org.alignstream.common.stage;

import java.util.Objects;
import org.alignstream.common.serde.AvroSerde;
import org.apache.avro.specific.SpecificRecord;

/**
 * One record a {@link RoutingStageFunction} wants written: the topic, the value with its serde, and optionally a key
 * (by default the input record's key).
 */
public final class StageOutput {

  private final String topic;
  private final Object value;
  private final AvroSerde<?> serde;
  private final byte[] key;
  private final boolean keepInputKey;

  private <O extends SpecificRecord> StageOutput(String topic, AvroSerde<O> serde, O value, byte[] key, boolean keepInputKey) {
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException("output topic must not be blank");
    }
    this.topic = topic;
    this.serde = Objects.requireNonNull(serde, "serde");
    this.value = Objects.requireNonNull(value, () -> "output value for topic " + topic + " is null");
    this.key = key == null ? null : key.clone();
    this.keepInputKey = keepInputKey;
  }

  /** {@code value} to {@code topic}, keyed like the input record. */
  public static <O extends SpecificRecord> StageOutput of(String topic, AvroSerde<O> serde, O value) {
    return new StageOutput(topic, serde, value, null, true);
  }

  /** {@code value} to {@code topic} with an explicit key ({@code null} = no key). */
  public static <O extends SpecificRecord> StageOutput withKey(String topic, byte[] key, AvroSerde<O> serde, O value) {
    return new StageOutput(topic, serde, value, key, false);
  }

  public String topic() {
    return topic;
  }

  public Object value() {
    return value;
  }

  /** The key to write: the input key unless one was given. */
  byte[] key(byte[] inputKey) {
    return keepInputKey ? inputKey : key;
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  byte[] encode() {
    return ((AvroSerde) serde).encode((SpecificRecord) value);
  }
}
