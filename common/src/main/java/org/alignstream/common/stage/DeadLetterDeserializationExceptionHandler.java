package org.alignstream.common.stage;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;

/**
 * For records Kafka Streams itself cannot deserialize (SafeStage reads raw bytes, so this catches other source nodes):
 * logs the failure and sends a {@link org.alignstream.avro.DeadLetter} with the original bytes to the dead-letter topic
 * through Kafka Streams' dead-letter-queue support (KIP-1034), then continues with the next record.
 * Configure with {@code deserialization.exception.handler}; see {@link DeadLetterHandlerConfig}.
 */
public class DeadLetterDeserializationExceptionHandler extends DeadLetterExceptionHandler
    implements DeserializationExceptionHandler {

  /** {@code reason_class} of these dead letters. */
  public static final String REASON_CLASS = "deserialization";

  @Override
  public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
    Input input = new Input(record.topic(), record.partition(), record.offset(), record.key(), record.value());
    String reason = "cannot deserialize record from " + record.topic() + ": " + DeadLetters.describe(exception);
    log.warn("{}: {}", sent(input), reason);
    return Response.resume(deadLetter(REASON_CLASS, input, reason, exception));
  }
}
