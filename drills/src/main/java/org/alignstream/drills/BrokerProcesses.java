package org.alignstream.drills;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.alignstream.drills.ServiceProcesses.ServiceProcess;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.embedded.KRaftNodeMain;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.admin.TransactionDescription;
import org.apache.kafka.clients.admin.TransactionListing;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.Uuid;

/**
 * A Kafka cluster of combined broker+controller nodes, each its own JVM ({@link KRaftNodeMain}), laid out by
 * {@link EmbeddedKafkaCluster#format} (replication factor 3 and {@code min.insync.replicas=2} from three nodes on), so
 * that a drill can SIGKILL a broker as a crash would, stop it with a controlled shutdown as a rolling restart does, and
 * start it again on its data. Answers the questions the three-broker drills ask of the cluster: which broker leads
 * most partitions of some topics, which one coordinates a stage's transactions, whether every replica is back in sync.
 */
final class BrokerProcesses {
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration IN_SYNC_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration MOVE_TIMEOUT = Duration.ofSeconds(60);
    /** A broker's heap: enough for the drills' few topics; serial collector and C1 only (faster start-up), as the stages. */
    private static final List<String> JVM_OPTIONS = List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");
    /** Aborts a transaction whose producer died within a second of its timeout (the default checks every 10 s). */
    static final Map<String, String> BROKER_PROPERTIES = Map.of(
            "transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");

    private final ServiceProcesses processes;
    private final List<EmbeddedKafkaCluster.Node> nodes;
    private final Map<Integer, ServiceProcess> running = new HashMap<>();
    private final Map<Integer, Integer> launches = new HashMap<>();

    private BrokerProcesses(ServiceProcesses processes, List<EmbeddedKafkaCluster.Node> nodes) {
        this.processes = processes;
        this.nodes = nodes;
    }

    /** Formats the storage of {@code brokers} nodes under {@code dir} (created if absent); nothing runs yet. */
    static List<EmbeddedKafkaCluster.Node> layOut(Path dir, int brokers) throws IOException {
        Files.createDirectories(dir);
        return EmbeddedKafkaCluster.format(brokers, dir, Uuid.randomUuid().toString(), BROKER_PROPERTIES);
    }

    /** Every node's client listener, comma-separated. */
    static String bootstrapServers(List<EmbeddedKafkaCluster.Node> nodes) {
        return nodes.stream().map(EmbeddedKafkaCluster.Node::bootstrapServer).collect(Collectors.joining(","));
    }

    /** Launches every node at once (each waits for a quorum of controllers) and waits until all are registered. */
    static BrokerProcesses startAll(ServiceProcesses processes, List<EmbeddedKafkaCluster.Node> nodes)
            throws Exception {
        BrokerProcesses brokers = new BrokerProcesses(processes, nodes);
        for (EmbeddedKafkaCluster.Node n : nodes) {
            brokers.launch(n.id());
        }
        for (EmbeddedKafkaCluster.Node n : nodes) {
            brokers.awaitStarted(n.id());
        }
        brokers.awaitRegistered(nodes.size());
        return brokers;
    }

    String bootstrapServers() {
        return bootstrapServers(nodes);
    }

    /** The node ids, 1..N. */
    List<Integer> ids() {
        return nodes.stream().map(EmbeddedKafkaCluster.Node::id).toList();
    }

    /** SIGKILL: the broker and controller end at once, without a controlled shutdown or a flush. */
    void kill(int id) throws InterruptedException {
        running.remove(id).kill();
    }

    /** SIGTERM: a controlled shutdown (leaderships handed over first), as a rolling restart does; waits until it ends. */
    void stop(int id) throws InterruptedException {
        ServiceProcess p = running.remove(id);
        p.process.destroy();
        if (!p.process.waitFor(60, TimeUnit.SECONDS)) {
            throw new IllegalStateException("broker " + id + " did not shut down within 60 s; see " + p.log);
        }
    }

    /** Starts node {@code id} again on its data and waits until it says it started (90 s at most). */
    void start(int id) throws Exception {
        launch(id);
        awaitStarted(id);
    }

    /** Starts the nodes {@code ids} again at once (each may need the others for a quorum) and waits until all started. */
    void start(List<Integer> ids) throws Exception {
        for (int id : ids) {
            launch(id);
        }
        for (int id : ids) {
            awaitStarted(id);
        }
    }

    private void launch(int id) throws IOException {
        EmbeddedKafkaCluster.Node node = nodes.get(id - 1);
        int launch = launches.merge(id, 1, Integer::sum);
        running.put(id, processes.launchMain("kafka-" + id + "-" + launch, KRaftNodeMain.class.getName(),
                List.of(node.configFile().toString()), JVM_OPTIONS));
    }

    private void awaitStarted(int id) throws Exception {
        ServiceProcess p = running.get(id);
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        while (!p.logText().contains("kafka node " + id + " started")) {
            if (!p.process.isAlive()) {
                throw new IllegalStateException("broker " + id + " exited with " + p.process.exitValue()
                        + " while starting; see " + p.log);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("broker " + id + " did not start within " + START_TIMEOUT + "; see "
                        + p.log);
            }
            Thread.sleep(100);
        }
    }

    private void awaitRegistered(int count) throws Exception {
        long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
        try (Admin admin = admin()) {
            while (admin.describeCluster().nodes().get(30, TimeUnit.SECONDS).size() < count) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException(count + " brokers not registered within " + START_TIMEOUT);
                }
                Thread.sleep(200);
            }
        }
    }

    /**
     * Waits until every partition of every topic has all its replicas in sync again (after a broker came back),
     * 120 s at most; returns the seconds it took.
     */
    double awaitAllInSync() throws Exception {
        long t0 = System.nanoTime();
        long deadline = t0 + IN_SYNC_TIMEOUT.toNanos();
        try (Admin admin = admin()) {
            String lagging = "";
            while (System.nanoTime() < deadline) {
                try {
                    Set<String> topics = admin.listTopics(new org.apache.kafka.clients.admin.ListTopicsOptions()
                            .listInternal(true)).names().get(30, TimeUnit.SECONDS);
                    lagging = admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).values().stream()
                            .flatMap(d -> d.partitions().stream()
                                    .filter(p -> p.isr().size() < p.replicas().size() || p.leader() == null)
                                    .map(p -> d.name() + "-" + p.partition()))
                            .limit(5).collect(Collectors.joining(", "));
                    if (lagging.isEmpty()) {
                        return (System.nanoTime() - t0) / 1e9;
                    }
                } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                    lagging = e.toString();
                }
                Thread.sleep(250);
            }
            throw new IllegalStateException("replicas not back in sync within " + IN_SYNC_TIMEOUT + ": " + lagging);
        }
    }

    /**
     * Waits until broker {@code id} leads none of the partitions of {@code topics} (after a SIGKILL: until the
     * controller has fenced it, when its session expires, and elected other leaders), 60 s at most; returns the
     * seconds it took.
     */
    double awaitLeadershipsMoved(int id, Collection<String> topics) throws Exception {
        long t0 = System.nanoTime();
        while (leaderships(topics).getOrDefault(id, 0) > 0) {
            if (System.nanoTime() - t0 > MOVE_TIMEOUT.toNanos()) {
                throw new IllegalStateException("broker " + id + " still leads partitions of " + topics + " after "
                        + MOVE_TIMEOUT);
            }
            Thread.sleep(100);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * Waits until no transaction whose id starts with {@code prefix} is coordinated by broker {@code id} any more, 60 s
     * at most; returns the seconds it took.
     */
    double awaitCoordinatorMoved(int id, String prefix) throws Exception {
        long t0 = System.nanoTime();
        while (true) {
            try {
                if (!transactionCoordinators(prefix).containsValue(id)) {
                    return (System.nanoTime() - t0) / 1e9;
                }
            } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
                // the coordinator is being moved: ask again
            }
            if (System.nanoTime() - t0 > MOVE_TIMEOUT.toNanos()) {
                throw new IllegalStateException("broker " + id + " still coordinates transactions " + prefix
                        + "... after " + MOVE_TIMEOUT);
            }
            Thread.sleep(100);
        }
    }

    /** Partitions led, per broker id, over the partitions of {@code topics} (brokers leading none absent). */
    Map<Integer, Integer> leaderships(Collection<String> topics) throws Exception {
        Map<Integer, Integer> out = new TreeMap<>();
        try (Admin admin = admin()) {
            for (TopicDescription d : admin.describeTopics(topics).allTopicNames().get(30, TimeUnit.SECONDS).values()) {
                for (TopicPartitionInfo p : d.partitions()) {
                    if (p.leader() != null && !p.leader().isEmpty()) {
                        out.merge(p.leader().id(), 1, Integer::sum);
                    }
                }
            }
        }
        return out;
    }

    /**
     * The coordinator of each ongoing or recent transaction whose transactional id starts with {@code prefix} (a
     * Kafka Streams application's producers are {@code <application.id>-<process id>-<thread>}), by transactional id.
     */
    Map<String, Integer> transactionCoordinators(String prefix) throws Exception {
        try (Admin admin = admin()) {
            List<String> ids = admin.listTransactions().all().get(30, TimeUnit.SECONDS).stream()
                    .map(TransactionListing::transactionalId).filter(t -> t.startsWith(prefix)).sorted().toList();
            Map<String, Integer> out = new LinkedHashMap<>();
            if (ids.isEmpty()) {
                return out;
            }
            Map<String, TransactionDescription> described = admin.describeTransactions(ids).all()
                    .get(30, TimeUnit.SECONDS);
            ids.forEach(t -> out.put(t, described.get(t).coordinatorId()));
            return out;
        }
    }

    /** An admin client on every node (closed by the caller); fails fast when the cluster does not answer. */
    Admin admin() {
        Map<String, Object> config = new HashMap<>();
        config.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
        config.put(CommonClientConfigs.REQUEST_TIMEOUT_MS_CONFIG, 10_000);
        config.put(CommonClientConfigs.DEFAULT_API_TIMEOUT_MS_CONFIG, 30_000);
        return Admin.create(config);
    }
}
