package org.alignstream.common.pipeline;

import java.util.Objects;
import org.alignstream.common.serde.AvroSerde;
import org.apache.avro.specific.SpecificRecord;

/**
 * A topic of the pipeline: its name and the Avro record type of its values (keys are strings: request id, event id or
 * reward model id). {@link #serde()} is the one way a stage, client or test gets the value serde of a topic, so a
 * topic's type is stated once, in {@link Pipeline}.
 *
 * @param name the Kafka topic name
 * @param valueType the generated Avro class of its values (single-object encoded on the wire)
 * @param <V> the value type
 */
public record Topic<V extends SpecificRecord>(String name, Class<V> valueType) {

    public Topic {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(valueType, "valueType");
    }

    /** A new serde for this topic's values (each caller gets its own instance, as serdes hold encoder buffers). */
    public AvroSerde<V> serde() {
        return AvroSerde.of(valueType);
    }

    @Override
    public String toString() {
        return name;
    }
}
