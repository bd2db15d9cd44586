package org.alignstream.feedback;

import org.alignstream.common.pipeline.Pipeline;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.TrainingExample;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.stage.StageOutput;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.reward.LinearHead;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.streams.state.Stores;

/**
 * feedback → feedback-examples → reward-models. The first step checks each event and computes the frozen backbone's
 * features once ({@link ExampleBuilder}; scales out with the {@code feedback} partitions); it re-keys the example by
 * the reward model it trains, so all examples of a model meet in one task. The second step keeps them in a
 * changelogged store and retrains in the background ({@link TrainingLoop}), publishing the versions the validation
 * gate lets through to the compacted {@code reward-models} topic. Bad events, and examples that are not as the first step
 * makes them ({@link ExampleCheck}), go to dead-letters.
 */
public final class FeedbackTopology {
    public static final String STAGE = Pipeline.FEEDBACK_STAGE.name();

    private FeedbackTopology() {
    }

    /** How often the training loop looks for due trainings and finished ones. */
    static final Duration TICK = Duration.ofMillis(200);

    /** Keeps the global store of published versions: every record of {@code reward-models}, by key. */
    static final class PublishedVersions implements Processor<String, byte[], Void, Void> {
        private KeyValueStore<String, byte[]> store;

        @Override
        public void init(ProcessorContext<Void, Void> context) {
            store = context.getStateStore(TrainingLoop.PUBLISHED_STORE);
        }

        @Override
        public void process(Record<String, byte[]> record) {
            if (record.key() == null) {
                return;
            }
            if (record.value() == null) {
                store.delete(record.key());
            } else {
                store.put(record.key(), record.value());
            }
        }
    }

    public static Topology build(ExampleBuilder examples, RewardTrainer trainer,
                                 Function<String, List<TrainingLoop.Target>> targets,
                                 Function<String, LinearHead> bundledHead, ExecutorService executor, int everyEvents,
                                 long everyMs, StageMetrics metrics) {
        return build(examples, trainer, targets, bundledHead, executor, everyEvents, everyMs, metrics,
                HeadPayloads.INLINE);
    }

    /** @param heads where published heads go: inline, or into a model store when large */
    public static Topology build(ExampleBuilder examples, RewardTrainer trainer,
                                 Function<String, List<TrainingLoop.Target>> targets,
                                 Function<String, LinearHead> bundledHead, ExecutorService executor, int everyEvents,
                                 long everyMs, StageMetrics metrics, HeadPayloads heads) {
        StreamsBuilder builder = new StreamsBuilder();
        AvroSerde<TrainingExample> exampleSerde = Pipeline.FEEDBACK_EXAMPLES.serde();
        SafeStage.addRouted(builder, STAGE, Topics.FEEDBACK, Pipeline.FEEDBACK.serde(), event -> {
            long start = System.nanoTime();
            TrainingExample example = examples.build(event);
            metrics.observeInference("feedback-features", (System.nanoTime() - start) / 1e9);
            byte[] key = example.getRewardModel().getBytes(StandardCharsets.UTF_8);
            return List.of(StageOutput.withKey(Topics.FEEDBACK_EXAMPLES, key, exampleSerde, example));
        }, metrics);
        // every published version (also those published by others, e.g. a rollback): training builds on the newest
        builder.addGlobalStore(Stores.keyValueStoreBuilder(Stores.inMemoryKeyValueStore(TrainingLoop.PUBLISHED_STORE),
                        Serdes.String(), Serdes.ByteArray()).withLoggingDisabled(), Topics.REWARD_MODELS,
                Consumed.with(Serdes.String(), Serdes.ByteArray()).withName(STAGE + "-reward-models-source"),
                () -> new PublishedVersions());
        ExampleCheck check = new ExampleCheck(targets, bundledHead);
        SafeStage.addRoutedPerTask(builder, STAGE, Topics.FEEDBACK_EXAMPLES, exampleSerde, context -> {
            KeyValueStore<String, byte[]> store = context.getStateStore(TrainingLoop.STORE);
            ReadOnlyKeyValueStore<String, byte[]> published = context.getStateStore(TrainingLoop.PUBLISHED_STORE);
            TrainingLoop loop = new TrainingLoop(store, published, trainer, targets, bundledHead, executor,
                    (output, key) -> SafeStage.emit(context, output, key, context.currentSystemTimeMs()),
                    everyEvents, everyMs, metrics, heads);
            context.schedule(TICK, PunctuationType.WALL_CLOCK_TIME, loop::tick);
            return example -> {
                check.check(example); // before it is stored: a stored example is trained on for good
                loop.add(example);
                return List.of();
            };
        }, metrics, Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(TrainingLoop.STORE), Serdes.String(),
                Serdes.ByteArray()));
        return builder.build();
    }
}
