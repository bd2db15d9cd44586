package org.alignstream.common.runtime;

import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.Callable;
import org.alignstream.common.observability.HealthServer;
import org.alignstream.common.pipeline.StageSpec;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.stage.DeadLetterDeserializationExceptionHandler;
import org.alignstream.common.stage.DeadLetterHandlerConfig;
import org.alignstream.common.stage.DeadLetterProcessingExceptionHandler;
import org.alignstream.common.stage.DeadLetterProductionExceptionHandler;
import org.alignstream.common.topics.TopicAdmin;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Base of every alignstream stage's command line, in the style of bakdata's streams-bootstrap: the topology is a pure
 * method ({@link #buildTopology(StageMetrics)}) and this class does the rest: options, topic creation, Streams
 * configuration, exception handlers, metrics, the health/metrics HTTP server and clean shutdown.
 *
 * <p>Options (each also from the environment, see {@link EnvironmentDefaultProvider}; flags win):
 * {@code --bootstrap-servers} (localhost:9092), {@code --application-id} ({@link #defaultApplicationId()}),
 * {@code --state-dir}, {@code --num-stream-threads} (1), {@code --processing-guarantee} (exactly_once_v2),
 * {@code --commit-interval-ms} (10), {@code --producer-linger-ms} (5), {@code --http-port} (0 = ephemeral, -1 = off),
 * {@code --topic-partitions} (6), {@code --replication-factor} (1), {@code --create-topics} (true),
 * {@code --close-timeout-ms} (30000), {@code -c/--config key=value} (any Kafka Streams/client property; wins over all
 * of the above). {@code --bootstrap-servers} and {@code -c} come from the {@link KafkaClientOptions} mixin, the same
 * options the command-line tools take.
 *
 * <pre>{@code
 * @Command(name = "scorer", description = "Scores candidates")
 * public final class ScorerCommand extends StreamsCommand {
 *   @Option(names = "--model-dir") Path modelDir;
 *   protected Topology buildTopology(StageMetrics metrics) { ... SafeStage.add(...) ... }
 *   protected StageSpec stage() { return Pipeline.SCORER; }
 *   public static void main(String[] args) { System.exit(execute(new ScorerCommand(), args)); }
 * }
 * // in tests or to run several stages in one JVM:
 * try (RunningStage s = StreamsCommand.parse(new ScorerCommand(), "--bootstrap-servers", bootstrap).start()) {
 *   s.awaitRunning(Duration.ofSeconds(30));
 * }
 * }</pre>
 */
@Command(mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true)
public abstract class StreamsCommand implements Callable<Integer> {

  private static final Logger LOG = LoggerFactory.getLogger(StreamsCommand.class);

  @Mixin
  private KafkaClientOptions kafka = new KafkaClientOptions();

  @Option(names = "--application-id", paramLabel = "ID",
      description = "Kafka Streams application.id (default: the stage's own)")
  private String applicationId;

  @Option(names = "--state-dir", paramLabel = "DIR", description = "Kafka Streams state.dir (default: Kafka's)")
  private String stateDir;

  @Option(names = "--num-stream-threads", defaultValue = "1", paramLabel = "N",
      description = "Kafka Streams num.stream.threads (default: ${DEFAULT-VALUE})")
  private int numStreamThreads;

  @Option(names = "--processing-guarantee", defaultValue = StreamsConfig.EXACTLY_ONCE_V2, paramLabel = "GUARANTEE",
      description = "at_least_once or exactly_once_v2 (default: ${DEFAULT-VALUE})")
  private String processingGuarantee;

  @Option(names = "--commit-interval-ms", defaultValue = "10", paramLabel = "MS",
      description = "Kafka Streams commit.interval.ms; under exactly-once, readers see output only after a commit"
          + " (default: ${DEFAULT-VALUE})")
  private long commitIntervalMs;

  @Option(names = "--producer-linger-ms", defaultValue = "5", paramLabel = "MS",
      description = "producer linger.ms (Kafka Streams' own default of 100 is slow on a fast network)"
          + " (default: ${DEFAULT-VALUE})")
  private int producerLingerMs;

  @Option(names = "--http-port", defaultValue = "0", paramLabel = "PORT",
      description = "port of /health and /metrics; 0 = any free port, -1 = no HTTP server (default: ${DEFAULT-VALUE})")
  private int httpPort;

  @Option(names = "--topic-partitions", defaultValue = "6", paramLabel = "N",
      description = "partitions of topics this stage creates (default: ${DEFAULT-VALUE})")
  private int topicPartitions;

  @Option(names = "--replication-factor", defaultValue = "1", paramLabel = "N",
      description = "replication factor of created topics and of Kafka Streams' internal topics"
          + " (default: ${DEFAULT-VALUE})")
  private short replicationFactor;

  @Option(names = "--create-topics", defaultValue = "true", arity = "0..1", fallbackValue = "true",
      paramLabel = "BOOL", description = "create missing topics at start (default: ${DEFAULT-VALUE})")
  private boolean createTopics;

  @Option(names = "--close-timeout-ms", defaultValue = "30000", paramLabel = "MS",
      description = "how long a shutdown waits for Kafka Streams to close (default: ${DEFAULT-VALUE})")
  private long closeTimeoutMs;

  /** The stage's topology, built from plain functions (e.g. with {@code SafeStage}); must not start anything. */
  protected abstract Topology buildTopology(StageMetrics metrics);

  /** Who this stage is ({@link org.alignstream.common.pipeline.Pipeline#STAGES}): name, application id, topics. */
  protected abstract StageSpec stage();

  /** The application.id used when {@code --application-id} is not given, e.g. {@code alignstream-scorer}. */
  protected final String defaultApplicationId() {
    return stage().applicationId();
  }

  /** The stage name used in metrics labels, dead letters and logs, e.g. {@code scorer}. */
  protected final String stageName() {
    return stage().name();
  }

  /** The topics this stage reads and writes; they (and {@link Topics#DEAD_LETTERS}) are created if missing. */
  protected final Collection<String> topics() {
    return stage().topicNames();
  }

  /** Called first by {@link #start()}, e.g. to load models. */
  protected void onStart() throws Exception {}

  /**
   * Called once the stage's topics exist, before the topology is built, with the Kafka Streams properties (e.g. to
   * start a helper client: {@code new StreamsConfig(props).getRestoreConsumerConfigs(clientId)} is a consumer config
   * without a group, with any security settings given by {@code -c}). Whatever it starts is closed in
   * {@link #onClose()}.
   */
  protected void afterTopics(Properties streamsProperties, StageMetrics metrics) throws Exception {}

  /** Called last when the stage closes, e.g. to close models. */
  protected void onClose() throws Exception {}

  // ------------------------------------------------------------------ command line

  /** Runs the command line (parse, start, block until SIGTERM/SIGINT) and returns the exit code. */
  public static int execute(StreamsCommand command, String... args) {
    return commandLine(command, System.getenv()).execute(args);
  }

  /** A picocli {@link CommandLine} for the command, with options defaulting from {@code environment}. */
  public static CommandLine commandLine(StreamsCommand command, Map<String, String> environment) {
    CommandLine cl = new CommandLine(Objects.requireNonNull(command, "command"));
    cl.setDefaultValueProvider(new EnvironmentDefaultProvider(environment));
    return cl;
  }

  /** Parses {@code args} (and the process environment) into {@code command} without running it; for tests and embedding. */
  public static <C extends StreamsCommand> C parse(C command, String... args) {
    return parse(command, System.getenv(), args);
  }

  /**
   * Parses {@code args} and {@code environment} into {@code command} without running it.
   *
   * @throws CommandLine.ParameterException on a bad argument, with picocli's message
   */
  public static <C extends StreamsCommand> C parse(C command, Map<String, String> environment, String... args) {
    commandLine(command, environment).parseArgs(args);
    return command;
  }

  /** Starts the stage, then blocks until SIGTERM/SIGINT (closing cleanly) or until Kafka Streams fails. */
  @Override
  public Integer call() throws Exception {
    RunningStage running = start();
    Thread hook = new Thread(running::close, "alignstream-shutdown-" + stageName());
    Runtime.getRuntime().addShutdownHook(hook);
    running.awaitTermination();
    try {
      Runtime.getRuntime().removeShutdownHook(hook);
      running.close();
    } catch (IllegalStateException shuttingDown) {
      // the hook is closing the stage
    }
    if (running.failed()) {
      LOG.error("stage {} stopped because Kafka Streams failed", stageName());
      return 1;
    }
    return 0;
  }

  // ------------------------------------------------------------------ programmatic start

  /**
   * Starts the stage: {@link #onStart()}, creates missing topics (if enabled), builds the topology, starts Kafka Streams
   * (a stream thread that dies of an uncaught exception is replaced) and the HTTP server.
   *
   * @throws IllegalStateException if anything fails; whatever was started is closed again
   */
  public RunningStage start() {
    validate();
    StageMetrics metrics = new StageMetrics(stageName());
    try {
      onStart();
    } catch (Exception e) {
      throw new IllegalStateException("stage " + stageName() + " could not start: " + e.getMessage(), e);
    }
    KafkaStreams streams = null;
    RunningStage running = null;
    try {
      Properties props = streamsProperties(metrics);
      if (createTopics) {
        Set<String> names = new LinkedHashSet<>(topics());
        names.add(Topics.DEAD_LETTERS);
        Map<String, Object> admin = new StreamsConfig(props).getAdminConfigs("alignstream-admin-" + stageName());
        TopicAdmin.ensureTopics(admin, topicPartitions, replicationFactor, names);
      }
      try {
        afterTopics(props, metrics);
      } catch (Exception e) {
        throw new IllegalStateException("stage " + stageName() + " could not start: " + e.getMessage(), e);
      }
      Topology topology = Objects.requireNonNull(buildTopology(metrics), "buildTopology returned null");
      LOG.info("stage {} topology:\n{}", stageName(), topology.describe());
      streams = new KafkaStreams(topology, props);
      running = new RunningStage(stageName(), streams, metrics, Duration.ofMillis(closeTimeoutMs),
          !isStaticMember(props), this::closeQuietly);
      RunningStage r = running;
      streams.setStateListener(r::onStateChange);
      streams.setUncaughtExceptionHandler(e -> {
        LOG.error("stage {}: stream thread died, replacing it", stageName(), e);
        return StreamThreadExceptionResponse.REPLACE_THREAD;
      });
      if (httpPort >= 0) {
        KafkaStreams s = streams;
        running.attachHttp(HealthServer.start(stageName(), httpPort, metrics.registry(), s::state));
        LOG.info("stage {}: health and metrics on http://localhost:{}/health", stageName(), running.httpPort());
      }
      streams.start();
      return running;
    } catch (RuntimeException e) {
      if (running != null) {
        running.close();
      } else {
        if (streams != null) {
          streams.close(Duration.ofMillis(closeTimeoutMs));
        }
        closeQuietly();
      }
      throw e instanceof IllegalStateException ? e
          : new IllegalStateException("stage " + stageName() + " could not start: " + e.getMessage(), e);
    }
  }

  /**
   * Whether the configuration makes the stage a static group member ({@code group.instance.id}, possibly with a
   * {@code consumer.} or {@code main.consumer.} prefix); a static member stays in its group on close so that it gets
   * its tasks back without a rebalance when it returns within the session timeout.
   */
  static boolean isStaticMember(Properties props) {
    String key = ConsumerConfig.GROUP_INSTANCE_ID_CONFIG;
    return props.stringPropertyNames().stream()
        .filter(k -> k.equals(key) || k.endsWith("." + key))
        .map(props::getProperty)
        .anyMatch(v -> v != null && !v.isBlank());
  }

  private void closeQuietly() {
    try {
      onClose();
    } catch (Exception e) {
      LOG.warn("stage {}: onClose failed", stageName(), e);
    }
  }

  private void validate() {
    requirePositive(numStreamThreads, "--num-stream-threads");
    requirePositive(topicPartitions, "--topic-partitions");
    requirePositive(replicationFactor, "--replication-factor");
    if (commitIntervalMs < 0) {
      throw new IllegalArgumentException("--commit-interval-ms must be >= 0, was " + commitIntervalMs);
    }
    if (producerLingerMs < 0) {
      throw new IllegalArgumentException("--producer-linger-ms must be >= 0, was " + producerLingerMs);
    }
    if (httpPort < -1 || httpPort > 65535) {
      throw new IllegalArgumentException("--http-port must be -1 (off), 0 (any) or a port up to 65535, was " + httpPort);
    }
    if (!StreamsConfig.AT_LEAST_ONCE.equals(processingGuarantee)
        && !StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee)) {
      throw new IllegalArgumentException("--processing-guarantee must be " + StreamsConfig.AT_LEAST_ONCE + " or "
          + StreamsConfig.EXACTLY_ONCE_V2 + ", was " + processingGuarantee);
    }
  }

  private static void requirePositive(long value, String option) {
    if (value < 1) {
      throw new IllegalArgumentException(option + " must be >= 1, was " + value);
    }
  }

  /**
   * The Kafka Streams configuration from the options; {@code --config} entries are applied last. Subclasses may
   * override to add properties (call super).
   *
   * @param metrics put into the config for the dead-letter handlers to count with; may be null
   */
  protected Properties streamsProperties(StageMetrics metrics) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, kafka.bootstrapServers());
    if (stateDir != null && !stateDir.isBlank()) {
      p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    }
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, numStreamThreads);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
    p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, (int) replicationFactor);
    p.put(StreamsConfig.producerPrefix(ProducerConfig.LINGER_MS_CONFIG), producerLingerMs);
    if (StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee)) {
      // a transaction spans one commit interval; keep its timeout well above it but short enough that a crashed
      // instance's open transaction is aborted quickly (Streams' own EOS default is 10 s)
      p.put(StreamsConfig.producerPrefix(ProducerConfig.TRANSACTION_TIMEOUT_CONFIG),
          (int) Math.max(10_000, 10 * commitIntervalMs));
    }
    p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.ByteArraySerde.class);
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterDeserializationExceptionHandler.class);
    p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProductionExceptionHandler.class);
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterProcessingExceptionHandler.class);
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
    p.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, Topics.DEAD_LETTERS);
    p.put(DeadLetterHandlerConfig.STAGE_NAME_CONFIG, stageName());
    if (metrics != null) {
      p.put(DeadLetterHandlerConfig.STAGE_METRICS_CONFIG, metrics);
    }
    p.putAll(kafka.config());
    return p;
  }

  // ------------------------------------------------------------------ option values

  public String bootstrapServers() {
    return kafka.bootstrapServers();
  }

  /** {@code --application-id}, or {@link #defaultApplicationId()} if not given. */
  public String applicationId() {
    return applicationId == null || applicationId.isBlank() ? defaultApplicationId() : applicationId;
  }

  public String stateDir() {
    return stateDir;
  }

  public int numStreamThreads() {
    return numStreamThreads;
  }

  public String processingGuarantee() {
    return processingGuarantee;
  }

  public long commitIntervalMs() {
    return commitIntervalMs;
  }

  public int producerLingerMs() {
    return producerLingerMs;
  }

  public int httpPort() {
    return httpPort;
  }

  public int topicPartitions() {
    return topicPartitions;
  }

  public short replicationFactor() {
    return replicationFactor;
  }

  public boolean createTopics() {
    return createTopics;
  }

  public long closeTimeoutMs() {
    return closeTimeoutMs;
  }

  /** The {@code --config} entries (unmodifiable). */
  public Map<String, String> config() {
    return kafka.config();
  }

  /** The stage name (for callers outside subclasses). */
  public String name() {
    return stageName();
  }
}
