package org.alignstream.clients;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Collectors;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.common.runtime.KafkaClientOptions;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.avro.TokenCredit;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.common.runtime.EnvironmentDefaultProvider;
import org.alignstream.common.topics.Topics;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.io.JsonEncoder;
import org.apache.avro.specific.SpecificDatumWriter;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ops/align.sh}: publishes one {@link PromptRequest} to {@code prompts} and waits for its
 * {@link AlignedResponse} on {@code aligned-responses}, watching {@code dead-letters} meanwhile so a
 * rejected request is reported with the stage's reason instead of a silent timeout.
 */
@Command(name = "align", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Sends one prompt through a running alignstream pipeline and prints the aligned response.",
        exitCodeListHeading = "Exit codes:%n",
        exitCodeList = {"0:the aligned response was printed", "2:bad command line",
            "3:a stage rejected the request (its dead letter's reason is printed)",
            "4:no response within --timeout-s", "5:the broker or the pipeline's topics are not reachable"})
public final class AlignClient implements Callable<Integer> {
    public static final int EXIT_OK = 0;
    public static final int EXIT_REJECTED = 3;
    public static final int EXIT_TIMEOUT = 4;
    public static final int EXIT_UNREACHABLE = 5;

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaClientOptions kafka = new KafkaClientOptions();


    @Option(names = "--prompt", required = true, description = "The prompt")
    String prompt;

    @Option(names = "--id", description = "Request id (default: a random UUID)")
    String id;

    @Option(names = "--method", defaultValue = "best_of_n",
            description = "best_of_n, rbon_kl, rbon_wd, soft_bon, args, pargs, blockwise, tq_star or speculative_rejection "
                    + "(default: ${DEFAULT-VALUE})")
    String method;

    @Option(names = "--n", defaultValue = "0", description = "Number of candidates N; continuations K per block "
            + "(blockwise); 0 = the method's default: 8, blockwise 4, speculative_rejection 32 (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--top-k", defaultValue = "0",
            description = "Top-k filter; the k tokens scored per step for args, pargs, tq_star; 0 = the method's "
                    + "default: no filter, k = 10 for args, pargs, tq_star (default: ${DEFAULT-VALUE})")
    int topK;

    @Option(names = "--temperature", defaultValue = "1.0", description = "Sampling temperature, 0 = greedy (default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus mass, 1 = off (default: ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--max-new-tokens", defaultValue = "32", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--seed", description = "Sampling seed; the same request and seed give the same response (default: random, printed)")
    Long seed;

    @Option(names = "--beta",
            description = "Regularisation strength (rbon_*), temperature lambda of exp(R / lambda) (soft_bon; 0 = best_of_n), "
                    + "reward weight (args, pargs, blockwise) or alpha (tq_star) (default: the method's: rbon_kl 0.02, "
                    + "rbon_wd 10, soft_bon 0.5, args, pargs, blockwise and tq_star 1)")
    Double beta;

    @Option(names = "--block-size", defaultValue = "0", description = "blockwise: tokens per block M; "
            + "speculative_rejection: tokens between checkpoints; 0 = the method's default, 4 (default: ${DEFAULT-VALUE})")
    int blockSize;

    @Option(names = "--rejection-rate", defaultValue = "0.5", paramLabel = "ALPHA",
            description = "speculative_rejection: the fraction of candidates stopped at each checkpoint, in [0, 1) "
                    + "(default: ${DEFAULT-VALUE})")
    double rejectionRate;

    @Option(names = "--rollout-length", defaultValue = "0",
            description = "tq_star: rollout length L; 0 = the method's default, 8 (default: ${DEFAULT-VALUE})")
    int rolloutLength;

    @Option(names = "--greedy", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Stepwise methods: take the best choice (true) or sample (false) (default: the method's: "
                    + "sample for pargs, greedy for the others)")
    Boolean greedy;

    @Option(names = "--rollouts", defaultValue = "1",
            description = "tq_star: rollouts m per candidate token, averaged into Q (default: ${DEFAULT-VALUE})")
    int rollouts;

    @Option(names = "--baseline-beta", defaultValue = "2.0",
            description = "tq_star indirect: beta_BL of the importance weight exp((r - r_BL) / beta_BL) "
                    + "(default: ${DEFAULT-VALUE}, the reference code's exp(0.5 (r - r_BL)))")
    double baselineBeta;

    @Option(names = "--reward-model-kind", paramLabel = "full-sequence|partial-sequence|token-level",
            description = "The kind of reward model the request expects; the scorer refuses another (default: the "
                    + "method's: partial-sequence for pargs and speculative_rejection, any for the others)")
    String rewardModelKind;

    @Option(names = "--transfer", defaultValue = "direct", description = "tq_star: direct or indirect (default: ${DEFAULT-VALUE})")
    String transfer;

    @Option(names = "--reward-model", description = "Id of the reward model the scorer uses (default: the scorer's default)")
    String rewardModel;

    @Option(names = "--baseline-reward-model", description = "tq_star indirect: id of the reward the baseline model was aligned to")
    String baselineRewardModel;

    @Option(names = "--timeout-s", defaultValue = "120", description = "How long to wait for the response (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @Option(names = "--json", description = "Print the whole AlignedResponse as JSON (Avro JSON encoding)")
    boolean json;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (timeoutSeconds < 1) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--timeout-s must be >= 1, was " + timeoutSeconds);
        }
        PromptRequest request = request();
        Map<String, Object> clientConfig = kafka.clientConfig();
        String bootstrapServers = kafka.bootstrapServers();
        DeadLetterWatch watch;
        PromptClient client;
        try {
            watch = new DeadLetterWatch(clientConfig);
        } catch (RuntimeException e) {
            err.println("cannot reach the pipeline on " + bootstrapServers + ": " + e.getMessage());
            return EXIT_UNREACHABLE;
        }
        try (watch) {
            try {
                client = new PromptClient(clientConfig);
            } catch (RuntimeException e) {
                err.println("cannot read " + Topics.ALIGNED_RESPONSES + " on " + bootstrapServers + ": " + e.getMessage());
                return EXIT_UNREACHABLE;
            }
            try (client) {
                client.send(request);
                client.flush();
                return await(client, watch, request, out, err);
            }
        }
    }

    private int await(PromptClient client, DeadLetterWatch watch, PromptRequest request, PrintWriter out, PrintWriter err) {
        String requestId = request.getId();
        long deadline = System.nanoTime() + Duration.ofSeconds(timeoutSeconds).toNanos();
        while (System.nanoTime() < deadline) {
            List<AlignedResponse> responses = client.await(List.of(requestId), Duration.ofMillis(200));
            if (!responses.isEmpty()) {
                out.println(json ? toJson(responses.get(0)) : describe(responses.get(0), request.getStrategy().getSeed()));
                out.flush();
                return EXIT_OK;
            }
            Optional<DeadLetter> rejected = watch.poll(requestId, Duration.ofMillis(50));
            if (rejected.isPresent()) {
                DeadLetter d = rejected.get();
                err.printf(Locale.ROOT, "request %s was rejected by the %s stage (record %s-%d@%d): %s%n"
                                + "the record and the reason are in topic %s (key %s)%n",
                        requestId, d.getStage(), d.getSourceTopic(), d.getSourcePartition(), d.getSourceOffset(),
                        d.getReason(), Topics.DEAD_LETTERS, requestId);
                err.flush();
                return EXIT_REJECTED;
            }
        }
        err.printf(Locale.ROOT, "no response to request %s within %d s: is the pipeline (generator, scorer, selector) "
                        + "running against %s? Records a stage rejects are in topic %s, keyed by request id.%n",
                requestId, timeoutSeconds, kafka.bootstrapServers(), Topics.DEAD_LETTERS);
        err.flush();
        return EXIT_TIMEOUT;
    }

    PromptRequest request() {
        return PromptRequest.newBuilder()
                .setId(id == null ? UUID.randomUUID().toString() : id)
                .setPrompt(prompt)
                .setStrategy(Strategy.newBuilder()
                        .setMethod(method).setN(n).setTopK(topK).setBeta(beta).setTemperature(temperature)
                        .setTopP(topP).setMaxNewTokens(maxNewTokens).setBlockSize(blockSize)
                        .setRolloutLength(rolloutLength).setGreedy(greedy).setTransfer(transfer)
                        .setRewardModel(rewardModel).setBaselineRewardModel(baselineRewardModel)
                        .setRollouts(rollouts).setBaselineBeta(baselineBeta).setRewardModelKind(rewardModelKind)
                        .setRejectionRate(rejectionRate)
                        .setSeed(seed != null ? seed : ThreadLocalRandom.current().nextLong())
                        .build())
                .setCreatedAtMs(System.currentTimeMillis())
                .build();
    }

    /**
     * For a method that adds a regulariser to the reward (rbon_*): {@code regularised score: S = reward R + term T},
     * the chosen candidate's, then every candidate's score; empty (no line) for the other methods.
     */
    static String objectiveLine(AlignedResponse r) {
        List<Double> objectives = r.getCandidateObjectives();
        int chosen = r.getChosenIndex();
        if (objectives.isEmpty() || chosen < 0 || chosen >= objectives.size()) {
            return "";
        }
        double score = objectives.get(chosen);
        String all = objectives.stream().map(x -> String.format(Locale.ROOT, "%+.4f", x))
                .collect(Collectors.joining(", ", "[", "]"));
        return String.format(Locale.ROOT, "regularised score: %+.4f = reward %+.4f %s regulariser %.4f; "
                        + "candidate scores: %s%n", score, r.getReward(), score - r.getReward() < 0 ? "-" : "+",
                Math.abs(score - r.getReward()), all);
    }

    /** Tokens shown on the credit line, besides the last one. */
    static final int CREDIT_TOKENS_SHOWN = 5;

    /**
     * The response for a person: text, reward, every candidate's reward, which tokens drove the reward (per-token
     * credit, when the scorer computed it), timings and models.
     */
    static String describe(AlignedResponse r, long seed) {
        String rewards = r.getCandidateRewards().stream()
                .map(x -> String.format(Locale.ROOT, "%+.4f", x)).collect(Collectors.joining(", ", "[", "]"));
        String timings = new TreeMap<>(r.getTimingsMs()).entrySet().stream()
                .map(e -> String.format(Locale.ROOT, "%s=%.1f", e.getKey(), e.getValue()))
                .collect(Collectors.joining(" "));
        String candidates = AlignmentMethod.of(r.getMethod()).map(m -> m.candidateCount().wireName()).orElse("n");
        return String.format(Locale.ROOT, "id: %s (method %s, %s=%d, seed %d)%n"
                        + "prompt: %s%n"
                        + "text: %s%n"
                        + "reward: %+.4f (candidate %d of %d%s, counting from 1)%n"
                        + "candidate rewards: %s%n"
                        + "%s"
                        + "%s%n"
                        + "KL: %s, reward-model calls: %d%n"
                        + "timings ms: %s%n"
                        + "models: generator %s@%s, reward %s@%s (%s)",
                r.getId(), r.getMethod(), candidates, r.getN(), seed, r.getPrompt(), r.getText(), r.getReward(),
                r.getChosenIndex() + 1, r.getN(), r.getRounds() > 0 ? " in the last of " + r.getRounds() + " rounds" : "",
                rewards, objectiveLine(r), creditLine(r.getTokenCredit()),
                r.getKl() == null ? "-" : String.format(Locale.ROOT, "%.4f", r.getKl())
                        + (r.getKlKind() == null ? "" : " (" + r.getKlKind() + ")"), r.getRewardCalls(),
                timings, r.getGeneratorModel().getId(), r.getGeneratorModel().getVersion(), r.getRewardModel().getId(),
                r.getRewardModel().getVersion(), r.getRewardModelKind());
    }

    /**
     * {@code credit: w(+0.12) ...}: the {@value #CREDIT_TOKENS_SHOWN} tokens with the largest |credit| but the last,
     * most first, then the last token, which with dense credit from attention also holds the (1 - beta) share of the
     * reward that is not spread by attention; {@code credit: -} without credit.
     */
    static String creditLine(List<TokenCredit> credit) {
        if (credit.isEmpty()) {
            return "credit: -";
        }
        int last = credit.size() - 1;
        String top = credit.subList(0, last).stream()
                .sorted(Comparator.comparingDouble((TokenCredit c) -> -Math.abs(c.getCredit())))
                .limit(CREDIT_TOKENS_SHOWN).map(AlignClient::creditOf).collect(Collectors.joining(" "));
        return "credit: " + (top.isEmpty() ? "" : top + " ") + "| last " + creditOf(credit.get(last))
                + (credit.size() - 1 > CREDIT_TOKENS_SHOWN ? " (" + credit.size() + " tokens)" : "");
    }

    private static String creditOf(TokenCredit c) {
        return String.format(Locale.ROOT, "%s(%+.3f)", c.getToken(), c.getCredit());
    }

    /** The response in Avro's JSON encoding. */
    static String toJson(AlignedResponse r) {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            JsonEncoder encoder = EncoderFactory.get().jsonEncoder(r.getSchema(), bytes, true);
            new SpecificDatumWriter<>(AlignedResponse.class).write(r, encoder);
            encoder.flush();
            return bytes.toString(StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the response as JSON", e);
        }
    }

    /** The command line with options defaulting from {@code ALIGNSTREAM_*} variables of {@code environment}. */
    public static CommandLine commandLine(Map<String, String> environment) {
        CommandLine cl = new CommandLine(new AlignClient());
        cl.setDefaultValueProvider(new EnvironmentDefaultProvider(environment));
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine(System.getenv()).execute(args));
    }
}
