package org.alignstream.common.stage;

/**
 * The work of a one-in, one-out stage: a plain function from a decoded input record to an output record, free of Kafka.
 * Throw {@link InvalidRecordException} for bad input; any exception (or a {@code null} result) sends the input to
 * dead-letters.
 *
 * @param <I> input record type
 * @param <O> output record type
 */
@FunctionalInterface
public interface StageFunction<I, O> {
  O apply(I input) throws Exception;
}
