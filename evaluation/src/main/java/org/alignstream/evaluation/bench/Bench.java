package org.alignstream.evaluation.bench;

import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;
import org.alignstream.avro.CandidateSet;
import org.alignstream.common.runtime.OnnxThreadOptions;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.generator.LmCandidateSampler;
import org.alignstream.harness.SamplePrompts;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The performance benchmark ({@code ops/bench.sh}, see docs/BENCHMARKS.md). Each stage runs as its own Kafka Streams
 * application on an embedded broker, exactly as its service main runs it, and is compared with the same model calls in
 * a bare loop in the same run (ratios, because the machine is shared and noisy). Ends with {@code ratio NAME=VALUE}
 * lines: {@code scorer_pipeline_vs_bare}, {@code scorer_scaling_2_vs_1} (two scorer instances over one),
 * {@code generator_pipeline_vs_bare} and {@code bon8_prompts_per_s} (the last is a rate); the {@code realistic}
 * section (only when named in {@code --sections}) adds the realistic-size figures of {@link RealisticBench}, the
 * {@code load} section (only when named) the load ramp of {@link LoadRampBench}.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Throughput of the running stages against bare model loops, and end-to-end Best-of-N figures.")
public final class Bench implements Callable<Integer> {

    /** The parts of the benchmark. */
    enum Section { scorer, scaling, generator, e2e, tokenwise, feedback, realistic, load, specrej }

    /**
     * The sections run without {@code --sections}: all but {@code realistic} (minutes of a 124 M-parameter model),
     * {@code load} (a load ramp of minutes) and {@code specrej} (a quality-at-equal-compute figure, not a throughput
     * one).
     */
    static final Set<Section> DEFAULT_SECTIONS = EnumSet.complementOf(EnumSet.of(Section.realistic, Section.load,
            Section.specrej));

    @Option(names = "--quick", description = "Smaller sizes (a smoke run; run times in docs/BENCHMARKS.md); explicit sizes still win")
    boolean quick;

    @Option(names = "--sections", split = ",", paramLabel = "SECTION",
            description = "Which parts to run, comma-separated: ${COMPLETION-CANDIDATES} (default: all but realistic and load)")
    Set<Section> sections = EnumSet.copyOf(DEFAULT_SECTIONS);

    @Option(names = "--repetitions", paramLabel = "R", description = "Interleaved bare/pipeline repetitions (default: 3, quick: 2)")
    Integer repetitions;

    @Option(names = "--warmup-rounds", paramLabel = "W",
            description = "Untimed bare + pipeline rounds before the repetitions (default: 1, quick: 1)")
    Integer warmupRounds;

    @Option(names = "--scorer-records", paramLabel = "M", description = "Candidate sets per scorer measurement (default: 240, quick: 80)")
    Integer scorerRecords;

    @Option(names = "--scorer-warmup", paramLabel = "K", description = "Leading scorer records that only start the clock (default: 24, quick: 10)")
    Integer scorerWarmup;

    @Option(names = "--scorer-bare-call", paramLabel = "CALL", defaultValue = "stage",
            description = "What the scorer's bare loop asks of the reward model per set: stage (what the stage asks for "
                    + "that set, per-token credit included) or rewards (rewards only) (default: ${DEFAULT-VALUE})")
    ScorerBench.BareCall scorerBareCall;

    @Option(names = "--candidate-pool", paramLabel = "S", description = "Distinct candidate sets sampled up front and cycled (default: 48, quick: 16)")
    Integer candidatePool;

    @Option(names = "--generator-prompts", paramLabel = "P", description = "Prompts per generator measurement (default: 60, quick: 20)")
    Integer generatorPrompts;

    @Option(names = "--generator-warmup", paramLabel = "K", description = "Leading generator outputs that only start the clock (default: 6, quick: 4)")
    Integer generatorWarmup;

    @Option(names = "--e2e-prompts", paramLabel = "P", description = "Prompts per end-to-end throughput measurement (default: 60, quick: 20)")
    Integer e2ePrompts;

    @Option(names = "--e2e-warmup", paramLabel = "K", description = "Leading responses that only start the clock (default: 6, quick: 4)")
    Integer e2eWarmup;

    @Option(names = "--latency-requests", paramLabel = "L", description = "Sequential requests for the latency figures (default: 40, quick: 12)")
    Integer latencyRequests;

    @Option(names = "--n", defaultValue = "8", description = "Candidates per prompt (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--max-new-tokens", defaultValue = "32", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--temperature", defaultValue = "0.9", description = "(default: ${DEFAULT-VALUE})")
    double temperature;

    @Option(names = "--top-p", defaultValue = "0.95", description = "(default: ${DEFAULT-VALUE})")
    double topP;

    @Option(names = "--seed", defaultValue = "42", description = "Base seed; request i uses seed + i (default: ${DEFAULT-VALUE})")
    long seed;

    /** {@code --intra-op-threads}, for the stages and the bare loops alike. */
    @Mixin
    OnnxThreadOptions onnx = new OnnxThreadOptions();

    @Option(names = "--stage-arg", paramLabel = "FLAG",
            description = "Extra flag for every stage, repeatable, e.g. --stage-arg=--commit-interval-ms=50 (default: none: the stages' own defaults)")
    List<String> stageArgs = new ArrayList<>();

    @Option(names = "--profile-threads",
            description = "Print the CPU time per thread group (stream thread, producer, broker, ...) of each measurement")
    boolean profileThreads;

    @Option(names = "--tokenwise-configs", paramLabel = "CONFIG[,CONFIG...]",
            description = "Stage configurations of the tokenwise section, each GUARANTEE:COMMIT_MS[:LINGER_MS[:POLL_MS]] "
                    + "with GUARANTEE eos (exactly_once_v2) or alo (at_least_once) and - for a stage default; the first gives the headline ratios "
                    + "(default: " + TokenwiseConfig.DEFAULTS + ")")
    String tokenwiseConfigs = TokenwiseConfig.DEFAULTS;

    @Option(names = "--tokenwise-k", defaultValue = "10", description = "ARGS: next tokens scored per round (default: ${DEFAULT-VALUE})")
    int tokenwiseK;

    @Option(names = "--tokenwise-w", defaultValue = "1.0", description = "ARGS: reward weight w (default: ${DEFAULT-VALUE})")
    double tokenwiseW;

    @Option(names = "--tokenwise-max-new-tokens", defaultValue = "16",
            description = "ARGS: max_new_tokens, i.e. at most this many rounds per request (default: ${DEFAULT-VALUE})")
    int tokenwiseMaxNewTokens;

    @Option(names = "--tokenwise-requests", paramLabel = "L",
            description = "Requests per latency measurement, one in flight; a warm-up round uses at most 2 "
                    + "(default: 3, quick: 2)")
    Integer tokenwiseRequests;

    @Option(names = "--tokenwise-in-flight", paramLabel = "P",
            description = "Requests in flight for the throughput ratio (default: 12, quick: 6)")
    Integer tokenwiseInFlight;

    @Option(names = "--tokenwise-warmup-pass", defaultValue = "true", arity = "0..1", fallbackValue = "true",
            paramLabel = "BOOL",
            description = "Before the tokenwise configurations, one untimed pass through a pipeline of the first one, so "
                    + "that the first configuration does not pay the JVM's warm-up (default: ${DEFAULT-VALUE})")
    boolean tokenwiseWarmupPass;

    @Option(names = "--tokenwise-throughput-all",
            description = "Measure the throughput ratio under every tokenwise config, not only the first")
    boolean tokenwiseThroughputAll;

    @Option(names = "--timeout-s", defaultValue = "600", description = "Give up waiting for outputs after this long (default: ${DEFAULT-VALUE})")
    int timeoutSeconds;

    @CommandLine.Mixin
    FeedbackBench.Options feedbackOptions = new FeedbackBench.Options();

    @CommandLine.Mixin
    RealisticBench.Options realisticOptions = new RealisticBench.Options();

    @CommandLine.Mixin
    LoadRampBench.Options loadOptions = new LoadRampBench.Options();

    @CommandLine.Mixin
    org.alignstream.evaluation.quality.SpeculativeRejectionCompute.Options specrejOptions =
            new org.alignstream.evaluation.quality.SpeculativeRejectionCompute.Options();

    /** Sizes after applying {@code --quick} and explicit flags. */
    record Sizes(int warmupRounds, int repetitions, int scorerRecords, int scorerWarmup, int candidatePool, int generatorPrompts,
                 int generatorWarmup, int e2ePrompts, int e2eWarmup, int latencyRequests) {
        Sizes {
            positive(repetitions, "--repetitions");
            if (warmupRounds < 0) {
                throw new IllegalArgumentException("--warmup-rounds must be >= 0, was " + warmupRounds);
            }
            positive(candidatePool, "--candidate-pool");
            positive(latencyRequests, "--latency-requests");
            warmup(scorerWarmup, scorerRecords, "--scorer-warmup", "--scorer-records");
            warmup(generatorWarmup, generatorPrompts, "--generator-warmup", "--generator-prompts");
            warmup(e2eWarmup, e2ePrompts, "--e2e-warmup", "--e2e-prompts");
        }

        static void positive(int value, String flag) {
            if (value < 1) {
                throw new IllegalArgumentException(flag + " must be >= 1, was " + value);
            }
        }

        private static void warmup(int warmup, int total, String warmupFlag, String totalFlag) {
            if (warmup < 1 || warmup >= total) {
                throw new IllegalArgumentException(warmupFlag + " must be at least 1 and less than " + totalFlag + " ("
                        + total + "), was " + warmup);
            }
        }
    }

    Sizes sizes() {
        return new Sizes(pick(warmupRounds, 1, 1), pick(repetitions, 3, 2), pick(scorerRecords, 240, 80), pick(scorerWarmup, 24, 10),
                pick(candidatePool, 48, 16), pick(generatorPrompts, 60, 20), pick(generatorWarmup, 6, 4),
                pick(e2ePrompts, 60, 20), pick(e2eWarmup, 6, 4), pick(latencyRequests, 40, 12));
    }

    /** Sizes of the tokenwise section after applying {@code --quick} and explicit flags. */
    record TokenwiseSizes(int requests, int inFlight) {
        TokenwiseSizes {
            Sizes.positive(requests, "--tokenwise-requests");
            Sizes.positive(inFlight, "--tokenwise-in-flight");
        }
    }

    TokenwiseSizes tokenwiseSizes() {
        return new TokenwiseSizes(pick(tokenwiseRequests, 3, 2), pick(tokenwiseInFlight, 12, 6));
    }

    /** The tokenwise configurations, checked against {@code --stage-arg}. */
    List<TokenwiseConfig> tokenwiseConfigs() {
        List<TokenwiseConfig> configs = TokenwiseConfig.parseList(tokenwiseConfigs);
        TokenwiseConfig.requireNoConflict(stageArgs, configs);
        return configs;
    }

    private int pick(Integer explicit, int full, int quickValue) {
        return explicit != null ? explicit : quick ? quickValue : full;
    }

    @Override
    public Integer call() throws Exception {
        Sizes s = sizes();
        if (n < 1 || maxNewTokens < 1) {
            throw new IllegalArgumentException("--n and --max-new-tokens must be >= 1");
        }
        List<TokenwiseConfig> configs = sections.contains(Section.tokenwise) ? tokenwiseConfigs() : List.of();
        TokenwiseSizes ts = tokenwiseSizes();
        Workload workload = new Workload(SamplePrompts.load(null), n, maxNewTokens, temperature, topP, seed);
        Duration timeout = Duration.ofSeconds(timeoutSeconds);
        List<String> modelStageArgs = new ArrayList<>(stageArgs);
        modelStageArgs.add("--intra-op-threads=" + onnx.intraOpThreads());
        System.out.printf(Locale.ROOT, "alignstream bench %s: %d cores seen by the JVM, %s %s, Java %s%n", LocalDate.now(),
                Runtime.getRuntime().availableProcessors(), System.getProperty("os.name"), System.getProperty("os.arch"),
                System.getProperty("java.version"));
        System.out.printf(Locale.ROOT, "workload: %d sample prompts cycled, N=%d, max_new_tokens=%d, temperature=%s, "
                        + "top_p=%s, intra-op threads=%d, stage flags=%s%n%s%n", workload.prompts().size(), n,
                maxNewTokens, temperature, topP, onnx.intraOpThreads(), stageArgs.isEmpty() ? "(defaults)" : stageArgs, s);
        List<Ratio> ratios = new ArrayList<>();
        if (sections.contains(Section.scorer) || sections.contains(Section.scaling)
                || sections.contains(Section.generator)) {
            modelSections(s, workload, modelStageArgs, timeout, ratios);
        }
        if (sections.contains(Section.e2e)) {
            ratios.add(endToEnd(s, workload, timeout));
        }
        if (sections.contains(Section.tokenwise)) {
            ratios.addAll(tokenwise(s, ts, configs, timeout));
        }
        if (sections.contains(Section.feedback)) {
            ratios.addAll(new FeedbackBench(FeedbackBench.Sizes.of(feedbackOptions, quick), stageArgs, timeout).run());
        }
        if (sections.contains(Section.realistic)) {
            ratios.addAll(new RealisticBench(realisticOptions, tokenwiseK, tokenwiseW, seed, onnx.intraOpThreads(),
                    stageArgs, timeout, profileThreads).run());
        }
        if (sections.contains(Section.load)) {
            ratios.addAll(new LoadRampBench(loadOptions, quick, workload, stageArgs,
                    List.of("--intra-op-threads=" + onnx.intraOpThreads()), timeout).run());
        }
        if (sections.contains(Section.specrej)) {
            ratios.addAll(new org.alignstream.evaluation.quality.SpeculativeRejectionCompute(specrejOptions, quick,
                    onnx.intraOpThreads()).run());
        }
        System.out.println();
        ratios.forEach(r -> System.out.println(r.line()));
        return 0;
    }

    private void modelSections(Sizes s, Workload workload, List<String> modelStageArgs, Duration timeout,
                               List<Ratio> ratios) throws Exception {
        try (LmCandidateSampler sampler = LmCandidateSampler.load(null, onnx.intraOpThreads(), true)) {
            if (sections.contains(Section.scorer)) {
                ratios.add(scorer(s, workload, sampler, modelStageArgs, timeout));
            }
            if (sections.contains(Section.scaling)) {
                ratios.add(scorerScaling(s, workload, sampler, modelStageArgs, timeout));
            }
            if (sections.contains(Section.generator)) {
                ratios.add(generator(s, workload, sampler, modelStageArgs, timeout));
            }
        }
    }

    private Ratio scorer(Sizes s, Workload workload, LmCandidateSampler sampler, List<String> args, Duration timeout)
            throws Exception {
        System.out.printf(Locale.ROOT, "%n== scorer: candidate sequences/s, stage vs bare RewardModel.score "
                + "(%d sets of %d, first %d warm-up; bare call: %s)%n", s.scorerRecords(), n, s.scorerWarmup(),
                scorerBareCall);
        List<CandidateSet> pool = workload.candidateSets(sampler, s.candidatePool());
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start();
             ScorerBench bench = new ScorerBench(kafka.clientConfig(), pool, args, scorerBareCall)) {
            PairedRun run = PairedRun.run(s.warmupRounds(), s.repetitions(),
                    rep -> bench.bare(s.scorerRecords(), s.scorerWarmup()),
                    rep -> bench.pipeline(rep, s.scorerRecords(), s.scorerWarmup(), timeout), "seq/s",
                    profileThreads ? s.scorerRecords() : 0);
            System.out.printf(Locale.ROOT, "scorer: median bare %.1f seq/s, median pipeline %.1f seq/s%n",
                    run.bareRate(), run.pipelineRate());
            System.out.println("scorer stage: " + bench.batchSummary());
            return new Ratio("scorer_pipeline_vs_bare", run.ratio());
        }
    }

    /** Two scorer instances (same application id, 6 partitions) against one, interleaved; see ScorerScalingBench. */
    private Ratio scorerScaling(Sizes s, Workload workload, LmCandidateSampler sampler, List<String> args,
                                Duration timeout) throws Exception {
        System.out.printf(Locale.ROOT, "%n== scorer scaling: candidate sequences/s, two scorer instances vs one "
                + "(%d sets of %d, first %d warm-up; \"bare\" = one instance, \"pipeline\" = two)%n",
                s.scorerRecords(), n, s.scorerWarmup());
        List<CandidateSet> pool = workload.candidateSets(sampler, s.candidatePool());
        try (ScorerScalingBench bench = new ScorerScalingBench(pool, args)) {
            return bench.run(s.warmupRounds(), s.repetitions(), s.scorerRecords(), s.scorerWarmup(), timeout);
        }
    }

    private Ratio generator(Sizes s, Workload workload, LmCandidateSampler sampler, List<String> args, Duration timeout)
            throws Exception {
        System.out.printf(Locale.ROOT, "%n== generator: tokens/s, stage vs bare CandidateGenerator.sample "
                + "(%d prompts, N=%d, max_new_tokens=%d, first %d warm-up)%n", s.generatorPrompts(), n, maxNewTokens,
                s.generatorWarmup());
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start();
             GeneratorBench bench = new GeneratorBench(kafka.clientConfig(), workload, sampler, args)) {
            PairedRun run = PairedRun.run(s.warmupRounds(), s.repetitions(),
                    rep -> bench.bare(s.generatorPrompts(), s.generatorWarmup()),
                    rep -> bench.pipeline(rep, s.generatorPrompts(), s.generatorWarmup(), timeout), "tok/s",
                    profileThreads ? s.generatorPrompts() : 0);
            System.out.printf(Locale.ROOT, "generator: median bare %.1f tokens/s, median pipeline %.1f tokens/s%n",
                    run.bareRate(), run.pipelineRate());
            return new Ratio("generator_pipeline_vs_bare", run.ratio());
        }
    }

    private Ratio endToEnd(Sizes s, Workload workload, Duration timeout) {
        System.out.printf(Locale.ROOT, "%n== end to end (generator + scorer + selector), Best-of-%d, %d new tokens%n",
                n, maxNewTokens);
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start()) {
            Map<String, Object> client = kafka.clientConfig();
            List<String> modelArgs = List.of("--intra-op-threads=" + onnx.intraOpThreads());
            try (EndToEndBench bench = new EndToEndBench(client, workload, stageArgs, modelArgs)) {
                // warm-up (not counted): a burst through all stages, then a few single requests
                bench.throughput("warmup", Math.min(s.e2ePrompts(), 2 * s.e2eWarmup() + 8), s.e2eWarmup(), timeout);
                bench.latency(3, timeout);
                EndToEndBench.Latency latency = bench.latency(s.latencyRequests(), timeout);
                System.out.printf(Locale.ROOT, "latency at low load (%d sequential requests): median %.0f ms, p95 %.0f ms%n",
                        s.latencyRequests(), Stats.median(latency.endToEndMs()),
                        Stats.percentile(latency.endToEndMs(), 95));
                latency.timingsMs().forEach((stage, values) -> System.out.printf(Locale.ROOT,
                        "  timings_ms %-10s median %7.1f  p95 %7.1f%n", stage, Stats.median(values),
                        Stats.percentile(values, 95)));
                List<Double> rates = new ArrayList<>();
                for (int rep = 0; rep < s.repetitions(); rep++) {
                    SteadyRate rate = bench.throughput("bon-" + rep, s.e2ePrompts(), s.e2eWarmup(), timeout);
                    rates.add(rate.perSecond());
                    System.out.printf(Locale.ROOT, "  throughput rep %d: %d responses in %.2f s after warm-up: %.2f prompts/s%n",
                            rep + 1, rate.outputs(), rate.seconds(), rate.perSecond());
                }
                return new Ratio("bon" + n + "_prompts_per_s", Stats.median(rates));
            }
        }
    }

    /**
     * Tokenwise ARGS through the pipeline against the bare decoding loop, under each configuration: the latency ratio
     * and the transport time per round with one request in flight, and (for the first configuration, or all with
     * {@code --tokenwise-throughput-all}) the throughput ratio with P in flight.
     */
    private List<Ratio> tokenwise(Sizes s, TokenwiseSizes ts, List<TokenwiseConfig> configs, Duration timeout)
            throws Exception {
        ArgsWorkload workload = new ArgsWorkload(SamplePrompts.load(null), tokenwiseK, tokenwiseW, true,
                tokenwiseMaxNewTokens, seed);
        System.out.printf(Locale.ROOT, "%n== tokenwise: ARGS k=%d, w=%s, greedy, max_new_tokens=%d, one decoding round "
                        + "(selector -> generator -> scorer) per token; pipeline vs bare decoding loop (one thread)%n"
                        + "   latency: %d requests one at a time, both ways; throughput: the same %d requests one after "
                        + "another in the bare loop vs all %d in flight through the pipeline; %d repetition(s) after %d "
                        + "warm-up round(s); configs %s%n", tokenwiseK, tokenwiseW, tokenwiseMaxNewTokens, ts.requests(),
                ts.inFlight(), ts.inFlight(), s.repetitions(), s.warmupRounds(),
                configs.stream().map(TokenwiseConfig::label).toList());
        List<String> modelArgs = List.of("--intra-op-threads=" + onnx.intraOpThreads());
        List<TokenwiseTable.Row> rows = new ArrayList<>();
        List<Ratio> headline = new ArrayList<>();
        if (tokenwiseWarmupPass) {
            // without it the first configuration measured worse than the same one measured second (JIT of the client,
            // bench and broker paths): see docs/BENCHMARKS.md, "an order effect"
            long started = System.nanoTime();
            List<String> args = new ArrayList<>(stageArgs);
            args.addAll(configs.get(0).stageArgs());
            try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start();
                 TokenwiseBench bench = new TokenwiseBench(kafka.clientConfig(), workload, args, modelArgs)) {
                for (int i = 0; i < 2; i++) {
                    bench.bare(ts.requests());
                    bench.oneAtATime(ts.requests(), timeout, new ArrayList<>());
                }
                bench.allAtOnce(ts.inFlight(), timeout);
            }
            System.out.printf(Locale.ROOT, "-- warm-up pass (untimed, %s): %.1f s%n", configs.get(0).label(),
                    (System.nanoTime() - started) / 1e9);
        }
        for (int c = 0; c < configs.size(); c++) {
            TokenwiseConfig config = configs.get(c);
            long started = System.nanoTime();
            List<String> args = new ArrayList<>(stageArgs);
            args.addAll(config.stageArgs());
            try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start();
                 TokenwiseBench bench = new TokenwiseBench(kafka.clientConfig(), workload, args, modelArgs)) {
                var stage = bench.pipeline().generator();
                String pollMs = stage.config().getOrDefault("poll.ms", "100 (default)");
                System.out.printf(Locale.ROOT,
                        "-- %s: %s, commit.interval.ms=%d, linger.ms=%d, poll.ms=%s (stage flags %s)%n", config.label(), stage.processingGuarantee(), stage.commitIntervalMs(), stage.producerLingerMs(),
                        pollMs, args);
                List<RoundOverhead> overheads = new ArrayList<>();
                System.out.println("  latency, 1 request in flight (rates in generated tokens/s):");
                int warmupRequests = Math.min(2, ts.requests()); // warm-up rounds come after the repetitions' numbers
                PairedRun latency = PairedRun.run(s.warmupRounds(), s.repetitions(),
                        rep -> bench.bare(rep < s.repetitions() ? ts.requests() : warmupRequests),
                        rep -> rep < s.repetitions() ? bench.oneAtATime(ts.requests(), timeout, overheads)
                                : bench.oneAtATime(warmupRequests, timeout, new ArrayList<>()),
                        "tok/s", "round", 0);
                double overhead = RoundOverhead.medianPerRoundMs(overheads);
                System.out.printf(Locale.ROOT, "  round_overhead_ms median %.1f (p95 %.1f) over %d requests; per hop %.1f; "
                                + "stage processing %.1f ms/round%n", overhead,
                        Stats.percentile(overheads.stream().map(RoundOverhead::perRoundMs).toList(), 95),
                        overheads.size(),
                        RoundOverhead.medianPerHopMs(overheads), RoundOverhead.medianStageMsPerRound(overheads));
                Double throughput = null;
                if (c == 0 || tokenwiseThroughputAll) {
                    System.out.printf(Locale.ROOT, "  throughput, %d requests: bare one after another vs pipeline all in "
                            + "flight:%n", ts.inFlight());
                    PairedRun t = PairedRun.run(0, s.repetitions(), rep -> bench.bare(ts.inFlight()),
                            rep -> bench.allAtOnce(ts.inFlight(), timeout), "tok/s", "round", 0);
                    throughput = t.ratio();
                }
                if (bench.differing() > 0) {
                    System.out.printf("  WARNING: %d pipeline responses differed from the bare loop's tokens%n",
                            bench.differing());
                }
                rows.add(new TokenwiseTable.Row(config.label(), stage.processingGuarantee(), stage.commitIntervalMs(),
                        stage.producerLingerMs(), pollMs.replace(" (default)", ""), 1000 / latency.bareRate(),
                        1000 / latency.pipelineRate(), latency.ratio(), RoundOverhead.medianStageMsPerRound(overheads), overhead,
                        RoundOverhead.medianPerHopMs(overheads), throughput, (System.nanoTime() - started) / 1e9));
                if (c == 0) {
                    headline.add(new Ratio("tokenwise_pipeline_vs_bare", throughput));
                    headline.add(new Ratio("tokenwise_latency_pipeline_vs_bare", latency.ratio()));
                    headline.add(new Ratio("round_overhead_ms", overhead));
                }
            }
        }
        System.out.printf(Locale.ROOT, "%ntokenwise summary (ARGS k=%d, max_new_tokens=%d; the ratio lines below are "
                + "for %s):%n%s", tokenwiseK, tokenwiseMaxNewTokens, configs.get(0).label(),
                TokenwiseTable.markdown(rows, ts.inFlight()));
        return headline;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Bench()).execute(args));
    }
}
