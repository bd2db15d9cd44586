package org.alignstream.drills;

import org.alignstream.clients.DeadLetterTool;
import org.alignstream.clients.FeedbackClient;
import org.alignstream.clients.PromptClient;
import org.alignstream.harness.AlignmentChecks;
import org.alignstream.harness.ProbeWrite;
import org.alignstream.harness.SamplePrompts;
import org.alignstream.harness.TopicReader;

import static org.alignstream.drills.ServiceProcesses.awaitReady;
import static org.alignstream.drills.ServiceProcesses.freePort;
import static org.alignstream.drills.ServiceProcesses.get;
import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonElement;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
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
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.stage.DeadLetters;
import org.alignstream.common.topics.Topics;
import java.util.Properties;
import org.alignstream.common.security.AccessControl;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.embedded.KRaftBrokerProperties;
import org.alignstream.embedded.SaslScram;
import org.alignstream.drills.ServiceProcesses.ServiceProcess;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import picocli.CommandLine;

/**
 * The deployment as {@code docker-compose.yml} runs it, without Docker, secured as it is secured.
 *
 * <p>The broker: the compose file's Kafka entrypoint, {@code ops/kafka/start.sh}, is run with bash and exactly the
 * service's environment (its variables interpolated from {@link #VARIABLES}: fresh random passwords, so a wrong
 * variable anywhere fails to authenticate), with stand-ins for {@code kafka-storage.sh} and
 * {@code kafka-server-start.sh} that record their arguments. The in-process KRaft broker then starts from the
 * {@code server.properties} the script rendered (listeners mapped to free loopback ports by name, the log directory a
 * fresh one; nothing else changed: SASL on every listener, the StandardAuthorizer, the super user, no ACL no access),
 * its storage formatted with the arguments the script gave {@code kafka-storage.sh format} (the admin's SCRAM
 * credential, {@code --add-scram}), and it is administered with the client settings the script wrote for the
 * healthcheck.
 *
 * <p>The set-up and the four stages: each a separate JVM started with exactly the image's command ({@code java -cp
 * <the jar and lib/ of the service's MODULE, as the Dockerfile copies them> <MAIN_CLASS build argument>}, no other JVM option) and exactly the
 * environment the compose file gives the service (anchors, merge keys and variables resolved), with only the bootstrap
 * servers (compose's {@code kafka:9092} to the in-process INTERNAL listener), the HTTP port and the state directory
 * swapped. The set-up runs to completion first (topics, users, ACLs), as {@code service_completed_successfully} makes
 * Compose wait.
 *
 * <p>Checks: the set-up exits 0 and the topics have its partitions (reward-models compacted); every stage becomes ready
 * on {@code /health/ready} under its own principal (and Kafka Streams' client-state metric reads 2, which the not-ready
 * alert relies on); a host client, as user {@code client} on the EXTERNAL listener, gets its prompts answered exactly
 * once and its feedback turned into a training example; an undecodable prompt goes to dead-letters, which the client
 * lists and re-publishes with ops/dead-letters.sh's tool; ACLs and authentication are on (the client may not write
 * reward-models or aligned-responses, a wrong password is refused); every metric name the alert rules and the
 * dashboard use is served by some stage (except the reward-model version counter, which only appears with a
 * retraining); each stage exits cleanly on SIGTERM.
 */
class ComposeParityIT {
    /** The variables swapped for the local run; everything else is the compose file's. */
    static final Set<String> SWAPPED = Set.of("ALIGNSTREAM_BOOTSTRAP_SERVERS", "ALIGNSTREAM_HTTP_PORT",
            "ALIGNSTREAM_STATE_DIR", "ALIGNSTREAM_MODEL_STORE");
    /** Of {@link #SWAPPED}, what every stage has (the model store only the scorer and the feedback service). */
    static final Set<String> SWAPPED_IN_EVERY_STAGE = Set.of("ALIGNSTREAM_BOOTSTRAP_SERVERS", "ALIGNSTREAM_HTTP_PORT",
            "ALIGNSTREAM_STATE_DIR");
    /** Series that only exist once something happens that this test does not cause (a retraining). */
    static final Set<String> NOT_EXPECTED_YET = Set.of("alignstream_model_versions_total");
    /** The variables the compose file is interpolated with: every password fresh, as an operator would set them. */
    static final Map<String, String> VARIABLES = new LinkedHashMap<>();
    private static final int SIGTERM_EXIT_CODE = 143;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern CLIENT_STATE =
            Pattern.compile("(?m)^kafka_streams_stream_metrics_client_state\\{[^}]*} (\\S+)$");

    private static Path root;
    private static ComposeFile compose;
    private static EmbeddedKafkaCluster kafka;
    private static ServiceProcesses processes;
    /** Compose's broker addresses (advertised listeners) to the in-process broker's, e.g. kafka:9092 -> 127.0.0.1:p. */
    private static final Map<String, String> ADDRESSES = new LinkedHashMap<>();
    /** The in-process EXTERNAL listener: where host clients (localhost:9094 in Compose) connect. */
    private static String externalBootstrap;

    /** The broker as the compose file configures it, and the processes; logs printed on failure. */
    @RegisterExtension
    static final ProcessFixture FIXTURE = new ProcessFixture("compose-parity-it-", ComposeParityIT::startBroker);

    /** Reads the compose file (with fresh passwords) and starts the broker as it configures Kafka. */
    static EmbeddedKafkaCluster startBroker() throws Exception {
        root = ComposeFile.repositoryRoot();
        for (String v : List.of("ALIGNSTREAM_ADMIN_PASSWORD", "ALIGNSTREAM_GENERATOR_PASSWORD",
                "ALIGNSTREAM_SCORER_PASSWORD", "ALIGNSTREAM_SELECTOR_PASSWORD", "ALIGNSTREAM_FEEDBACK_PASSWORD",
                "ALIGNSTREAM_GATEWAY_PASSWORD", "ALIGNSTREAM_CLIENT_PASSWORD")) {
            VARIABLES.put(v, "pw-" + UUID.randomUUID());
        }
        compose = ComposeFile.load(root, VARIABLES);
        Path target = Path.of(System.getProperty("basedir", "."), "target");
        Files.createDirectories(target);
        return startBrokerAsTheComposeFileDoes(Files.createTempDirectory(target, "compose-parity-kafka-"));
    }

    @BeforeAll
    static void start() {
        kafka = FIXTURE.kafka();
        processes = FIXTURE.processes();
    }

    /** Client settings of user {@code client} on the EXTERNAL listener, as the compose file's header shows them. */
    private static Map<String, Object> hostClient() {
        return hostClient(AccessControl.CLIENT, VARIABLES.get("ALIGNSTREAM_CLIENT_PASSWORD"));
    }

    private static Map<String, Object> hostClient(String user, String password) {
        Map<String, Object> c = new HashMap<>(SaslScram.clientProperties(user, password));
        c.put("bootstrap.servers", externalBootstrap);
        return c;
    }

    /**
     * Runs the Kafka service's entrypoint script with its compose environment and stand-in kafka-*.sh commands, then
     * starts the in-process broker from what the script rendered and passed on.
     */
    private static EmbeddedKafkaCluster startBrokerAsTheComposeFileDoes(Path dir) throws Exception {
        KafkaEntrypoint.Rendered rendered = KafkaEntrypoint.run(compose, "kafka", dir);
        Map<String, String> env = rendered.environment();
        List<String> extraFormat = rendered.formatArguments();
        Map<String, String> props = new LinkedHashMap<>(rendered.serverProperties());
        assertThat(props.get("authorizer.class.name")).isEqualTo(SaslScram.AUTHORIZER);
        props.remove("log.dirs"); // the container's volume; the in-process broker uses a fresh directory

        // the same listeners on loopback ports: the inter-broker one (the stages') on the builder's broker port, the
        // controller on its controller port, every other (EXTERNAL) on a free port
        String interBroker = props.get("inter.broker.listener.name");
        String controller = props.get("controller.listener.names");
        Map<String, String> endpoints = new LinkedHashMap<>();
        for (String name : DeploymentChecks.listenerNames(props.get("listeners"))) {
            endpoints.put(name, "127.0.0.1:" + (name.equals(interBroker) ? KRaftBrokerProperties.BROKER_PORT_PLACEHOLDER
                    : name.equals(controller) ? KRaftBrokerProperties.CONTROLLER_PORT_PLACEHOLDER
                    : Integer.toString(freePort())));
        }
        assertThat(endpoints).containsKeys(interBroker, controller);
        Map<String, String> advertisedBy = new LinkedHashMap<>();
        for (String l : props.get("advertised.listeners").split(",")) {
            advertisedBy.put(l.substring(0, l.indexOf("://")), l.substring(l.indexOf("://") + 3));
        }
        props.put("listeners", endpoints.entrySet().stream().map(e -> e.getKey() + "://" + e.getValue())
                .collect(java.util.stream.Collectors.joining(",")));
        props.put("advertised.listeners", advertisedBy.keySet().stream().map(n -> n + "://" + endpoints.get(n))
                .collect(java.util.stream.Collectors.joining(",")));
        String voters = props.get("controller.quorum.voters");
        assertThat(voters).as("one voter, this node").matches(props.get("node.id") + "@[^,]+");
        props.put("controller.quorum.voters", props.get("node.id") + "@" + endpoints.get(controller));

        Properties admin = rendered.adminClient();
        EmbeddedKafkaCluster.Builder builder = EmbeddedKafkaCluster.builder().clusterId(env.get("CLUSTER_ID"))
                .brokerProperties(props).formatArguments(extraFormat);
        admin.stringPropertyNames().forEach(k -> builder.clientProperty(k, admin.getProperty(k)));
        EmbeddedKafkaCluster started = builder.start();
        for (Map.Entry<String, String> e : advertisedBy.entrySet()) {
            String local = endpoints.get(e.getKey())
                    .replace(KRaftBrokerProperties.BROKER_PORT_PLACEHOLDER, Integer.toString(started.brokerPort()));
            ADDRESSES.put(e.getValue(), local);
            if (!e.getKey().equals(interBroker)) {
                externalBootstrap = local;
            }
        }
        assertThat(externalBootstrap).as("a host-facing listener besides %s", interBroker).isNotNull();
        System.out.printf("compose parity: broker from ops/kafka/start.sh's server.properties (%d properties), %s%n",
                props.size(), ADDRESSES);
        return started;
    }

    /** A compose bootstrap address list mapped to the in-process broker. */
    private static String mapped(String composeBootstrap) {
        List<String> out = new ArrayList<>();
        for (String a : composeBootstrap.split(",")) {
            String local = ADDRESSES.get(a.strip());
            assertThat(local).as("compose address %s is an advertised listener of the broker %s", a, ADDRESSES.keySet())
                    .isNotNull();
            out.add(local);
        }
        return String.join(",", out);
    }

    /** Sends one record as the given client and returns the failure (null if the write succeeded). */
    private static Throwable writeAs(Map<String, Object> client, String topic) {
        return ProbeWrite.write(client, topic, "forged".getBytes(StandardCharsets.UTF_8), new byte[] {1});
    }

    @Test
    void theSetUpAndTheStagesRunWithExactlyTheComposeCommandAndEnvironmentOnTheSecuredBroker() throws Exception {
        long start = System.nanoTime();

        // ---- the one-shot set-up, as the super user: topics, users, ACLs
        List<String> setups = compose.setupServices();
        assertThat(setups).hasSize(1);
        Map<String, Object> setupService = compose.service(setups.get(0));
        assertThat(ComposeFile.mainClass(setupService)).isEqualTo(ComposeFile.SETUP_MAIN_CLASS);
        Map<String, String> setupEnv = new HashMap<>(ComposeFile.environment(setupService));
        setupEnv.put("ALIGNSTREAM_BOOTSTRAP_SERVERS", mapped(setupEnv.get("ALIGNSTREAM_BOOTSTRAP_SERVERS")));
        ServiceProcess setup = processes.launchExactly(setups.get(0),
                ImageClasspath.of(root, ComposeFile.module(setupService)).classpath(), ComposeFile.SETUP_MAIN_CLASS,
                setupEnv);
        assertThat(setup.process.waitFor(120, TimeUnit.SECONDS)).as("the set-up finishes").isTrue();
        assertThat(setup.process.exitValue()).as("set-up exit code; log:%n%s", setup.logText()).isZero();
        assertThat(setup.logText()).contains("topics, " + AccessControl.standard().size() + " users and " + AccessControl.aclBindings(AccessControl.standard())
                .size() + " ACLs in place");
        checkTopicsAsTheSetUpCreatesThem(Integer.parseInt(setupEnv.get("ALIGNSTREAM_TOPIC_PARTITIONS")));

        // ---- launch each stage with the compose file's main class and environment
        Map<String, String> stages = compose.stageMainClasses();
        assertThat(stages.values()).containsExactlyInAnyOrderElementsOf(DeploymentChecks.STAGE_MAIN_CLASSES);
        Map<String, ServiceProcess> running = new LinkedHashMap<>();
        for (Map.Entry<String, String> stage : stages.entrySet()) {
            Map<String, String> composeEnv = ComposeFile.environment(compose.service(stage.getKey()));
            assertThat(composeEnv).as("%s environment", stage.getKey())
                    .containsKeys(SWAPPED_IN_EVERY_STAGE.toArray(String[]::new));
            Map<String, String> env = new HashMap<>(composeEnv);
            env.put("ALIGNSTREAM_BOOTSTRAP_SERVERS", mapped(composeEnv.get("ALIGNSTREAM_BOOTSTRAP_SERVERS")));
            env.put("ALIGNSTREAM_HTTP_PORT", Integer.toString(freePort()));
            env.put("ALIGNSTREAM_STATE_DIR",
                    Files.createTempDirectory(processes.workDir(), stage.getKey() + "-state-").toString());
            if (composeEnv.containsKey("ALIGNSTREAM_MODEL_STORE")) { // one directory, as the one volume they share
                env.put("ALIGNSTREAM_MODEL_STORE", processes.workDir().resolve("model-store").toString());
            }
            Map<String, String> unchanged = new HashMap<>(env);
            unchanged.keySet().removeAll(SWAPPED);
            Map<String, String> composeUnchanged = new HashMap<>(composeEnv);
            composeUnchanged.keySet().removeAll(SWAPPED);
            assertThat(unchanged).as("%s: all but the swapped variables are the compose file's", stage.getKey())
                    .isEqualTo(composeUnchanged);
            assertThat(DeploymentChecks.stageLogin(stage.getValue(), composeEnv).user()).as("%s's principal", stage.getKey())
                    .isEqualTo(DeploymentChecks.STAGE_USERS.get(stage.getValue()));
            System.out.printf("compose parity: %s = java -cp <image classpath> %s with %s%n", stage.getKey(),
                    stage.getValue(), new TreeSet<>(composeEnv.keySet()));
            String classpath = ImageClasspath.of(root, ComposeFile.module(compose.service(stage.getKey()))).classpath();
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
        try (PromptClient client = new PromptClient(hostClient())) {
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
        try (FeedbackClient feedback = new FeedbackClient(hostClient())) {
            feedback.send(FeedbackClient.preference("compose-feedback-1", "sentiment", "She was",
                    "She was delighted with the morning.", "She was cross with everyone."));
            feedback.flush();
        }
        List<ConsumerRecord<byte[], byte[]>> examples = TopicReader.readCommitted(kafka.clientConfig(),
                Topics.FEEDBACK_EXAMPLES, r -> !r.isEmpty(), Duration.ofMillis(500), ANSWER_TIMEOUT);
        assertThat(examples).as("training examples from the one feedback event").hasSize(1);
        assertThat(AlignmentChecks.key(examples.get(0))).isEqualTo("sentiment");
        try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(hostClient(), new ByteArraySerializer(),
                new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(Topics.PROMPTS, "compose-garbage".getBytes(), new byte[] {1, 2, 3, 4})).get();
        }
        List<ConsumerRecord<byte[], byte[]>> dead = TopicReader.readCommitted(hostClient(), Topics.DEAD_LETTERS,
                r -> !r.isEmpty(), Duration.ofMillis(500), ANSWER_TIMEOUT);
        assertThat(dead).hasSize(1);
        DeadLetter letter = DeadLetters.serde().decode(dead.get(0).value());
        assertThat(letter.getStage()).isEqualTo("generator");
        // ops/dead-letters.sh lists it and re-publishes its original record, which (still garbage) comes back
        java.io.StringWriter listed = new java.io.StringWriter();
        CommandLine tool = DeadLetterTool.commandLine(Map.of()).setOut(new java.io.PrintWriter(listed));
        Map<String, Object> client = hostClient();
        assertThat(tool.execute("--bootstrap-servers", externalBootstrap,
                "-c", "security.protocol=" + client.get("security.protocol"),
                "-c", "sasl.mechanism=" + client.get("sasl.mechanism"),
                "-c", "sasl.jaas.config=" + client.get("sasl.jaas.config"),
                "--key", "compose-garbage", "--republish")).isZero();
        assertThat(listed.toString()).contains("\tgenerator\tprompts-", "key=compose-garbage", "cannot decode",
                "1 dead letter(s)", "re-published 1 record(s) to their source topics");
        List<ConsumerRecord<byte[], byte[]>> again = TopicReader.readCommitted(hostClient(),
                Topics.DEAD_LETTERS, r -> r.size() >= 2, Duration.ofMillis(500), ANSWER_TIMEOUT);
        assertThat(again).hasSize(2);
        assertThat(DeadLetters.serde().decode(again.get(1).value()).getOriginalValue())
                .isEqualTo(letter.getOriginalValue());

        // ---- authentication and ACLs are on: the client may not publish a reward model nor an answer, a wrong password
        // is refused, and the super user is not needed for any of the above
        assertThat(writeAs(hostClient(), Topics.REWARD_MODELS)).as("the client writing reward-models")
                .isInstanceOf(TopicAuthorizationException.class);
        assertThat(writeAs(hostClient(), Topics.ALIGNED_RESPONSES)).as("the client writing aligned-responses")
                .isInstanceOf(TopicAuthorizationException.class);
        assertThat(writeAs(hostClient(AccessControl.CLIENT, "not-the-password"), Topics.PROMPTS))
                .as("a wrong password").isInstanceOf(SaslAuthenticationException.class);

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

    /** The topics the set-up created: every one of Topics.ALL with its partition count, reward-models compacted. */
    private static void checkTopicsAsTheSetUpCreatesThem(int partitions) throws Exception {
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            Map<String, TopicDescription> described = admin.describeTopics(Topics.ALL).allTopicNames().get(60,
                    TimeUnit.SECONDS);
            for (String t : Topics.ALL) {
                assertThat(described.get(t).partitions()).as(t).hasSize(partitions);
            }
            ConfigResource rewardModels = new ConfigResource(ConfigResource.Type.TOPIC, Topics.REWARD_MODELS);
            Config config = admin.describeConfigs(List.of(rewardModels)).all().get(60, TimeUnit.SECONDS).get(rewardModels);
            assertThat(config.get("cleanup.policy").value()).isEqualTo("compact");
        }
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
