package org.alignstream.common.stage;

import org.alignstream.common.pipeline.Pipeline;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.topics.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.ProcessorSupplier;
import org.apache.kafka.streams.processor.api.Record;
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
 * SafeStage.add(builder, "scorer", Topics.CANDIDATES, Pipeline.CANDIDATES.serde(),
 *     Topics.SCORED_CANDIDATES, Pipeline.SCORED_CANDIDATES.serde(), scorer::score, metrics);
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
    Objects.requireNonNull(fnPerTask, "fnPerTask");
    requireStage(builder, stageName, inputTopic, in, metrics);
    String[] storeNames = new String[stores.length];
    for (int i = 0; i < stores.length; i++) {
      builder.addStateStore(stores[i]);
      storeNames[i] = stores[i].name();
    }
    wire(builder, stageName, inputTopic, () -> new SafeStageProcessor<>(stageName, inputTopic, in, fnPerTask, metrics),
        storeNames);
  }

  /** What every stage needs (for {@link BatchingStage} too): a builder, a stage name, an input topic, its serde, metrics. */
  static void requireStage(StreamsBuilder builder, String stageName, String inputTopic, AvroSerde<?> in,
      StageMetrics metrics) {
    Objects.requireNonNull(builder, "builder");
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(metrics, "metrics");
    if (stageName == null || stageName.isBlank()) {
      throw new IllegalArgumentException("stageName must not be blank");
    }
    requireTopic(inputTopic, "inputTopic");
  }

  /**
   * Reads {@code inputTopic} as raw bytes into the {@code processors} (connected to the stores {@code storeNames}) and
   * writes what they forward to the topics it names; the nodes are named after the stage and the input topic.
   */
  static void wire(StreamsBuilder builder, String stageName, String inputTopic,
      ProcessorSupplier<byte[], byte[], byte[], Routed> processors, String... storeNames) {
    String node = stageName + "-" + inputTopic;
    builder.stream(inputTopic, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()).withName(node + "-source"))
        .process(processors, Named.as(node + "-process"), storeNames)
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

    private final OutcomeWriter<I> writer;
    private final Function<ProcessorContext<?, ?>, RoutingStageFunction<I>> fnPerTask;
    private RoutingStageFunction<I> fn;

    SafeStageProcessor(String stage, String inputTopic, AvroSerde<I> in,
        Function<ProcessorContext<?, ?>, RoutingStageFunction<I>> fnPerTask, StageMetrics metrics) {
      this.writer = new OutcomeWriter<>(stage, inputTopic, in, metrics, LOG);
      this.fnPerTask = fnPerTask;
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
      writer.init(context);
      fn = Objects.requireNonNull(fnPerTask.apply(context), "the stage function for a task is null");
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      OutcomeWriter.Source source = writer.received(record);
      I input = writer.decode(source);
      if (input != null) {
        writer.write(source, writer.outcome("processing", () -> fn.apply(input)));
      }
    }
  }
}
