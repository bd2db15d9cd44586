package org.alignstream.common.stage;

import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * For records Kafka Streams itself cannot deserialize (SafeStage reads raw bytes, so this catches other source nodes):
 * logs the failure and sends a {@link org.alignstream.avro.DeadLetter} with the original bytes to the dead-letter topic
 * through Kafka Streams' dead-letter-queue support (KIP-1034), then continues with the next record.
 * Configure with {@code deserialization.exception.handler}; see {@link DeadLetterHandlerConfig}.
 */
public class DeadLetterDeserializationExceptionHandler implements DeserializationExceptionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterDeserializationExceptionHandler.class);
  /** {@code reason_class} of these dead letters. */
  public static final String REASON_CLASS = "deserialization";

  private DeadLetterHandlerConfig config = DeadLetterHandlerConfig.defaults();

  @Override
  public void configure(Map<String, ?> configs) {
    config = DeadLetterHandlerConfig.from(configs);
  }

  @Override
  public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    String reason = "cannot deserialize record from " + record.topic() + ": " + DeadLetters.describe(exception);
    LOG.warn("stage {}: record {}-{}@{} sent to {}: {}", config.stage, record.topic(), record.partition(),
        record.offset(), config.topic, reason);
    config.count(REASON_CLASS);
    return Response.resume(List.of(DeadLetters.producerRecord(config.topic, DeadLetters.of(config.stage, record.topic(),
        record.partition(), record.offset(), reason, exception, record.key(), record.value(), System.currentTimeMillis()))));
  }
}
