package org.alignstream.common.stage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.SafeStage.Routed;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.processor.Cancellable;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SafeStage} whose records are handled in batches: records that arrive together (what one iteration of the
 * stream thread's loop processed, across all the tasks of that thread) are handed to the stage function in one call,
 * so that a model can score them in one padded batch. Dead-lettering stays per record, as in {@link SafeStage} (same reasons and reason
 * classes): undecodable or invalid records are dead-lettered as they arrive, before any batching, and a record that
 * fails inside a batch is dead-lettered alone while its batch mates are written.
 *
 * <h2>No record lost under exactly-once</h2>
 * A record that waits for batch mates is first put in a changelogged state store (in memory, backed by its changelog
 * topic, with caching so a record written and removed between two commits costs one tombstone). Its input offset can
 * then be committed before its output is written: the store's changelog is in the same transaction, so after a crash
 * the restored store still holds it and it is handled when its task starts again. A record is removed from the store
 * in the same transaction as its outputs are written.
 *
 * <h2>When a batch is handled</h2>
 * From a wall-clock punctuation every {@code maxWait} (Kafka Streams runs wall-clock punctuations after each round of
 * processed records, in the same loop iteration, before it commits, so a batch is what that round brought: a round
 * is {@code numIterations} records per task, which Kafka Streams shrinks after a round that punctuated, so with a
 * short {@code maxWait} and slow work about one record per task), and at once when {@code maxRecords} records wait. Batches span the tasks (partitions) of a stream thread: the first task
 * whose punctuation fires handles the records waiting in all tasks of its thread; each task writes its own records'
 * outputs, in its own punctuation, in arrival order. The function must be deterministic in each record (its outcome
 * must not depend on the batch mates) for the stage's output not to depend on the batching.
 *
 * <p>Caveat: a record that arrives less than {@code maxWait} after the previous punctuation and is the last before an idle
 * spell waits for the next loop iteration, at most the stream thread's {@code poll.ms} (100 ms by default).
 *
 * <h2>No punctuation while nothing can wait</h2>
 * A task runs its punctuation only while records of it wait or while the function says records may wait
 * ({@link BatchStageFunction#mayBatch}). Kafka Streams marks a task that punctuated as needing a commit, so a
 * punctuation every {@code maxWait} would make every task of the thread join every commit (under exactly-once, a
 * transaction every {@code commit.interval.ms} even when idle). When no record can wait (e.g. only reward models that
 * cannot be merged), records are handled at once as they arrive and the stage commits like a {@link SafeStage}.
 */
public final class BatchingStage {

  private static final Logger LOG = LoggerFactory.getLogger(BatchingStage.class);

  /**
   * @param maxRecords most records handed to the function in one call; a batch is handled once this many wait
   * @param maxWait    interval of the wall-clock punctuation that handles what waits
   */
  public record Options(int maxRecords, Duration maxWait) {
    public Options {
      if (maxRecords < 1) {
        throw new IllegalArgumentException("max batch records must be >= 1, was " + maxRecords);
      }
      Objects.requireNonNull(maxWait, "maxWait");
      if (maxWait.toMillis() < 1) {
        throw new IllegalArgumentException("batch wait must be >= 1 ms, was " + maxWait);
      }
    }
  }

  private BatchingStage() {}

  /** The name of the stage's buffer store (its changelog topic is {@code <application.id>-<name>-changelog}). */
  public static String storeName(String stageName, String inputTopic) {
    return stageName + "-" + inputTopic + "-batch-buffer";
  }

  /** Adds the stage: {@code inputTopic} → {@code fn} (in batches) → the topics its outputs name. */
  public static <I extends SpecificRecord> void add(StreamsBuilder builder, String stageName, String inputTopic,
      AvroSerde<I> in, BatchStageFunction<I> fn, Options options, StageMetrics metrics) {
    Objects.requireNonNull(fn, "fn");
    Objects.requireNonNull(options, "options");
    SafeStage.requireStage(builder, stageName, inputTopic, in, metrics);
    String store = storeName(stageName, inputTopic);
    builder.addStateStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(store), Serdes.Long(),
        Serdes.ByteArray()).withCachingEnabled());
    ThreadLocal<Pool<I>> pools = ThreadLocal.withInitial(() -> new Pool<>(fn, options.maxRecords()));
    SafeStage.wire(builder, stageName, inputTopic,
        () -> new BatchingProcessor<>(stageName, inputTopic, store, in, fn, options, pools, metrics), store);
  }

  /** A record waiting for (or handled with) its batch mates. */
  static final class Item<I extends SpecificRecord> {
    final long seq;
    final OutcomeWriter.Source source;
    final I input;
    final BatchingProcessor<I> owner;
    BatchStageFunction.Outcome outcome;

    Item(long seq, OutcomeWriter.Source source, I input, BatchingProcessor<I> owner) {
      this.seq = seq;
      this.source = source;
      this.input = input;
      this.owner = owner;
    }
  }

  /** The records waiting in the tasks of one stream thread (used by that thread only). */
  static final class Pool<I extends SpecificRecord> {
    private final BatchStageFunction<I> fn;
    private final int maxRecords;
    private final List<Item<I>> waiting = new ArrayList<>();

    Pool(BatchStageFunction<I> fn, int maxRecords) {
      this.fn = fn;
      this.maxRecords = maxRecords;
    }

    void add(Item<I> item) {
      waiting.add(item);
    }

    boolean full() {
      return waiting.size() >= maxRecords;
    }

    void remove(BatchingProcessor<I> owner) {
      waiting.removeIf(i -> i.owner == owner);
    }

    /** Hands everything waiting to the function, at most {@code maxRecords} per call; sets each item's outcome. */
    void run() {
      while (!waiting.isEmpty()) {
        List<Item<I>> batch = new ArrayList<>(waiting.subList(0, Math.min(maxRecords, waiting.size())));
        waiting.subList(0, batch.size()).clear();
        List<BatchStageFunction.Outcome> outcomes = null;
        try {
          outcomes = fn.apply(batch.stream().map(i -> i.input).toList());
          if (outcomes == null || outcomes.size() != batch.size()) {
            LOG.warn("batch function returned {} outcomes for {} records; handling each alone",
                outcomes == null ? "no" : outcomes.size(), batch.size());
            outcomes = null;
          }
        } catch (RuntimeException e) {
          LOG.warn("batch of {} records failed ({}); handling each alone", batch.size(), DeadLetters.describe(e));
        }
        for (int i = 0; i < batch.size(); i++) {
          batch.get(i).outcome = outcomes != null ? outcomes.get(i) : alone(fn, batch.get(i).input);
        }
      }
    }

    static <I extends SpecificRecord> BatchStageFunction.Outcome alone(BatchStageFunction<I> fn, I input) {
      try {
        List<BatchStageFunction.Outcome> outcomes = fn.apply(List.of(input));
        if (outcomes == null || outcomes.size() != 1 || outcomes.get(0) == null) {
          return BatchStageFunction.Outcome.failed(new IllegalStateException("the batch function returned "
              + (outcomes == null ? "no outcomes" : outcomes.size() + " outcomes") + " for one record"));
        }
        return outcomes.get(0);
      } catch (RuntimeException e) {
        return BatchStageFunction.Outcome.failed(e);
      }
    }
  }

  /** An input record as kept in the buffer store: where it came from, its key, value and timestamp. */
  record Buffered(String topic, int partition, long offset, long timestamp, byte[] key, byte[] value) {
    static Buffered of(OutcomeWriter.Source source) {
      Record<byte[], byte[]> r = source.record();
      return new Buffered(source.topic(), source.partition(), source.offset(), r.timestamp(), r.key(), r.value());
    }

    /** The record as its outputs and dead letter are written: its key and timestamp, no headers. */
    OutcomeWriter.Source source() {
      return new OutcomeWriter.Source(topic, partition, offset, new Record<>(key, value, timestamp));
    }

    byte[] encode() {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(64 + value.length);
      try (DataOutputStream out = new DataOutputStream(bytes)) {
        out.writeByte(1); // format version
        out.writeUTF(topic);
        out.writeInt(partition);
        out.writeLong(offset);
        out.writeLong(timestamp);
        out.writeInt(key == null ? -1 : key.length);
        if (key != null) {
          out.write(key);
        }
        out.writeInt(value.length);
        out.write(value);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return bytes.toByteArray();
    }

    static Buffered decode(byte[] bytes) {
      try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
        int version = in.readByte();
        if (version != 1) {
          throw new IllegalStateException("unknown buffer record format " + version);
        }
        String topic = in.readUTF();
        int partition = in.readInt();
        long offset = in.readLong();
        long timestamp = in.readLong();
        int keyLength = in.readInt();
        byte[] key = keyLength < 0 ? null : in.readNBytes(keyLength);
        byte[] value = in.readNBytes(in.readInt());
        return new Buffered(topic, partition, offset, timestamp, key, value);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  static final class BatchingProcessor<I extends SpecificRecord> implements Processor<byte[], byte[], byte[], Routed> {

    private final OutcomeWriter<I> writer;
    private final String storeName;
    private final BatchStageFunction<I> fn;
    private final Options options;
    private final ThreadLocal<Pool<I>> pools;
    private final List<Item<I>> mine = new ArrayList<>();
    private ProcessorContext<byte[], Routed> context;
    private Cancellable punctuation;
    private KeyValueStore<Long, byte[]> store;
    private Pool<I> pool;
    private long nextSeq;

    BatchingProcessor(String stage, String inputTopic, String storeName, AvroSerde<I> in, BatchStageFunction<I> fn,
        Options options, ThreadLocal<Pool<I>> pools, StageMetrics metrics) {
      this.writer = new OutcomeWriter<>(stage, inputTopic, in, metrics, LOG);
      this.storeName = storeName;
      this.fn = fn;
      this.options = options;
      this.pools = pools;
    }

    @Override
    public void init(ProcessorContext<byte[], Routed> context) {
      writer.init(context);
      this.context = context;
      this.store = context.getStateStore(storeName);
      this.pool = pools.get();
      int restored = 0;
      try (KeyValueIterator<Long, byte[]> it = store.all()) {
        while (it.hasNext()) {
          KeyValue<Long, byte[]> kv = it.next();
          nextSeq = Math.max(nextSeq, kv.key + 1);
          OutcomeWriter.Source source = Buffered.decode(kv.value).source();
          I input = writer.decode(source); // it decoded when it arrived; fails only if the schemas changed
          if (input == null) {
            store.delete(kv.key);
            continue;
          }
          Item<I> item = new Item<>(kv.key, source, input, this);
          mine.add(item);
          pool.add(item);
          restored++;
        }
      }
      if (restored > 0) {
        LOG.info("stage {} task {}: {} buffered records restored, handled at the next punctuation", writer.stage(),
            context.taskId(), restored);
      }
      if (!mine.isEmpty() || fn.mayBatch()) {
        schedulePunctuation();
      }
    }

    /** Starts the wall-clock punctuation that handles what waits (see the class comment: only while needed). */
    private void schedulePunctuation() {
      punctuation = context.schedule(options.maxWait(), PunctuationType.WALL_CLOCK_TIME, now -> {
        pool.run();
        writeHandled();
        if (mine.isEmpty() && !fn.mayBatch()) {
          punctuation.cancel();
          punctuation = null;
        }
      });
    }

    @Override
    public void process(Record<byte[], byte[]> record) {
      // (outputs and dead letters get the input's key and timestamp, as when the record waited in the store)
      OutcomeWriter.Source source = writer.received(new Record<>(record.key(), record.value(), record.timestamp()));
      I input = writer.decode(source);
      if (input == null) {
        return;
      }
      boolean batched;
      try {
        batched = fn.admit(input);
      } catch (InterruptedException e) {
        throw writer.interrupted("checking", e);
      } catch (Exception e) {
        writer.failed(source, e);
        return;
      }
      if (!batched && mine.isEmpty()) {
        writer.write(source, Pool.alone(fn, input));
        return;
      }
      // (a record that need not wait still queues behind this task's waiting ones, to keep the arrival order)
      Item<I> item = new Item<>(nextSeq++, source, input, this);
      store.put(item.seq, Buffered.of(source).encode());
      mine.add(item);
      pool.add(item);
      if (punctuation == null) {
        schedulePunctuation();
      }
      if (pool.full()) {
        pool.run();
        writeHandled();
      }
    }

    /** Writes the outcomes of this task's handled records, in arrival order, up to the first still waiting. */
    private void writeHandled() {
      while (!mine.isEmpty() && mine.get(0).outcome != null) {
        Item<I> item = mine.remove(0);
        writer.write(item.source, item.outcome);
        store.delete(item.seq);
      }
    }

    @Override
    public void close() {
      if (punctuation != null) {
        punctuation.cancel();
        punctuation = null;
      }
      if (pool != null) {
        pool.remove(this);
      }
      mine.clear();
    }
  }
}
