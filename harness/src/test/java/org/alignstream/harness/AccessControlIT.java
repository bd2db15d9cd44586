package org.alignstream.harness;

import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.clients.AlignClient;
import org.alignstream.clients.FeedbackClient;
import org.alignstream.clients.PromptClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.PreferenceEvent;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.avro.Strategy;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.security.AccessControl;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.DeadLetters;
import org.alignstream.common.topics.Topics;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.embedded.SaslScram;
import org.alignstream.gateway.Gateway;
import org.alignstream.gateway.GatewayService;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.MeanPoolingEncoder;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.scorer.RewardModelRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import picocli.CommandLine;

/**
 * The pipeline on a broker with SASL/SCRAM and ACLs (KRaft StandardAuthorizer, nothing allowed without an ACL), each
 * of the four stages under its own principal and the client under {@code client}, set up by {@link AccessControl}:
 * the client gets answers (a whole-response and a stepwise method, so decode-steps is exercised too) and its feedback
 * retrains the reward model; a poisoned reward-model version (the bundled head inverted, a payload the scorer would
 * otherwise accept) is refused to the client and to the scorer principal with a TopicAuthorizationException and never
 * reaches the scorer; only the feedback service's own version is swapped in; nobody but the selector writes
 * aligned-responses; and no log line, nor any dead letter's reason, carries a prompt, response or feedback text.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class AccessControlIT {
    private static final AvroSerde<RewardModelVersion> VERSIONS = Pipeline.REWARD_MODELS.serde();
    private static final AvroSerde<AlignedResponse> RESPONSES = Pipeline.ALIGNED_RESPONSES.serde();
    private static final AvroSerde<DeadLetter> DEAD_LETTERS = DeadLetters.serde();
    private static final long POISONED_VERSION = 99;

    private static final Map<String, String> PASSWORDS = new LinkedHashMap<>();
    private static final List<String> SECRET_TEXTS = new ArrayList<>();
    private static EmbeddedKafkaCluster kafka;
    private static LocalPipeline pipeline;
    private static LogCapture logs;

    @BeforeAll
    static void start() {
        logs = LogCapture.start();
        for (String user : List.of(AccessControl.GENERATOR, AccessControl.SCORER, AccessControl.SELECTOR,
                AccessControl.FEEDBACK, AccessControl.GATEWAY, AccessControl.CLIENT)) {
            PASSWORDS.put(user, user + "-" + UUID.randomUUID());
        }
        kafka = EmbeddedKafkaCluster.builder().scram("admin", "admin-" + UUID.randomUUID()).start();
        try (Admin admin = Admin.create(kafka.clientConfig())) {
            AccessControl.setUp(admin, AccessControl.standard(), PASSWORDS, 6, (short) 1);
        }
        // every stage under its own principal; topics exist already and no service may create them
        pipeline = LocalPipeline.start(kafka.bootstrapServers(), List.of("--http-port=-1", "--create-topics=false"),
                as(AccessControl.GENERATOR), as(AccessControl.SCORER), as(AccessControl.SELECTOR));
        List<String> feedbackArgs = new ArrayList<>(as(AccessControl.FEEDBACK));
        feedbackArgs.addAll(List.of("--retrain-every-events=60", "--retrain-every-ms=600000", "--holdout-percent=25",
                "--prior-l2=0.001"));
        pipeline.startFeedback(feedbackArgs);
    }

    @AfterAll
    static void stop() {
        try {
            if (pipeline != null) {
                pipeline.close();
            }
            if (kafka != null) {
                kafka.close();
            }
        } finally {
            if (logs != null) {
                logs.close();
            }
        }
    }

    /** The stage flags that make every client a stage creates authenticate as {@code user}. */
    private static List<String> as(String user) {
        return List.of("--config=security.protocol=SASL_PLAINTEXT", "--config=sasl.mechanism=" + SaslScram.MECHANISM,
                "--config=sasl.jaas.config=" + SaslScram.jaasConfig(user, PASSWORDS.get(user)));
    }

    private static Map<String, Object> clientConfig(String user) {
        return kafka.clientConfig(user, PASSWORDS.get(user));
    }

    private static PromptRequest request(String id, String prompt, String method) {
        Strategy s = Strategy.newBuilder().setMethod(method).setN(4).setTopK(20).setBeta(1.0).setTemperature(1.0)
                .setTopP(1.0).setMaxNewTokens(12).setSeed(id.hashCode()).build();
        if (method.equals("blockwise")) {
            s.setBlockSize(4);
            s.setGreedy(false);
        }
        return PromptRequest.newBuilder().setId(id).setPrompt(prompt).setStrategy(s)
                .setCreatedAtMs(System.currentTimeMillis()).build();
    }

    private static RegistryView scorer() {
        return new RegistryView(pipeline.scorer().rewardModels(), pipeline.stages().stream()
                .filter(s -> s.name().equals("scorer")).findFirst().orElseThrow().metrics());
    }

    /** The bundled sentiment head's version (what its last retraining gave it); feedback publishes the next one. */
    private static final String BUNDLED = RewardHeadOnnx.read(
            MeanPoolingEncoder.readResource(RewardModels.SENTIMENT_HEAD_RESOURCE), "bundled").metadata().version();
    private static final String NEXT = Long.toString(Long.parseLong(BUNDLED) + 1);

    private record RegistryView(RewardModelRegistry registry, StageMetrics metrics) {
        String newest() {
            return registry.newestVersion("sentiment");
        }

        double swapped() {
            return metrics.modelVersions("sentiment", "swapped");
        }

        double refused() {
            return metrics.modelVersions("unknown", "refused");
        }
    }

    /**
     * A version the scorer would accept and serve if it could read it: the bundled head with its weights negated (it
     * rewards what the served model punishes), for the scorer's own backbone, as {@value #POISONED_VERSION}.
     */
    private static byte[] poisonedVersion() {
        LinearHead served = RewardHeadOnnx.read(MeanPoolingEncoder.readResource(RewardModels.SENTIMENT_HEAD_RESOURCE),
                "bundled");
        double[] w = served.weights();
        for (int i = 0; i < w.length; i++) {
            w[i] = -w[i];
        }
        HeadMetadata m = served.metadata();
        LinearHead inverted = new LinearHead(w, -served.bias(), new HeadMetadata(m.id(),
                Long.toString(POISONED_VERSION), m.kind(), m.featureDim(), m.encoder()));
        String backbone = ((EncoderRewardModel) pipeline.scorer().rewardModel()).encoder().name();
        return VERSIONS.encode(RewardModelVersion.newBuilder().setModelId("sentiment").setVersion(POISONED_VERSION)
                .setParentVersion(1L).setKind(m.kind()).setBackbone(backbone).setFigures(Map.of())
                .setHeadOnnx(ByteBuffer.wrap(RewardHeadOnnx.write(inverted))).build());
    }

    /** Sends one record as {@code user} and returns the failure's cause (null if the write succeeded). */
    private static Throwable writeAs(String user, String topic, byte[] value) {
        return ProbeWrite.write(clientConfig(user), topic, "sentiment".getBytes(StandardCharsets.UTF_8), value);
    }

    @Test
    @Order(1)
    void theClientPrincipalSendsPromptsAndGetsAnswers() {
        String tag = UUID.randomUUID().toString().substring(0, 8);
        List<PromptRequest> requests = List.of(
                request("acl-bon", "Mr Quillfeather wrote to Lady Pemberton " + tag, "best_of_n"),
                request("acl-blockwise", "The Misses Wetherby-Ashcombe walked out " + tag, "blockwise"));
        PromptRequest invalid = request("acl-invalid", "Secret of Captain Oddlyfoot " + tag, "no_such_method");
        requests.forEach(r -> SECRET_TEXTS.add(r.getPrompt()));
        SECRET_TEXTS.add(invalid.getPrompt());
        Map<String, AlignedResponse> answers;
        try (PromptClient client = new PromptClient(clientConfig(AccessControl.CLIENT))) {
            answers = AlignmentChecks.sendAndAwaitExactlyOnce(client, requests, Duration.ofSeconds(90),
                    Duration.ofMillis(500));
            client.send(invalid);
            client.flush();
        }
        assertThat(answers).containsOnlyKeys("acl-bon", "acl-blockwise");
        answers.values().forEach(a -> {
            assertThat(a.getText()).isNotNull();
            SECRET_TEXTS.add(a.getText());
        });
        // the rejected request's dead letter, read as the client: it carries the original bytes, but its reason does
        // not carry the prompt
        List<ConsumerRecord<byte[], byte[]>> dead = TopicReader.readCommitted(clientConfig(AccessControl.CLIENT),
                Topics.DEAD_LETTERS, got -> got.stream().anyMatch(r -> "acl-invalid".equals(key(r))),
                Duration.ofMillis(200), Duration.ofSeconds(60));
        DeadLetter letter = dead.stream().filter(r -> "acl-invalid".equals(key(r))).map(r -> DEAD_LETTERS.decode(r.value()))
                .findFirst().orElseThrow(() -> new AssertionError("no dead letter for the invalid request"));
        assertThat(letter.getReason()).contains("no_such_method").doesNotContain(invalid.getPrompt())
                .doesNotContain("Oddlyfoot");
        assertThat(new String(DeadLetters.bytes(letter.getOriginalValue()), StandardCharsets.UTF_8))
                .as("the original bytes are kept for inspection").contains("Oddlyfoot");

        // the command-line clients (ops/align.sh, ops/feedback.sh) authenticate with -c (or ALIGNSTREAM_CONFIG)
        String cliPrompt = "Sir Barnabus Thistlewood proposed " + tag;
        SECRET_TEXTS.add(cliPrompt);
        StringWriter cliOut = new StringWriter();
        StringWriter cliErr = new StringWriter();
        CommandLine align = AlignClient.commandLine(Map.of("ALIGNSTREAM_CONFIG", "security.protocol=SASL_PLAINTEXT,"
                + "sasl.mechanism=" + SaslScram.MECHANISM + ",sasl.jaas.config="
                + SaslScram.jaasConfig(AccessControl.CLIENT, PASSWORDS.get(AccessControl.CLIENT))));
        align.setOut(new PrintWriter(cliOut)); // not System.out: the answer must not land in the captured logs
        align.setErr(new PrintWriter(cliErr));
        assertThat(align.execute("--bootstrap-servers", kafka.bootstrapServers(), "--prompt", cliPrompt, "--n", "2",
                "--max-new-tokens", "8", "--seed", "7", "--timeout-s", "90")).as(cliErr.toString()).isZero();
        assertThat(cliOut.toString()).isNotBlank();
        CommandLine feedback = FeedbackClient.commandLine(Map.of());
        StringWriter fbOut = new StringWriter();
        feedback.setOut(new PrintWriter(fbOut));
        feedback.setErr(new PrintWriter(cliErr));
        assertThat(feedback.execute("--bootstrap-servers", kafka.bootstrapServers(),
                "-c", "security.protocol=SASL_PLAINTEXT", "-c", "sasl.mechanism=" + SaslScram.MECHANISM,
                "-c", "sasl.jaas.config=" + SaslScram.jaasConfig(AccessControl.CLIENT, PASSWORDS.get(AccessControl.CLIENT)),
                "--id", "acl-cli-feedback", "--reward-model", "other-model", "--prompt", cliPrompt,
                "--chosen", "A kind reply.", "--rejected", "A cold reply.")).as(cliErr.toString()).isZero();
        assertThat(fbOut.toString()).contains("published feedback acl-cli-feedback");
    }

    @Test
    @Order(1)
    void theGatewayServesHttpUnderItsOwnPrincipalWithOnlyItsTopicRights() throws Exception {
        String prompt = "Colonel Hazelbury-Fitch remarked " + UUID.randomUUID().toString().substring(0, 8);
        SECRET_TEXTS.add(prompt);
        List<String> args = new ArrayList<>(List.of("--bootstrap-servers=" + kafka.bootstrapServers(), "--http-port=0"));
        args.addAll(as(AccessControl.GATEWAY));
        try (Gateway g = GatewayService.parse(Map.of(), args.toArray(String[]::new)).start()) {
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (!g.ready() && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertThat(g.ready()).as("the gateway reads aligned-responses and dead-letters as user gateway").isTrue();
            HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                    URI.create("http://localhost:" + g.port() + "/v1/completions"))
                    .header("Content-Type", "application/json").timeout(Duration.ofSeconds(90))
                    .POST(HttpRequest.BodyPublishers.ofString("{\"prompt\": \"" + prompt + "\", \"best_of\": 2,"
                            + " \"max_tokens\": 8, \"seed\": 1}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(r.statusCode()).as("status (the body is not shown: it holds the response text)").isEqualTo(200);
            String text = new com.fasterxml.jackson.databind.ObjectMapper().readTree(r.body()).get("choices").get(0)
                    .get("text").asText();
            if (text.strip().length() >= 20) { // long enough not to occur in a log line by chance
                SECRET_TEXTS.add(text);
            }
        }
    }

    private static String key(ConsumerRecord<byte[], byte[]> r) {
        return r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    }

    @Test
    @Order(2)
    void neitherTheClientNorTheScorerMayPublishARewardModelAndTheScorerNeverLoadsIt() throws Exception {
        RegistryView scorer = scorer();
        assertThat(scorer.newest()).isEqualTo(BUNDLED);
        byte[] poisoned = poisonedVersion();
        assertThat(poisoned.length).as("small enough for the scorer's size limit").isLessThan(8 << 20);

        assertThat(writeAs(AccessControl.CLIENT, Topics.REWARD_MODELS, poisoned))
                .as("the client writing reward-models").isInstanceOf(TopicAuthorizationException.class);
        assertThat(writeAs(AccessControl.SCORER, Topics.REWARD_MODELS, poisoned))
                .as("the scorer principal writing reward-models").isInstanceOf(TopicAuthorizationException.class);

        // give a record that slipped through every chance to reach the updater (it polls every 200 ms)
        Thread.sleep(2000);
        assertThat(scorer.newest()).as("the served version is unchanged").isEqualTo(BUNDLED);
        assertThat(scorer.swapped()).as("nothing was swapped in").isZero();
        assertThat(scorer.refused()).as("nothing even reached the installer").isZero();
        assertThat(TopicReader.readCommitted(kafka.clientConfig(), Topics.REWARD_MODELS, got -> true,
                Duration.ofMillis(500), Duration.ofSeconds(30))).as("reward-models, read as admin").isEmpty();
    }

    @Test
    @Order(3)
    void onlyTheSelectorWritesAlignedResponses() throws Exception {
        byte[] forged = RESPONSES.encode(AlignedResponse.newBuilder(
                TopicReader.readCommitted(clientConfig(AccessControl.CLIENT), Topics.ALIGNED_RESPONSES,
                        got -> !got.isEmpty(), Duration.ZERO, Duration.ofSeconds(30)).stream()
                        .map(r -> RESPONSES.decode(r.value())).findFirst().orElseThrow()).setId("forged").build());
        for (String user : List.of(AccessControl.CLIENT, AccessControl.GENERATOR, AccessControl.SCORER,
                AccessControl.FEEDBACK)) {
            assertThat(writeAs(user, Topics.ALIGNED_RESPONSES, forged)).as(user + " writing aligned-responses")
                    .isInstanceOf(TopicAuthorizationException.class);
        }
        assertThat(writeAs(AccessControl.SELECTOR, Topics.ALIGNED_RESPONSES, forged))
                .as("the selector principal may").isNull();
    }

    @Test
    @Order(4)
    void theFeedbackServicePublishesUnderItsOwnPrincipalAndTheScorerSwapsItIn() throws Exception {
        RegistryView scorer = scorer();
        List<FeedbackEvent> events = FeedbackLoopIT.favourTheSea("acl-fb-", 0, 60);
        for (FeedbackEvent e : events) {
            if (e.getEvent() instanceof PreferenceEvent p) {
                SECRET_TEXTS.add(p.getChosen());
            }
        }
        try (FeedbackClient feedback = new FeedbackClient(clientConfig(AccessControl.CLIENT))) {
            events.forEach(feedback::send);
            feedback.flush();
        }
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (!NEXT.equals(scorer.newest()) && System.nanoTime() < deadline) {
            Thread.sleep(250);
        }
        assertThat(scorer.newest()).as("the feedback service's version %s is live", NEXT).isEqualTo(NEXT);
        assertThat(scorer.swapped()).isEqualTo(1);
        assertThat(scorer.refused()).isZero();
        List<RewardModelVersion> published = TopicReader.readCommitted(kafka.clientConfig(), Topics.REWARD_MODELS,
                got -> !got.isEmpty(), Duration.ofMillis(500), Duration.ofSeconds(30)).stream()
                .map(r -> VERSIONS.decode(r.value())).toList();
        assertThat(published).extracting(RewardModelVersion::getVersion).isNotEmpty()
                .doesNotContain(POISONED_VERSION);
    }

    @Test
    @Order(5)
    void noLogLineCarriesPromptResponseOrFeedbackText() {
        String captured = logs.text();
        assertThat(captured).as("the capture works: stage logs are in it").contains("stage generator")
                .contains("sent to " + Topics.DEAD_LETTERS);
        assertThat(captured).as("no stream thread died of a missing ACL").doesNotContain("stream thread died");
        assertThat(SECRET_TEXTS).isNotEmpty();
        for (String text : SECRET_TEXTS) {
            if (text.strip().length() >= 12) {
                assertThat(captured).as("logs must not carry user text").doesNotContain(text.strip());
            }
        }
        assertThat(captured).doesNotContain("Oddlyfoot").doesNotContain("Quillfeather")
                .doesNotContain("Wetherby-Ashcombe");
    }

    /** Copies everything written to System.out and System.err (where slf4j-simple logs) while it is open. */
    static final class LogCapture implements AutoCloseable {
        private final PrintStream out = System.out;
        private final PrintStream err = System.err;
        private final ByteArrayOutputStream copy = new ByteArrayOutputStream();

        static LogCapture start() {
            LogCapture c = new LogCapture();
            System.setOut(new PrintStream(c.tee(c.out), true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(c.tee(c.err), true, StandardCharsets.UTF_8));
            return c;
        }

        private OutputStream tee(PrintStream original) {
            return new OutputStream() {
                @Override
                public void write(int b) {
                    original.write(b);
                    synchronized (copy) {
                        copy.write(b);
                    }
                }

                @Override
                public void write(byte[] b, int off, int len) {
                    original.write(b, off, len);
                    synchronized (copy) {
                        copy.write(b, off, len);
                    }
                }

                @Override
                public void flush() {
                    original.flush();
                }
            };
        }

        String text() {
            synchronized (copy) {
                return copy.toString(StandardCharsets.UTF_8);
            }
        }

        @Override
        public void close() {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
