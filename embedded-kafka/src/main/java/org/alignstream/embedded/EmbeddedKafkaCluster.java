package org.alignstream.embedded;

import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real single-node Kafka cluster in KRaft mode (one {@link KafkaRaftServer} that is broker and controller),
 * running inside this JVM, for the local run and integration tests.
 *
 * <pre>{@code
 * try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
 *     kafka.createTopics(6, "prompts", "candidates");
 *     Map<String, Object> producerConfig = kafka.clientConfig();
 *     ...
 * }
 * }</pre>
 *
 * <p>Storage lives in a fresh temporary directory that {@link #close()} deletes. Ports are free ephemeral
 * loopback ports unless fixed through the {@link Builder}; {@link #restart()} keeps both ports and the data.
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaCluster.class);
    private static final int MAX_START_ATTEMPTS = 3;

    private final KafkaConfig config;
    private final Path baseDir;
    private final int brokerPort;
    private final int controllerPort;
    private final Map<String, Object> clientProperties;
    private final Duration timeout;
    private final String adminUser;
    private KafkaRaftServer server;
    private Admin admin;
    private boolean closed;

    private EmbeddedKafkaCluster(KafkaConfig config, Path baseDir, int brokerPort, int controllerPort,
                                 Map<String, Object> clientProperties, Duration timeout, String adminUser) {
        this.adminUser = adminUser;
        this.config = config;
        this.baseDir = baseDir;
        this.brokerPort = brokerPort;
        this.controllerPort = controllerPort;
        this.clientProperties = clientProperties;
        this.timeout = timeout;
    }

    /** Starts a cluster with the default broker properties on ephemeral ports. */
    public static EmbeddedKafkaCluster start() {
        return builder().start();
    }

    /** Starts a cluster on ephemeral ports; {@code brokerProperties} override the defaults of {@link KRaftBrokerProperties}. */
    public static EmbeddedKafkaCluster start(Map<String, String> brokerProperties) {
        return builder().brokerProperties(brokerProperties).start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** {@code host:port} of the client listener. */
    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    public int brokerPort() {
        return brokerPort;
    }

    public int controllerPort() {
        return controllerPort;
    }

    /** The temporary directory holding the configuration file and the log directory; deleted by {@link #close()}. */
    public Path baseDir() {
        return baseDir;
    }

    /**
     * A new, mutable map with {@code bootstrap.servers} and the client properties given to the {@link Builder}
     * (e.g. security settings), to start a producer, consumer, admin client or Kafka Streams configuration from.
     */
    public Map<String, Object> clientConfig() {
        Map<String, Object> clientConfig = new HashMap<>(clientProperties);
        clientConfig.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        return clientConfig;
    }

    /**
     * A new, mutable client configuration that authenticates as {@code user} (SASL/SCRAM-SHA-256) instead of the admin
     * user: {@link #clientConfig()} with {@code security.protocol}, {@code sasl.mechanism} and {@code sasl.jaas.config}
     * replaced. The user's credential must exist (e.g. created with {@code Admin.alterUserScramCredentials}).
     *
     * @throws IllegalStateException if the cluster was not started with {@link Builder#scram}
     */
    public Map<String, Object> clientConfig(String user, String password) {
        if (adminUser == null) {
            throw new IllegalStateException("this cluster has no SASL/SCRAM listener; start it with Builder.scram(...)");
        }
        Map<String, Object> clientConfig = clientConfig();
        clientConfig.putAll(SaslScram.clientProperties(user, password));
        return clientConfig;
    }

    /** The super user of a cluster started with {@link Builder#scram}, or empty for an unsecured cluster. */
    public Optional<String> adminUser() {
        return Optional.ofNullable(adminUser);
    }

    /**
     * Creates topics with {@code partitions} partitions each and waits until every partition has a leader.
     *
     * @throws IllegalArgumentException if {@code partitions < 1}, no name is given, or a name is blank or repeated
     * @throws IllegalStateException if a topic already exists, the cluster is not running or creation fails
     */
    public synchronized void createTopics(int partitions, String... names) {
        if (partitions < 1) {
            throw new IllegalArgumentException("partitions must be at least 1, got " + partitions);
        }
        if (names == null || names.length == 0) {
            throw new IllegalArgumentException("at least one topic name is required");
        }
        Set<String> unique = new LinkedHashSet<>();
        for (String name : names) {
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("topic names must not be null or blank: " + Arrays.toString(names));
            }
            if (!unique.add(name)) {
                throw new IllegalArgumentException("topic name given twice: " + name);
            }
        }
        Admin client = runningAdmin();
        List<NewTopic> topics = unique.stream()
                .map(name -> new NewTopic(name, Optional.of(partitions), Optional.empty()))
                .toList();
        try {
            client.createTopics(topics).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException exists) {
                throw new IllegalStateException("cannot create topics " + unique + ": " + exists.getMessage(), exists);
            }
            throw new IllegalStateException("creating topics " + unique + " failed: " + e.getCause(), e.getCause());
        } catch (TimeoutException e) {
            throw new IllegalStateException("creating topics " + unique + " did not finish within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating topics " + unique, e);
        }
        awaitLeaders(client, unique, partitions);
    }

    /** Whether the server is running (started and neither stopped nor closed). */
    public synchronized boolean isRunning() {
        return server != null;
    }

    /**
     * Stops the server and starts it again on the same ports with the same data, as a broker restart would.
     *
     * @throws IllegalStateException if the cluster was closed
     */
    public synchronized void restart() {
        if (closed) {
            throw new IllegalStateException("cannot restart a closed EmbeddedKafkaCluster");
        }
        stopServer();
        long started = System.nanoTime();
        startServer();
        LOG.info("Kafka restarted on {} in {} ms", bootstrapServers(), (System.nanoTime() - started) / 1_000_000);
    }

    /** Same as {@link #close()}. */
    public void stop() {
        close();
    }

    /** Shuts the server down, waits for it to finish and deletes the temporary directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            stopServer();
        } finally {
            TempDirectories.deleteRecursively(baseDir);
        }
    }

    private void startServer() {
        KafkaRaftServer starting = new KafkaRaftServer(config, Time.SYSTEM);
        try {
            starting.startup();
            server = starting;
            awaitBrokerVisible();
        } catch (RuntimeException e) {
            server = null;
            closeAdmin();
            shutdownQuietly(starting);
            throw e;
        }
    }

    private void stopServer() {
        closeAdmin();
        if (server != null) {
            KafkaRaftServer stopping = server;
            server = null;
            stopping.shutdown();
            stopping.awaitShutdown();
        }
    }

    private Admin runningAdmin() {
        if (server == null) {
            throw new IllegalStateException("the embedded Kafka cluster is not running");
        }
        if (admin == null) {
            Map<String, Object> adminConfig = clientConfig();
            adminConfig.put(CommonClientConfigs.CLIENT_ID_CONFIG, "alignstream-embedded-kafka-admin");
            admin = Admin.create(adminConfig);
        }
        return admin;
    }

    private void closeAdmin() {
        if (admin != null) {
            admin.close(Duration.ofSeconds(5));
            admin = null;
        }
    }

    private void awaitBrokerVisible() {
        try {
            var nodes = runningAdmin().describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (nodes.isEmpty()) {
                throw new IllegalStateException("the embedded broker started but the cluster reports no nodes");
            }
        } catch (ExecutionException | TimeoutException e) {
            throw new IllegalStateException("the embedded broker on " + bootstrapServers()
                    + " did not answer within " + timeout, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for the embedded broker", e);
        }
    }

    private void awaitLeaders(Admin client, Set<String> topics, int partitions) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try {
                Map<String, TopicDescription> descriptions = client.describeTopics(topics).allTopicNames()
                        .get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                boolean ready = descriptions.values().stream().allMatch(d -> d.partitions().size() == partitions
                        && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty()));
                if (ready) {
                    return;
                }
            } catch (ExecutionException e) {
                // metadata not yet propagated (UnknownTopicOrPartition); retry until the deadline
                LOG.debug("topics {} not yet described: {}", topics, e.getCause().toString());
            } catch (TimeoutException e) {
                // fall through to the deadline check
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for leaders of " + topics, e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("topics " + topics + " have no leader for every partition after " + timeout);
            }
            sleep(20);
        }
    }

    private static void shutdownQuietly(KafkaRaftServer failed) {
        try {
            failed.shutdown();
            failed.awaitShutdown();
        } catch (RuntimeException e) {
            LOG.warn("shutting down a Kafka server that failed to start also failed", e);
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static boolean causedByBindFailure(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof BindException || String.valueOf(t.getMessage()).contains("failed to bind")) {
                return true;
            }
        }
        return false;
    }

    /** Options of an {@link EmbeddedKafkaCluster}; {@link #start()} starts it. */
    public static final class Builder {
        private int brokerPort;
        private int controllerPort;
        private final Map<String, String> brokerProperties = new LinkedHashMap<>();
        private final Map<String, Object> clientProperties = new LinkedHashMap<>();
        private String clusterId = Uuid.randomUuid().toString();
        private Duration timeout = Duration.ofSeconds(60);
        private String adminUser;
        private String adminPassword;
        private final List<String> formatArguments = new java.util.ArrayList<>();

        private Builder() {
        }

        /** Port of the client listener; 0 (the default) picks a free ephemeral port. */
        public Builder brokerPort(int port) {
            this.brokerPort = checkPort("broker", port);
            return this;
        }

        /** Port of the controller listener; 0 (the default) picks a free ephemeral port. */
        public Builder controllerPort(int port) {
            this.controllerPort = checkPort("controller", port);
            return this;
        }

        /**
         * Overrides one broker property, e.g. {@code listeners} or {@code listener.security.protocol.map};
         * {@value KRaftBrokerProperties#BROKER_PORT_PLACEHOLDER} and
         * {@value KRaftBrokerProperties#CONTROLLER_PORT_PLACEHOLDER} in the value are replaced by the ports.
         */
        public Builder brokerProperty(String key, String value) {
            requireKey(key);
            brokerProperties.put(key, Objects.requireNonNull(value, () -> "value of broker property " + key));
            return this;
        }

        public Builder brokerProperties(Map<String, String> properties) {
            properties.forEach(this::brokerProperty);
            return this;
        }

        /** A property every {@link #clientConfig()} carries, e.g. {@code security.protocol} or {@code sasl.jaas.config}. */
        public Builder clientProperty(String key, Object value) {
            requireKey(key);
            clientProperties.put(key, Objects.requireNonNull(value, () -> "value of client property " + key));
            return this;
        }

        /**
         * Secures the cluster (see {@link SaslScram}): SASL/SCRAM-SHA-256 on the client listener, the KRaft
         * {@code StandardAuthorizer} with {@code allow.everyone.if.no.acl.found=false}, and {@code adminUser} as the
         * only super user, whose credential is written into the metadata when the storage is formatted. Inter-broker
         * and controller traffic authenticate as {@code adminUser}. {@link #clientConfig()} then authenticates as the
         * admin user; {@link EmbeddedKafkaCluster#clientConfig(String, String)} as another. Explicit
         * {@link #brokerProperty} and {@link #clientProperty} values still win.
         *
         * @throws IllegalArgumentException if the name or password is empty or holds {@code , " \ ; [ ]}
         */
        public Builder scram(String adminUser, String adminPassword) {
            SaslScram.checkCredential(adminUser, adminPassword);
            this.adminUser = adminUser;
            this.adminPassword = adminPassword;
            return this;
        }

        /**
         * Further arguments of the storage format command ({@code kafka-storage.sh format --config <file>
         * --cluster-id <id>} and these), e.g. {@code --add-scram SCRAM-SHA-256=[name=admin,password=...]} to bootstrap
         * a credential without the broker properties of {@link #scram} (a test that configures the broker itself with
         * {@link #brokerProperties}, as a deployment does). Appended after those of {@link #scram}.
         */
        public Builder formatArguments(List<String> arguments) {
            arguments.forEach(a -> formatArguments.add(Objects.requireNonNull(a, "format argument")));
            return this;
        }

        /** KRaft cluster id (a base64 UUID as {@code kafka-storage.sh random-uuid} prints); random by default. */
        public Builder clusterId(String id) {
            try {
                Uuid.fromString(id);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("cluster id must be a base64 Kafka UUID, got '" + id + "'", e);
            }
            this.clusterId = id;
            return this;
        }

        /** How long to wait for startup, topic creation and leader election; 60 s by default. */
        public Builder timeout(Duration timeout) {
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive, got " + timeout);
            }
            this.timeout = timeout;
            return this;
        }

        /**
         * Formats fresh storage in a temporary directory and starts the server; returns once the broker answers.
         *
         * @throws IllegalStateException if a fixed port is in use or the server does not start
         */
        public EmbeddedKafkaCluster start() {
            requireFree("broker", brokerPort);
            requireFree("controller", controllerPort);
            for (int attempt = 1; ; attempt++) {
                int[] ephemeral = FreePorts.take(2);
                int broker = brokerPort != 0 ? brokerPort : ephemeral[0];
                int controller = controllerPort != 0 ? controllerPort : ephemeral[1];
                try {
                    return startOnce(broker, controller);
                } catch (RuntimeException e) {
                    boolean retryable = (brokerPort == 0 || controllerPort == 0) && causedByBindFailure(e);
                    if (!retryable || attempt == MAX_START_ATTEMPTS) {
                        throw e;
                    }
                    LOG.warn("an ephemeral port was taken before the broker bound it, retrying ({})", e.toString());
                }
            }
        }

        private EmbeddedKafkaCluster startOnce(int broker, int controller) {
            long started = System.nanoTime();
            Path baseDir = TempDirectories.create("alignstream-kafka-");
            try {
                Map<String, String> overrides = new LinkedHashMap<>();
                Map<String, Object> clients = new LinkedHashMap<>();
                List<String> extraFormatArguments = new java.util.ArrayList<>();
                if (adminUser != null) {
                    overrides.putAll(SaslScram.brokerProperties(adminUser, adminPassword));
                    clients.putAll(SaslScram.clientProperties(adminUser, adminPassword));
                    extraFormatArguments.add("--add-scram");
                    extraFormatArguments.add(SaslScram.formatArgument(adminUser, adminPassword));
                }
                extraFormatArguments.addAll(formatArguments);
                overrides.putAll(brokerProperties);
                clients.putAll(clientProperties);
                Properties props = KRaftBrokerProperties.resolve(broker, controller, baseDir.resolve("logs"), overrides);
                KRaftStorageFormatter.format(props, clusterId, baseDir, extraFormatArguments);
                KafkaConfig config = KafkaConfig.fromProps(props, false);
                EmbeddedKafkaCluster cluster = new EmbeddedKafkaCluster(config, baseDir, broker, controller,
                        Map.copyOf(clients), timeout, adminUser);
                cluster.startServer();
                LOG.info("Kafka {} (KRaft, cluster {}{}) started on {} in {} ms", kafkaVersion(), clusterId,
                        adminUser == null ? "" : ", SASL/SCRAM + ACLs", cluster.bootstrapServers(),
                        (System.nanoTime() - started) / 1_000_000);
                return cluster;
            } catch (RuntimeException e) {
                TempDirectories.deleteRecursively(baseDir);
                throw e;
            }
        }

        private static String kafkaVersion() {
            return org.apache.kafka.common.utils.AppInfoParser.getVersion();
        }

        private static void requireFree(String which, int port) {
            if (port != 0 && !FreePorts.isFree(port)) {
                throw new IllegalStateException(which + " port " + port + " is already in use on 127.0.0.1");
            }
        }

        private static int checkPort(String which, int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException(which + " port must be 0 (ephemeral) or in 1..65535, got " + port);
            }
            return port;
        }

        private static void requireKey(String key) {
            if (key == null || key.isBlank()) {
                throw new IllegalArgumentException("property key must not be null or blank");
            }
        }
    }
}
