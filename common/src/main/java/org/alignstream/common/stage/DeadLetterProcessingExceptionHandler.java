package org.alignstream.common.stage;

import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;

/**
 * Safety net for exceptions thrown by processors outside {@link SafeStage} (which handles its own): logs (with the
 * stack trace) and sends a {@link org.alignstream.avro.DeadLetter} with the source record's original bytes to the
 * dead-letter topic (KIP-1034), then continues. Configure with {@code processing.exception.handler}.
 */
public class DeadLetterProcessingExceptionHandler extends DeadLetterExceptionHandler
    implements ProcessingExceptionHandler {

  /** {@code reason_class} of these dead letters. */
  public static final String REASON_CLASS = "processing";

  @Override
  public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
    Input input = Input.of(context);
    String reason = "processor " + context.processorNodeId() + " failed: " + DeadLetters.describe(exception);
    log.error("{}: {}", sent(input), reason, exception);
    return Response.resume(deadLetter(REASON_CLASS, input, reason, exception));
  }
}
