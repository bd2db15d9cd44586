package org.alignstream.gateway;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.observability.HealthServer;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.inference.tokenizer.HfTokenizer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A running gateway: the HTTP server ({@code /v1/completions}, {@code /v1/chat/completions}, and like every stage
 * {@code /health}, {@code /health/live}, {@code /health/ready}, {@code /metrics}), the producer of {@code prompts} and
 * the {@link PendingResponses} consumer. Requests are answered asynchronously: a handler publishes and returns, and the
 * answer (or the timeout) completes the exchange, so waiting requests hold no thread.
 *
 * <p>Statuses: 200 with the completion; 400 bad JSON or parameters (every problem); 404 unknown path; 405 not POST;
 * 413 body over {@code --max-body-bytes}; 422 a stage refused the request (the dead letter's reason); 429 more than
 * {@code --max-in-flight} prompt requests would be pending; 503 Kafka unreachable or the answer consumer not ready;
 * 504 no answer within {@code --timeout-ms}.
 */
public final class Gateway implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Gateway.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    private final GatewayService.Settings settings;
    private final StageMetrics stageMetrics;
    private final GatewayMetrics metrics;
    private final CompletionRequests mapper;
    private final HfTokenizer tokenizer;
    private final KafkaProducer<String, byte[]> producer;
    private final AvroSerde<PromptRequest> prompts = Pipeline.PROMPTS.serde();
    private final PendingResponses pending;
    private final HealthServer http;
    /** Writes answers, off the consumer thread (a slow client must not hold up the answers of others). */
    private final ExecutorService responders = Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "alignstream-gateway-responder");
        t.setDaemon(true);
        return t;
    });

    Gateway(GatewayService.Settings settings, Map<String, Object> clientConfig, ChatPrompts chat, HfTokenizer tokenizer) {
        this.settings = settings;
        this.tokenizer = tokenizer;
        this.stageMetrics = new StageMetrics(Pipeline.GATEWAY.name());
        this.metrics = new GatewayMetrics(stageMetrics.registry());
        this.mapper = new CompletionRequests(settings.bounds(), settings.maxChoices(), chat);
        String clientId = Pipeline.GATEWAY.applicationId() + "-" + UUID.randomUUID();
        Map<String, Object> p = new HashMap<>(clientConfig);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        p.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, settings.sendTimeoutMs());
        p.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(settings.sendTimeoutMs(), 30_000));
        p.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, (int) (settings.sendTimeoutMs()
                + Math.min(settings.sendTimeoutMs(), 30_000)));
        p.put(ProducerConfig.CLIENT_ID_CONFIG, clientId + "-producer");
        producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
        PendingResponses answers = null;
        HealthServer server = null;
        try {
            answers = new PendingResponses(clientConfig, clientId + "-answers", metrics::inFlight);
            PendingResponses a = answers;
            server = HealthServer.start(Pipeline.GATEWAY.name(), settings.httpPort(), stageMetrics.registry(),
                    () -> a.ready() ? "RUNNING" : "WAITING_FOR_KAFKA", "RUNNING"::equals, settings.httpThreads());
            server.handle("/v1/completions", ex -> handle(ex, CompletionRequests.Endpoint.COMPLETIONS));
            server.handle("/v1/chat/completions", ex -> handle(ex, CompletionRequests.Endpoint.CHAT_COMPLETIONS));
            server.handle("/v1", this::notFound);
        } catch (RuntimeException e) {
            if (answers != null) {
                answers.close();
            }
            producer.close();
            throw e;
        }
        this.pending = answers;
        this.http = server;
    }

    /** The HTTP port. */
    public int port() {
        return http.port();
    }

    /** Whether the answer consumer has its partitions (what {@code /health/ready} says). */
    public boolean ready() {
        return pending.ready();
    }

    /** The gateway's metrics registry holder. */
    public StageMetrics metrics() {
        return stageMetrics;
    }

    // ------------------------------------------------------------------ requests

    private void notFound(HttpExchange ex) {
        long start = System.nanoTime();
        send(ex, "other", start, ApiError.of(404, "invalid_request_error", "not_found", "no endpoint "
                + ex.getRequestMethod() + " " + ex.getRequestURI().getPath() + "; this gateway serves POST "
                + "/v1/completions and POST /v1/chat/completions"));
    }

    private void handle(HttpExchange ex, CompletionRequests.Endpoint endpoint) {
        long start = System.nanoTime();
        String name = endpoint.metricName;
        String path = ex.getRequestURI().getPath();
        if (!path.equals(ex.getHttpContext().getPath()) && !path.equals(ex.getHttpContext().getPath() + "/")) {
            notFound(ex);
            return;
        }
        if (!"POST".equals(ex.getRequestMethod())) {
            ex.getResponseHeaders().set("Allow", "POST");
            send(ex, name, start, ApiError.of(405, "invalid_request_error", "method_not_allowed",
                    ex.getRequestMethod() + " is not allowed; use POST"));
            return;
        }
        byte[] bytes;
        try {
            bytes = readBody(ex);
        } catch (IOException e) {
            send(ex, name, start, ApiError.of(400, "invalid_request_error", "unreadable_body",
                    "the body could not be read: " + e.getMessage()));
            return;
        }
        if (bytes == null) {
            send(ex, name, start, ApiError.of(413, "invalid_request_error", "body_too_large", "the body is larger than "
                    + settings.maxBodyBytes() + " bytes (--max-body-bytes)"));
            return;
        }
        JsonNode body;
        try {
            body = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            send(ex, name, start, ApiError.of(400, "invalid_request_error", "invalid_json", "the body is not valid JSON: "
                    + e.getOriginalMessage()));
            return;
        } catch (IOException e) {
            send(ex, name, start, ApiError.of(400, "invalid_request_error", "invalid_json", "the body is not valid JSON"));
            return;
        }
        String id = endpoint.idPrefix + UUID.randomUUID();
        long createdMs = System.currentTimeMillis();
        CompletionRequests.Result mapped = mapper.map(endpoint, body, id, createdMs);
        if (mapped.error() != null) {
            send(ex, name, start, mapped.error());
            return;
        }
        if (!pending.ready()) {
            send(ex, name, start, ApiError.of(503, "service_unavailable", "kafka_unavailable", "the gateway is not"
                    + " connected to Kafka (or the topics " + Pipeline.ALIGNED_RESPONSES + " and " + Pipeline.DEAD_LETTERS
                    + " do not exist yet); retry later"));
            return;
        }
        CompletionRequests.Submission submission = mapped.submission();
        List<String> ids = submission.requests().stream().map(PromptRequest::getId).toList();
        List<CompletableFuture<PendingResponses.Answer>> futures = pending.register(ids, settings.maxInFlight());
        if (futures == null) {
            ex.getResponseHeaders().set("Retry-After", "1");
            send(ex, name, start, ApiError.of(429, "rate_limit_error", "too_many_requests", "more than "
                    + settings.maxInFlight() + " prompt requests would be pending (--max-in-flight; this request"
                    + " has " + ids.size() + "); retry later"));
            return;
        }
        try {
            for (int i = 0; i < ids.size(); i++) {
                CompletableFuture<PendingResponses.Answer> f = futures.get(i);
                byte[] value;
                synchronized (prompts) {
                    value = prompts.encode(submission.requests().get(i));
                }
                producer.send(new ProducerRecord<>(Pipeline.PROMPTS.name(), ids.get(i), value), (meta, error) -> {
                    if (error != null) {
                        f.completeExceptionally(new KafkaUnavailable(error));
                    }
                });
                stageMetrics.recordOut();
            }
        } catch (RuntimeException e) {
            // the producer could not get the topic's metadata within --send-timeout-ms
            ids.forEach(pending::forget);
            send(ex, name, start, unavailable(e));
            return;
        }
        CompletableFuture.allOf(futures.toArray(CompletableFuture[]::new))
                .orTimeout(settings.timeoutMs(), TimeUnit.MILLISECONDS)
                .whenCompleteAsync((ignored, error) -> {
                    ids.forEach(pending::forget);
                    try {
                        if (error != null) {
                            send(ex, name, start, failure(error, ids.size()));
                        } else {
                            answer(ex, name, start, submission, futures);
                        }
                    } catch (RuntimeException e) {
                        LOG.error("gateway: answering {} failed", submission.id(), e);
                        send(ex, name, start, ApiError.of(500, "api_error", null, "internal error: " + e));
                    }
                }, responders);
    }

    private void answer(HttpExchange ex, String name, long start, CompletionRequests.Submission submission,
            List<CompletableFuture<PendingResponses.Answer>> futures) {
        List<AlignedResponse> responses = new ArrayList<>();
        for (CompletableFuture<PendingResponses.Answer> f : futures) {
            PendingResponses.Answer a = f.join();
            if (a.deadLetter() != null) {
                DeadLetter d = a.deadLetter();
                stageMetrics.recordIn();
                send(ex, name, start, new ApiError(422, "invalid_request_error", "rejected_by_" + d.getStage(),
                        List.of(new ApiError.Problem(null, "the " + d.getStage() + " stage refused request "
                                + keyOf(d) + ": " + d.getReason()))));
                return;
            }
            responses.add(a.response());
            stageMetrics.recordIn();
        }
        int promptTokens;
        synchronized (tokenizer) {
            promptTokens = tokenizer.encode(submission.prompt()).length;
        }
        ObjectNode body = CompletionResponses.body(submission, responses, promptTokens,
                submission.requests().get(0).getCreatedAtMs() / 1000);
        send(ex, name, start, 200, body);
    }

    private static String keyOf(DeadLetter d) {
        return d.getOriginalKey() == null ? "" : StandardCharsets.UTF_8.decode(d.getOriginalKey().duplicate()).toString();
    }

    private ApiError failure(Throwable error, int requests) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        if (cause instanceof TimeoutException) {
            return ApiError.of(504, "timeout_error", "timeout", "no answer from the pipeline within "
                    + settings.timeoutMs() + " ms (--timeout-ms) for " + requests + " prompt request(s); are the"
                    + " generator, scorer and selector running?");
        }
        if (cause instanceof KafkaUnavailable k) {
            return unavailable(k.getCause());
        }
        return ApiError.of(503, "service_unavailable", "unavailable", "the gateway could not complete the request: "
                + cause.getMessage());
    }

    private ApiError unavailable(Throwable e) {
        return ApiError.of(503, "service_unavailable", "kafka_unavailable", "cannot publish to " + Pipeline.PROMPTS
                + " within " + settings.sendTimeoutMs() + " ms (--send-timeout-ms): " + e.getMessage());
    }

    /** A failed send. */
    private static final class KafkaUnavailable extends RuntimeException {
        KafkaUnavailable(Throwable cause) {
            super(cause.getMessage(), cause);
        }
    }

    /** The body, or null if it is longer than the limit (by its Content-Length, or as read). */
    private byte[] readBody(HttpExchange ex) throws IOException {
        int max = settings.maxBodyBytes();
        String length = ex.getRequestHeaders().getFirst("Content-Length");
        if (length != null) {
            try {
                if (Long.parseLong(length.strip()) > max) {
                    return null;
                }
            } catch (NumberFormatException ignored) {
                // read and count instead
            }
        }
        try (InputStream in = ex.getRequestBody()) {
            byte[] bytes = in.readNBytes(max + 1);
            return bytes.length > max ? null : bytes;
        }
    }

    private void send(HttpExchange ex, String endpoint, long start, ApiError error) {
        send(ex, endpoint, start, error.status(), error.body());
    }

    private void send(HttpExchange ex, String endpoint, long start, int status, ObjectNode body) {
        try (ex) {
            byte[] bytes = JSON.writeValueAsBytes(body);
            ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
            ex.sendResponseHeaders(status, bytes.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        } catch (IOException e) {
            LOG.debug("gateway: the client went away before its {} answer", status, e);
        } finally {
            metrics.answered(endpoint, status, start);
        }
    }

    @Override
    public void close() {
        try {
            http.close();
        } finally {
            try {
                pending.close();
                responders.shutdown();
            } finally {
                producer.close(java.time.Duration.ofSeconds(5));
                tokenizer.close();
            }
        }
    }
}
