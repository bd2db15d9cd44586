package org.alignstream.common.stage;

import org.alignstream.common.pipeline.Pipeline;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.serde.TestRecords;
import org.alignstream.common.stage.SafeStage.Routed;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * {@link BatchingStage}'s processor with mock contexts: batches span the tasks of a thread, each task writes its own
 * records in arrival order, the buffer store holds what waits (and is handled again after a restart), and a failing
 * batch is retried record by record.
 */
class BatchingStageTest {

  private static final AvroSerde<PromptRequest> PROMPTS = Pipeline.PROMPTS.serde();
  private static final AvroSerde<CandidateSet> CANDIDATES = Pipeline.CANDIDATES.serde();
  private static final String STORE = BatchingStage.storeName("gen", Topics.PROMPTS);

  /** Admits every prompt but "alone" (handled at once) and "invalid"; a batch holding "boom" fails as a whole. */
  static final class Fn implements BatchStageFunction<PromptRequest> {
    final List<List<String>> calls = new ArrayList<>();
    boolean mayBatch = true;

    @Override
    public boolean mayBatch() {
      return mayBatch;
    }

    @Override
    public boolean admit(PromptRequest input) {
      if (input.getId().equals("invalid")) {
        throw new InvalidRecordException("bad request");
      }
      return !input.getId().equals("alone");
    }

    @Override
    public List<Outcome> apply(List<PromptRequest> inputs) {
      calls.add(inputs.stream().map(p -> p.getId().toString()).toList());
      if (inputs.stream().anyMatch(p -> p.getId().equals("boom"))) {
        if (inputs.size() > 1) {
          throw new IllegalStateException("batch failed");
        }
        return List.of(Outcome.failed(new IllegalStateException("boom alone")));
      }
      return inputs.stream().map(p -> Outcome.of(List.of(StageOutput.of(Topics.CANDIDATES, CANDIDATES,
          TestRecords.candidates(p))))).toList();
    }
  }

  private final Fn fn = new Fn();
  private final StageMetrics metrics = new StageMetrics("gen");
  private final ThreadLocal<BatchingStage.Pool<PromptRequest>> pools = ThreadLocal.withInitial(
      () -> new BatchingStage.Pool<>(fn, 8));

  /** A task: its processor, mock context and buffer store. */
  final class Task {
    final MockProcessorContext<byte[], Routed> context = new MockProcessorContext<>();
    final KeyValueStore<Long, byte[]> store;
    final BatchingStage.BatchingProcessor<PromptRequest> processor;
    long offset;

    Task(KeyValueStore<Long, byte[]> existing) {
      store = existing != null ? existing : Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(STORE),
          Serdes.Long(), Serdes.ByteArray()).withLoggingDisabled().build();
      if (existing == null) {
        store.init(context.getStateStoreContext(), store);
      }
      context.addStateStore(store);
      context.setCurrentSystemTimeMs(1_700_000_000_000L);
      processor = new BatchingStage.BatchingProcessor<>("gen", Topics.PROMPTS, STORE, PROMPTS, fn,
          new BatchingStage.Options(8, Duration.ofMillis(1)), pools, metrics);
      processor.init(context);
    }

    void pipe(String id) {
      byte[] value = id.equals("garbage") ? "x".getBytes(StandardCharsets.UTF_8) : PROMPTS.encode(TestRecords.prompt(id, 1));
      context.setRecordMetadata(Topics.PROMPTS, 0, offset++);
      processor.process(new Record<>(id.getBytes(StandardCharsets.UTF_8), value, 1000 + offset));
    }

    void punctuate() {
      context.scheduledPunctuators().get(0).getPunctuator().punctuate(0);
    }

    /** The keys written, with "dl:" before dead letters, in order; clears them. */
    List<String> written() {
      List<String> out = new ArrayList<>();
      for (var f : context.forwarded()) {
        String key = new String(f.record().key(), StandardCharsets.UTF_8);
        out.add(f.record().value().topic().equals(Topics.DEAD_LETTERS) ? "dl:" + key : key);
      }
      context.resetForwards();
      return out;
    }
  }

  @Test
  void aBatchSpansTheTasksOfAThreadAndEachTaskWritesItsOwnRecords() {
    Task a = new Task(null);
    Task b = new Task(null);
    a.pipe("a1");
    b.pipe("b1");
    a.pipe("a2");
    b.pipe("b2");
    assertThat(a.written()).isEmpty();
    assertThat(a.store.approximateNumEntries()).isEqualTo(2);
    a.punctuate();
    assertThat(fn.calls).containsExactly(List.of("a1", "b1", "a2", "b2"));
    assertThat(a.written()).containsExactly("a1", "a2");
    assertThat(a.store.approximateNumEntries()).isZero();
    assertThat(b.written()).as("b writes at its own punctuation").isEmpty();
    assertThat(b.store.approximateNumEntries()).isEqualTo(2);
    b.punctuate();
    assertThat(fn.calls).hasSize(1);
    assertThat(b.written()).containsExactly("b1", "b2");
    assertThat(b.store.approximateNumEntries()).isZero();
    assertThat(metrics.recordsOut()).isEqualTo(4);
  }

  @Test
  void checksRunFirstAndABadRecordFailsAloneWhileItsMatesAreWritten() {
    Task a = new Task(null);
    a.pipe("alone");
    assertThat(a.written()).as("nothing waits: handled at once").containsExactly("alone");
    a.pipe("a1");
    a.pipe("invalid");
    a.pipe("garbage");
    a.pipe("boom");
    a.pipe("alone"); // need not wait, but a1 and boom do: queued behind them
    a.pipe("a2");
    assertThat(a.written()).containsExactly("dl:invalid", "dl:garbage");
    a.punctuate();
    assertThat(fn.calls).containsExactly(List.of("alone"), List.of("a1", "boom", "alone", "a2"), List.of("a1"),
        List.of("boom"), List.of("alone"), List.of("a2"));
    List<String> written = new ArrayList<>();
    List<String> reasons = new ArrayList<>();
    for (var f : a.context.forwarded()) {
      written.add(new String(f.record().key(), StandardCharsets.UTF_8));
      if (f.record().value().topic().equals(Topics.DEAD_LETTERS)) {
        DeadLetter dl = DeadLetters.serde().decode(f.record().value().bytes());
        reasons.add(dl.getReason().toString());
        assertThat(dl.getSourceOffset()).isEqualTo(4);
        assertThat(DeadLetters.bytes(dl.getOriginalValue())).isEqualTo(PROMPTS.encode(TestRecords.prompt("boom", 1)));
      }
    }
    assertThat(written).containsExactly("a1", "boom", "alone", "a2");
    assertThat(reasons).containsExactly("stage gen failed on a PromptRequest: IllegalStateException: boom alone");
    assertThat(metrics.deadLetters(SafeStage.INVALID)).isEqualTo(1);
    assertThat(metrics.deadLetters(SafeStage.DECODE)).isEqualTo(1);
    assertThat(metrics.deadLetters(SafeStage.ERROR)).isEqualTo(1);
  }

  @Test
  void recordsLeftInTheStoreAreHandledWhenTheTaskStartsAgain() {
    Task a = new Task(null);
    a.pipe("a1");
    a.pipe("a2");
    a.processor.close(); // the task is closed (or its thread died) before its punctuation
    assertThat(a.store.approximateNumEntries()).isEqualTo(2);

    Task again = new Task(a.store); // the store as restored from its changelog
    assertThat(again.written()).isEmpty();
    again.punctuate();
    assertThat(fn.calls).containsExactly(List.of("a1", "a2"));
    assertThat(again.written()).containsExactly("a1", "a2");
    assertThat(again.store.approximateNumEntries()).isZero();
    again.pipe("a3");
    again.punctuate();
    assertThat(again.written()).containsExactly("a3");
  }

  @Test
  void aFullPoolIsHandledAtOnce() {
    Task a = new Task(null);
    for (int i = 0; i < 8; i++) {
      a.pipe("r" + i);
    }
    assertThat(fn.calls).hasSize(1);
    assertThat(a.written()).hasSize(8);
  }

  @Test
  void noPunctuationRunsWhileNothingCanWaitAndOneStartsWhenARecordWaits() {
    fn.mayBatch = false;
    Task a = new Task(null);
    assertThat(a.context.scheduledPunctuators()).isEmpty();
    a.pipe("alone");
    assertThat(a.written()).containsExactly("alone");
    assertThat(a.context.scheduledPunctuators()).isEmpty();
    assertThat(a.store.approximateNumEntries()).isZero();

    // admitted to wait after all (e.g. a model that can merge was swapped in): it waits, and a punctuation handles it
    a.pipe("a1");
    assertThat(a.written()).isEmpty();
    assertThat(a.store.approximateNumEntries()).isEqualTo(1);
    assertThat(a.context.scheduledPunctuators()).hasSize(1);
    a.punctuate();
    assertThat(a.written()).containsExactly("a1");
    assertThat(a.store.approximateNumEntries()).isZero();
    // nothing waits and nothing can: the punctuation stops
    assertThat(a.context.scheduledPunctuators().get(0).cancelled()).isTrue();

    // records restored from the store get a punctuation even while nothing new can wait
    a.pipe("a2");
    a.processor.close();
    Task again = new Task(a.store);
    assertThat(again.context.scheduledPunctuators()).hasSize(1);
    again.punctuate();
    assertThat(again.written()).containsExactly("a2");
  }
}
