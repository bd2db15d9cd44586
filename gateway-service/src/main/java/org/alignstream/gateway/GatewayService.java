package org.alignstream.gateway;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.runtime.EnvironmentDefaultProvider;
import org.alignstream.common.runtime.KafkaClientOptions;
import org.alignstream.common.runtime.RequestBoundsOptions;
import org.alignstream.common.validation.RecordChecks;
import org.alignstream.inference.tokenizer.HfTokenizer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * gateway-service: an OpenAI-compatible HTTP endpoint in front of the pipeline ({@code POST /v1/completions},
 * {@code POST /v1/chat/completions}); see {@link Gateway} for what it answers and {@link CompletionRequests} for how a
 * body maps to prompt requests. Every option also comes from the environment ({@link EnvironmentDefaultProvider},
 * e.g. {@code ALIGNSTREAM_HTTP_PORT}); flags win.
 */
@Command(name = "gateway-service", mixinStandardHelpOptions = true, sortOptions = false, usageHelpAutoWidth = true,
        description = "OpenAI-compatible HTTP gateway: POST /v1/completions and /v1/chat/completions publish to prompts"
                + " and answer from aligned-responses (health and metrics on the same port).")
public final class GatewayService implements Callable<Integer> {

    private static final Logger LOG = LoggerFactory.getLogger(GatewayService.class);
    /** The generator's bundled model (its tokenizer and chat template, when it has one). */
    static final String BUNDLED_MODEL_RESOURCE = "alignstream/models/lm-austen";

    @Mixin
    KafkaClientOptions kafka = new KafkaClientOptions();

    @Option(names = "--http-port", defaultValue = "8000", paramLabel = "PORT",
            description = "port of /v1/*, /health and /metrics; 0 = any free port (default: ${DEFAULT-VALUE})")
    int httpPort;

    @Option(names = "--max-in-flight", defaultValue = "64", paramLabel = "N",
            description = "most prompt requests pending at once (a request with n choices counts n); more: 429"
                    + " (default: ${DEFAULT-VALUE})")
    int maxInFlight;

    @Option(names = "--timeout-ms", defaultValue = "120000", paramLabel = "MS",
            description = "how long a request waits for its answer; then 504 (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    @Option(names = "--max-body-bytes", defaultValue = "1048576", paramLabel = "BYTES",
            description = "largest request body; larger: 413 (default: ${DEFAULT-VALUE})")
    int maxBodyBytes;

    @Option(names = "--max-choices", defaultValue = "8", paramLabel = "N",
            description = "largest n (choices per request, each its own prompt request) (default: ${DEFAULT-VALUE})")
    int maxChoices;

    @Option(names = "--send-timeout-ms", defaultValue = "10000", paramLabel = "MS",
            description = "how long publishing a prompt may take before the answer is 503 (default: ${DEFAULT-VALUE})")
    long sendTimeoutMs;

    @Option(names = "--http-threads", defaultValue = "8", paramLabel = "N",
            description = "HTTP handler threads (a request holds one only while it is read and published)"
                    + " (default: ${DEFAULT-VALUE})")
    int httpThreads;

    @Option(names = "--model-dir", paramLabel = "DIR",
            description = "the generator's model directory: its tokenizer.json (usage counts) and tokenizer_config.json"
                    + " (chat template); default: the bundled lm-austen")
    Path modelDir;

    @Mixin
    RequestBoundsOptions bounds = new RequestBoundsOptions();

    /** The checked option values. */
    record Settings(int httpPort, int maxInFlight, long timeoutMs, int maxBodyBytes, int maxChoices, long sendTimeoutMs,
            int httpThreads, RecordChecks.Bounds bounds) {
    }

    /** A picocli {@link CommandLine} for the command, with options defaulting from {@code environment}. */
    public static CommandLine commandLine(GatewayService command, Map<String, String> environment) {
        CommandLine cl = new CommandLine(Objects.requireNonNull(command, "command"));
        cl.setDefaultValueProvider(new EnvironmentDefaultProvider(environment));
        return cl;
    }

    /** Parses {@code args} (and {@code environment}) into a new command without running it. */
    public static GatewayService parse(Map<String, String> environment, String... args) {
        GatewayService g = new GatewayService();
        commandLine(g, environment).parseArgs(args);
        return g;
    }

    Settings settings() {
        positive(maxInFlight, "--max-in-flight");
        positive(timeoutMs, "--timeout-ms");
        positive(maxBodyBytes, "--max-body-bytes");
        positive(maxChoices, "--max-choices");
        positive(sendTimeoutMs, "--send-timeout-ms");
        positive(httpThreads, "--http-threads");
        positive(bounds.maxN(), "--max-n");
        positive(bounds.maxNewTokens(), "--max-new-tokens");
        positive(bounds.maxPromptChars(), "--max-prompt-chars");
        positive(bounds.maxRolloutLength(), "--max-rollout-length");
        if (bounds.maxTopK() < 0) {
            throw new IllegalArgumentException("--max-top-k must be >= 0, was " + bounds.maxTopK());
        }
        if (httpPort < 0 || httpPort > 65535) {
            throw new IllegalArgumentException("--http-port must be 0 (any) or a port up to 65535, was " + httpPort);
        }
        return new Settings(httpPort, maxInFlight, timeoutMs, maxBodyBytes, maxChoices, sendTimeoutMs, httpThreads,
                bounds.bounds());
    }

    private static void positive(long v, String option) {
        if (v < 1) {
            throw new IllegalArgumentException(option + " must be >= 1, was " + v);
        }
    }

    /**
     * Starts the gateway: loads the tokenizer and chat template, starts the producer, the answer consumer and the HTTP
     * server. It is ready ({@code /health/ready}) once the consumer has the partitions of aligned-responses and
     * dead-letters.
     */
    public Gateway start() {
        Settings settings = settings();
        ChatPrompts chat = ChatPrompts.forModel(modelDir, BUNDLED_MODEL_RESOURCE);
        HfTokenizer tokenizer;
        try {
            tokenizer = modelDir == null ? HfTokenizer.fromClasspath(BUNDLED_MODEL_RESOURCE + "/tokenizer.json")
                    : HfTokenizer.fromFile((Files.isDirectory(modelDir) ? modelDir : modelDir.getParent())
                            .resolve("tokenizer.json"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the tokenizer of " + (modelDir == null ? "the bundled model"
                    : modelDir), e);
        }
        Gateway g = new Gateway(settings, kafka.clientConfig(), chat, tokenizer);
        LOG.info("gateway: http://localhost:{}/v1 (chat template: {}), Kafka {}", g.port(), chat.source(),
                kafka.bootstrapServers());
        return g;
    }

    @Override
    public Integer call() throws Exception {
        Gateway g = start();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            g.close();
            stopped.countDown();
        }, "alignstream-shutdown-" + Pipeline.GATEWAY.name()));
        stopped.await();
        return 0;
    }

    public static void main(String[] args) {
        System.exit(commandLine(new GatewayService(), System.getenv()).execute(args));
    }
}
