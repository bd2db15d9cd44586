package org.alignstream.common.observability;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * Prometheus metrics of one stage, on the stage's own {@link PrometheusRegistry} (so several stages can run in one JVM
 * and each exports only its own). Every series carries the label {@code stage}.
 *
 * <ul>
 *   <li>{@code alignstream_records_in_total}: records read from the input topic</li>
 *   <li>{@code alignstream_records_out_total}: records written to output topics</li>
 *   <li>{@code alignstream_dead_letters_total{reason_class}}: records sent to dead-letters, by kind of failure</li>
 *   <li>{@code alignstream_batch_size}: histogram of batch sizes passed to a model</li>
 *   <li>{@code alignstream_inference_seconds{model}}: histogram of model call durations</li>
 *   <li>{@code alignstream_reward_model_batch_invariant{model, version}}: 1 if the scorer merges the candidate sets of
 *       concurrent requests into one call for that reward-model version (it is batch-invariant), 0 if it makes one call
 *       per candidate set</li>
 *   <li>{@code alignstream_kv_cache_hits_total}, {@code alignstream_kv_cache_misses_total},
 *       {@code alignstream_kv_cache_evictions_total}, {@code alignstream_kv_cache_bytes}: the generator's round cache
 *       (a decoding round that read only the tokens appended since the request's previous round; one after the first
 *       that read its whole context; contexts dropped to respect the byte bound; bytes held). Exported once a stage
 *       uses the cache ({@link #kvCacheBytes(long)} on wiring).</li>
 *   <li>{@code alignstream_reward_kv_cache_hits_total}, {@code alignstream_reward_kv_cache_misses_total},
 *       {@code alignstream_reward_kv_cache_evictions_total}, {@code alignstream_reward_kv_cache_bytes}: the scorer's
 *       round cache of decoder reward models' shared prefixes (a tokenwise round that read only the tokens its prefix
 *       added since the request's previous round; one after the first that read its whole prefix; prefixes dropped to
 *       respect the byte bound; bytes held). Exported once a stage uses the cache
 *       ({@link #rewardKvCacheBytes(long)} on wiring).</li>
 *   <li>{@code alignstream_merged_batch_requests}: histogram of the number of requests whose decoding shared one
 *       padded LM call per step in the generator ({@code --generator-batching}); exported once a stage merges.</li>
 * </ul>
 *
 * {@code SafeStage} counts records in/out and dead letters itself; stages call {@link #observeBatch(int)} and
 * {@link #startInference(String)} around model calls:
 *
 * <pre>{@code
 * try (StageMetrics.Timer t = metrics.startInference("minilm-reward")) {
 *   scores = model.score(batch);
 * }
 * }</pre>
 */
public final class StageMetrics {

  /** Bucket bounds of {@code alignstream_batch_size}. */
  static final double[] BATCH_SIZE_BUCKETS = {1, 2, 4, 8, 16, 32, 64, 128, 256, 512};
  /** Bucket bounds of {@code alignstream_inference_seconds}, 0.5 ms to 30 s. */
  static final double[] INFERENCE_BUCKETS =
      {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};

  private final String stage;
  private final PrometheusRegistry registry;
  private final Counter recordsIn;
  private final Counter recordsOut;
  private final Counter deadLetters;
  private final Histogram batchSize;
  private final Histogram inferenceSeconds;
  private final Counter modelVersions;
  private final Gauge batchInvariant;
  private final Counter kvCacheHits;
  private final Counter kvCacheMisses;
  private final Counter kvCacheEvictions;
  private final Gauge kvCacheBytes;
  private final Counter rewardKvCacheHits;
  private final Counter rewardKvCacheMisses;
  private final Counter rewardKvCacheEvictions;
  private final Gauge rewardKvCacheBytes;
  private final Histogram mergedBatchRequests;

  /** Metrics of {@code stage} on a new registry of their own. */
  public StageMetrics(String stage) {
    this(stage, new PrometheusRegistry());
  }

  /** Metrics of {@code stage} registered on {@code registry} (which must not hold another StageMetrics). */
  public StageMetrics(String stage, PrometheusRegistry registry) {
    this.stage = requireText(stage, "stage");
    this.registry = Objects.requireNonNull(registry, "registry");
    recordsIn = Counter.builder().name("alignstream_records_in_total")
        .help("Records read from the stage's input topic").labelNames("stage").register(registry);
    recordsOut = Counter.builder().name("alignstream_records_out_total")
        .help("Records written by the stage to its output topics").labelNames("stage").register(registry);
    deadLetters = Counter.builder().name("alignstream_dead_letters_total")
        .help("Records the stage sent to the dead-letters topic, by kind of failure")
        .labelNames("stage", "reason_class").register(registry);
    batchSize = Histogram.builder().name("alignstream_batch_size").help("Number of items per model batch")
        .classicUpperBounds(BATCH_SIZE_BUCKETS).labelNames("stage").register(registry);
    inferenceSeconds = Histogram.builder().name("alignstream_inference_seconds")
        .help("Duration of model calls in seconds").classicUpperBounds(INFERENCE_BUCKETS)
        .labelNames("stage", "model").register(registry);
    modelVersions = Counter.builder().name("alignstream_model_versions_total")
        .help("Reward-model versions by outcome: published, rejected (validation gate), failed (training error), "
            + "swapped (hot-swapped in by a scorer), refused (a payload a scorer would not load)")
        .labelNames("stage", "model", "outcome").register(registry);
    batchInvariant = Gauge.builder().name("alignstream_reward_model_batch_invariant")
        .help("1: the reward-model version is batch-invariant and the candidate sets of concurrent requests are scored "
            + "in one call; 0: one call per candidate set")
        .labelNames("stage", "model", "version").register(registry);
    kvCacheHits = Counter.builder().name("alignstream_kv_cache_hits_total")
        .help("Decoding rounds that read only the tokens appended since the request's previous round (round cache hit)")
        .labelNames("stage").register(registry);
    kvCacheMisses = Counter.builder().name("alignstream_kv_cache_misses_total")
        .help("Decoding rounds after a request's first that found no cached context and read the whole context")
        .labelNames("stage").register(registry);
    kvCacheEvictions = Counter.builder().name("alignstream_kv_cache_evictions_total")
        .help("Cached contexts dropped, least recently used first, to keep the round cache within its byte bound")
        .labelNames("stage").register(registry);
    kvCacheBytes = Gauge.builder().name("alignstream_kv_cache_bytes")
        .help("Bytes held by the round cache (key/value tensors and logits of in-flight requests)")
        .labelNames("stage").register(registry);
    rewardKvCacheHits = Counter.builder().name("alignstream_reward_kv_cache_hits_total")
        .help("Tokenwise scoring rounds that read only the tokens their shared prefix added since the request's previous "
            + "round (reward-model round cache hit)")
        .labelNames("stage").register(registry);
    rewardKvCacheMisses = Counter.builder().name("alignstream_reward_kv_cache_misses_total")
        .help("Tokenwise scoring rounds after a request's first that found no cached prefix and read it whole")
        .labelNames("stage").register(registry);
    rewardKvCacheEvictions = Counter.builder().name("alignstream_reward_kv_cache_evictions_total")
        .help("Cached reward-model prefixes dropped, least recently used first, to keep the cache within its byte bound")
        .labelNames("stage").register(registry);
    rewardKvCacheBytes = Gauge.builder().name("alignstream_reward_kv_cache_bytes")
        .help("Bytes held by the reward-model round cache (key/value tensors of in-flight requests' shared prefixes)")
        .labelNames("stage").register(registry);
    mergedBatchRequests = Histogram.builder().name("alignstream_merged_batch_requests")
        .help("Requests whose decoding shared one padded LM call per step (the generator's batching across requests)")
        .classicUpperBounds(BATCH_SIZE_BUCKETS).labelNames("stage").register(registry);
    // touch the unlabelled-by-reason series so they are exported as 0 from the start
    recordsIn.labelValues(stage);
    recordsOut.labelValues(stage);
    batchSize.labelValues(stage);
  }

  private static String requireText(String value, String what) {
    if (value == null || value.isBlank()) {
      throw new IllegalArgumentException(what + " must not be blank");
    }
    return value;
  }

  /** The stage name (value of the {@code stage} label). */
  public String stage() {
    return stage;
  }

  /** The registry these metrics (and e.g. the Kafka Streams bridge) are registered on. */
  public PrometheusRegistry registry() {
    return registry;
  }

  /** Counts one record read. */
  public void recordIn() {
    recordsIn.labelValues(stage).inc();
  }

  /** Counts one record written. */
  public void recordOut() {
    recordsOut.labelValues(stage).inc();
  }

  /** Counts {@code n} records written. */
  public void recordsOut(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("records out must be >= 0, was " + n);
    }
    recordsOut.labelValues(stage).inc(n);
  }

  /** Counts one dead letter of the given kind of failure (keep the set of kinds small, e.g. decode, invalid, error). */
  public void deadLetter(String reasonClass) {
    deadLetters.labelValues(stage, requireText(reasonClass, "reasonClass")).inc();
  }

  /** Counts one reward-model version of {@code model} with its outcome (published, rejected, failed, swapped, refused). */
  public void modelVersion(String model, String outcome) {
    modelVersions.labelValues(stage, requireText(model, "model"), requireText(outcome, "outcome")).inc();
  }

  /** Versions of {@code model} counted with {@code outcome}. */
  public double modelVersions(String model, String outcome) {
    return modelVersions.labelValues(stage, model, outcome).get();
  }

  /** Sets whether {@code model} {@code version} is scored in merged batches (1) or one call per record (0). */
  public void batchInvariant(String model, String version, boolean merged) {
    batchInvariant.labelValues(stage, requireText(model, "model"), requireText(version, "version")).set(merged ? 1 : 0);
  }

  /** Drops the series of a version no longer served. */
  public void forgetBatchInvariant(String model, String version) {
    batchInvariant.remove(stage, model, version);
  }

  /** The value set by {@link #batchInvariant(String, String, boolean)} (0 if never set). */
  public double batchInvariant(String model, String version) {
    return batchInvariant.labelValues(stage, model, version).get();
  }

  /** Counts one round-cache hit. */
  public void kvCacheHit() {
    kvCacheHits.labelValues(stage).inc();
  }

  /** Counts one round-cache miss. */
  public void kvCacheMiss() {
    kvCacheMisses.labelValues(stage).inc();
  }

  /** Counts one context evicted from the round cache. */
  public void kvCacheEviction() {
    kvCacheEvictions.labelValues(stage).inc();
  }

  /** Sets the bytes the round cache holds; the first call also exports the hit, miss and eviction counters at 0. */
  public void kvCacheBytes(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("kv cache bytes must be >= 0, was " + bytes);
    }
    kvCacheHits.labelValues(stage);
    kvCacheMisses.labelValues(stage);
    kvCacheEvictions.labelValues(stage);
    kvCacheBytes.labelValues(stage).set(bytes);
  }

  /** Round-cache hits so far. */
  public double kvCacheHits() {
    return kvCacheHits.labelValues(stage).get();
  }

  /** Round-cache misses so far. */
  public double kvCacheMisses() {
    return kvCacheMisses.labelValues(stage).get();
  }

  /** Round-cache evictions so far. */
  public double kvCacheEvictions() {
    return kvCacheEvictions.labelValues(stage).get();
  }

  /** Bytes last reported held by the round cache. */
  public double kvCacheBytes() {
    return kvCacheBytes.labelValues(stage).get();
  }

  /** Counts one reward-model round-cache hit. */
  public void rewardKvCacheHit() {
    rewardKvCacheHits.labelValues(stage).inc();
  }

  /** Counts one reward-model round-cache miss. */
  public void rewardKvCacheMiss() {
    rewardKvCacheMisses.labelValues(stage).inc();
  }

  /** Counts one prefix evicted from the reward-model round cache. */
  public void rewardKvCacheEviction() {
    rewardKvCacheEvictions.labelValues(stage).inc();
  }

  /**
   * Sets the bytes the reward-model round cache holds; the first call also exports the hit, miss and eviction counters
   * at 0.
   */
  public void rewardKvCacheBytes(long bytes) {
    if (bytes < 0) {
      throw new IllegalArgumentException("reward kv cache bytes must be >= 0, was " + bytes);
    }
    rewardKvCacheHits.labelValues(stage);
    rewardKvCacheMisses.labelValues(stage);
    rewardKvCacheEvictions.labelValues(stage);
    rewardKvCacheBytes.labelValues(stage).set(bytes);
  }

  /** Reward-model round-cache hits so far. */
  public double rewardKvCacheHits() {
    return rewardKvCacheHits.labelValues(stage).get();
  }

  /** Reward-model round-cache misses so far. */
  public double rewardKvCacheMisses() {
    return rewardKvCacheMisses.labelValues(stage).get();
  }

  /** Bytes last reported held by the reward-model round cache. */
  public double rewardKvCacheBytes() {
    return rewardKvCacheBytes.labelValues(stage).get();
  }

  /** Records the size of one model batch. */
  public void observeBatch(int size) {
    if (size < 0) {
      throw new IllegalArgumentException("batch size must be >= 0, was " + size);
    }
    batchSize.labelValues(stage).observe(size);
  }

  /**
   * Records one merged decoding of the generator: {@code requests} requests' rows in one padded LM call per step
   * (exported once a stage merges; its {@code _count} is the number of merged decodings).
   */
  public void observeMergedBatch(int requests) {
    if (requests < 2) {
      throw new IllegalArgumentException("a merged batch has at least 2 requests, was " + requests);
    }
    mergedBatchRequests.labelValues(stage).observe(requests);
  }

  /** Merged decodings recorded so far ({@link #observeMergedBatch}). */
  public long mergedBatches() {
    return mergedBatchRequests.labelValues(stage).getCount();
  }

  /** Records the duration of one model call. */
  public void observeInference(String model, double seconds) {
    if (!(seconds >= 0)) {
      throw new IllegalArgumentException("inference seconds must be >= 0, was " + seconds);
    }
    inferenceSeconds.labelValues(stage, requireText(model, "model")).observe(seconds);
  }

  /** Starts timing a model call; {@link Timer#close()} records the elapsed time. */
  public Timer startInference(String model) {
    requireText(model, "model");
    return new Timer(this, model, System.nanoTime());
  }

  /** Records in so far. */
  public double recordsIn() {
    return recordsIn.labelValues(stage).get();
  }

  /** Records out so far. */
  public double recordsOut() {
    return recordsOut.labelValues(stage).get();
  }

  /** Dead letters of one kind so far. */
  public double deadLetters(String reasonClass) {
    return deadLetters.labelValues(stage, reasonClass).get();
  }

  /** Number of batches observed so far. */
  public long batches() {
    return batchSize.labelValues(stage).getCount();
  }

  /** Sum of the batch sizes observed so far (items in all model batches). */
  public double batchItems() {
    return batchSize.labelValues(stage).getSum();
  }

  /** Number of model calls of {@code model} observed so far. */
  public long inferences(String model) {
    return inferenceSeconds.labelValues(stage, model).getCount();
  }

  /** Total seconds spent in calls of {@code model} so far. */
  public double inferenceSeconds(String model) {
    return inferenceSeconds.labelValues(stage, model).getSum();
  }

  /** Everything in {@link #registry()} (including bridged Kafka Streams metrics) in Prometheus text format. */
  public String scrapeText() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Times one model call; closing it twice records it once. */
  public static final class Timer implements AutoCloseable {
    private final StageMetrics metrics;
    private final String model;
    private final long startNanos;
    private boolean closed;

    private Timer(StageMetrics metrics, String model, long startNanos) {
      this.metrics = metrics;
      this.model = model;
      this.startNanos = startNanos;
    }

    /** Records the elapsed time (only the first call records). */
    @Override
    public void close() {
      if (!closed) {
        closed = true;
        metrics.observeInference(model, (System.nanoTime() - startNanos) / 1e9);
      }
    }
  }
}
