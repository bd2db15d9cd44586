package org.alignstream.local;

import static org.alignstream.local.ServiceProcesses.awaitReady;
import static org.alignstream.local.ServiceProcesses.freePort;
import static org.alignstream.local.ServiceProcesses.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.stage.DeadLetters;
import org.alignstream.common.topics.Topics;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.local.ServiceProcesses.ServiceProcess;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;
import picocli.CommandLine;

/**
 * The four stages as {@code docker-compose.yml} runs them, without Docker: each a separate JVM started with exactly
 * the image's command ({@code java -cp <the jar and lib/ the Dockerfile copies> <MAIN_CLASS build argument>}, no other
 * JVM option) and exactly the environment the compose file gives the service (anchors and merge keys resolved), with
 * only the bootstrap servers, the HTTP port and the state directory swapped for the embedded broker's, a free local
 * port and a fresh directory. The topics are created as the compose file's {@code topics} service creates them (its
 * {@code kafka-topics.sh --create} lines: partitions, replication factor, configs), since the stages run with
 * {@code ALIGNSTREAM_CREATE_TOPICS=false}.
 *
 * <p>Checks: every stage becomes ready on {@code /health/ready} (and Kafka Streams' client-state metric reads 2, which
 * the not-ready alert relies on); prompts are answered exactly once; a feedback event is turned into a training
 * example; an undecodable prompt goes to dead-letters; every metric name the alert rules and the dashboard use is
 * served by some stage (except the reward-model version counter, which only appears with a retraining); each stage
 * exits cleanly on SIGTERM.
 */
class ComposeParityIT {
    /** The variables swapped for the local run; everything else is the compose file's. */
    static final Set<String> SWAPPED = Set.of("ALIGNSTREAM_BOOTSTRAP_SERVERS", "ALIGNSTREAM_HTTP_PORT",
            "ALIGNSTREAM_STATE_DIR");
    /** Series that only exist once something happens that this test does not cause (a retraining). */
    static final Set<String> NOT_EXPECTED_YET = Set.of("alignstream_model_versions_total");
    private static final int SIGTERM_EXIT_CODE = 143;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern CLIENT_STATE =
            Pattern.compile("(?m)^kafka_streams_stream_metrics_client_state\\{[^}]*} (\\S+)$");

    private static EmbeddedKafkaCluster kafka;
    private static ServiceProcesses processes;

    @RegisterExtension
    static final TestWatcher PRINT_LOGS_ON_FAILURE = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            if (processes != null) {
                processes.printLogs();
            }
        }
    };

    @BeforeAll
    static void startBroker() throws IOException {
        kafka = EmbeddedKafkaCluster.start();
        processes = new ServiceProcesses("compose-parity-it-", kafka.bootstrapServers());
    }

    @AfterAll
    static void stopAll() {
        try {
            if (processes != null) {
                processes.close();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    @Test
    void theStagesRunWithExactlyTheComposeCommandAndEnvironment() throws Exception {
        long start = System.nanoTime();
        Path root = ComposeFile.repositoryRoot();
        ComposeFile compose = ComposeFile.load(root);
        createTopicsAsTheComposeFileDoes(compose);
        String classpath = imageClasspath(root);

        // ---- launch each stage with the compose file's main class and environment
        Map<String, String> stages = compose.stageMainClasses();
        assertThat(stages.values()).containsExactlyInAnyOrderElementsOf(DeploymentChecks.STAGE_MAIN_CLASSES);
        Map<String, ServiceProcess> running = new LinkedHashMap<>();
        for (Map.Entry<String, String> stage : stages.entrySet()) {
            Map<String, String> composeEnv = ComposeFile.environment(compose.service(stage.getKey()));
            assertThat(composeEnv).as("%s environment", stage.getKey()).containsKeys(SWAPPED.toArray(String[]::new));
            Map<String, String> env = new HashMap<>(composeEnv);
            env.put("ALIGNSTREAM_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
            env.put("ALIGNSTREAM_HTTP_PORT", Integer.toString(freePort()));
            env.put("ALIGNSTREAM_STATE_DIR",
                    Files.createTempDirectory(processes.workDir(), stage.getKey() + "-state-").toString());
            Map<String, String> unchanged = new HashMap<>(env);
            unchanged.keySet().removeAll(SWAPPED);
            Map<String, String> composeUnchanged = new HashMap<>(composeEnv);
            composeUnchanged.keySet().removeAll(SWAPPED);
            assertThat(unchanged).as("%s: all but the swapped variables are the compose file's", stage.getKey())
                    .isEqualTo(composeUnchanged);
            System.out.printf("compose parity: %s = java -cp <image classpath> %s with %s%n", stage.getKey(),
                    stage.getValue(), new TreeSet<>(composeEnv.keySet()));
            running.put(stage.getKey(), processes.launchExactly(stage.getKey(), classpath, stage.getValue(), env));
        }
        for (ServiceProcess p : running.values()) {
            awaitReady(p, READY_TIMEOUT);
        }
        long ready = System.nanoTime();
        for (Map.Entry<String, ServiceProcess> e : running.entrySet()) {
            ServiceProcess p = e.getValue();
            assertThat(get(p, "/health/live").statusCode()).as("%s /health/live", p.label).isEqualTo(200);
            HttpResponse<String> health = get(p, "/health");
            assertThat(health.statusCode()).as("%s /health", p.label).isEqualTo(200);
            assertThat(health.body()).contains("\"stage\":\"" + e.getKey() + "\"", "\"ready\":true");
            Matcher state = CLIENT_STATE.matcher(get(p, "/metrics").body());
            assertThat(state.find()).as("%s exports kafka_streams_stream_metrics_client_state", p.label).isTrue();
            assertThat(Double.parseDouble(state.group(1)))
                    .as("%s client state while ready (the not-ready alert fires on != 2)", p.label).isEqualTo(2.0);
            assertThat(p.logText()).as("%s log: JVM flags from the compose file's JAVA_TOOL_OPTIONS", p.label)
                    .contains("Picked up JAVA_TOOL_OPTIONS:", "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro");
        }

        // ---- prompts answered exactly once, through the four processes
        try (PromptClient client = new PromptClient(kafka.clientConfig())) {
            List<PromptRequest> requests = new ArrayList<>();
            List<String> prompts = SamplePrompts.load(null);
            for (int i = 0; i < 4; i++) {
                requests.add(AlignmentChecks.request("compose-" + i, prompts.get(i % prompts.size()), 2, 0.9, 0, 0.95,
                        6, 7100L + i));
            }
            Map<String, AlignedResponse> answers = AlignmentChecks.sendAndAwaitExactlyOnce(client, requests,
                    ANSWER_TIMEOUT, Duration.ofMillis(1000));
            for (PromptRequest req : requests) {
                AlignedResponse r = answers.get(req.getId());
                assertThat(r.getPrompt()).isEqualTo(req.getPrompt());
                assertThat(r.getCandidateRewards()).hasSize(2);
                assertThat(r.getReward()).isEqualTo(r.getCandidateRewards().get(r.getChosenIndex()));
            }
        }
        long answered = System.nanoTime();

        // ---- one feedback event becomes a training example; an undecodable prompt becomes a dead letter
        try (FeedbackClient feedback = new FeedbackClient(kafka.clientConfig())) {
            feedback.send(FeedbackClient.preference("compose-feedback-1", "sentiment", "She was",
                    "She was delighted with the morning.", "She was cross with everyone."));
            feedback.flush();
        }
        List<ConsumerRecord<byte[], byte[]>> examples = TopicReader.readCommitted(kafka.clientConfig(),
                Topics.FEEDBACK_EXAMPLES, r -> !r.isEmpty(), Duration.ofMillis(500), ANSWER_TIMEOUT);
        assertThat(examples).as("training examples from the one feedback event").hasSize(1);
        assertThat(AlignmentChecks.key(examples.get(0))).isEqualTo("sentiment");
        try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(kafka.clientConfig(), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(Topics.PROMPTS, "compose-garbage".getBytes(), new byte[] {1, 2, 3, 4})).get();
        }
        List<ConsumerRecord<byte[], byte[]>> dead = TopicReader.readCommitted(kafka.clientConfig(), Topics.DEAD_LETTERS,
                r -> !r.isEmpty(), Duration.ofMillis(500), ANSWER_TIMEOUT);
        assertThat(dead).hasSize(1);
        DeadLetter letter = DeadLetters.serde().decode(dead.get(0).value());
        assertThat(letter.getStage()).isEqualTo("generator");
        // ops/dead-letters.sh lists it and re-publishes its original record, which (still garbage) comes back
        java.io.StringWriter listed = new java.io.StringWriter();
        CommandLine tool = DeadLetterTool.commandLine(Map.of()).setOut(new java.io.PrintWriter(listed));
        assertThat(tool.execute("--bootstrap-servers", kafka.bootstrapServers(), "--key", "compose-garbage",
                "--republish")).isZero();
        assertThat(listed.toString()).contains("\tgenerator\tprompts-", "key=compose-garbage", "cannot decode",
                "1 dead letter(s)", "re-published 1 record(s) to their source topics");
        List<ConsumerRecord<byte[], byte[]>> again = TopicReader.readCommitted(kafka.clientConfig(),
                Topics.DEAD_LETTERS, r -> r.size() >= 2, Duration.ofMillis(500), ANSWER_TIMEOUT);
        assertThat(again).hasSize(2);
        assertThat(DeadLetters.serde().decode(again.get(1).value()).getOriginalValue())
                .isEqualTo(letter.getOriginalValue());

        // ---- every metric the alerts and the dashboard use is served by some stage
        Set<String> served = new TreeSet<>();
        for (ServiceProcess p : running.values()) {
            String body = awaitMetric(p, "feedback".equals(p.label) ? "alignstream_records_in_total{stage=\"feedback\"} 2.0"
                    : null);
            served.addAll(MetricNames.seriesIn(body));
        }
        Set<String> used = metricsUsedByAlertsAndDashboard(root);
        Set<String> missing = new TreeSet<>(used);
        missing.removeAll(served);
        missing.removeAll(NOT_EXPECTED_YET);
        assertThat(missing).as("metric names used by alerts.yml and alignstream.json that no running stage serves")
                .isEmpty();
        assertThat(served).as("the runtime-only names the static check accepts").containsAll(MetricNames.RUNTIME_ONLY);

        // ---- SIGTERM: each stage closes cleanly
        running.values().forEach(p -> p.process.destroy());
        for (Map.Entry<String, ServiceProcess> e : running.entrySet()) {
            ServiceProcess p = e.getValue();
            assertThat(p.process.waitFor(45, TimeUnit.SECONDS)).as("%s exits after SIGTERM", p.label).isTrue();
            assertThat(p.process.exitValue()).as("%s exit code", p.label).isEqualTo(SIGTERM_EXIT_CODE);
            assertThat(p.logText()).contains("stage " + e.getKey() + ": closed");
        }
        System.out.printf("compose parity: ready after %.1f s, 4 prompts answered after %.1f s more, total %.1f s%n",
                (ready - start) / 1e9, (answered - ready) / 1e9, (System.nanoTime() - start) / 1e9);
    }

    /** Creates the topics exactly as the compose file's kafka-topics.sh lines do, and checks the result. */
    private static void createTopicsAsTheComposeFileDoes(ComposeFile compose) throws Exception {
        List<ComposeFile.TopicCreation> creations = compose.topicCreations();
        assertThat(creations).extracting(ComposeFile.TopicCreation::topic).containsExactlyInAnyOrderElementsOf(Topics.ALL);
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            List<NewTopic> topics = new ArrayList<>();
            for (ComposeFile.TopicCreation t : creations) {
                topics.add(new NewTopic(t.topic(), t.partitions(), t.replicationFactor().shortValue()).configs(t.configs()));
            }
            admin.createTopics(topics).all().get(60, TimeUnit.SECONDS);
            Map<String, TopicDescription> described = admin.describeTopics(Topics.ALL).allTopicNames().get(60,
                    TimeUnit.SECONDS);
            for (ComposeFile.TopicCreation t : creations) {
                assertThat(described.get(t.topic()).partitions()).hasSize(t.partitions());
            }
            ConfigResource rewardModels = new ConfigResource(ConfigResource.Type.TOPIC, Topics.REWARD_MODELS);
            Config config = admin.describeConfigs(List.of(rewardModels)).all().get(60, TimeUnit.SECONDS).get(rewardModels);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        }
    }

    /**
     * The classpath of the image: the jar and lib/ that ops/docker/Dockerfile copies from {@code local/target} (left
     * there by the package phase, which runs before this test), in the order its launcher names them.
     */
    private static String imageClasspath(Path root) {
        String dockerfile = ComposeFile.read(root.resolve("ops/docker/Dockerfile"));
        String jar = null;
        String lib = null;
        for (String line : dockerfile.split("\n")) {
            String[] t = line.strip().split("\\s+");
            if (t.length == 4 && t[0].equals("COPY") && t[1].startsWith("--from=")) {
                String local = t[2].substring(t[2].indexOf("local/target/"));
                if (local.endsWith(".jar")) {
                    jar = local;
                } else if (local.replaceAll("/+$", "").endsWith("/lib")) {
                    lib = local.replaceAll("/+$", "");
                }
            }
        }
        assertThat(jar).as("the jar the Dockerfile copies").isNotNull();
        assertThat(lib).as("the lib/ the Dockerfile copies").isNotNull();
        Path jarPath = root.resolve(jar);
        Path libPath = root.resolve(lib);
        assertThat(jarPath).as("run after the package phase (mvn verify)").isRegularFile();
        assertThat(libPath).isDirectory();
        return jarPath + java.io.File.pathSeparator + libPath.resolve("*");
    }

    /** The stage's /metrics, after waiting (up to the answer timeout) for a line to appear if one is given. */
    private static String awaitMetric(ServiceProcess p, String line) throws InterruptedException {
        long deadline = System.nanoTime() + ANSWER_TIMEOUT.toNanos();
        String body = get(p, "/metrics").body();
        while (line != null && !body.contains(line) && System.nanoTime() < deadline) {
            Thread.sleep(500);
            body = get(p, "/metrics").body();
        }
        if (line != null) {
            assertThat(body).as("%s /metrics", p.label).contains(line);
        }
        return body;
    }

    /** The alignstream_* and kafka_streams_* names in the alert rules' and the dashboard's expressions. */
    private static Set<String> metricsUsedByAlertsAndDashboard(Path root) {
        Set<String> out = new TreeSet<>();
        Map<String, Object> alerts = ComposeFile.map(ComposeFile.parseYaml(
                ComposeFile.read(root.resolve("ops/prometheus/alerts.yml"))), "alerts");
        for (Object g : ComposeFile.list(alerts.get("groups"), "groups")) {
            for (Object r : ComposeFile.list(ComposeFile.map(g, "group").get("rules"), "rules")) {
                out.addAll(MetricNames.referencedIn(String.valueOf(ComposeFile.map(r, "rule").get("expr"))));
            }
        }
        collectExpressions(JsonParser.parseString(ComposeFile.read(root.resolve("ops/grafana/dashboards/alignstream.json"))),
                out);
        assertThat(out).as("names used by alerts and dashboard").hasSizeGreaterThan(10);
        return out;
    }

    private static void collectExpressions(JsonElement e, Set<String> out) {
        if (e.isJsonObject()) {
            e.getAsJsonObject().entrySet().forEach(kv -> {
                if (kv.getKey().equals("expr") && kv.getValue().isJsonPrimitive()) {
                    out.addAll(MetricNames.referencedIn(kv.getValue().getAsString()));
                } else {
                    collectExpressions(kv.getValue(), out);
                }
            });
        } else if (e.isJsonArray()) {
            e.getAsJsonArray().forEach(c -> collectExpressions(c, out));
        }
    }
}
