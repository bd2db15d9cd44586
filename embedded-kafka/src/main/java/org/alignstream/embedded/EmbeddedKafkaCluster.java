package org.alignstream.embedded;

import java.net.BindException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
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
 * A real Kafka cluster in KRaft mode running inside this JVM, for the local run and integration tests: one
 * {@link KafkaRaftServer} that is broker and controller by default, or {@link Builder#brokers N} such nodes forming one
 * controller quorum, with every topic (the pipeline's, consumer offsets, the transaction state log) at
 * {@link KRaftBrokerProperties#replicationFactor} and {@link KRaftBrokerProperties#minInsyncReplicas}.
 *
 * <pre>{@code
 * try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
 *     kafka.createTopics(6, "prompts", "candidates");
 *     Map<String, Object> producerConfig = kafka.clientConfig();
 *     ...
 * }
 * }</pre>
 *
 * <p>Storage lives in a fresh temporary directory that {@link #close()} deletes (node {@code i} of several in
 * {@code node-i} below it). Ports are free ephemeral loopback ports unless fixed through the {@link Builder} (the fixed
 * ports are node 1's); {@link #restart()} and {@link #restartNode} keep ports and data. Nodes stop here with a
 * controlled shutdown ({@link #stopNode}); an abrupt end without one is a SIGKILL of a node run as its own process
 * ({@link KRaftNodeMain}, laid out by {@link #format}).
 */
public final class EmbeddedKafkaCluster implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaCluster.class);
    private static final int MAX_START_ATTEMPTS = 3;

    /**
     * One node of the cluster as laid out on disk: its id (1-based), its ports and its directory, which holds the
     * formatted {@code logs} and the {@code server.properties} it runs with.
     */
    public record Node(int id, int brokerPort, int controllerPort, Path dir) {
        /** The node's configuration file ({@code server.properties} in its directory). */
        public Path configFile() {
            return dir.resolve("server.properties");
        }

        /** {@code 127.0.0.1:port} of the node's client listener. */
        public String bootstrapServer() {
            return "127.0.0.1:" + brokerPort;
        }
    }

    /** A node of this cluster and its server while it runs. */
    private static final class Member {
        final Node node;
        final KafkaConfig config;
        KafkaRaftServer server;

        Member(Node node, KafkaConfig config) {
            this.node = node;
            this.config = config;
        }
    }

    private final List<Member> members;
    private final Path baseDir;
    private final Map<String, Object> clientProperties;
    private final Duration timeout;
    private final String adminUser;
    private Admin admin;
    private boolean closed;

    private EmbeddedKafkaCluster(List<Member> members, Path baseDir, Map<String, Object> clientProperties,
                                 Duration timeout, String adminUser) {
        this.members = members;
        this.adminUser = adminUser;
        this.baseDir = baseDir;
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

    /**
     * Lays out a cluster of {@code brokers} nodes under {@code baseDir} without starting it, for nodes run as their own
     * processes ({@link KRaftNodeMain} with {@link Node#configFile()}): picks free ports, writes each node's
     * configuration ({@link KRaftBrokerProperties#clusterNode} then {@code overrides}) and formats its storage in
     * {@code baseDir/node-<id>}.
     */
    public static List<Node> format(int brokers, Path baseDir, String clusterId, Map<String, String> overrides) {
        int[] ports = FreePorts.take(2 * brokers);
        List<Node> nodes = plan(brokers, baseDir, ports);
        for (Node node : nodes) {
            KRaftStorageFormatter.format(properties(node, nodes, overrides), clusterId, node.dir());
        }
        return nodes;
    }

    /** Node {@code i} gets ports {@code ports[2i]} (broker) and {@code ports[2i+1]} (controller). */
    private static List<Node> plan(int brokers, Path baseDir, int[] ports) {
        List<Node> nodes = new ArrayList<>();
        for (int i = 0; i < brokers; i++) {
            Path dir = brokers == 1 ? baseDir : baseDir.resolve("node-" + (i + 1));
            try {
                java.nio.file.Files.createDirectories(dir);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException("cannot create " + dir, e);
            }
            nodes.add(new Node(i + 1, ports[2 * i], ports[2 * i + 1], dir));
        }
        return nodes;
    }

    private static Properties properties(Node node, List<Node> all, Map<String, String> overrides) {
        Map<String, String> merged = new LinkedHashMap<>(
                KRaftBrokerProperties.clusterNode(node.id(), all.stream().map(Node::controllerPort).toList()));
        merged.putAll(overrides);
        return KRaftBrokerProperties.resolve(node.brokerPort(), node.controllerPort(), node.dir().resolve("logs"),
                merged);
    }

    /** {@code host:port} of every node's client listener, comma-separated. */
    public String bootstrapServers() {
        return String.join(",", members.stream().map(m -> m.node.bootstrapServer()).toList());
    }

    /** Node 1's client port. */
    public int brokerPort() {
        return members.get(0).node.brokerPort();
    }

    /** Node 1's controller port. */
    public int controllerPort() {
        return members.get(0).node.controllerPort();
    }

    /** The nodes, by id (1-based). */
    public List<Node> nodes() {
        return members.stream().map(m -> m.node).toList();
    }

    /** Replication factor of the topics {@link #createTopics} creates and of the internal topics. */
    public short replicationFactor() {
        return (short) KRaftBrokerProperties.replicationFactor(members.size());
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
     * Creates topics with {@code partitions} partitions each, at the cluster's {@link #replicationFactor()}, and waits
     * until every partition has a leader.
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
                .map(name -> new NewTopic(name, Optional.of(partitions), Optional.of(replicationFactor())))
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

    /** Whether every node is running (started and neither stopped nor closed). */
    public synchronized boolean isRunning() {
        return members.stream().allMatch(m -> m.server != null);
    }

    /** Whether node {@code id} is running. */
    public synchronized boolean isRunning(int id) {
        return member(id).server != null;
    }

    /**
     * Stops every node and starts them again on the same ports with the same data, as a broker restart would.
     *
     * @throws IllegalStateException if the cluster was closed
     */
    public synchronized void restart() {
        requireOpen("restart");
        closeAdmin();
        stopServers(members);
        long started = System.nanoTime();
        startServers(members);
        LOG.info("Kafka restarted on {} in {} ms", bootstrapServers(), (System.nanoTime() - started) / 1_000_000);
    }

    /**
     * Stops node {@code id} with a controlled shutdown (its partition leaderships move to the other nodes first) and
     * waits until it is down; its ports and data are kept for {@link #startNode}. Does nothing if it is stopped.
     *
     * @throws IllegalStateException if the cluster was closed
     */
    public synchronized void stopNode(int id) {
        requireOpen("stop a node of");
        Member m = member(id);
        closeAdmin(); // its connections may point at the stopped node
        stopServer(m);
        LOG.info("Kafka node {} stopped", id);
    }

    /**
     * Starts node {@code id} again on its ports and data; returns once the cluster answers. Does nothing if it runs.
     *
     * @throws IllegalStateException if the cluster was closed or the node does not start
     */
    public synchronized void startNode(int id) {
        requireOpen("start a node of");
        Member m = member(id);
        if (m.server == null) {
            startServers(List.of(m));
            LOG.info("Kafka node {} started on {}", id, m.node.bootstrapServer());
        }
    }

    /** {@link #stopNode}, then {@link #startNode}. */
    public synchronized void restartNode(int id) {
        stopNode(id);
        startNode(id);
    }

    /** Same as {@link #close()}. */
    public void stop() {
        close();
    }

    /** Shuts every node down, waits for them to finish and deletes the temporary directory. Idempotent. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            closeAdmin();
            stopServers(members);
        } finally {
            TempDirectories.deleteRecursively(baseDir);
        }
    }

    private Member member(int id) {
        if (id < 1 || id > members.size()) {
            throw new IllegalArgumentException("node id must be in 1.." + members.size() + ", got " + id);
        }
        return members.get(id - 1);
    }

    private void requireOpen(String what) {
        if (closed) {
            throw new IllegalStateException("cannot " + what + " a closed EmbeddedKafkaCluster");
        }
    }

    /**
     * Starts the servers of {@code starting} at once (a node of several waits in its start-up for a quorum of
     * controllers, so they cannot start one after the other), then waits until the cluster answers.
     */
    private void startServers(List<Member> starting) {
        List<KafkaRaftServer> servers = new ArrayList<>();
        List<Thread> threads = new ArrayList<>();
        RuntimeException[] failure = new RuntimeException[1];
        for (Member m : starting) {
            KafkaRaftServer server = new KafkaRaftServer(m.config, Time.SYSTEM);
            servers.add(server);
            Thread t = new Thread(() -> {
                try {
                    server.startup();
                } catch (RuntimeException e) {
                    synchronized (failure) {
                        if (failure[0] == null) {
                            failure[0] = e;
                        } else {
                            failure[0].addSuppressed(e);
                        }
                    }
                }
            }, "kafka-node-" + m.node.id() + "-startup");
            threads.add(t);
            t.start();
        }
        try {
            for (Thread t : threads) {
                t.join();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failure[0] = new IllegalStateException("interrupted while starting Kafka", e);
        }
        if (failure[0] != null) {
            servers.forEach(EmbeddedKafkaCluster::shutdownQuietly);
            throw failure[0];
        }
        for (int i = 0; i < starting.size(); i++) {
            starting.get(i).server = servers.get(i);
        }
        try {
            awaitBrokersVisible();
        } catch (RuntimeException e) {
            closeAdmin();
            for (Member m : starting) {
                shutdownQuietly(m.server);
                m.server = null;
            }
            throw e;
        }
    }

    /**
     * Stops the servers of {@code stopping} at once: each broker's controlled shutdown needs the controller quorum,
     * which one after the other would have lost by the last node.
     */
    private static void stopServers(List<Member> stopping) {
        List<Thread> threads = new ArrayList<>();
        for (Member m : stopping) {
            Thread t = new Thread(() -> stopServer(m), "kafka-node-" + m.node.id() + "-shutdown");
            threads.add(t);
            t.start();
        }
        boolean interrupted = false;
        for (Thread t : threads) {
            while (true) {
                try {
                    t.join();
                    break;
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    private static void stopServer(Member m) {
        if (m.server != null) {
            KafkaRaftServer stopping = m.server;
            m.server = null;
            stopping.shutdown();
            stopping.awaitShutdown();
        }
    }

    private Admin runningAdmin() {
        if (members.stream().allMatch(m -> m.server == null)) {
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

    /** Waits until the cluster reports every running node as a broker. */
    private void awaitBrokersVisible() {
        long running = members.stream().filter(m -> m.server != null).count();
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (true) {
            try {
                var nodes = runningAdmin().describeCluster().nodes().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                if (nodes.size() >= running) {
                    return;
                }
                last = nodes.size() + " of " + running + " brokers registered";
            } catch (ExecutionException | TimeoutException e) {
                last = e.toString();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while waiting for the embedded brokers", e);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("the embedded brokers on " + bootstrapServers()
                        + " did not answer within " + timeout + ": " + last);
            }
            sleep(50);
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
            for (Throwable s : t.getSuppressed()) {
                if (causedByBindFailure(s)) {
                    return true;
                }
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
        private int brokers = 1;

        private Builder() {
        }

        /**
         * Number of combined broker+controller nodes (1 by default), all voters of one controller quorum; from three
         * on, every topic is replicated three times with {@code min.insync.replicas=2}
         * ({@link KRaftBrokerProperties#clusterNode}).
         */
        public Builder brokers(int brokers) {
            if (brokers < 1) {
                throw new IllegalArgumentException("brokers must be at least 1, got " + brokers);
            }
            this.brokers = brokers;
            return this;
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
                int[] ports = FreePorts.take(2 * brokers);
                if (brokerPort != 0) {
                    ports[0] = brokerPort;
                }
                if (controllerPort != 0) {
                    ports[1] = controllerPort;
                }
                try {
                    return startOnce(ports);
                } catch (RuntimeException e) {
                    boolean retryable = (brokerPort == 0 || controllerPort == 0) && causedByBindFailure(e);
                    if (!retryable || attempt == MAX_START_ATTEMPTS) {
                        throw e;
                    }
                    LOG.warn("an ephemeral port was taken before the broker bound it, retrying ({})", e.toString());
                }
            }
        }

        private EmbeddedKafkaCluster startOnce(int[] ports) {
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
                List<Node> nodes = plan(brokers, baseDir, ports);
                List<Member> members = new ArrayList<>();
                for (Node node : nodes) {
                    Properties props = properties(node, nodes, overrides);
                    KRaftStorageFormatter.format(props, clusterId, node.dir(), extraFormatArguments);
                    members.add(new Member(node, KafkaConfig.fromProps(props, false)));
                }
                EmbeddedKafkaCluster cluster = new EmbeddedKafkaCluster(members, baseDir, Map.copyOf(clients), timeout,
                        adminUser);
                cluster.startServers(members);
                LOG.info("Kafka {} (KRaft, cluster {}, {} node(s){}) started on {} in {} ms", kafkaVersion(), clusterId,
                        brokers, adminUser == null ? "" : ", SASL/SCRAM + ACLs", cluster.bootstrapServers(),
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
