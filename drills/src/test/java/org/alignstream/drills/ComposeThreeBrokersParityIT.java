package org.alignstream.drills;

import org.alignstream.clients.PromptClient;
import org.alignstream.harness.AlignmentChecks;
import org.alignstream.harness.SamplePrompts;

import static org.alignstream.drills.ServiceProcesses.awaitReady;
import static org.alignstream.drills.ServiceProcesses.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.security.AccessControl;
import org.alignstream.common.topics.Topics;
import org.alignstream.drills.ServiceProcesses.ServiceProcess;
import org.alignstream.embedded.KRaftBrokerProperties;
import org.alignstream.embedded.KRaftNodeMain;
import org.alignstream.embedded.SaslScram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.TopicPartitionInfo;
import org.apache.kafka.common.config.ConfigResource;
import org.junit.jupiter.api.Test;

/**
 * The profile {@code three-brokers} of {@code docker-compose.yml} (the file loaded with the variables of
 * {@code ops/compose/three-brokers.env} and fresh passwords), run as processes without Docker.
 *
 * <p>The brokers: the entrypoint {@code ops/kafka/start.sh} runs once per Kafka service (kafka, kafka-2, kafka-3) with
 * exactly that service's environment ({@link KafkaEntrypoint}). The three rendered {@code server.properties} must be
 * the same but for {@code node.id} and {@code advertised.listeners}, their replication settings those of the
 * embedded three-broker cluster ({@link KRaftBrokerProperties#clusterNode}), and the three storage formats the same
 * (cluster id, the super user's SCRAM credential). Each node is then formatted with the arguments the script gave
 * {@code kafka-storage.sh format} and started as its own process ({@link KRaftNodeMain}) from what the script rendered,
 * with only the addresses swapped (every listener of every node on its own loopback port, each voter of the quorum at
 * its node's controller port) and a fresh log directory.
 *
 * <p>The set-up and the four stages: each started as the compose file starts it (the image's classpath and main class,
 * exactly the service's environment but for the bootstrap servers mapped to the nodes, the HTTP port, the state and
 * model-store directories), as {@link ComposeParityIT} does for one broker. Checks: the quorum has three voters and
 * three brokers register; the set-up creates every topic with 3 replicas in sync and {@code min.insync.replicas=2};
 * the stages become ready under their own principals and a host client's prompts, sent to the three EXTERNAL listeners,
 * are answered exactly once; Kafka Streams' internal topics, the consumer offsets and the transaction log exist with 3
 * replicas; each stage exits cleanly on SIGTERM.
 */
class ComposeThreeBrokersParityIT {
    /** The properties in which the three rendered files may differ. */
    static final Set<String> PER_NODE = Set.of("node.id", "advertised.listeners");
    private static final List<String> NODE_JVM = List.of("-Xms64m", "-Xmx384m", "-XX:+UseSerialGC",
            "-XX:TieredStopAtLevel=1");
    private static final Duration START_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(240);
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(180);
    private static final int SIGTERM_EXIT_CODE = 143;

    @Test
    void threeNodesAsTheProfileConfiguresThemServeTheSetUpAndTheStagesAtReplicationFactorThree() throws Exception {
        Path root = ComposeFile.repositoryRoot();
        Map<String, String> variables = new LinkedHashMap<>(ComposeFile.envFile(
                root.resolve(ComposeFile.THREE_BROKERS_ENV)));
        for (String v : List.of("ALIGNSTREAM_ADMIN_PASSWORD", "ALIGNSTREAM_GENERATOR_PASSWORD",
                "ALIGNSTREAM_SCORER_PASSWORD", "ALIGNSTREAM_SELECTOR_PASSWORD", "ALIGNSTREAM_FEEDBACK_PASSWORD",
                "ALIGNSTREAM_CLIENT_PASSWORD")) {
            variables.put(v, "pw-" + UUID.randomUUID());
        }
        ComposeFile compose = ComposeFile.load(root, variables);
        try (ServiceProcesses processes = ServiceProcesses.underTarget("compose-three-brokers-it-", "unused")) {
            try {
                run(root, compose, variables, processes);
            } catch (Throwable t) {
                processes.printLogs();
                throw t;
            }
        }
    }

    private static void run(Path root, ComposeFile compose, Map<String, String> variables, ServiceProcesses processes)
            throws Exception {
        long start = System.nanoTime();
        List<String> nodes = compose.services().entrySet().stream()
                .filter(e -> String.valueOf(e.getValue().get("image")).startsWith("apache/kafka:"))
                .map(Map.Entry::getKey).toList();
        assertThat(nodes).containsExactly("kafka", "kafka-2", "kafka-3");

        // ---- the entrypoint of each node, with its compose environment
        Map<String, KafkaEntrypoint.Rendered> rendered = new LinkedHashMap<>();
        for (String n : nodes) {
            rendered.put(n, KafkaEntrypoint.run(compose, n, processes.workDir().resolve(n + "-entrypoint")));
        }
        KafkaEntrypoint.Rendered first = rendered.get(nodes.get(0));
        Map<String, String> shared = new TreeMap<>(first.serverProperties());
        shared.keySet().removeAll(PER_NODE);
        Map<String, String> embedded = KRaftBrokerProperties.clusterNode(1, List.of(1, 2, 3));
        for (int i = 0; i < nodes.size(); i++) {
            KafkaEntrypoint.Rendered r = rendered.get(nodes.get(i));
            Map<String, String> own = new TreeMap<>(r.serverProperties());
            own.keySet().removeAll(PER_NODE);
            assertThat(own).as("%s: the rendered server.properties but node.id and advertised.listeners", nodes.get(i))
                    .isEqualTo(shared);
            assertThat(r.serverProperties()).containsEntry("node.id", Integer.toString(i + 1));
            assertThat(r.formatArguments()).as("%s formats with the same credential", nodes.get(i))
                    .isEqualTo(first.formatArguments());
            assertThat(r.environment().get("CLUSTER_ID")).isEqualTo(first.environment().get("CLUSTER_ID"));
            assertThat(r.adminClient()).isEqualTo(first.adminClient());
        }
        embedded.forEach((k, v) -> {
            if (!k.equals("node.id") && !k.equals("controller.quorum.voters")) {
                assertThat(shared).as("%s as the embedded three-broker cluster sets it", k).containsEntry(k, v);
            }
        });
        assertThat(shared.get("authorizer.class.name")).isEqualTo(SaslScram.AUTHORIZER);

        // ---- every listener of every node on a loopback port; the voters at their nodes' controller ports
        String interBroker = shared.get("inter.broker.listener.name");
        String controller = shared.get("controller.listener.names");
        List<String> listenerNames = DeploymentChecks.listenerNames(shared.get("listeners"));
        Map<String, Map<String, Integer>> ports = new LinkedHashMap<>();
        Map<String, String> nodeByHost = new LinkedHashMap<>();
        for (String n : nodes) {
            Map<String, Integer> p = new LinkedHashMap<>();
            for (String l : listenerNames) {
                p.put(l, freePort());
            }
            ports.put(n, p);
            nodeByHost.put(String.valueOf(compose.service(n).getOrDefault("hostname", n)), n);
        }
        String controllerPort = DeploymentChecks.listenerAddresses(shared.get("listeners")).get(controller)
                .replaceFirst(".*:", "");
        List<String> voters = new ArrayList<>();
        for (String v : shared.get("controller.quorum.voters").split(",")) {
            String id = v.substring(0, v.indexOf('@'));
            String[] hostPort = v.substring(v.indexOf('@') + 1).split(":");
            String node = nodeByHost.get(hostPort[0]);
            assertThat(node).as("voter %s is a node of the compose file %s", v, nodeByHost.keySet()).isNotNull();
            assertThat(hostPort[1]).as("voter %s at its node's controller port", v).isEqualTo(controllerPort);
            assertThat(rendered.get(node).serverProperties()).containsEntry("node.id", id);
            voters.add(id + "@127.0.0.1:" + ports.get(node).get(controller));
        }
        assertThat(voters).hasSize(3);
        Map<String, String> addresses = new LinkedHashMap<>(); // compose's advertised addresses -> local ones
        List<ServiceProcess> brokers = new ArrayList<>();
        for (String n : nodes) {
            Map<String, String> props = new LinkedHashMap<>(rendered.get(n).serverProperties());
            Map<String, Integer> p = ports.get(n);
            props.put("listeners", listenerNames.stream().map(l -> l + "://127.0.0.1:" + p.get(l))
                    .collect(Collectors.joining(",")));
            Map<String, String> advertised = DeploymentChecks.listenerAddresses(props.get("advertised.listeners"));
            advertised.forEach((l, a) -> addresses.put(a, "127.0.0.1:" + p.get(l)));
            props.put("advertised.listeners", advertised.keySet().stream().map(l -> l + "://127.0.0.1:" + p.get(l))
                    .collect(Collectors.joining(",")));
            props.put("controller.quorum.voters", String.join(",", voters));
            Path dir = Files.createDirectories(processes.workDir().resolve(n));
            props.put("log.dirs", dir.resolve("logs").toString());
            Path config = dir.resolve("server.properties");
            Properties out = new Properties();
            out.putAll(props);
            try (OutputStream o = Files.newOutputStream(config)) {
                out.store(o, "docker-compose.yml service " + n + " as ops/kafka/start.sh rendered it, addresses local");
            }
            List<String> format = new ArrayList<>(List.of("format", "--cluster-id",
                    rendered.get(n).environment().get("CLUSTER_ID"), "--config", config.toString()));
            format.addAll(rendered.get(n).formatArguments());
            ByteArrayOutputStream captured = new ByteArrayOutputStream();
            try (PrintStream ps = new PrintStream(captured, true, StandardCharsets.UTF_8)) {
                assertThat(kafka.tools.StorageTool.execute(format.toArray(String[]::new), ps))
                        .as("kafka-storage.sh format for %s: %s", n, captured).isZero();
            }
            brokers.add(processes.launchMain(n, KRaftNodeMain.class.getName(), List.of(config.toString()), NODE_JVM));
        }
        for (int i = 0; i < brokers.size(); i++) {
            awaitLog(brokers.get(i), "kafka node " + (i + 1) + " started", START_TIMEOUT);
        }
        Map<String, Object> admin = new HashMap<>();
        first.adminClient().forEach((k, v) -> admin.put(String.valueOf(k), v));
        admin.put("bootstrap.servers", mapped(addresses, variables.get("ALIGNSTREAM_KAFKA_BOOTSTRAP")));
        try (Admin a = Admin.create(admin)) {
            long deadline = System.nanoTime() + START_TIMEOUT.toNanos();
            while (a.describeCluster().nodes().get(30, TimeUnit.SECONDS).size() < 3) {
                assertThat(System.nanoTime()).as("three brokers registered").isLessThan(deadline);
                Thread.sleep(200);
            }
            assertThat(a.describeMetadataQuorum().quorumInfo().get(30, TimeUnit.SECONDS).voters()).hasSize(3);
        }
        long brokersUp = System.nanoTime();

        // ---- the set-up: every topic at replication factor 3, min ISR 2
        String setupName = compose.setupServices().get(0);
        Map<String, Object> setupService = compose.service(setupName);
        Map<String, String> setupEnv = new HashMap<>(ComposeFile.environment(setupService));
        setupEnv.put("ALIGNSTREAM_BOOTSTRAP_SERVERS", mapped(addresses, setupEnv.get("ALIGNSTREAM_BOOTSTRAP_SERVERS")));
        ServiceProcess setup = processes.launchExactly(setupName,
                ImageClasspath.of(root, ComposeFile.module(setupService)).classpath(), ComposeFile.SETUP_MAIN_CLASS,
                setupEnv);
        assertThat(setup.process.waitFor(180, TimeUnit.SECONDS)).as("the set-up finishes").isTrue();
        assertThat(setup.process.exitValue()).as("set-up exit code; log:%n%s", setup.logText()).isZero();
        try (Admin a = Admin.create(admin)) {
            Map<String, TopicDescription> described = a.describeTopics(Topics.ALL).allTopicNames().get(60,
                    TimeUnit.SECONDS);
            for (String t : Topics.ALL) {
                assertThat(described.get(t).partitions()).as(t).hasSize(Integer.parseInt(
                        setupEnv.get("ALIGNSTREAM_TOPIC_PARTITIONS")));
                for (TopicPartitionInfo p : described.get(t).partitions()) {
                    assertThat(p.replicas()).as("%s-%d replicas", t, p.partition()).hasSize(3);
                    assertThat(p.isr()).as("%s-%d in sync", t, p.partition()).hasSize(3);
                }
            }
            ConfigResource prompts = new ConfigResource(ConfigResource.Type.TOPIC, Topics.PROMPTS);
            Config config = a.describeConfigs(List.of(prompts)).all().get(60, TimeUnit.SECONDS).get(prompts);
            assertThat(config.get("min.insync.replicas").value()).isEqualTo("2");
        }

        // ---- the four stages with the compose file's main class and environment
        Map<String, ServiceProcess> running = new LinkedHashMap<>();
        for (Map.Entry<String, String> stage : compose.stageMainClasses().entrySet()) {
            Map<String, String> composeEnv = ComposeFile.environment(compose.service(stage.getKey()));
            assertThat(composeEnv).as(stage.getKey()).containsEntry("ALIGNSTREAM_REPLICATION_FACTOR", "3");
            Map<String, String> env = new HashMap<>(composeEnv);
            env.put("ALIGNSTREAM_BOOTSTRAP_SERVERS", mapped(addresses, composeEnv.get("ALIGNSTREAM_BOOTSTRAP_SERVERS")));
            env.put("ALIGNSTREAM_HTTP_PORT", Integer.toString(freePort()));
            env.put("ALIGNSTREAM_STATE_DIR",
                    Files.createTempDirectory(processes.workDir(), stage.getKey() + "-state-").toString());
            if (composeEnv.containsKey("ALIGNSTREAM_MODEL_STORE")) {
                env.put("ALIGNSTREAM_MODEL_STORE", processes.workDir().resolve("model-store").toString());
            }
            Map<String, String> unchanged = new HashMap<>(env);
            unchanged.keySet().removeAll(ComposeParityIT.SWAPPED);
            Map<String, String> composeUnchanged = new HashMap<>(composeEnv);
            composeUnchanged.keySet().removeAll(ComposeParityIT.SWAPPED);
            assertThat(unchanged).isEqualTo(composeUnchanged);
            String classpath = ImageClasspath.of(root, ComposeFile.module(compose.service(stage.getKey()))).classpath();
            running.put(stage.getKey(), processes.launchExactly(stage.getKey(), classpath, stage.getValue(), env));
        }
        for (ServiceProcess p : running.values()) {
            awaitReady(p, READY_TIMEOUT);
        }
        long ready = System.nanoTime();

        // ---- a host client (user client, the EXTERNAL listeners host clients reach) gets its prompts answered once
        Map<String, Object> client = new HashMap<>(SaslScram.clientProperties(AccessControl.CLIENT,
                variables.get("ALIGNSTREAM_CLIENT_PASSWORD")));
        client.put("bootstrap.servers", mapped(addresses, "localhost:9094"));
        try (PromptClient prompts = new PromptClient(client)) {
            List<PromptRequest> requests = new ArrayList<>();
            List<String> texts = SamplePrompts.load(null);
            for (int i = 0; i < 3; i++) {
                requests.add(AlignmentChecks.request("compose3-" + i, texts.get(i % texts.size()), 2, 0.9, 0, 0.95, 6,
                        7300L + i));
            }
            Map<String, AlignedResponse> answers = AlignmentChecks.sendAndAwaitExactlyOnce(prompts, requests,
                    ANSWER_TIMEOUT, Duration.ofMillis(1000));
            for (PromptRequest req : requests) {
                assertThat(answers.get(req.getId()).getPrompt()).isEqualTo(req.getPrompt());
            }
        }
        long answered = System.nanoTime();

        // ---- every topic the run created (Kafka Streams' internal ones, consumer offsets, transaction log): 3 replicas
        try (Admin a = Admin.create(admin)) {
            Set<String> names = new TreeSet<>(a.listTopics(new ListTopicsOptions().listInternal(true)).names()
                    .get(30, TimeUnit.SECONDS));
            Set<String> created = new TreeSet<>(names);
            created.removeAll(Topics.ALL);
            assertThat(created).as("topics created by the stages and the brokers")
                    .contains("__consumer_offsets", "__transaction_state")
                    .anyMatch(t -> t.endsWith("-changelog"));
            Map<String, TopicDescription> described = a.describeTopics(created).allTopicNames().get(60, TimeUnit.SECONDS);
            for (TopicDescription d : described.values()) {
                for (TopicPartitionInfo p : d.partitions()) {
                    assertThat(p.replicas()).as("%s-%d replicas", d.name(), p.partition()).hasSize(3);
                }
            }
            System.out.printf("compose three brokers: %d topics, all at 3 replicas: %s%n", names.size(), created);
        }

        // ---- SIGTERM: each stage closes cleanly
        running.values().forEach(p -> p.process.destroy());
        for (Map.Entry<String, ServiceProcess> e : running.entrySet()) {
            ServiceProcess p = e.getValue();
            assertThat(p.process.waitFor(45, TimeUnit.SECONDS)).as("%s exits after SIGTERM", p.label).isTrue();
            assertThat(p.process.exitValue()).as("%s exit code", p.label).isEqualTo(SIGTERM_EXIT_CODE);
        }
        System.out.printf("compose three brokers: brokers up after %.1f s, stages ready %.1f s later, 3 prompts"
                        + " answered %.1f s later, total %.1f s%n", (brokersUp - start) / 1e9, (ready - brokersUp) / 1e9,
                (answered - ready) / 1e9, (System.nanoTime() - start) / 1e9);
    }

    /** A compose address list (e.g. kafka:9092,kafka-2:9092) mapped to the local nodes' listeners. */
    private static String mapped(Map<String, String> addresses, String composeBootstrap) {
        List<String> out = new ArrayList<>();
        for (String a : composeBootstrap.split(",")) {
            String local = addresses.get(a.strip());
            assertThat(local).as("compose address %s is an advertised listener of a node %s", a, addresses.keySet())
                    .isNotNull();
            out.add(local);
        }
        return String.join(",", out);
    }

    private static void awaitLog(ServiceProcess p, String line, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!p.logText().contains(line)) {
            assertThat(p.process.isAlive()).as("%s is running (log %s)", p.label, p.log).isTrue();
            assertThat(System.nanoTime()).as("%s: '%s' within %s", p.label, line, timeout).isLessThan(deadline);
            Thread.sleep(100);
        }
    }
}
