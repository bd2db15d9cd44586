package org.alignstream.common.stage;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;

/**
 * For output records Kafka Streams cannot serialize or the broker refuses (e.g. too large): logs the failure and sends a
 * {@link org.alignstream.avro.DeadLetter} holding the <em>input</em> record's original bytes (from the error context) to the
 * dead-letter topic through Kafka Streams' dead-letter-queue support (KIP-1034), then continues. Retriable errors are
 * retried. When the failure is a too-large record, the original value is left out of the dead letter (it would most likely
 * be too large as well) and the reason says so. Configure with {@code production.exception.handler}.
 */
public class DeadLetterProductionExceptionHandler extends DeadLetterExceptionHandler
    implements ProductionExceptionHandler {

  /** {@code reason_class} of these dead letters. */
  public static final String REASON_CLASS = "production";

  @Override
  public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
    if (exception instanceof RetriableException) {
      log.warn("stage {}: retrying write to {} after {}", stage(), record.topic(), DeadLetters.describe(exception));
      return Response.retry();
    }
    return deadLetter(context, record.topic(), "cannot write output record to " + record.topic(), exception);
  }

  @Override
  @SuppressWarnings("rawtypes")
  public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception exception,
      SerializationExceptionOrigin origin) {
    return deadLetter(context, record.topic(), "cannot serialize output " + origin.name().toLowerCase() + " for "
        + record.topic(), exception);
  }

  private Response deadLetter(ErrorHandlerContext context, String outputTopic, String what, Exception exception) {
    boolean tooLarge = exception instanceof RecordTooLargeException;
    String reason = what + ": " + DeadLetters.describe(exception)
        + (tooLarge ? " (original value left out of this dead letter because of its size)" : "");
    Input input = tooLarge ? Input.of(context).withoutValue() : Input.of(context);
    log.error("stage {}: output to {} for record {}-{}@{} failed, sent to {}: {}", stage(), outputTopic,
        input.topic(), input.partition(), input.offset(), deadLetterTopic(), reason);
    return Response.resume(deadLetter(REASON_CLASS, input, reason, exception));
  }
}
