package org.alignstream.scorer;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.Function;
import java.util.function.Supplier;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.inference.lm.KvCacheStore;
import org.alignstream.inference.reward.BatchInvariance;
import org.alignstream.inference.reward.PrefixKv;
import org.alignstream.inference.reward.RewardModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reward models a scorer serves, by id and version. A request names one in {@code Strategy.reward_model} (null:
 * the default, the first model registered) and may pin a version ({@code Strategy.reward_model_version}; null: the
 * newest); Transfer Q* with indirect transfer also names the baseline's reward. New versions arrive while the scorer
 * runs ({@link #publish}): a version is swapped in atomically between batches (scoring runs under the read lock, the
 * swap under the write lock), the last {@code keep} versions of each id stay available for pinned requests, and
 * older ones are closed. The first model of each id (the one loaded at start) is never evicted: later versions may
 * share its encoder. Owns the models: closing the registry closes them.
 *
 * <p>Each model and version is checked for batch invariance when it is added or published, before it is served and
 * off the hot path ({@link BatchInvariance#check}): only a batch-invariant one ({@link #batchInvariant}) has the
 * candidate sets of concurrent requests merged into one call by the scorer; the verdict is logged and, once
 * {@link #reportTo} is called, exported as {@code alignstream_reward_model_batch_invariant}.
 *
 * <p>The registry also holds the models' {@link #roundCache() round cache}: the shared-prefix key/value caches of
 * decoder reward models between a request's tokenwise rounds ({@link RewardModel.RoundCache}), keyed by model id and
 * version and request id, bounded in bytes ({@code --reward-kv-cache-bytes}), least recently used first. It lives here
 * so that every path that scores with these models (the stage, the bare loop) uses the same one, and closes with them.
 */
public final class RewardModelRegistry implements AutoCloseable {

    /** Versions kept per id by default (for requests that pin one). */
    public static final int DEFAULT_KEEP = 3;

    /** Default bound of the {@link #roundCache() round cache} ({@code --reward-kv-cache-bytes}): 256 MiB. */
    public static final long DEFAULT_ROUND_CACHE_BYTES = 256L << 20;

    private final Map<String, Deque<RewardModel>> models = new LinkedHashMap<>();
    private final Map<String, RewardModel> bases = new LinkedHashMap<>();
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final int keep;
    private final Function<RewardModel, BatchInvariance.Verdict> invariance;
    private final Map<RewardModel, BatchInvariance.Verdict> verdicts = new IdentityHashMap<>();
    private final KvCacheStore<PrefixKv> roundCache;
    private StageMetrics metrics;

    private static final Logger LOG = LoggerFactory.getLogger(RewardModelRegistry.class);

    /** A registry whose default is {@code defaultModel}. */
    public RewardModelRegistry(RewardModel defaultModel) {
        this(defaultModel, DEFAULT_KEEP);
    }

    public RewardModelRegistry(RewardModel defaultModel, int keep) {
        this(defaultModel, keep, BatchInvariance::check);
    }

    /** With a round cache of at most {@code roundCacheBytes} (0: none). */
    public RewardModelRegistry(RewardModel defaultModel, int keep, long roundCacheBytes) {
        this(defaultModel, keep, roundCacheBytes, BatchInvariance::check);
    }

    /** With {@code invariance} deciding whether a model is batch-invariant (tests; the default runs the probe). */
    public RewardModelRegistry(RewardModel defaultModel, int keep, Function<RewardModel, BatchInvariance.Verdict> invariance) {
        this(defaultModel, keep, DEFAULT_ROUND_CACHE_BYTES, invariance);
    }

    /** All settings: versions kept, round-cache bound (0: none), batch-invariance probe. */
    public RewardModelRegistry(RewardModel defaultModel, int keep, long roundCacheBytes,
                               Function<RewardModel, BatchInvariance.Verdict> invariance) {
        if (keep < 1) {
            throw new IllegalArgumentException("keep must be >= 1, was " + keep);
        }
        this.roundCache = new KvCacheStore<>(roundCacheBytes);
        this.keep = keep;
        this.invariance = Objects.requireNonNull(invariance, "invariance");
        add(defaultModel);
    }

    private BatchInvariance.Verdict verdictOf(RewardModel model) {
        long start = System.nanoTime();
        BatchInvariance.Verdict v = invariance.apply(model);
        // which path a decoder reward model scores tokenwise rounds by (DecoderRewardModel's class comment)
        String rounds = !(model instanceof org.alignstream.inference.reward.DecoderRewardModel d) ? ""
                : d.sharedPastScoring() ? "; tokenwise rounds read one shared prefix cache (model_shared_past.onnx)"
                : "; tokenwise rounds copy the prefix cache to every candidate (no model_shared_past.onnx)";
        LOG.info("reward model {} version {}: {} ({}; {} ms){}", model.id(), model.version(),
                v.invariant() ? "batch-invariant, candidate sets of concurrent requests are merged into one call"
                        : "not batch-invariant, one call per candidate set", v.detail(),
                (System.nanoTime() - start) / 1_000_000, rounds);
        return v;
    }

    /** Whether the scorer may merge candidate sets of several records into one call of {@code model}. */
    public boolean batchInvariant(RewardModel model) {
        return read(() -> {
            BatchInvariance.Verdict v = verdicts.get(model);
            return v != null && v.invariant();
        });
    }

    /**
     * Whether any served version is batch-invariant, i.e. whether a candidate set may at present wait to be merged
     * with others ({@link #batchInvariant}); false when every served version must be called one set at a time.
     */
    public boolean anyBatchInvariant() {
        return read(() -> verdicts.values().stream().anyMatch(BatchInvariance.Verdict::invariant));
    }

    /** The batch-invariance verdict of a served model, or null. */
    public BatchInvariance.Verdict verdict(RewardModel model) {
        return read(() -> verdicts.get(model));
    }

    /**
     * Exports every served version's batching mode to {@code metrics}, now and as versions come and go, and the round
     * cache's events ({@code alignstream_reward_kv_cache_*}).
     */
    public void reportTo(StageMetrics metrics) {
        lock.writeLock().lock();
        try {
            this.metrics = metrics;
            verdicts.forEach((m, v) -> metrics.batchInvariant(m.id(), m.version(), v.invariant()));
            if (roundCache.enabled()) {
                roundCache.listener(new RewardKvCacheMetrics(metrics));
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Serves {@code model} under its id; ids must be unique. */
    public RewardModelRegistry add(RewardModel model) {
        Objects.requireNonNull(model, "model");
        BatchInvariance.Verdict verdict = verdictOf(model); // before the lock: scoring goes on meanwhile
        lock.writeLock().lock();
        try {
            if (models.containsKey(model.id())) {
                throw new IllegalArgumentException("two reward models have the id '" + model.id()
                        + "'; each served model needs its own id");
            }
            Deque<RewardModel> versions = new ArrayDeque<>();
            versions.addFirst(model);
            models.put(model.id(), versions);
            bases.put(model.id(), model);
            remember(model, verdict);
            return this;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Makes {@code model} the newest version of its id (which must be served already), atomically between batches;
     * the versions beyond the newest {@code keep} (except the base) are closed.
     */
    public void publish(RewardModel model) {
        List<RewardModel> evicted = new ArrayList<>();
        if (!read(() -> models.containsKey(model.id()))) {
            throw new IllegalArgumentException("reward model '" + model.id() + "' is not served here; served: " + ids());
        }
        BatchInvariance.Verdict verdict = verdictOf(model); // before the lock: scoring goes on meanwhile
        lock.writeLock().lock();
        try {
            Deque<RewardModel> versions = models.get(model.id());
            if (versions == null) {
                throw new IllegalArgumentException("reward model '" + model.id() + "' is not served here; served: " + ids());
            }
            versions.addFirst(model);
            remember(model, verdict);
            while (versions.size() > keep) {
                RewardModel oldest = versions.removeLast();
                if (oldest == bases.get(model.id())) {
                    // keep the base: later versions share its encoder; put it back behind the others
                    RewardModel next = versions.removeLast();
                    versions.addLast(oldest);
                    evicted.add(next);
                } else {
                    evicted.add(oldest);
                }
            }
            for (RewardModel gone : evicted) {
                verdicts.remove(gone);
                if (metrics != null) {
                    metrics.forgetBatchInvariant(gone.id(), gone.version());
                }
            }
        } finally {
            lock.writeLock().unlock();
        }
        evicted.forEach(RewardModel::close);
    }

    private void remember(RewardModel model, BatchInvariance.Verdict verdict) {
        verdicts.put(model, verdict);
        if (metrics != null) {
            metrics.batchInvariant(model.id(), model.version(), verdict.invariant());
        }
    }

    /** Runs {@code work} while no version can be swapped or closed (scoring one batch). */
    public <T> T read(Supplier<T> work) {
        lock.readLock().lock();
        try {
            return work.get();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** The default model's newest version. */
    public RewardModel defaultModel() {
        return read(() -> models.values().iterator().next().peekFirst());
    }

    /**
     * The reward model a request gets for {@code id} (null: the default) and {@code version} (null: the newest) when it
     * expects a model of {@code kind} (null: any): with no id, the default if it is of that kind, else the first
     * served id (in the order they were added) whose newest version is; a model of another kind, or none of that kind,
     * is the request's error, with the reason.
     *
     * @param method names the method in the messages
     */
    public RewardModel resolve(String id, String version, String kind, String method, boolean kindAsked) {
        return read(() -> {
            RewardModel model;
            if (id == null && kind != null && !defaultModel().kind().equals(kind)) {
                String found = null;
                for (Map.Entry<String, Deque<RewardModel>> e : models.entrySet()) {
                    if (e.getValue().peekFirst().kind().equals(kind)) {
                        found = e.getKey();
                        break;
                    }
                }
                if (found == null) {
                    throw new InvalidRecordException(method + " expects a " + kind + " reward model and this scorer "
                            + "serves none (" + ids() + ", kinds " + models.values().stream()
                            .map(v -> v.peekFirst().kind()).toList() + "); name one with reward_model and"
                            + " reward_model_kind");
                }
                model = resolve(found, version);
            } else {
                model = resolve(id, version);
            }
            if (kind != null && !model.kind().equals(kind)) {
                throw new InvalidRecordException(kindAsked
                        ? "the request expects a " + kind + " reward model (reward_model_kind) and '" + model.id()
                                + "' is " + model.kind()
                        : method + " expects a " + kind + " reward model and '" + model.id() + "' is " + model.kind()
                                + "; set reward_model_kind to '" + model.kind() + "' to use it anyway");
            }
            return model;
        });
    }

    /** The newest version of {@code id}, or of the default for {@code null}; an unknown id is the request's error. */
    public RewardModel resolve(String id) {
        return resolve(id, null);
    }

    /**
     * The version {@code version} of {@code id} (null id: the default model; null version: its newest); an unknown id
     * or a version not (or no longer) served is the request's error.
     */
    public RewardModel resolve(String id, String version) {
        return read(() -> {
            Deque<RewardModel> versions = id == null ? models.values().iterator().next() : models.get(id);
            if (versions == null) {
                throw new InvalidRecordException("unknown reward model '" + id + "'; this scorer serves " + ids());
            }
            if (version == null) {
                return versions.peekFirst();
            }
            for (RewardModel m : versions) {
                if (m.version().equals(version)) {
                    return m;
                }
            }
            throw new InvalidRecordException("reward model '" + versions.peekFirst().id() + "' version '" + version
                    + "' is not served; served versions: " + versions.stream().map(RewardModel::version).toList());
        });
    }

    /** The newest version of {@code id}, or null if {@code id} is not served. */
    public String newestVersion(String id) {
        return read(() -> {
            Deque<RewardModel> versions = models.get(id);
            return versions == null ? null : versions.peekFirst().version();
        });
    }

    /** The model loaded at start for {@code id} (later versions may share its encoder), or null. */
    public RewardModel base(String id) {
        return read(() -> bases.get(id));
    }

    public List<String> ids() {
        return new ArrayList<>(models.keySet());
    }

    /**
     * The shared-prefix key/value caches of this registry's decoder reward models between a request's tokenwise rounds
     * (disabled with a bound of 0); entries of a version that is swapped out are no longer found and age out.
     */
    public KvCacheStore<PrefixKv> roundCache() {
        return roundCache;
    }

    @Override
    public void close() {
        RuntimeException failure = null;
        lock.writeLock().lock();
        try {
            for (Deque<RewardModel> versions : models.values()) {
                for (RewardModel model : versions) {
                    try {
                        model.close();
                    } catch (RuntimeException e) {
                        if (failure == null) {
                            failure = e;
                        } else {
                            failure.addSuppressed(e);
                        }
                    }
                }
            }
            models.clear();
            roundCache.close();
        } finally {
            lock.writeLock().unlock();
        }
        if (failure != null) {
            throw failure;
        }
    }
}
