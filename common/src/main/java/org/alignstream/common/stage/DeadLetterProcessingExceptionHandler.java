package org.alignstream.common.stage;

import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Safety net for exceptions thrown by processors outside {@link SafeStage} (which handles its own): logs and sends a
 * {@link org.alignstream.avro.DeadLetter} with the source record's original bytes to the dead-letter topic (KIP-1034),
 * then continues. Configure with {@code processing.exception.handler}.
 */
public class DeadLetterProcessingExceptionHandler implements ProcessingExceptionHandler {

  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterProcessingExceptionHandler.class);
  /** {@code reason_class} of these dead letters. */
  public static final String REASON_CLASS = "processing";

  private DeadLetterHandlerConfig config = DeadLetterHandlerConfig.defaults();

  @Override
  public void configure(Map<String, ?> configs) {
    config = DeadLetterHandlerConfig.from(configs);
  }

  @Override
  public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    String reason = "processor " + context.processorNodeId() + " failed: " + DeadLetters.describe(exception);
    LOG.error("stage {}: record {}-{}@{} sent to {}: {}", config.stage, context.topic(), context.partition(),
        context.offset(), config.topic, reason, exception);
    config.count(REASON_CLASS);
    return Response.resume(List.of(DeadLetters.producerRecord(config.topic, DeadLetters.of(config.stage, context.topic(),
        context.partition(), context.offset(), reason, exception, context.sourceRawKey(), context.sourceRawValue(),
        System.currentTimeMillis()))));
  }
}
