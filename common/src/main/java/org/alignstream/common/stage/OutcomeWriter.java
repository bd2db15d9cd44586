package org.alignstream.common.stage;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.Callable;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroDecodeException;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.SafeStage.Routed;
import org.alignstream.common.topics.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;

/**
 * The per-record path shared by {@link SafeStage} and {@link BatchingStage}: decodes an input record, then writes what
 * became of it, either its outputs or one {@link org.alignstream.avro.DeadLetter} on {@link Topics#DEAD_LETTERS} with
 * the reason and the original key and value bytes. The reasons and their {@code reason_class} labels are the ones
 * {@link SafeStage} lists. Outputs and dead letters carry the input record's key (unless an output names its own),
 * timestamp and headers (as its {@link Source} holds them). Records in, out and dead-lettered are counted in
 * {@link StageMetrics}. One writer serves one processor (one stream task).
 *
 * @param <I> input record type
 */
final class OutcomeWriter<I extends SpecificRecord> {

  /**
   * An input record and where it was read from ({@code partition} and {@code offset} -1 when unknown); its key, value,
   * timestamp and headers are those written with its outputs or dead letter.
   */
  record Source(String topic, int partition, long offset, Record<byte[], byte[]> record) {}

  private final String stage;
  private final String inputTopic;
  private final AvroSerde<I> in;
  private final String typeName;
  private final StageMetrics metrics;
  private final Logger log;
  private ProcessorContext<byte[], Routed> context;

  /** @param log where dead letters are logged (the stage runtime's logger) */
  OutcomeWriter(String stage, String inputTopic, AvroSerde<I> in, StageMetrics metrics, Logger log) {
    this.stage = stage;
    this.inputTopic = inputTopic;
    this.in = in;
    this.typeName = in.type().getSimpleName();
    this.metrics = metrics;
    this.log = log;
  }

  /** Binds the writer to its processor's context (from the processor's {@code init}); required before writing. */
  void init(ProcessorContext<byte[], Routed> context) {
    this.context = context;
  }

  String stage() {
    return stage;
  }

  /**
   * Counts {@code record} in and returns it with where the processor is reading it from ({@code inputTopic} and
   * -1 when the context does not say).
   */
  Source received(Record<byte[], byte[]> record) {
    metrics.recordIn();
    RecordMetadata meta = context.recordMetadata().orElse(null);
    return new Source(meta == null ? inputTopic : meta.topic(), meta == null ? -1 : meta.partition(),
        meta == null ? -1 : meta.offset(), record);
  }

  /**
   * The decoded input, or {@code null} after dead-lettering a record without value ({@link SafeStage#NULL_INPUT}) or
   * with bytes that do not decode ({@link SafeStage#DECODE}).
   */
  I decode(Source source) {
    byte[] value = source.record().value();
    if (value == null) {
      deadLetter(source, SafeStage.NULL_INPUT, "record has no value (null); expected a " + typeName, null);
      return null;
    }
    try {
      return in.decode(value);
    } catch (AvroDecodeException e) {
      deadLetter(source, SafeStage.DECODE, e.getMessage(), e);
      return null;
    }
  }

  /**
   * Dead-letters a failure of the stage's function: {@link SafeStage#INVALID} for an {@link InvalidRecordException}
   * (its message is the reason), {@link SafeStage#ERROR} for any other exception.
   */
  void failed(Source source, Exception e) {
    if (e instanceof InvalidRecordException) {
      deadLetter(source, SafeStage.INVALID, "invalid " + typeName + ": " + e.getMessage(), e);
    } else {
      deadLetter(source, SafeStage.ERROR, "stage " + stage + " failed on a " + typeName + ": "
          + DeadLetters.describe(e), e);
    }
  }

  /**
   * What the stage's function returned for one input, as an outcome: its outputs, or its exception (an
   * {@link InterruptedException} is thrown as {@link #interrupted}).
   */
  BatchStageFunction.Outcome outcome(String doing, Callable<List<StageOutput>> function) {
    try {
      return BatchStageFunction.Outcome.of(function.call());
    } catch (InterruptedException e) {
      throw interrupted(doing, e);
    } catch (Exception e) {
      return BatchStageFunction.Outcome.failed(e);
    }
  }

  /**
   * The exception that stops the stream thread when the function was interrupted while {@code doing} (e.g.
   * "processing") an input: an interrupt is a shutdown, not a bad record.
   */
  StreamsException interrupted(String doing, InterruptedException e) {
    Thread.currentThread().interrupt();
    return new StreamsException("stage " + stage + " was interrupted while " + doing + " a " + typeName, e);
  }

  /**
   * Writes the function's outputs for {@code source}, all encoded before any is written. A {@code null} list is
   * dead-lettered ({@link SafeStage#NULL_OUTPUT}), and so is a list with an output that cannot be encoded
   * ({@link SafeStage#ENCODE}; then none of it is written).
   */
  void write(Source source, List<StageOutput> outputs) {
    if (outputs == null) {
      deadLetter(source, SafeStage.NULL_OUTPUT, "stage " + stage + " returned no result (null) for a " + typeName, null);
      return;
    }
    Record<byte[], byte[]> record = source.record();
    List<Record<byte[], Routed>> encoded = new ArrayList<>(outputs.size());
    for (StageOutput output : outputs) {
      try {
        Objects.requireNonNull(output, "a null StageOutput in the result list");
        encoded.add(record.withKey(output.key(record.key())).withValue(new Routed(output.topic(), output.encode())));
      } catch (RuntimeException e) {
        deadLetter(source, SafeStage.ENCODE, "stage " + stage + " produced an output it cannot write for a " + typeName
            + ": " + DeadLetters.describe(e), e);
        return;
      }
    }
    encoded.forEach(context::forward);
    metrics.recordsOut(encoded.size());
  }

  /** Writes a batch function's outcome for {@code source}: its outputs, or its failure dead-lettered. */
  void write(Source source, BatchStageFunction.Outcome outcome) {
    if (outcome.failure() != null) {
      failed(source, outcome.failure());
    } else {
      write(source, outcome.outputs());
    }
  }

  /** Sends {@code source} to the dead letters with {@code reason}; {@code error} may be null. */
  void deadLetter(Source source, String reasonClass, String reason, Throwable error) {
    Record<byte[], byte[]> record = source.record();
    log.warn("stage {}: record {}-{}@{} sent to {}: {}", stage, source.topic(), source.partition(), source.offset(),
        Topics.DEAD_LETTERS, reason);
    byte[] value = DeadLetters.serde().encode(DeadLetters.of(stage, source.topic(), source.partition(), source.offset(),
        reason, error, record.key(), record.value(), context.currentSystemTimeMs()));
    context.forward(record.withValue(new Routed(Topics.DEAD_LETTERS, value)));
    metrics.deadLetter(reasonClass);
  }
}
