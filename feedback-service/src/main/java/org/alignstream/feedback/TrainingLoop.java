package org.alignstream.feedback;

import org.alignstream.common.pipeline.Pipeline;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.function.Function;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.avro.TrainingExample;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.StageOutput;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The feedback service's training state for one stream task: stores each new example (once per event id) in a
 * changelogged store, counts the examples since the last published training, and on a wall-clock tick starts a
 * retraining in the background every {@code everyEvents} examples or {@code everyMs} milliseconds, then publishes the
 * versions the gate lets through (written by the stream thread, so under exactly-once a version is published with the
 * offsets of the examples it was trained on... or not at all). A restart loses nothing: the examples and counters are in
 * the store, and an interrupted training is started again.
 *
 * <p>Store keys: {@code ex:<model>:<event id>} → example, {@code pending:<model>} → examples not yet in a finished
 * training, {@code served:<model>} → the last published version of a model.
 */
final class TrainingLoop {
    static final String STORE = "feedback-training";
    /** Global store: every record of {@code reward-models} by key {@code <model>@<version>}. */
    static final String PUBLISHED_STORE = "feedback-published-versions";

    private static final Logger LOG = LoggerFactory.getLogger(TrainingLoop.class);
    private static final AvroSerde<TrainingExample> EXAMPLES = Pipeline.FEEDBACK_EXAMPLES.serde();
    private static final AvroSerde<RewardModelVersion> VERSIONS = Pipeline.REWARD_MODELS.serde();

    /** How a trained head is published: {@code reward-models} with the key it should have. */
    interface Publisher {
        void publish(StageOutput output, byte[] key);
    }

    /**
     * One model trained from a feedback target's examples: a full-sequence or partial-sequence head (Bradley-Terry on
     * pooled features), or a token-level head whose preference targets are the dense credit of the serving
     * {@code creditFrom} model (a full-sequence model trained from the same feedback).
     */
    record Target(String modelId, Kind kind, String creditFrom) {
        enum Kind { FULL_SEQUENCE, PARTIAL_SEQUENCE, TOKEN_LEVEL }

        Target {
            if ((kind == Kind.TOKEN_LEVEL) != (creditFrom != null)) {
                throw new IllegalArgumentException("a token-level target (and only it) names the model its credit "
                        + "comes from: " + modelId + " " + kind + " " + creditFrom);
            }
        }

        static Target fullSequence(String modelId) {
            return new Target(modelId, Kind.FULL_SEQUENCE, null);
        }

        static Target partialSequence(String modelId) {
            return new Target(modelId, Kind.PARTIAL_SEQUENCE, null);
        }

        static Target tokenLevel(String modelId, String creditFrom) {
            return new Target(modelId, Kind.TOKEN_LEVEL, creditFrom);
        }

        boolean partial() {
            return kind == Kind.PARTIAL_SEQUENCE;
        }
    }

    private final KeyValueStore<String, byte[]> store;
    private final ReadOnlyKeyValueStore<String, byte[]> published;
    private final RewardTrainer trainer;
    private final Function<String, List<Target>> targets;
    private final Function<String, LinearHead> bundledHead;
    private final ExecutorService executor;
    private final Publisher publisher;
    /** Pause before trying again to start a training whose serving head could not be read. */
    static final long START_RETRY_MS = 10_000;
    private final Map<String, Long> retryAtMs = new HashMap<>();
    private final HeadPayloads heads;
    private final int everyEvents;
    private final long everyMs;
    private final StageMetrics metrics;
    private final Map<String, Running> running = new HashMap<>();
    private final Map<String, Long> lastStartMs = new HashMap<>();

    private record Running(long pendingAtStart, CompletableFuture<List<Published>> result) {
    }

    private record Published(String modelId, RewardTrainer.Outcome outcome, RewardModelVersion version) {
    }

    /**
     * @param targets     for a feedback target (the event's reward model id), the models trained from its examples
     * @param bundledHead the head serving a model before any version was published (the bundled default)
     */
    TrainingLoop(KeyValueStore<String, byte[]> store, ReadOnlyKeyValueStore<String, byte[]> published,
                 RewardTrainer trainer, Function<String, List<Target>> targets,
                 Function<String, LinearHead> bundledHead, ExecutorService executor, Publisher publisher,
                 int everyEvents, long everyMs, StageMetrics metrics) {
        this(store, published, trainer, targets, bundledHead, executor, publisher, everyEvents, everyMs, metrics,
                HeadPayloads.INLINE);
    }

    /** @param heads where published heads go (inline, or a model store for large ones) */
    TrainingLoop(KeyValueStore<String, byte[]> store, ReadOnlyKeyValueStore<String, byte[]> published,
                 RewardTrainer trainer, Function<String, List<Target>> targets,
                 Function<String, LinearHead> bundledHead, ExecutorService executor, Publisher publisher,
                 int everyEvents, long everyMs, StageMetrics metrics, HeadPayloads heads) {
        this.heads = heads;
        this.store = store;
        this.published = published;
        this.trainer = trainer;
        this.targets = targets;
        this.bundledHead = bundledHead;
        this.executor = executor;
        this.publisher = publisher;
        this.everyEvents = everyEvents;
        this.everyMs = everyMs;
        this.metrics = metrics;
    }

    /** Stores a new example; a repeated event id is a duplicate and changes nothing. */
    boolean add(TrainingExample example) {
        String key = "ex:" + example.getRewardModel() + ":" + example.getEventId();
        if (store.get(key) != null) {
            LOG.debug("feedback event {} already stored; duplicate ignored", example.getEventId());
            return false;
        }
        store.put(key, EXAMPLES.encode(example));
        store.put("pending:" + example.getRewardModel(), longBytes(pending(example.getRewardModel()) + 1));
        return true;
    }

    /** Starts due trainings and publishes finished ones. */
    void tick(long nowMs) {
        for (String model : new ArrayList<>(running.keySet())) {
            Running r = running.get(model);
            if (r.result().isDone()) {
                running.remove(model);
                finish(model, r, nowMs);
            }
        }
        try (KeyValueIterator<String, byte[]> it = store.prefixScan("pending:", Serdes.String().serializer())) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                String model = kv.key.substring("pending:".length());
                long pending = fromBytes(kv.value);
                long last = lastStartMs.computeIfAbsent(model, m -> nowMs);
                boolean due = pending >= everyEvents || (pending > 0 && nowMs - last >= everyMs);
                if (due && !running.containsKey(model) && nowMs >= retryAtMs.getOrDefault(model, 0L)) {
                    start(model, pending, nowMs);
                }
            }
        }
    }

    private void start(String feedbackModel, long pending, long nowMs) {
        List<TrainingExample> examples = examples(feedbackModel);
        Map<Target, LinearHead> serving = new HashMap<>();
        Map<Target, Long> servingVersion = new HashMap<>();
        Map<Target, LinearHead> creditReward = new HashMap<>();
        Map<Target, LinearHead> anchor = new HashMap<>();
        lastStartMs.put(feedbackModel, nowMs);
        try {
            for (Target t : targets.apply(feedbackModel)) {
                RewardModelVersion served = served(t.modelId());
                LinearHead head = servingHead(t.modelId());
                serving.put(t, head);
                servingVersion.put(t, served == null ? parseVersion(head.metadata().version()) : served.getVersion());
                if (t.kind() == Target.Kind.TOKEN_LEVEL) {
                    creditReward.put(t, servingHead(t.creditFrom()));
                }
                anchor.put(t, bundledHead.apply(t.modelId())); // the prior's centre: every retraining fits all examples
            }
        } catch (RuntimeException e) { // e.g. a serving head in a model store that cannot be read
            LOG.error("retraining for {} not started: the serving head cannot be read: {}", feedbackModel,
                    e.getMessage());
            metrics.modelVersion(feedbackModel, "failed");
            retryAtMs.put(feedbackModel, nowMs + Math.min(everyMs, START_RETRY_MS));
            return; // pending stays: retried after a pause
        }
        LOG.info("retraining from {} feedback examples for {} ({} new)", examples.size(), feedbackModel, pending);
        CompletableFuture<List<Published>> result = CompletableFuture.supplyAsync(() -> {
            List<Published> out = new ArrayList<>();
            for (Map.Entry<Target, LinearHead> e : serving.entrySet()) {
                Target t = e.getKey();
                long parent = servingVersion.get(t);
                RewardTrainer.Outcome outcome = t.kind() == Target.Kind.TOKEN_LEVEL
                        ? trainer.trainTokenLevel(anchor.get(t), e.getValue(), creditReward.get(t),
                                e.getValue().metadata(), examples, parent + 1)
                        : trainer.train(anchor.get(t), e.getValue(), examples, t.partial(), parent + 1);
                out.add(new Published(t.modelId(), outcome, outcome == null || !outcome.decision().publish() ? null
                        : version(outcome, parent, e.getValue())));
            }
            return out;
        }, executor);
        running.put(feedbackModel, new Running(pending, result));
    }

    /** The head serving {@code modelId}: its last published version, else the bundled one. */
    private LinearHead servingHead(String modelId) {
        RewardModelVersion served = served(modelId);
        return served == null ? bundledHead.apply(modelId)
                : RewardHeadOnnx.read(heads.read(served), modelId + " v" + served.getVersion());
    }

    private void finish(String feedbackModel, Running r, long nowMs) {
        List<Published> results;
        try {
            results = r.result().join();
        } catch (RuntimeException e) {
            LOG.error("retraining for {} failed; the serving versions stay: {}", feedbackModel, e.toString(), e);
            metrics.modelVersion(feedbackModel, "failed");
            return; // pending stays: retried at the next tick that is due
        }
        for (Published p : results) {
            if (p.outcome() == null) {
                LOG.info("{}: not enough feedback yet (training or held-out examples missing)", p.modelId());
            } else if (p.version() == null) {
                LOG.warn("{}: new version rejected by the validation gate ({}): {}; figures {}", p.modelId(),
                        p.outcome().decision().reason(), p.outcome().decision().message(), p.outcome().figures());
                metrics.modelVersion(p.modelId(), "rejected");
            } else {
                RewardModelVersion v = p.version();
                v.setCreatedAtMs(nowMs);
                try {
                    v = heads.place(v); // inline, or into the model store if it is large
                } catch (RuntimeException e) {
                    LOG.error("{}: version {} not published: its head could not be written to the model store: {}",
                            p.modelId(), v.getVersion(), e.getMessage());
                    metrics.modelVersion(p.modelId(), "failed");
                    continue;
                }
                store.put("served:" + p.modelId(), VERSIONS.encode(v));
                publisher.publish(StageOutput.withKey(Topics.REWARD_MODELS, key(v), VERSIONS, v), key(v));
                metrics.modelVersion(p.modelId(), "published");
                LOG.info("{}: published version {} ({}); figures {}", p.modelId(), v.getVersion(),
                        p.outcome().decision().message(), p.outcome().figures());
            }
        }
        store.put("pending:" + feedbackModel, longBytes(Math.max(0, pending(feedbackModel) - r.pendingAtStart())));
    }

    private static RewardModelVersion version(RewardTrainer.Outcome outcome, long parent, LinearHead serving) {
        Map<String, Double> figures = new HashMap<>(outcome.figures());
        return RewardModelVersion.newBuilder()
                .setModelId(outcome.head().metadata().id())
                .setVersion(parent + 1)
                .setParentVersion(parent)
                .setKind(outcome.head().metadata().kind())
                .setBackbone(serving.metadata().encoder())
                .setFigures(figures)
                .setHeadOnnx(java.nio.ByteBuffer.wrap(RewardHeadOnnx.write(outcome.head())))
                .build();
    }

    /** The record key of a version on {@code reward-models}: {@code <model id>@<version>} (compaction keeps each). */
    static byte[] key(RewardModelVersion v) {
        return (v.getModelId() + "@" + v.getVersion()).getBytes(StandardCharsets.UTF_8);
    }

    List<TrainingExample> examples(String feedbackModel) {
        List<TrainingExample> out = new ArrayList<>();
        try (KeyValueIterator<String, byte[]> it = store.prefixScan("ex:" + feedbackModel + ":",
                Serdes.String().serializer())) {
            while (it.hasNext()) {
                out.add(EXAMPLES.decode(it.next().value));
            }
        }
        return out;
    }

    long pending(String feedbackModel) {
        byte[] b = store.get("pending:" + feedbackModel);
        return b == null ? 0 : fromBytes(b);
    }

    /**
     * The version the scorers serve: the newest of what this service last published (kept in its own store, so a
     * training started right after a publication builds on it) and what is on {@code reward-models} (e.g. a rollback
     * published by an operator with a higher number); null before any.
     */
    RewardModelVersion served(String modelId) {
        byte[] own = store.get("served:" + modelId);
        RewardModelVersion newest = own == null ? null : VERSIONS.decode(own);
        try (KeyValueIterator<String, byte[]> it = published.prefixScan(modelId + "@", Serdes.String().serializer())) {
            while (it.hasNext()) {
                KeyValue<String, byte[]> kv = it.next();
                RewardModelVersion v;
                try {
                    v = VERSIONS.decode(kv.value);
                } catch (RuntimeException e) {
                    LOG.warn("ignoring unreadable record {} on {}: {}", kv.key, Topics.REWARD_MODELS, e.getMessage());
                    continue;
                }
                if (v.getModelId().equals(modelId) && (v.getHeadOnnx() != null || v.getUri() != null)
                        && (newest == null || v.getVersion() > newest.getVersion())) {
                    newest = v;
                }
            }
        }
        return newest;
    }

    /** Whether a training is in flight for a feedback target. */
    boolean training(String feedbackModel) {
        return running.containsKey(feedbackModel);
    }

    static long parseVersion(String version) {
        try {
            return Long.parseLong(Objects.requireNonNull(version));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    private static byte[] longBytes(long v) {
        return Long.toString(v).getBytes(StandardCharsets.UTF_8);
    }

    private static long fromBytes(byte[] b) {
        return Long.parseLong(new String(b, StandardCharsets.UTF_8));
    }
}
