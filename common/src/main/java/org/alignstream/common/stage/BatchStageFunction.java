package org.alignstream.common.stage;

import java.util.List;

/**
 * The work of a stage that handles records in batches ({@link BatchingStage}): a per-record check that runs as each
 * record arrives, and a function over a batch of checked records that gives each record its own outcome, so that one
 * bad record is dead-lettered without failing its batch mates.
 *
 * @param <I> input record type
 */
public interface BatchStageFunction<I> {

  /**
   * Checks one record as it arrives, before any batching: throw {@link InvalidRecordException} (or any exception) to
   * dead-letter it. Returns whether it may wait for batch mates; false: it is handled alone, at once (or, if records
   * of its task are waiting, with the next batch after them, to keep the order of arrival).
   */
  boolean admit(I input) throws Exception;

  /**
   * Whether {@link #admit} may at present let a record wait for batch mates; false when it would return false for
   * every record (e.g. no loaded model can merge records). While a task has nothing waiting and this says false,
   * {@link BatchingStage} runs no batch punctuation for it, so an idle or per-record stage does no periodic work and
   * forces no commits. Asked when a task starts and, while its punctuation runs, whenever nothing of the task waits.
   * A record admitted to wait while this said false is still handled, by the punctuation then scheduled (it first
   * fires one batch wait later, in the stream thread's next loop iteration, so after at most {@code poll.ms} more).
   * Default: true (the punctuation always runs).
   */
  default boolean mayBatch() {
    return true;
  }

  /**
   * Handles admitted records: element i of the result is the outcome of {@code inputs.get(i)}. Should not throw
   * (if it does, each record is retried alone).
   */
  List<Outcome> apply(List<I> inputs);

  /** One record's outcome: the records to write, or why it failed (it then goes to dead-letters). */
  record Outcome(List<StageOutput> outputs, Exception failure) {
    public static Outcome of(List<StageOutput> outputs) {
      return new Outcome(outputs, null);
    }

    public static Outcome failed(Exception failure) {
      return new Outcome(null, java.util.Objects.requireNonNull(failure, "failure"));
    }
  }
}
