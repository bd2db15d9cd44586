package org.alignstream.common.stage;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroDecodeException;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.topics.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.StoreBuilder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires one stage into a {@link StreamsBuilder} so that no input record is ever lost: the input topic is read as raw
 * bytes, then each record is decoded, handed to the stage function, and its result encoded and written with the input's
 * key. Whatever fails on the way (undecodable bytes, a null value, {@link InvalidRecordException}, any other exception
 * from the function, a null result, an output that cannot be encoded) sends a {@link org.alignstream.avro.DeadLetter}
 * with the reason and the original key and value bytes to {@link Topics#DEAD_LETTERS}, and processing continues with the
 * next record. Records in, out and dead-lettered are counted in {@link StageMetrics}.
 *
 * <pre>{@code
 * StreamsBuilder builder = new StreamsBuilder();
 * SafeStage.add(builder, "scorer", Topics.CANDIDATES, AvroSerde.of(CandidateSet.class),
 *     Topics.SCORED_CANDIDATES, AvroSerde.of(ScoredCandidateSet.class), scorer::score, metrics);
 * Topology topology = builder.build();
 * }</pre>
 *
 * Dead-letter {@code reason_class} labels: {@code null_input}, {@code decode}, {@code invalid}, {@code error},
 * {@code null_output}, {@code encode}. Processor node names are derived from the stage name and the input topic, so a builder
 * may hold several stages, or one stage reading several topics.
 */
public final class SafeStage {

  /** Kinds of failure, used as the {@code reason_class} metric label. */
  public static final String NULL_INPUT = "null_input";
  public static final String DECODE = "decode";
  public static final String INVALID = "invalid";
  public static final String ERROR = "error";
  public static final String NULL_OUTPUT = "null_output";
  public static final String ENCODE = "encode";

  private SafeStage() {}

  /** One-in, one-out stage: {@code fn}'s result goes to {@code outputTopic} with the input's key. */
  public static <I extends SpecificRecord, O extends SpecificRecord> void add(StreamsBuilder builder, String stageName,
      String inputTopic, AvroSerde<I> in, String outputTopic, AvroSerde<O> out, StageFunction<I, O> fn,
      StageMetrics metrics) {
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(fn, "fn");
    requireTopic(outputTopic, "outputTopic");
    addRouted(builder, stageName, inputTopic, in, input -> {
      O result = fn.apply(input);
      return result == null ? null : List.of(StageOutput.of(outputTopic, out, result));
    }, metrics);
  }

  /**
   * Stage writing zero or more records per input, each to the topic it names ({@link StageOutput}). The topics must
   * exist (the runner creates those its command lists). A {@code null} list is a failure; an empty list writes nothing.
   */
  public static <I extends SpecificRecord> void addRouted(StreamsBuilder builder, String stageName, String inputTopic,
      AvroSerde<I> in, RoutingStageFunction<I> fn, StageMetrics metrics) {
    Objects.requireNonNull(fn, "fn");
    addRoutedPerTask(builder, stageName, inputTopic, in, context -> fn, metrics);
  }

  /**
   * As {@link #addRouted(StreamsBuilder, String, String, AvroSerde, RoutingStageFunction, StageMetrics)}, with the
   * function made per stream task from its {@link ProcessorContext}: for stages that keep state in the named
   * {@code stores} (which are added to the builder and connected) or schedule punctuations.
   */
  public static <I extends SpecificRecord> void addRoutedPerTask(StreamsBuilder builder, String stageName,
      String inputTopic, AvroSerde<I> in, Function<ProcessorContext<?, ?>, RoutingStageFunction<I>> fnPerTask, StageMetrics metrics,
      StoreBuilder<?>... stores) {
    Objects.requireNonNull(builder, "builder");
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(fnPerTask, "fnPerTask");
    Objects.requireNonNull(metrics, "metrics");
    if (stageName == null || stageName.isBlank()) {
      throw new IllegalArgumentException("stageName must not be blank");
    }
    requireTopic(inputTopic, "inputTopic");
    String node = stageName + "-" + inputTopic;
    String[] storeNames = new String[stores.length];
    for (int i = 0; i < stores.length; i++) {
      builder.addStateStore(stores[i]);
      storeNames[i] = stores[i].name();
    }
    builder.stream(inputTopic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(node + "-source"))
        .process(() -> new SafeStageProcessor<>(stageName, inputTopic, in, fnPerTask, metrics), Named.as(node + "-process"),
            storeNames)
        .to((key, value, context) -> value.topic(),
            Produced.with(Serdes.ByteArray(), Routed.SERDE).withName(node + "-sink"));
  }

  /**
   * Writes {@code output} with {@code key} from a punctuation of a stage built with {@link #addRoutedPerTask} (its
   * {@code context} is the one the per-task factory received); under exactly-once it is part of the task's transaction.
   */
  @SuppressWarnings("unchecked")
  public static void emit(ProcessorContext<?, ?> context, StageOutput output, byte[] key, long timestampMs) {
    ((ProcessorContext<byte[], Routed>) context).forward(
        new Record<>(key, new Routed(output.topic(), output.encode()), timestampMs));
  }

  private static void requireTopic(String topic, String what) {
    if (topic == null || topic.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
  }

  /** Encoded bytes on their way to a topic. */
  record Routed(String topic, byte[] bytes) {
    static final Serde<Routed> SERDE = Serdes.serdeFrom(
        (topic, routed) -> routed == null ? null : routed.bytes(),
        (topic, bytes) -> {
          throw new UnsupportedOperationException("Routed values are only written");
        });
  }

  static final class SafeStageProcessor<I extends SpecificRecord> implements Processor<byte[], byte[], byte[], Routed> {

    private static final Logger LOG = LoggerFactory.getLogger(SafeStage.class);

    private final String stage;
    private final String inputTopic;
    private final AvroSerde<I> in;
    private final Function<ProcessorContext<?, ?>, RoutingStageFunction<I>> fnPerTask;
    private RoutingStageFunction<I> fn;
    private final StageMetrics metrics;
    private final String typeName;
    private ProcessorContext<byte[], Routed> context;

    SafeStageProcessor(String stage, String inputTopic, AvroSerde<I> in,
        Function<ProcessorContext<?, ?>, RoutingStageFunction<I>> fnPerTask, StageMetrics metrics) {
      this.stage = stage;
      this.inputTopic = inputTopic;
      this.in = in;
      this.fnPerTask = fnPerTask;
      this.metrics = metrics;
      this.typeName = in.type().getSimpleName();
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
      this.context = context;
      this.fn = Objects.requireNonNull(fnPerTask.apply(context), "the stage function for a task is null");
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      metrics.recordIn();
      if (record.value() == null) {
        deadLetter(record, NULL_INPUT, "record has no value (null); expected a " + typeName, null);
        return;
      }
      I input;
      try {
        input = in.decode(record.value());
      } catch (AvroDecodeException e) {
        deadLetter(record, DECODE, e.getMessage(), e);
        return;
      }
      List<StageOutput> outputs;
      try {
        outputs = fn.apply(input);
      } catch (InvalidRecordException e) {
        deadLetter(record, INVALID, "invalid " + typeName + ": " + e.getMessage(), e);
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new StreamsException("stage " + stage + " was interrupted while processing a " + typeName, e);
      } catch (Exception e) {
        deadLetter(record, ERROR, "stage " + stage + " failed on a " + typeName + ": " + DeadLetters.describe(e), e);
        return;
      }
      if (outputs == null) {
        deadLetter(record, NULL_OUTPUT, "stage " + stage + " returned no result (null) for a " + typeName, null);
        return;
      }
      List<Record<byte[], Routed>> encoded = new ArrayList<>(outputs.size());
      for (StageOutput output : outputs) {
        try {
          Objects.requireNonNull(output, "a null StageOutput in the result list");
          encoded.add(record.withKey(output.key(record.key())).withValue(new Routed(output.topic(), output.encode())));
        } catch (RuntimeException e) {
          deadLetter(record, ENCODE, "stage " + stage + " produced an output it cannot write for a " + typeName + ": "
              + DeadLetters.describe(e), e);
          return;
        }
      }
      encoded.forEach(context::forward);
      metrics.recordsOut(encoded.size());
    }

    private void deadLetter(Record<byte[], byte[]> record, String reasonClass, String reason, Throwable error) {
      RecordMetadata meta = context.recordMetadata().orElse(null);
      String topic = meta == null ? inputTopic : meta.topic();
      int partition = meta == null ? -1 : meta.partition();
      long offset = meta == null ? -1 : meta.offset();
      LOG.warn("stage {}: record {}-{}@{} sent to {}: {}", stage, topic, partition, offset, Topics.DEAD_LETTERS, reason);
      byte[] value = DeadLetters.serde().encode(DeadLetters.of(stage, topic, partition, offset, reason, error,
          record.key(), record.value(), context.currentSystemTimeMs()));
      context.forward(record.withValue(new Routed(Topics.DEAD_LETTERS, value)));
      metrics.deadLetter(reasonClass);
    }
  }
}
