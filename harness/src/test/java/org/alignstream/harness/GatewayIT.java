package org.alignstream.harness;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import org.alignstream.common.runtime.RunningStage;
import org.alignstream.common.runtime.StreamsCommand;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.gateway.Gateway;
import org.alignstream.gateway.GatewayService;
import org.alignstream.selector.SelectorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The OpenAI-compatible gateway against the in-process pipeline (a real KRaft broker; generator, scorer and selector
 * with the bundled models), spoken to with the JDK's HTTP client: completions and chat, best_of, an alignment method,
 * n choices, 8 concurrent requests, a 400 with every problem, 413, 422 from a dead letter, 429, 504, 503 without
 * Kafka, health and metrics, and a selector restart while requests are pending.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class GatewayIT {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private static EmbeddedKafkaCluster kafka;
    private static LocalPipeline pipeline;
    private static Path selectorState;
    private static RunningStage selector;
    private static Gateway gateway;

    @BeforeAll
    static void start() throws Exception {
        kafka = EmbeddedKafkaCluster.start();
        // the selector runs apart, so that a test can stop and restart it
        pipeline = LocalPipeline.start(kafka.bootstrapServers(), List.of("--http-port=-1"), List.of(), List.of(),
                (List<String>) null);
        selectorState = Files.createTempDirectory("gateway-it-selector");
        startSelector();
        // the gateway accepts max_tokens up to 1000; the generator (256) dead-letters more: the 422 case
        gateway = GatewayService.parse(Map.of(), "--bootstrap-servers=" + kafka.bootstrapServers(), "--http-port=0",
                "--timeout-ms=60000", "--max-body-bytes=8192", "--max-new-tokens=1000").start();
        awaitReady(gateway);
    }

    private static void startSelector() {
        selector = StreamsCommand.parse(new SelectorService(), "--bootstrap-servers=" + kafka.bootstrapServers(),
                "--state-dir=" + selectorState, "--http-port=-1").start();
        selector.awaitRunning(Duration.ofSeconds(120));
    }

    private static void awaitReady(Gateway g) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!g.ready() && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
        assertThat(g.ready()).as("gateway ready").isTrue();
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (selector != null) {
            selector.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    record Reply(int status, JsonNode body, String text) {
    }

    private static HttpRequest post(Gateway g, String path, String body) {
        return HttpRequest.newBuilder(URI.create("http://localhost:" + g.port() + path))
                .header("Content-Type", "application/json").timeout(Duration.ofSeconds(90))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    private static Reply reply(HttpResponse<String> r) {
        JsonNode body;
        try {
            body = JSON.readTree(r.body());
        } catch (Exception e) {
            body = null;
        }
        return new Reply(r.statusCode(), body, r.body());
    }

    private static Reply call(Gateway g, String path, String body) throws Exception {
        return reply(HTTP.send(post(g, path, body), HttpResponse.BodyHandlers.ofString()));
    }

    private static CompletableFuture<Reply> callAsync(Gateway g, String path, String body) {
        return HTTP.sendAsync(post(g, path, body), HttpResponse.BodyHandlers.ofString()).thenApply(GatewayIT::reply);
    }

    private static Reply get(Gateway g, String path) throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + g.port() + path))
                .GET().build(), HttpResponse.BodyHandlers.ofString());
        return new Reply(r.statusCode(), null, r.body());
    }

    private static void assertCompletion(Reply r, String object, int choices) {
        assertThat(r.status()).as("status; body %s", r.text()).isEqualTo(200);
        JsonNode b = r.body();
        assertThat(b.get("object").asText()).isEqualTo(object);
        assertThat(b.get("id").asText()).startsWith(object.equals("chat.completion") ? "chatcmpl-" : "cmpl-");
        assertThat(b.get("created").asLong()).isPositive();
        assertThat(b.get("model").asText()).isEqualTo("lm-austen");
        assertThat(b.get("choices")).hasSize(choices);
        for (int i = 0; i < choices; i++) {
            JsonNode c = b.get("choices").get(i);
            assertThat(c.get("index").asInt()).isEqualTo(i);
            assertThat(c.get("finish_reason").asText()).isIn("stop", "length");
            String text = object.equals("chat.completion") ? c.get("message").get("content").asText()
                    : c.get("text").asText();
            assertThat(text).isNotNull(); // may be empty: the model may end the text at once
            JsonNode a = c.get("alignment");
            double reward = a.get("reward").asDouble();
            List<Double> rewards = new ArrayList<>();
            a.get("candidate_rewards").forEach(x -> rewards.add(x.asDouble()));
            assertThat(rewards).isNotEmpty();
            assertThat(a.get("chosen_candidate").asInt()).isBetween(1, rewards.size());
            assertThat(a.get("request_id").asText()).isEqualTo(b.get("id").asText() + "-" + i);
        }
        JsonNode usage = b.get("usage");
        assertThat(usage.get("prompt_tokens").asLong()).isPositive();
        assertThat(usage.get("completion_tokens").asLong()).isNotNegative();
        assertThat(usage.get("total_tokens").asLong())
                .isEqualTo(usage.get("prompt_tokens").asLong() + usage.get("completion_tokens").asLong());
        assertThat(b.get("alignment").get("method").asText()).isNotEmpty();
    }

    @Test
    @Order(1)
    void aCompletionWithBestOfIsTheBestOfItsCandidates() throws Exception {
        Reply r = call(gateway, "/v1/completions", "{\"model\": \"lm-austen\", \"prompt\": \"It is a truth universally"
                + " acknowledged\", \"best_of\": 4, \"max_tokens\": 10, \"temperature\": 0.9, \"top_p\": 0.95,"
                + " \"seed\": 7}");
        assertCompletion(r, "text_completion", 1);
        assertThat(r.body().get("choices").get(0).get("text").asText()).isNotEmpty();
        assertThat(r.body().get("usage").get("completion_tokens").asLong()).isPositive();
        JsonNode a = r.body().get("choices").get(0).get("alignment");
        assertThat(a.get("candidate_rewards")).hasSize(4);
        double best = -Double.MAX_VALUE;
        for (JsonNode x : a.get("candidate_rewards")) {
            best = Math.max(best, x.asDouble());
        }
        assertThat(a.get("reward").asDouble()).isEqualTo(best);
        assertThat(a.get("candidate_rewards").get(a.get("chosen_candidate").asInt() - 1).asDouble()).isEqualTo(best);
        assertThat(a.get("seed").asLong()).isEqualTo(7);
        // four sampled 10-token texts hold a sliver of pi_ref's mass: Best-of-N's bound, log 4 - 3/4
        assertThat(a.get("kl_kind").asText()).isEqualTo("upper_bound");
        assertThat(a.get("kl").asDouble()).isCloseTo(Math.log(4) - 0.75, org.assertj.core.data.Offset.offset(1e-9));
        JsonNode m = r.body().get("alignment");
        assertThat(m.get("method").asText()).isEqualTo("best_of_n");
        assertThat(m.get("parameters").get("n").asInt()).isEqualTo(4);
        assertThat(m.get("parameters").get("max_new_tokens").asInt()).isEqualTo(10);
        assertThat(m.get("reward_model").get("id").asText()).isNotEmpty();
        // the same request and seed give the same text
        Reply again = call(gateway, "/v1/completions", "{\"prompt\": \"It is a truth universally acknowledged\","
                + " \"best_of\": 4, \"max_tokens\": 10, \"temperature\": 0.9, \"top_p\": 0.95, \"seed\": 7}");
        assertThat(again.body().get("choices").get(0).get("text").asText())
                .isEqualTo(r.body().get("choices").get(0).get("text").asText());
    }

    @Test
    @Order(2)
    void aChatCompletionAnswersAsTheAssistantFromThePlainRendering() throws Exception {
        Reply r = call(gateway, "/v1/chat/completions", "{\"messages\": [{\"role\": \"system\", \"content\": \"You"
                + " write like Jane Austen.\"}, {\"role\": \"user\", \"content\": \"Describe a ball.\"}],"
                + " \"max_tokens\": 8, \"n\": 2, \"seed\": 3}");
        assertCompletion(r, "chat.completion", 2);
        assertThat(r.body().get("choices").get(0).get("message").get("role").asText()).isEqualTo("assistant");
        assertThat(r.body().get("choices").get(0).get("alignment").get("seed").asLong()).isEqualTo(3);
        assertThat(r.body().get("choices").get(1).get("alignment").get("seed").asLong()).isEqualTo(4);
    }

    @Test
    @Order(3)
    void anAlignmentMethodRunsWithItsParameters() throws Exception {
        Reply r = call(gateway, "/v1/completions", "{\"prompt\": \"She was\", \"max_tokens\": 4, \"seed\": 1,"
                + " \"alignment\": {\"method\": \"args\", \"top_k\": 4, \"beta\": 1.0}}");
        assertCompletion(r, "text_completion", 1);
        JsonNode a = r.body().get("choices").get(0).get("alignment");
        assertThat(a.get("rounds").asInt()).isPositive();
        assertThat(a.get("candidate_rewards")).hasSize(4);
        assertThat(a.get("kl_kind").isNull()).isFalse();
        JsonNode m = r.body().get("alignment");
        assertThat(m.get("method").asText()).isEqualTo("args");
        assertThat(m.get("parameters").get("top_k").asInt()).isEqualTo(4);
        assertThat(m.get("parameters").get("beta").asDouble()).isEqualTo(1.0);
        // every method with nothing but its name: the method's defaults from its spec
        for (String method : org.alignstream.core.decoding.AlignmentMethod.wireNames()) {
            Reply d = call(gateway, "/v1/completions", "{\"prompt\": \"She was\", \"max_tokens\": 4,"
                    + " \"alignment\": {\"method\": \"" + method + "\"}}");
            assertCompletion(d, "text_completion", 1);
            assertThat(d.body().get("alignment").get("method").asText()).as(method).isEqualTo(method);
        }
    }

    @Test
    @Order(4)
    void eightConcurrentRequestsAreEachAnsweredWithTheirOwnResponse() throws Exception {
        List<CompletableFuture<Reply>> replies = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            replies.add(callAsync(gateway, "/v1/completions", "{\"prompt\": \"Prompt number " + i + " was\","
                    + " \"best_of\": 2, \"max_tokens\": 6, \"seed\": " + i + "}"));
        }
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 8; i++) {
            Reply r = replies.get(i).get();
            assertCompletion(r, "text_completion", 1);
            ids.add(r.body().get("id").asText());
        }
        assertThat(ids).hasSize(8);
        String metrics = get(gateway, "/metrics").text();
        assertThat(metrics).containsPattern("alignstream_gateway_requests_total\\{endpoint=\"completions\","
                + "status=\"200\"} [1-9][0-9]");
        assertThat(metrics).contains("alignstream_gateway_in_flight 0");
        assertThat(metrics).contains("alignstream_gateway_request_seconds_bucket");
        assertThat(get(gateway, "/health/ready").status()).isEqualTo(200);
    }

    @Test
    @Order(5)
    void badRequestsAreRefusedWithEveryProblemOversizeWith413AndWhatTheGeneratorRefusesWith422() throws Exception {
        Reply bad = call(gateway, "/v1/completions", "{\"prompt\": \"p\", \"temperature\": -1, \"top_p\": 0,"
                + " \"stream\": true, \"alignment\": {\"method\": \"tq_star\", \"top_k\": -1, \"rollout_length\": -1}}");
        assertThat(bad.status()).isEqualTo(400);
        JsonNode e = bad.body().get("error");
        assertThat(e.get("type").asText()).isEqualTo("invalid_request_error");
        assertThat(e.get("problems").size()).as(bad.text()).isGreaterThanOrEqualTo(5);
        assertThat(e.get("message").asText()).contains("temperature", "top_p", "stream", "tq_star needs top_k",
                "rollout_length");
        assertThat(call(gateway, "/v1/completions", "{not json").status()).isEqualTo(400);

        Reply big = call(gateway, "/v1/completions", "{\"prompt\": \"" + "x".repeat(9000) + "\"}");
        assertThat(big.status()).isEqualTo(413);
        assertThat(big.body().get("error").get("message").asText()).contains("8192");

        Reply refused = call(gateway, "/v1/completions", "{\"prompt\": \"She was\", \"max_tokens\": 500}");
        assertThat(refused.status()).as(refused.text()).isEqualTo(422);
        assertThat(refused.body().get("error").get("message").asText()).contains("generator", "max_new_tokens");
        assertThat(call(gateway, "/v1/models", "{}").status()).isEqualTo(404);
    }

    @Test
    @Order(6)
    void pendingRequestsAreAnsweredAcrossASelectorRestartAndTimeOutOrOverflowWithoutOne() throws Exception {
        selector.close();
        List<CompletableFuture<Reply>> pending = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            pending.add(callAsync(gateway, "/v1/completions", "{\"prompt\": \"While the selector was away, " + i
                    + "\", \"best_of\": 2, \"max_tokens\": 6, \"seed\": " + i + "}"));
        }
        try (Gateway small = GatewayService.parse(Map.of(), "--bootstrap-servers=" + kafka.bootstrapServers(),
                "--http-port=0", "--timeout-ms=1500", "--max-in-flight=1").start()) {
            awaitReady(small);
            long t0 = System.nanoTime();
            CompletableFuture<Reply> waiting = callAsync(small, "/v1/completions", "{\"prompt\": \"p\", \"max_tokens\": 4}");
            Thread.sleep(300);
            Reply overflow = call(small, "/v1/completions", "{\"prompt\": \"q\", \"max_tokens\": 4}");
            assertThat(overflow.status()).as(overflow.text()).isEqualTo(429);
            assertThat(overflow.body().get("error").get("type").asText()).isEqualTo("rate_limit_error");
            Reply timedOut = waiting.get();
            assertThat(timedOut.status()).as(timedOut.text()).isEqualTo(504);
            assertThat((System.nanoTime() - t0) / 1e6).isBetween(1400.0, 10_000.0);
        }
        assertThat(pending).allSatisfy(f -> assertThat(f).isNotDone());
        startSelector();
        for (CompletableFuture<Reply> f : pending) {
            assertCompletion(f.get(), "text_completion", 1);
        }
    }

    @Test
    @Order(7)
    void withoutKafkaTheGatewayIsNotReadyAndAnswers503() throws Exception {
        try (Gateway offline = GatewayService.parse(Map.of(), "--bootstrap-servers=localhost:1", "--http-port=0",
                "--send-timeout-ms=500").start()) {
            assertThat(get(offline, "/health/ready").status()).isEqualTo(503);
            Reply r = call(offline, "/v1/completions", "{\"prompt\": \"p\"}");
            assertThat(r.status()).isEqualTo(503);
            assertThat(r.body().get("error").get("code").asText()).isEqualTo("kafka_unavailable");
        }
    }
}
