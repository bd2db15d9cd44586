package org.alignstream.common.stage;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the dead-letter exception handlers of Kafka Streams share: their configuration ({@link DeadLetterHandlerConfig},
 * read in {@link #configure}) and the dead letter a failure becomes, counted under the handler's {@code reason_class}
 * (its {@code REASON_CLASS}) and handed back as the one record Kafka Streams writes to the dead-letter topic (its dead-letter-queue support,
 * KIP-1034). Each handler says what failed (the reason) and logs it.
 */
abstract class DeadLetterExceptionHandler {

  /** The input record a failure is reported for: where it was read from and its original bytes (-1, null: unknown). */
  record Input(String topic, int partition, long offset, byte[] key, byte[] value) {
    /** The source record of an error context (all unknown without one). */
    static Input of(ErrorHandlerContext context) {
      return context == null ? new Input(null, -1, -1, null, null) : new Input(context.topic(), context.partition(),
          context.offset(), context.sourceRawKey(), context.sourceRawValue());
    }

    Input withoutValue() {
      return new Input(topic, partition, offset, key, null);
    }
  }

  /** The subclass's logger. */
  final Logger log = LoggerFactory.getLogger(getClass());
  private DeadLetterHandlerConfig config = DeadLetterHandlerConfig.defaults();

  public void configure(Map<String, ?> configs) {
    config = DeadLetterHandlerConfig.from(configs);
  }

  /** The stage the failures are reported for. */
  String stage() {
    return config.stage;
  }

  /** For the log: "stage S: record T-P@O sent to DEAD_LETTER_TOPIC". */
  String sent(Input input) {
    return "stage " + config.stage + ": record " + input.topic() + "-" + input.partition() + "@" + input.offset()
        + " sent to " + config.topic;
  }

  /** The topic the dead letters go to. */
  String deadLetterTopic() {
    return config.topic;
  }

  /** Counts a dead letter for {@code input} under {@code reasonClass} and returns it as the record to write. */
  List<ProducerRecord<byte[], byte[]>> deadLetter(String reasonClass, Input input, String reason, Exception exception) {
    config.count(reasonClass);
    return List.of(DeadLetters.producerRecord(config.topic, DeadLetters.of(config.stage, input.topic(),
        input.partition(), input.offset(), reason, exception, input.key(), input.value(), System.currentTimeMillis())));
  }
}
