package org.alignstream.drills;

import org.alignstream.harness.RunLocal;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.alignstream.common.topics.Topics;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks the Compose deployment against the code without Docker ({@link DeploymentChecks}): the repository's files
 * pass every check, and each check fails on a copy of them with one mutation (a missing file, an unknown main class or
 * variable, a wrong port, a set-up without explicit partitions, a broken alert rule or dashboard, an unpinned image, no
 * authorizer, allow-everyone, a PLAINTEXT listener, a stage as admin or sharing a user, a stage creating topics, a
 * hard-coded password, ...). Prometheus' own tools run the rules, their unit tests and the scrape configuration in
 * {@link PrometheusIT}.
 */
class ComposeStaticCheckTest {

    private static Path root;
    private static Set<String> knownMetrics;

    @BeforeAll
    static void load() {
        root = ComposeFile.repositoryRoot();
        knownMetrics = MetricNames.exportedByStages();
    }

    @Test
    void theRepositorysDeploymentPassesEveryCheck() {
        List<String> problems = DeploymentChecks.all(root, knownMetrics);
        assertThat(problems).as("problems of %s and the files it references", ComposeFile.FILE_NAME).isEmpty();
    }

    @Test
    void theComposeFileDeploysTheFourStagesAndCreatesEveryTopic() throws Exception {
        ComposeFile compose = ComposeFile.load(root);
        assertThat(compose.stageMainClasses().values())
                .containsExactlyInAnyOrderElementsOf(DeploymentChecks.STAGE_MAIN_CLASSES);
        // one set-up creates the topics (Topics.ALL, AccessControl.setUp), the users and the ACLs
        assertThat(compose.setupServices()).containsExactly("setup");
        picocli.CommandLine setup = DeploymentChecks.parseSetup(ComposeFile.environment(compose.service("setup")));
        assertThat((Integer) DeploymentChecks.option(setup, "--topic-partitions")).isEqualTo(6);
        assertThat((Short) DeploymentChecks.option(setup, "--replication-factor")).isEqualTo((short) 1);
        assertThat(Topics.ALL).contains(Topics.REWARD_MODELS);
        // the option variables come from the real picocli model: a stage-specific option is known only to its stage
        assertThat(DeploymentChecks.optionVariables("org.alignstream.scorer.ScorerService"))
                .contains("ALIGNSTREAM_BOOTSTRAP_SERVERS", "ALIGNSTREAM_DEVICE", "ALIGNSTREAM_CONFIG")
                .doesNotContain("ALIGNSTREAM_HELP", "ALIGNSTREAM_VERSION");
        assertThat(DeploymentChecks.optionVariables("org.alignstream.selector.SelectorService"))
                .doesNotContain("ALIGNSTREAM_DEVICE", "ALIGNSTREAM_INTRA_OP_THREADS");
        // the anchors and merge keys resolve as Compose resolves them
        Map<String, String> env = ComposeFile.environment(compose.service("selector"));
        assertThat(env).containsEntry("ALIGNSTREAM_BOOTSTRAP_SERVERS", "kafka:9092")
                .containsEntry("ALIGNSTREAM_HTTP_PORT", "8080").containsEntry("OPT_OUT_TRACKING", "true");
    }

    /** The broker settings the profile three-brokers changes: the shape of the cluster, nothing of its security. */
    static final Set<String> CLUSTER_SHAPE = Set.of("KAFKA_NODE_ID", "KAFKA_ADVERTISED_LISTENERS", "KAFKA_LISTENERS",
            "KAFKA_CONTROLLER_QUORUM_VOTERS", "KAFKA_DEFAULT_REPLICATION_FACTOR", "KAFKA_MIN_INSYNC_REPLICAS",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR");

    /**
     * The profile three-brokers (ops/compose/three-brokers.env): three combined broker+controller nodes in one quorum,
     * every topic at replication factor 3 with min ISR 2, the set-up and every stage at replication factor 3 against
     * all three; each node's settings are the single broker's but for the shape of the cluster (same listener names,
     * SASL mechanisms, logins, authorizer, super user, cluster id).
     */
    @Test
    void theThreeBrokerProfileIsAQuorumOfThreeAtReplicationFactorThree() throws Exception {
        ComposeFile single = ComposeFile.load(root);
        ComposeFile three = ComposeFile.threeBrokers(root);
        assertThat(single.services()).doesNotContainKeys("kafka-2", "kafka-3");
        assertThat(three.profiles).containsExactly("three-brokers");
        Map<String, String> broker = ComposeFile.environment(single.service("kafka"));
        assertThat(broker).containsEntry("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@127.0.0.1:9093")
                .containsEntry("KAFKA_DEFAULT_REPLICATION_FACTOR", "1").containsEntry("KAFKA_MIN_INSYNC_REPLICAS", "1");
        List<String> nodes = List.of("kafka", "kafka-2", "kafka-3");
        for (int i = 0; i < nodes.size(); i++) {
            Map<String, String> env = ComposeFile.environment(three.service(nodes.get(i)));
            assertThat(env).as(nodes.get(i)).containsEntry("KAFKA_NODE_ID", Integer.toString(i + 1))
                    .containsEntry("KAFKA_PROCESS_ROLES", "broker,controller")
                    .containsEntry("KAFKA_CONTROLLER_QUORUM_VOTERS", "1@kafka:9093,2@kafka-2:9093,3@kafka-3:9093")
                    .containsEntry("KAFKA_LISTENERS", "INTERNAL://:9092,CONTROLLER://0.0.0.0:9093,EXTERNAL://:9094")
                    .containsEntry("KAFKA_ADVERTISED_LISTENERS", "INTERNAL://" + nodes.get(i) + ":9092,EXTERNAL://localhost:"
                            + (9094 + i))
                    .containsEntry("KAFKA_DEFAULT_REPLICATION_FACTOR", "3")
                    .containsEntry("KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "3")
                    .containsEntry("KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR", "3")
                    .containsEntry("KAFKA_MIN_INSYNC_REPLICAS", "2")
                    .containsEntry("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "2");
            assertThat(DeploymentChecks.listenerNames(env.get("KAFKA_LISTENERS")))
                    .isEqualTo(DeploymentChecks.listenerNames(broker.get("KAFKA_LISTENERS")));
            Map<String, String> security = new java.util.TreeMap<>(env);
            security.keySet().removeAll(CLUSTER_SHAPE);
            Map<String, String> singleSecurity = new java.util.TreeMap<>(broker);
            singleSecurity.keySet().removeAll(CLUSTER_SHAPE);
            assertThat(security).as("%s: everything but the cluster's shape is the single broker's", nodes.get(i))
                    .isEqualTo(singleSecurity);
        }
        picocli.CommandLine setup = DeploymentChecks.parseSetup(ComposeFile.environment(three.service("setup")));
        assertThat((Short) DeploymentChecks.option(setup, "--replication-factor")).isEqualTo((short) 3);
        assertThat((String) DeploymentChecks.option(setup, "--bootstrap-servers"))
                .isEqualTo("kafka:9092,kafka-2:9092,kafka-3:9092");
        for (Map.Entry<String, String> stage : three.stageMainClasses().entrySet()) {
            Map<String, String> env = ComposeFile.environment(three.service(stage.getKey()));
            picocli.CommandLine cl = org.alignstream.common.runtime.StreamsCommand.commandLine(
                    (org.alignstream.common.runtime.StreamsCommand) Class.forName(stage.getValue())
                            .getDeclaredConstructor().newInstance(), env);
            cl.parseArgs();
            assertThat((Short) DeploymentChecks.option(cl, "--replication-factor")).as(stage.getKey()).isEqualTo((short) 3);
            assertThat(env).containsEntry("ALIGNSTREAM_BOOTSTRAP_SERVERS", "kafka:9092,kafka-2:9092,kafka-3:9092");
        }
        assertThat(three.stageMainClasses()).isEqualTo(single.stageMainClasses());
        assertThat(DeploymentChecks.threeBrokers(root, knownMetrics)).isEmpty();
    }

    /** Compose's interpolation: the file's development defaults without variables, the variables' values with them. */
    @Test
    void passwordsComeFromVariablesWithMarkedDevelopmentDefaults() {
        ComposeFile defaults = ComposeFile.load(root);
        assertThat(defaults.variableNames()).contains("ALIGNSTREAM_ADMIN_PASSWORD", "ALIGNSTREAM_GENERATOR_PASSWORD",
                "ALIGNSTREAM_SCORER_PASSWORD", "ALIGNSTREAM_SELECTOR_PASSWORD", "ALIGNSTREAM_FEEDBACK_PASSWORD",
                "ALIGNSTREAM_CLIENT_PASSWORD");
        assertThat(ComposeFile.environment(defaults.service("scorer")).get("ALIGNSTREAM_CONFIG"))
                .contains("username=\"scorer\" password=\"dev-scorer-change-me\";");
        assertThat(ComposeFile.environment(defaults.service("setup")))
                .containsEntry("ALIGNSTREAM_SCORER_PASSWORD", "dev-scorer-change-me")
                .containsEntry("ALIGNSTREAM_CLIENT_PASSWORD", "dev-client-change-me");
        assertThat(ComposeFile.environment(defaults.service("kafka")))
                .containsEntry("BROKER_ADMIN_PASSWORD", "dev-admin-change-me");
        ComposeFile set = ComposeFile.load(root, Map.of("ALIGNSTREAM_SCORER_PASSWORD", "s3cret-1",
                "ALIGNSTREAM_ADMIN_PASSWORD", "adm-2"));
        assertThat(ComposeFile.environment(set.service("scorer")).get("ALIGNSTREAM_CONFIG"))
                .contains("username=\"scorer\" password=\"s3cret-1\";");
        assertThat(ComposeFile.environment(set.service("setup"))).containsEntry("ALIGNSTREAM_SCORER_PASSWORD", "s3cret-1");
        assertThat(ComposeFile.environment(set.service("kafka")).values()).filteredOn(v -> v.contains("adm-2"))
                .hasSize(3); // BROKER_ADMIN_PASSWORD, the INTERNAL listener's SCRAM and the CONTROLLER's PLAIN login
        assertThat(DeploymentChecks.all(root, knownMetrics)).isEmpty();
    }

    @Test
    void interpolationFollowsCompose() {
        Map<String, String> vars = Map.of("SET", "v", "EMPTY", "");
        assertThat(ComposeFile.interpolate("a${SET}b$SET", vars, "t")).isEqualTo("avbv");
        assertThat(ComposeFile.interpolate("${UNSET:-d}|${EMPTY:-d}|${EMPTY-d}|${UNSET-d}|${SET:-d}", vars, "t"))
                .isEqualTo("d|d||d|v");
        assertThat(ComposeFile.interpolate("${SET:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${UNSET}", vars, "t"))
                .isEqualTo("alt||alt|");
        assertThat(ComposeFile.interpolate("cost $$5 ${SET:?}", vars, "t")).isEqualTo("cost $5 v");
        assertThat(ComposeFile.interpolate("pw=${P:-dev-x-change-me};", vars, "t")).isEqualTo("pw=dev-x-change-me;");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ComposeFile.interpolate("${UNSET:?needed}", vars, "t"))
                .hasMessageContaining("UNSET").hasMessageContaining("needed");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ComposeFile.interpolate("a $ b", vars, "t"))
                .hasMessageContaining("write $ as $$");
    }

    /** The metric names known to the checks include the bridged Kafka Streams names the alerts rely on. */
    @Test
    void theKnownMetricNamesComeFromTheStagesRegistries() {
        assertThat(knownMetrics).contains("alignstream_records_in_total", "alignstream_batch_size_bucket",
                "alignstream_inference_seconds_bucket", "alignstream_dead_letters_total",
                "alignstream_model_versions_total", "kafka_streams_stream_metrics_client_state",
                "kafka_streams_consumer_fetch_manager_metrics_records_lag_max",
                "kafka_streams_stream_thread_metrics_process_latency_avg");
        assertThat(MetricNames.referencedIn("sum by (job) (rate(alignstream_records_in_total{stage=\"x\"}[5m]))"
                + " / up{job=~\"alignstream-.*\"}")).containsExactly("alignstream_records_in_total");
    }

    // ------------------------------------------------------------------ every check can fail

    static Stream<Arguments> mutations() {
        String compose = ComposeFile.FILE_NAME;
        String dockerfile = "ops/docker/Dockerfile";
        String prometheus = "ops/prometheus/prometheus.yml";
        String alerts = "ops/prometheus/alerts.yml";
        String dashboard = "ops/grafana/dashboards/alignstream.json";
        String datasource = "ops/grafana/provisioning/datasources/prometheus.yml";
        String provider = "ops/grafana/provisioning/dashboards/alignstream.yml";
        String threeBrokers = ComposeFile.THREE_BROKERS_ENV;
        return Stream.of(
                // files
                m("a Dockerfile that does not exist", compose,
                        "dockerfile: ops/docker/Dockerfile\n      args:\n        MODULE: scorer-service",
                        "dockerfile: ops/docker/Dockerfile.gone\n      args:\n        MODULE: scorer-service",
                        "[files] service scorer: Dockerfile ops/docker/Dockerfile.gone does not exist"),
                m("a mounted file that does not exist", compose, "./ops/prometheus/alerts.yml:", "./ops/prometheus/alert.yml:",
                        "[files] service prometheus: mounted ./ops/prometheus/alert.yml does not exist"),
                m("the image copies something else than lib/", dockerfile, "/image/lib/ /opt/alignstream/lib/",
                        "/image/classes/ /opt/alignstream/lib/", "does not copy the module's jar and target/lib"),
                m("the image holds every module's lib/", dockerfile, "cp -r \"${MODULE}/target/lib\" /image/lib",
                        "cp -r drills/target/lib /image/lib", "does not copy the module's jar and target/lib"),
                mAll("the image is not built from its own module", dockerfile, "-pl \"${MODULE}\" -am package",
                        "-pl drills -am package", "does not build with mvn -pl \"${MODULE}\" -am package"),
                m("a stage image built from another module", compose, "MODULE: selector-service", "MODULE: harness",
                        "[main-class] service selector: image module harness, but org.alignstream.selector.SelectorService is in module selector-service"),
                // main classes
                m("a main class that does not exist", compose, "MAIN_CLASS: org.alignstream.selector.SelectorService",
                        "MAIN_CLASS: org.alignstream.selector.SelectorServce",
                        "[main-class] service selector: main class org.alignstream.selector.SelectorServce is not on the classpath"),
                m("a main class that is not a stage", compose, "MAIN_CLASS: org.alignstream.feedback.FeedbackService",
                        "MAIN_CLASS: org.alignstream.harness.RunLocal",
                        "[main-class] service feedback: org.alignstream.harness.RunLocal is not a stage command"),
                m("a stage that is not deployed", compose, "MAIN_CLASS: org.alignstream.feedback.FeedbackService",
                        "MAIN_CLASS: org.alignstream.selector.SelectorService",
                        "[main-class] org.alignstream.feedback.FeedbackService is deployed 0 times"),
                m("a stage configured by flags", compose, "    image: alignstream/generator:0.1.0-SNAPSHOT\n",
                        "    image: alignstream/generator:0.1.0-SNAPSHOT\n    command: [\"--http-port\", \"9999\"]\n",
                        "[main-class] service generator overrides the image's command"),
                // environment
                m("an option of another stage", compose,
                        "JAVA_TOOL_OPTIONS: -Dai.djl.offline=true -Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro -Xmx256m",
                        "ALIGNSTREAM_INTRA_OP_THREADS: \"1\"\n      JAVA_TOOL_OPTIONS: -Dai.djl.offline=true -Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro -Xmx256m",
                        "[env] service selector: ALIGNSTREAM_INTRA_OP_THREADS is not an option of SelectorService"),
                mFirst("a misspelt variable", compose, "ALIGNSTREAM_BOOTSTRAP_SERVERS: ${ALIGNSTREAM_KAFKA_BOOTSTRAP:-",
                        "ALIGNSTREAM_BOOTSTRAP_SERVER: ${ALIGNSTREAM_KAFKA_BOOTSTRAP:-",
                        "[env] service generator: ALIGNSTREAM_BOOTSTRAP_SERVER is not an option of GeneratorService"),
                m("a value that does not parse", compose, "ALIGNSTREAM_MAX_N: \"64\"", "ALIGNSTREAM_MAX_N: \"many\"",
                        "[env] service generator: its environment does not parse"),
                m("tracking not opted out", compose, "  DJL_OFFLINE: \"true\"\n", "",
                        "[env] service scorer: DJL_OFFLINE must be true, is null"),
                m("Avro packages not trusted", compose,
                        "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro -Xmx256m", "-Xmx256m",
                        "[env] service selector: JAVA_TOOL_OPTIONS lacks -Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro"),
                mFirst("a bootstrap server that is no Kafka service", compose, "${ALIGNSTREAM_KAFKA_BOOTSTRAP:-kafka:9092}",
                        "${ALIGNSTREAM_KAFKA_BOOTSTRAP:-broker:9092}",
                        "[env] service feedback: bootstrap server broker:9092 is not a Kafka service"),
                m("a stage that does not wait for its topics", compose,
                        "    setup:\n      condition: service_completed_successfully\n", "",
                        "[env] service selector does not create topics and does not wait for the service that does"),
                // healthchecks and state
                m("a healthcheck on liveness only", compose, "/health/ready\"]", "/health/live\"]",
                        "[healthcheck] service generator: the healthcheck does not ask http://localhost:8080/health/ready"),
                m("a state directory on the container's own disk", compose,
                        "changelog topic\n    volumes:\n      - /var/lib/alignstream/state\n\n  feedback:",
                        "changelog topic\n\n  feedback:",
                        "[state-dir] service selector: state directory /var/lib/alignstream/state is not on a volume"),
                // model store
                m("a scorer without the feedback service's model store", compose,
                        "      - model-store:/var/lib/alignstream/models:ro\n", "",
                        "[model-store] service scorer does not mount the feedback service's model store (volume model-store)"),
                m("a scorer that may write the model store", compose,
                        "      - model-store:/var/lib/alignstream/models:ro\n", "      - model-store:/var/lib/alignstream/models\n",
                        "[model-store] service scorer: the scorer's model store must be mounted read-only"),
                m("a model store on the container's own disk", compose,
                        "      - model-store:/var/lib/alignstream/models\n\n", "\n",
                        "[model-store] service feedback: model store /var/lib/alignstream/models is not a named volume"),
                // prometheus
                m("a scrape port that is not the stage's", prometheus, "- names: [scorer]\n        type: A\n        port: 8080",
                        "- names: [scorer]\n        type: A\n        port: 8081",
                        "[prometheus] no job scrapes scorer:8080 (the stage's ALIGNSTREAM_HTTP_PORT); scraped instead: [scorer:8081]"),
                m("a stage's port changed only in its environment", compose,
                        "      ALIGNSTREAM_DEVICE: cpu\n", "      ALIGNSTREAM_DEVICE: cpu\n      ALIGNSTREAM_HTTP_PORT: \"8081\"\n",
                        "[prometheus] no job scrapes scorer:8081"),
                m("a stage Prometheus does not scrape", prometheus, "      - names: [feedback]\n", "      - names: [feedbacks]\n",
                        "[prometheus] no job scrapes feedback:8080"),
                m("a rule file that is not mounted", prometheus, "  - /etc/prometheus/alerts.yml", "  - /etc/prometheus/rules.yml",
                        "[prometheus] rule file /etc/prometheus/rules.yml is not mounted into service prometheus"),
                // topics: the set-up creates them (AccessControl.setUp: Topics.ALL with Topics.configs)
                m("no set-up", compose, "MAIN_CLASS: org.alignstream.clients.AccessControlCommand",
                        "MAIN_CLASS: org.alignstream.common.security.AccessControlCmd",
                        "[topics] 0 services run org.alignstream.clients.AccessControlCommand"),
                m("partitions left to a default", compose, "      ALIGNSTREAM_TOPIC_PARTITIONS: \"6\"\n", "",
                        "[topics] service setup: ALIGNSTREAM_TOPIC_PARTITIONS is not set"),
                m("more replicas than brokers", compose,
                        "ALIGNSTREAM_TOPIC_PARTITIONS: \"6\"\n      ALIGNSTREAM_REPLICATION_FACTOR: ${ALIGNSTREAM_REPLICATION_FACTOR:-1}",
                        "ALIGNSTREAM_TOPIC_PARTITIONS: \"6\"\n      ALIGNSTREAM_REPLICATION_FACTOR: \"3\"",
                        "[topics] service setup: replication factor 3 above the 1 broker(s)"),
                m("a set-up option that does not exist", compose, "ALIGNSTREAM_TOPIC_PARTITIONS: \"6\"",
                        "ALIGNSTREAM_PARTITIONS: \"6\"",
                        "[topics] service setup: ALIGNSTREAM_PARTITIONS is not an option of AccessControlCommand"),
                m("a set-up that does not wait for the broker", compose,
                        "    restart: \"no\"\n    depends_on:\n      kafka:\n        condition: service_healthy\n",
                        "    restart: \"no\"\n    depends_on:\n",
                        "[topics] service setup does not wait for the Kafka service to be healthy"),
                // the cluster: one broker, and the three of the profile three-brokers (ops/compose/three-brokers.env)
                m("a single broker with replicated internal topics", compose,
                        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: ${ALIGNSTREAM_REPLICATION_FACTOR:-1}",
                        "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: \"3\"",
                        "[cluster] KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR is 3, expected 1 on 1 broker(s)"),
                m("three brokers with a fixed replication factor", compose,
                        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: ${ALIGNSTREAM_REPLICATION_FACTOR:-1}",
                        "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: \"1\"",
                        "[three-brokers] [cluster] KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR is 1, expected 3 on 3 broker(s)"),
                m("three brokers at replication factor 2", threeBrokers, "ALIGNSTREAM_REPLICATION_FACTOR=3",
                        "ALIGNSTREAM_REPLICATION_FACTOR=2",
                        "[three-brokers] [cluster] KAFKA_DEFAULT_REPLICATION_FACTOR is 2, expected 3 on 3 broker(s)"),
                m("three brokers at min ISR 1", threeBrokers, "ALIGNSTREAM_MIN_INSYNC_REPLICAS=2",
                        "ALIGNSTREAM_MIN_INSYNC_REPLICAS=1",
                        "[three-brokers] [cluster] KAFKA_MIN_INSYNC_REPLICAS is 1, expected 2 on 3 broker(s)"),
                m("a node missing from the quorum", threeBrokers, ",3@kafka-3:9093", "",
                        "[three-brokers] [cluster] the quorum voters [1, 2] are not the node ids [1, 2, 3]"),
                m("a voter at another node", threeBrokers, "2@kafka-2:9093", "2@kafka-3:9093",
                        "[three-brokers] [cluster] voter 2 is at kafka-3:9093, not at its node's kafka-2:9093"),
                m("the quorum on loopback", threeBrokers, "ALIGNSTREAM_KAFKA_CONTROLLER_HOST=0.0.0.0",
                        "ALIGNSTREAM_KAFKA_CONTROLLER_HOST=127.0.0.1",
                        "[three-brokers] [cluster] the CONTROLLER listener is bound to 127.0.0.1:9093"),
                m("stages that bootstrap from two of the three", threeBrokers, ",kafka-3:9092\n", "\n",
                        "[three-brokers] [cluster] service generator bootstraps from [kafka-2:9092, kafka:9092], not from every node"),
                m("the profile not enabled", threeBrokers, "COMPOSE_PROFILES=three-brokers\n", "",
                        "[three-brokers] [cluster] 1 Kafka service(s) under the profile(s) [], expected 3"),
                m("two nodes with one id", compose, "KAFKA_NODE_ID: \"3\"", "KAFKA_NODE_ID: \"2\"",
                        "[three-brokers] [cluster] service kafka-3 is node 2, as is the node at kafka-2"),
                m("a node with its own access control", compose, "KAFKA_NODE_ID: \"2\"\n",
                        "KAFKA_NODE_ID: \"2\"\n      KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND: \"true\"\n",
                        "[three-brokers] [cluster] service kafka-2: KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND is true, not kafka's false"),
                m("two nodes on one volume", compose, "- kafka-3-data:/var/lib/kafka/data", "- kafka-2-data:/var/lib/kafka/data",
                        "[three-brokers] [cluster] services kafka-2 and kafka-3 share the volume kafka-2-data"),
                m("two nodes on one host port", compose, "\"9096:9094\"", "\"9095:9094\"",
                        "[three-brokers] [cluster] services kafka-2 and kafka-3 publish the same host port 9095"),
                m("a node advertising another", compose, "INTERNAL://kafka-3:9092", "INTERNAL://kafka-2:9092",
                        "[three-brokers] [cluster] service kafka-3 advertises kafka-2:9092 on INTERNAL, not its host name kafka-3"),
                m("a set-up that does not wait for every node", compose,
                        "      kafka-3:\n        condition: service_healthy\n        required: false\n", "",
                        "[three-brokers] [cluster] service setup does not wait for kafka-3 to be healthy"),
                m("a stage with its own replication factor", compose, "      ALIGNSTREAM_DEVICE: cpu\n",
                        "      ALIGNSTREAM_DEVICE: cpu\n      ALIGNSTREAM_REPLICATION_FACTOR: \"1\"\n",
                        "[three-brokers] [cluster] service scorer: replication factor 1, expected 3 on 3 broker(s)"),
                // access control
                m("no authorizer", compose,
                        "      KAFKA_AUTHORIZER_CLASS_NAME: org.apache.kafka.metadata.authorizer.StandardAuthorizer\n", "",
                        "[security] service kafka: KAFKA_AUTHORIZER_CLASS_NAME is null"),
                m("everyone allowed without ACLs", compose, "KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND: \"false\"",
                        "KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND: \"true\"",
                        "[security] service kafka: KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND must be false, is true"),
                m("anonymous a super user", compose, "KAFKA_SUPER_USERS: User:admin",
                        "KAFKA_SUPER_USERS: User:admin;User:ANONYMOUS",
                        "[security] service kafka: the super users [ANONYMOUS, admin] must be exactly"),
                m("an unauthenticated listener", compose, "EXTERNAL:SASL_PLAINTEXT", "EXTERNAL:PLAINTEXT",
                        "[security] service kafka: listener EXTERNAL is PLAINTEXT"),
                m("PLAIN for host clients", compose, "KAFKA_LISTENER_NAME_EXTERNAL_SASL_ENABLED_MECHANISMS: SCRAM-SHA-256",
                        "KAFKA_LISTENER_NAME_EXTERNAL_SASL_ENABLED_MECHANISMS: SCRAM-SHA-256,PLAIN",
                        "[security] service kafka: client listener EXTERNAL must enable only SCRAM mechanisms"),
                m("no bootstrap credential", "ops/kafka/start.sh", "\n    --add-scram ", "\n    --no-scram ",
                        "[security] service kafka: its entrypoint"),
                m("a set-up that is not the super user", compose, "username=\"admin\" password=\"${ALIGNSTREAM_ADMIN_PASSWORD:-dev-admin-change-me}\";\n      ALIGNSTREAM_TOPIC_PARTITIONS",
                        "username=\"client\" password=\"${ALIGNSTREAM_ADMIN_PASSWORD:-dev-admin-change-me}\";\n      ALIGNSTREAM_TOPIC_PARTITIONS",
                        "[security] service setup authenticates as client, not as the broker's super user"),
                m("a stage as the super user", compose, "username=\"scorer\" password=\"${ALIGNSTREAM_SCORER_PASSWORD:-dev-scorer-change-me}\"",
                        "username=\"admin\" password=\"${ALIGNSTREAM_ADMIN_PASSWORD:-dev-admin-change-me}\"",
                        "[security] service scorer authenticates as admin, a super user"),
                m("two stages under one user", compose, "username=\"selector\" password=\"${ALIGNSTREAM_SELECTOR_PASSWORD:-dev-selector-change-me}\"",
                        "username=\"generator\" password=\"${ALIGNSTREAM_GENERATOR_PASSWORD:-dev-generator-change-me}\"",
                        "[security] user generator is used by services [generator, selector]"),
                m("a stage without authentication", compose, "ALIGNSTREAM_CONFIG: security.protocol=SASL_PLAINTEXT,sasl.mechanism=SCRAM-SHA-256,sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"feedback\"",
                        "ALIGNSTREAM_CONFIG: linger.ms=5,sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"feedback\"",
                        "[security] service feedback does not authenticate with SASL/SCRAM"),
                m("a stage password the set-up does not give", compose, "password=\"${ALIGNSTREAM_FEEDBACK_PASSWORD:-dev-feedback-change-me}\"",
                        "password=\"${ALIGNSTREAM_FEEDBACK_PASSWORD:-dev-feedback-changed}\"",
                        "[security] service feedback: its password for user feedback is not the one the set-up gives it"),
                m("a stage that creates topics", compose, "ALIGNSTREAM_CREATE_TOPICS: \"false\"",
                        "ALIGNSTREAM_CREATE_TOPICS: \"true\"",
                        "[security] service selector: ALIGNSTREAM_CREATE_TOPICS must be false"),
                m("a password written into the file", compose,
                        "ALIGNSTREAM_CLIENT_PASSWORD: ${ALIGNSTREAM_CLIENT_PASSWORD:-dev-client-change-me}",
                        "ALIGNSTREAM_CLIENT_PASSWORD: hunter2-client",
                        "[security] service setup: ALIGNSTREAM_CLIENT_PASSWORD is written into the file"),
                m("a $ that interpolates nothing", compose, "KAFKA_HEAP_OPTS: -Xms512m -Xmx1g", "KAFKA_HEAP_OPTS: -Xms512m -Xmx1g $",
                        "[compose] docker-compose.yml does not parse"),
                // the HTTP gateway (a front end, Pipeline.FRONT_ENDS)
                m("no gateway", compose, "MAIN_CLASS: org.alignstream.gateway.GatewayService",
                        "MAIN_CLASS: org.alignstream.gateway.GatewayServce",
                        "[front-end] org.alignstream.gateway.GatewayService is deployed 0 times"),
                m("a gateway option that does not exist", compose, "ALIGNSTREAM_TIMEOUT_MS: \"120000\"",
                        "ALIGNSTREAM_TIMEOUT: \"120000\"",
                        "[front-end] service gateway: ALIGNSTREAM_TIMEOUT is not an option of GatewayService"),
                m("a gateway under the clients' user", compose,
                        "username=\"gateway\" password=\"${ALIGNSTREAM_GATEWAY_PASSWORD:-dev-gateway-change-me}\"",
                        "username=\"client\" password=\"${ALIGNSTREAM_CLIENT_PASSWORD:-dev-client-change-me}\"",
                        "[front-end] service gateway does not authenticate with SASL/SCRAM as user gateway"),
                m("a gateway Prometheus does not scrape", prometheus, "      - names: [gateway]\n", "      - names: [gw]\n",
                        "[front-end] no Prometheus job scrapes gateway:8080"),
                m("a gateway healthcheck on liveness only", compose, "localhost:8080/health/ready\n",
                        "localhost:8080/health/live\n",
                        "[front-end] service gateway: the healthcheck does not ask http://localhost:8080/health/ready"),
                // alert rules
                m("alert rules that do not parse", alerts, "  - name: alignstream-flow\n    rules:",
                        "  - name: alignstream-flow\n   rules:", "[alerts] ops/prometheus/alerts.yml does not parse"),
                m("an alert on a metric no stage exports", alerts, "expr: kafka_streams_stream_metrics_client_state != 2",
                        "expr: kafka_streams_stream_metrics_client_status != 2",
                        "[alerts] alert AlignstreamStageNotReady uses kafka_streams_stream_metrics_client_status, which no stage exports"),
                mAll("no alert on failed retraining", alerts, "outcome=\"failed\"", "outcome=\"published\"",
                        "[alerts] no alert covers failed retraining"),
                m("an alert expression with unbalanced brackets", alerts, "expr: up{job=~\"alignstream-.*\"} == 0",
                        "expr: (up{job=~\"alignstream-.*\"} == 0",
                        "[alerts] alert AlignstreamStageDown: unbalanced brackets"),
                mFirst("an unknown severity", alerts, "severity: critical", "severity: page",
                        "[alerts] alert AlignstreamStageDown: severity page is not one of"),
                // dashboard
                mFirst("a dashboard that is not JSON", dashboard, "\"panels\": [", "\"panels\": [[,",
                        "[dashboard] ops/grafana/dashboards/alignstream.json does not parse as JSON"),
                mAll("a panel on a metric no stage exports", dashboard, "alignstream_batch_size_bucket",
                        "alignstream_batchsize_bucket", "uses alignstream_batchsize_bucket, which no stage exports"),
                mAll("no panel on dead letters", dashboard, "alignstream_dead_letters_total", "alignstream_records_in_total",
                        "[dashboard] no panel shows dead letters"),
                m("panels on a datasource Grafana does not have", datasource, "uid: prometheus", "uid: prom",
                        "queries datasource prometheus, provisioned: [prom]"),
                m("a dashboard provider reading an unmounted directory", provider, "path: /etc/grafana/dashboards",
                        "path: /var/lib/grafana/dashboards",
                        "[dashboard] the provider's path /var/lib/grafana/dashboards is not a directory mounted into grafana"),
                // images
                m("an unpinned image", compose, "image: prom/prometheus:v3.5.0", "image: prom/prometheus:latest",
                        "[images] service prometheus: image prom/prometheus:latest is not pinned"),
                mFirst("an image without tag", compose, "image: apache/kafka:4.3.1", "image: apache/kafka",
                        "[images] service kafka: image apache/kafka is not pinned"),
                m("a floating base image", dockerfile, "FROM eclipse-temurin:17.0.17_10-jre-noble", "FROM eclipse-temurin:17-jre",
                        "[images] ops/docker/Dockerfile: FROM eclipse-temurin:17-jre is not pinned"),
                m("a base image that is not Temurin 17", dockerfile, "FROM eclipse-temurin:17.0.17_10-jre-noble",
                        "FROM eclipse-temurin:21.0.5_11-jre-noble", "not an eclipse-temurin 17 JRE"));
    }

    private enum Mode { ONCE, FIRST, ALL }

    private static Arguments m(String what, String file, String from, String to, String expected) {
        return Arguments.of(what, file, from, to, Mode.ONCE, expected);
    }

    private static Arguments mFirst(String what, String file, String from, String to, String expected) {
        return Arguments.of(what, file, from, to, Mode.FIRST, expected);
    }

    private static Arguments mAll(String what, String file, String from, String to, String expected) {
        return Arguments.of(what, file, from, to, Mode.ALL, expected);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("mutations")
    void eachCheckFailsOnAMutatedCopy(String what, String file, String from, String to, Mode mode, String expected,
                                      @TempDir Path copy) throws IOException {
        copyDeployment(root, copy);
        Path target = copy.resolve(file);
        String text = Files.readString(target, StandardCharsets.UTF_8);
        int count = text.split(java.util.regex.Pattern.quote(from), -1).length - 1;
        assertThat(count).as("occurrences of the text to mutate in %s", file).isPositive();
        if (mode == Mode.ONCE) {
            assertThat(count).as("the text to mutate occurs once in %s", file).isEqualTo(1);
        }
        String mutated = switch (mode) {
            case ONCE, FIRST -> text.replaceFirst(java.util.regex.Pattern.quote(from),
                    java.util.regex.Matcher.quoteReplacement(to));
            case ALL -> text.replace(from, to);
        };
        Files.writeString(target, mutated, StandardCharsets.UTF_8);

        assertThat(DeploymentChecks.all(copy, knownMetrics)).as("problems after mutating %s: %s", file, what)
                .anySatisfy(p -> assertThat(p).contains(expected));
    }

    /** The unmutated copy passes, so every failure above comes from its mutation. */
    @Test
    void anUnmutatedCopyPasses(@TempDir Path copy) throws IOException {
        copyDeployment(root, copy);
        assertThat(DeploymentChecks.all(copy, knownMetrics)).isEmpty();
    }

    /**
     * Copies the compose file and everything it references (ops/docker, ops/kafka, ops/prometheus, ops/grafana) or
     * that configures it (ops/compose).
     */
    static void copyDeployment(Path from, Path to) throws IOException {
        Files.copy(from.resolve(ComposeFile.FILE_NAME), to.resolve(ComposeFile.FILE_NAME));
        for (String dir : List.of("ops/docker", "ops/kafka", "ops/prometheus", "ops/grafana", "ops/compose")) {
            Path src = from.resolve(dir);
            try (Stream<Path> walk = Files.walk(src)) {
                for (Path p : walk.toList()) {
                    Path dst = to.resolve(from.relativize(p).toString());
                    if (Files.isDirectory(p)) {
                        Files.createDirectories(dst);
                    } else {
                        Files.copy(p, dst);
                    }
                }
            }
        }
    }
}
