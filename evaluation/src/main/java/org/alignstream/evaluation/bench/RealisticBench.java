package org.alignstream.evaluation.bench;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.generator.GeneratorBatching;
import org.alignstream.generator.GeneratorService;
import org.alignstream.generator.LmCandidateSampler;
import org.alignstream.harness.BareDecodingLoop;
import org.alignstream.harness.SamplePrompts;
import org.alignstream.inference.lm.CausalLm;
import org.alignstream.inference.lm.KvCacheStore;
import org.alignstream.inference.lm.ForwardResult;
import org.alignstream.inference.lm.LmBatchInvariance;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.DecoderRewardModel;
import org.alignstream.inference.reward.PrefixKv;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.inference.reward.ScoredText;
import org.alignstream.scorer.RewardModelRegistry;
import org.alignstream.scorer.ScorerService;
import picocli.CommandLine.Option;

/**
 * The {@code realistic} section: tokenwise ARGS (k = 10, greedy) with a GPT-2-small-shaped decoder (124 M parameters,
 * random weights, {@link RealisticModels}) as the generator's {@code --model-dir} and the DistilGPT2-shaped decoder
 * reward model ({@link RealisticModels#rewardDir}) as the scorer's {@code --reward-model-dir} (prefix sharing and the
 * scorer's round cache on, as the stage's defaults), on the sample prompts. Every figure comes from the bare decoding loop ({@link BareDecodingLoop}
 * on the models the running stages loaded, the generator's share timed by {@link TimedProposer}) except the pipeline
 * ratio, the memory figure and the two below that time one component on its own: the generator's batching across
 * requests and the realistic decoder reward model's ({@link RealisticModels#rewardDir}) prefix sharing. Otherwise one
 * request at a time: ratios of ms per generated token.
 * <ul>
 *   <li>{@code tokenwise_cost_growth}: ms per token at the long length (256) over the short one (16), round caches on;
 *       also printed for the generator's share alone ({@code tokenwise_generator_cost_growth}) and with the bundled
 *       int8 MiniLM sentiment model as the reward model instead ({@code tokenwise_cost_growth_encoder_rm}: an encoder
 *       re-reads every text each round);</li>
 *   <li>{@code kv_reuse_speedup}: ms per token with a generator loaded with {@code --kv-cache-bytes 0} over the
 *       stages' own (default bound), at the kv length (64) — both loops choose the same tokens (checked);</li>
 *   <li>{@code realistic_pipeline_vs_bare}: tokens/s through Kafka over the bare loop, one request in flight
 *       ({@link TokenwiseBench#oneAtATime}), interleaved repetitions;</li>
 *   <li>{@code generator_batching_gain}: generated tokens/s of 16 concurrent Best-of-4 requests handed to the
 *       generator's sampler together over the same requests one at a time ({@link GeneratorBatchingBench#measure}),
 *       with the stage's batching mode (default {@code invariant}); if that mode merges nothing on this model
 *       (the load-time probe's verdict), the figure is {@code always}'s, on a sampler of its own, and says so;</li>
 *   <li>{@code prefix_shared_scoring_gain}: the realistic decoder reward model's texts/s for a tokenwise round of k
 *       texts with prefix sharing over scoring each in full ({@link PrefixSharedScoringBench#measure});</li>
 *   <li>{@code generator_rss_mib_<R>_requests}: {@link GeneratorMemory} with R requests in flight.</li>
 * </ul>
 */
final class RealisticBench {

    /** The section's flags (a picocli mixin of {@link Bench}). */
    static final class Options {
        @Option(names = "--realistic-dir", defaultValue = "ops/.run/realistic", paramLabel = "DIR",
                description = "Where the realistic-size models are (written by " + RealisticModels.SCRIPT
                        + " when missing or stale; default: ${DEFAULT-VALUE})")
        Path dir;

        @Option(names = "--realistic-python", defaultValue = "/usr/bin/python3", paramLabel = "PYTHON",
                description = "Python with torch that runs the model script (default: ${DEFAULT-VALUE})")
        String python;

        @Option(names = "--realistic-short-tokens", defaultValue = "16", paramLabel = "T",
                description = "Short response of tokenwise_cost_growth (default: ${DEFAULT-VALUE})")
        int shortTokens;

        @Option(names = "--realistic-long-tokens", defaultValue = "256", paramLabel = "T",
                description = "Long response of tokenwise_cost_growth (default: ${DEFAULT-VALUE})")
        int longTokens;

        @Option(names = "--realistic-short-runs", defaultValue = "3", paramLabel = "R",
                description = "Short runs (the same request, median taken); the long one runs once (default: ${DEFAULT-VALUE})")
        int shortRuns;

        @Option(names = "--realistic-kv-tokens", defaultValue = "64", paramLabel = "T",
                description = "Response length of kv_reuse_speedup (default: ${DEFAULT-VALUE})")
        int kvTokens;

        @Option(names = "--realistic-pipeline-tokens", defaultValue = "32", paramLabel = "T",
                description = "Response length of realistic_pipeline_vs_bare (default: ${DEFAULT-VALUE})")
        int pipelineTokens;

        @Option(names = "--realistic-pipeline-repetitions", defaultValue = "3", paramLabel = "R",
                description = "Interleaved bare/pipeline repetitions of one request each, after one warm-up pair "
                        + "(default: ${DEFAULT-VALUE})")
        int pipelineRepetitions;

        @Option(names = "--realistic-batching-tokens", defaultValue = "16", paramLabel = "T",
                description = "New tokens of each Best-of-4 request of generator_batching_gain (default: ${DEFAULT-VALUE})")
        int batchingTokens;

        @Option(names = "--realistic-batching-repetitions", defaultValue = "2", paramLabel = "R",
                description = "Merged/one-at-a-time pass pairs of generator_batching_gain after one warm-up pair "
                        + "(default: ${DEFAULT-VALUE})")
        int batchingRepetitions;

        @Option(names = "--realistic-scoring-prefix-tokens", defaultValue = "64", paramLabel = "T",
                description = "Least shared prefix of the tokenwise round of prefix_shared_scoring_gain "
                        + "(default: ${DEFAULT-VALUE})")
        int scoringPrefixTokens;

        @Option(names = "--realistic-scoring-rounds", defaultValue = "10", paramLabel = "R",
                description = "Rounds scored each way for prefix_shared_scoring_gain, after 3 warm-up rounds "
                        + "(default: ${DEFAULT-VALUE})")
        int scoringRounds;

        @Option(names = "--realistic-memory-requests", defaultValue = "64", paramLabel = "R",
                description = "Requests in flight for the generator's memory (default: ${DEFAULT-VALUE})")
        int memoryRequests;

        @Option(names = "--realistic-memory-tokens", defaultValue = "16", paramLabel = "T",
                description = "Response length of the memory requests (default: ${DEFAULT-VALUE})")
        int memoryTokens;

        void validate() {
            for (int v : new int[] {shortTokens, longTokens, shortRuns, kvTokens, pipelineTokens, pipelineRepetitions,
                    batchingTokens, batchingRepetitions, scoringPrefixTokens, scoringRounds, memoryRequests,
                    memoryTokens}) {
                if (v < 1) {
                    throw new IllegalArgumentException("every --realistic-* count must be >= 1");
                }
            }
            if (shortTokens >= longTokens) {
                throw new IllegalArgumentException("--realistic-short-tokens must be below --realistic-long-tokens");
            }
        }
    }

    /** ms per generated token of some decodings, in all and in the generator. */
    record Cost(double msPerToken, double generatorMsPerToken, int tokens, List<Integer> tokenIds) {
    }

    private final Options options;
    private final int k;
    private final double w;
    private final long seed;
    private final int threads;
    private final List<String> stageArgs;
    private final Duration timeout;
    private final boolean profileThreads;
    private final List<String> prompts = SamplePrompts.load(null);

    /** @param profileThreads print the CPU time per thread group and round of each pipeline-vs-bare measurement */
    RealisticBench(Options options, int k, double w, long seed, int threads, List<String> stageArgs, Duration timeout,
                   boolean profileThreads) {
        options.validate();
        this.options = options;
        this.k = k;
        this.w = w;
        this.seed = seed;
        this.threads = threads;
        this.stageArgs = List.copyOf(stageArgs);
        this.timeout = timeout;
        this.profileThreads = profileThreads;
    }

    private ArgsWorkload workload(int maxNewTokens) {
        return new ArgsWorkload(prompts, k, w, true, maxNewTokens, seed);
    }

    List<Ratio> run() throws Exception {
        Path root = Path.of("").toAbsolutePath();
        RealisticModels models = new RealisticModels(root, root.resolve(options.dir));
        models.ensure(options.python);
        List<String> generatorArgs = List.of("--model-dir=" + models.lmDir(), "--intra-op-threads=" + threads);
        List<String> scorerArgs = List.of("--intra-op-threads=" + threads, "--reward-model-dir=" + models.rewardDir());
        System.out.printf(Locale.ROOT, "%n== realistic: tokenwise ARGS k=%d, w=%s, greedy, with %s as the generator's "
                        + "model and %s as the reward model; one request at a time, intra-op threads=%d%n",
                k, w, models.lmDir(), models.rewardDir(), threads);
        System.out.println("  machine load at the start (/proc/loadavg): " + loadAverage());
        List<Ratio> ratios = new ArrayList<>();
        KvCacheBound bound;
        int promptTokens;
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start();
             TokenwiseBench bench = new TokenwiseBench(kafka.clientConfig(), workload(options.pipelineTokens),
                     stageArgs, generatorArgs, scorerArgs)) {
            GeneratorService generator = bench.pipeline().generator();
            ScorerService scorer = bench.pipeline().scorer();
            LmCandidateSampler sampler = generator.sampler();
            CausalLm lm = sampler.generator().model();
            bound = new KvCacheBound(lm.numLayers(), lm.numHeads(), lm.headDim());
            promptTokens = sampler.promptIds(prompts.get(0)).length;
            System.out.printf(Locale.ROOT, "model: %d layers, %d heads of %d, vocabulary %d; %s%n", lm.numLayers(),
                    lm.numHeads(), lm.headDim(), lm.vocabSize(), referenceCheck(sampler, models.lmDir()));

            TimedProposer timed = new TimedProposer(sampler);
            BareDecodingLoop loop = new BareDecodingLoop(generator.limits(), sampler, timed, scorer.rewardModels(),
                    scorer.creditOptions());
            decode(loop, timed, options.shortTokens, "warm-up");
            List<Cost> shortRuns = new ArrayList<>();
            for (int r = 0; r < options.shortRuns; r++) {
                shortRuns.add(decode(loop, timed, options.shortTokens, "short " + (r + 1)));
            }
            Cost longRun = decode(loop, timed, options.longTokens, "long");
            double shortMs = Stats.median(shortRuns.stream().map(Cost::msPerToken).toList());
            double shortGen = Stats.median(shortRuns.stream().map(Cost::generatorMsPerToken).toList());
            ratios.add(new Ratio("tokenwise_cost_growth", longRun.msPerToken() / shortMs));
            ratios.add(new Ratio("tokenwise_generator_cost_growth", longRun.generatorMsPerToken() / shortGen));
            KvCacheStore<PrefixKv> rewardCache = scorer.rewardModels().roundCache();
            System.out.printf(Locale.ROOT, "  reward-model round cache: %d hits, %d misses, %d evictions so far%n",
                    rewardCache.hits(), rewardCache.misses(), rewardCache.evictions());
            ratios.add(encoderRewardGrowth(generator, sampler, timed, scorer));

            Cost cached = decode(loop, timed, options.kvTokens, "round cache on");
            Cost uncached;
            try (LmCandidateSampler off = LmCandidateSampler.load(models.lmDir(), threads, true, 0)) {
                TimedProposer timedOff = new TimedProposer(off);
                BareDecodingLoop offLoop = new BareDecodingLoop(generator.limits(), off, timedOff,
                        scorer.rewardModels(), scorer.creditOptions());
                uncached = decode(offLoop, timedOff, options.kvTokens, "--kv-cache-bytes 0");
            }
            System.out.printf(Locale.ROOT, "  round cache on and off chose %s tokens; generator only: %.2fx%n",
                    cached.tokenIds().equals(uncached.tokenIds()) ? "the same" : "DIFFERENT",
                    uncached.generatorMsPerToken() / cached.generatorMsPerToken());
            ratios.add(new Ratio("kv_reuse_speedup", uncached.msPerToken() / cached.msPerToken()));
            ratios.add(generatorBatching(sampler, models.lmDir()));
            ratios.add(prefixSharedScoring(models.rewardDir()));

            System.out.printf(Locale.ROOT, "  pipeline vs bare: %d new tokens, one request in flight, %d "
                    + "repetition(s) after one warm-up pair (rates in generated tokens/s)%n", options.pipelineTokens,
                    options.pipelineRepetitions);
            PairedRun run = PairedRun.run(1, options.pipelineRepetitions, rep -> bench.bare(1),
                    rep -> bench.oneAtATime(1, timeout, new ArrayList<>()), "tok/s", "round",
                    profileThreads ? options.pipelineTokens : 0);
            if (bench.differing() > 0) {
                System.out.printf("  WARNING: %d pipeline responses differed from the bare loop's tokens%n",
                        bench.differing());
            }
            ratios.add(new Ratio("realistic_pipeline_vs_bare", run.ratio()));
        }

        System.out.printf(Locale.ROOT, "  memory: the generator as its own process, %d ARGS requests of %d new tokens "
                + "published at once%n", options.memoryRequests, options.memoryTokens);
        GeneratorMemory.Result memory = GeneratorMemory.measure(workload(options.memoryTokens), options.memoryRequests,
                generatorArgs, stageArgs, timeout);
        System.out.println("  " + GeneratorMemory.describe(memory, options.memoryRequests));
        long defaultBound = LmCandidateSampler.DEFAULT_KV_CACHE_BYTES;
        System.out.printf(Locale.ROOT, "  round cache per request: %d bytes per token of context (2 x %d layers x %d "
                        + "heads x %d x 4 bytes): %.1f MiB at %d tokens (prompt + %d), %.1f MiB at %d, %.1f MiB at "
                        + "1024; the default bound (%d MiB) holds %d, %d and %d such requests%n",
                bound.bytesPerToken(), bound.layers(), bound.heads(), bound.headDim(),
                mib(bound.bytesPerRequest(promptTokens + options.memoryTokens)), promptTokens + options.memoryTokens,
                options.memoryTokens, mib(bound.bytesPerRequest(promptTokens + options.longTokens)),
                promptTokens + options.longTokens, mib(bound.bytesPerRequest(1024)), defaultBound >> 20,
                bound.requestsWithin(defaultBound, promptTokens + options.memoryTokens),
                bound.requestsWithin(defaultBound, promptTokens + options.longTokens),
                bound.requestsWithin(defaultBound, 1024));
        ratios.add(new Ratio("generator_rss_mib_" + options.memoryRequests + "_requests", memory.peakRssMib()));
        System.out.println("  machine load at the end (/proc/loadavg): " + loadAverage());
        return ratios;
    }

    /**
     * {@code tokenwise_cost_growth_encoder_rm}: {@code tokenwise_cost_growth} with the bundled int8 MiniLM sentiment model
     * (an encoder: every round re-reads all k texts, cut at 128 tokens) as the reward model, same generator.
     */
    private Ratio encoderRewardGrowth(GeneratorService generator, LmCandidateSampler sampler, TimedProposer timed,
                                      ScorerService scorer) {
        try (RewardModelRegistry encoder = new RewardModelRegistry(RewardModels.defaultSentiment(OnnxDevice.CPU,
                threads, scorer.creditOptions().enabled()))) {
            BareDecodingLoop loop = new BareDecodingLoop(generator.limits(), sampler, timed, encoder,
                    scorer.creditOptions());
            decode(loop, timed, options.shortTokens, "MiniLM RM warm-up");
            List<Double> shortMs = new ArrayList<>();
            for (int r = 0; r < options.shortRuns; r++) {
                shortMs.add(decode(loop, timed, options.shortTokens, "MiniLM RM short " + (r + 1)).msPerToken());
            }
            Cost longRun = decode(loop, timed, options.longTokens, "MiniLM RM long");
            return new Ratio("tokenwise_cost_growth_encoder_rm", longRun.msPerToken() / Stats.median(shortMs));
        }
    }

    /**
     * {@code generator_batching_gain} on {@code sampler} (the running generator's, idle while this runs) if its
     * batching mode merges on this model, else on a sampler of {@code lmDir} loaded with {@code always}.
     */
    private Ratio generatorBatching(LmCandidateSampler sampler, Path lmDir) {
        List<LmCandidateSampler.Prompt> requests = GeneratorBatchingBench.bestOfFour(options.batchingTokens);
        LmBatchInvariance.Verdict verdict = sampler.batchInvariance();
        System.out.printf(Locale.ROOT, "  generator batching: %d Best-of-%d requests of %d new tokens (temperature 1), "
                        + "all handed to the sampler at once over one at a time, %d repetition(s) after a warm-up; the "
                        + "stage's --generator-batching=%s, load-time probe: %s%n", requests.size(),
                GeneratorBatchingBench.CANDIDATES, options.batchingTokens, options.batchingRepetitions,
                sampler.batching().name().toLowerCase(Locale.ROOT),
                verdict == null ? "not run" : verdict.mode() + " (" + verdict.detail() + ")");
        if (sampler.merges()) {
            return new Ratio("generator_batching_gain", GeneratorBatchingBench.measure(sampler, requests,
                    options.batchingRepetitions, "  ").gain());
        }
        System.out.println("  the stage's mode merges no requests on this model: generator_batching_gain below is "
                + "--generator-batching=always's (every request in one call per step; responses may differ in the "
                + "last bits)");
        try (LmCandidateSampler always = LmCandidateSampler.load(lmDir, threads, true)) {
            always.batching(GeneratorBatching.ALWAYS);
            return new Ratio("generator_batching_gain", GeneratorBatchingBench.measure(always, requests,
                    options.batchingRepetitions, "  ").gain());
        }
    }

    /** {@code prefix_shared_scoring_gain} on the decoder reward model in {@code rewardDir}, k texts per round. */
    private Ratio prefixSharedScoring(Path rewardDir) {
        try (RewardModel loaded = RewardModels.fromDirectory(rewardDir, OnnxDevice.CPU, threads, ScoredText.RESPONSE)) {
            if (!(loaded instanceof DecoderRewardModel model)) {
                throw new IllegalStateException(rewardDir + " did not load as a decoder reward model but as "
                        + loaded.getClass().getSimpleName());
            }
            PrefixSharedScoringBench.Result r = PrefixSharedScoringBench.measure(model, k,
                    options.scoringPrefixTokens, options.scoringRounds);
            System.out.printf(Locale.ROOT, "  prefix-shared scoring (%s): a tokenwise round of k=%d texts sharing %d "
                            + "tokens, medians of %d rounds: in full %.1f ms (%.1f texts/s), prefix shared %.1f ms "
                            + "(%.1f texts/s); largest reward difference %.1e%n", rewardDir, r.k(), r.sharedTokens(),
                    options.scoringRounds, r.fullMs(), 1000 * r.k() / r.fullMs(), r.sharedMs(),
                    1000 * r.k() / r.sharedMs(), r.maxDiff());
            return new Ratio("prefix_shared_scoring_gain", r.gain());
        }
    }

    /** The 1, 5 and 15 minute load averages: other work on the machine skews every figure. */
    private static String loadAverage() {
        try {
            String[] parts = Files.readString(Path.of("/proc/loadavg")).strip().split("\\s+");
            return parts[0] + " " + parts[1] + " " + parts[2] + " (" + Runtime.getRuntime().availableProcessors()
                    + " cores)";
        } catch (java.io.IOException e) {
            return "unknown (" + e.getMessage() + ")";
        }
    }

    private static double mib(long bytes) {
        return bytes / 1048576.0;
    }

    /** One request (prompt 0) of {@code tokens} new tokens through {@code loop}; prints its figures. */
    private Cost decode(BareDecodingLoop loop, TimedProposer timed, int tokens, String label) {
        long gen0 = timed.nanos();
        long t0 = System.nanoTime();
        AlignedResponse r = loop.run(workload(tokens).request("realistic-" + label.replace(' ', '-') + "-"
                + System.nanoTime(), 0));
        double ms = (System.nanoTime() - t0) / 1e6;
        double genMs = (timed.nanos() - gen0) / 1e6;
        int n = r.getTokenIds().size();
        if (n == 0) {
            throw new IllegalStateException("an empty response: nothing to time");
        }
        Cost c = new Cost(ms / n, genMs / n, n, r.getTokenIds());
        System.out.printf(Locale.ROOT, "  %-20s %3d tokens in %7.1f s: %6.1f ms/token (generator %6.1f, scorer and "
                + "selector %6.1f)%n", label, n, ms / 1000, c.msPerToken(), c.generatorMsPerToken(),
                c.msPerToken() - c.generatorMsPerToken());
        return c;
    }

    /**
     * The generator's tokenizer and ONNX Runtime's logits on the reference prompt against what the script wrote from
     * torch (reference.json): the largest difference of the first 16 logits and whether the arg-max agrees.
     */
    private static String referenceCheck(LmCandidateSampler sampler, Path lmDir) throws Exception {
        Path file = lmDir.resolve("reference.json");
        if (!Files.isRegularFile(file)) {
            return "no reference.json to check against";
        }
        JsonObject ref = JsonParser.parseString(Files.readString(file)).getAsJsonObject();
        JsonArray idsJson = ref.getAsJsonArray("input_ids");
        long[] ids = new long[idsJson.size()];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = idsJson.get(i).getAsLong();
        }
        int[] ours = sampler.promptIds(ref.get("prompt").getAsString());
        boolean sameIds = Arrays.equals(ours, Arrays.stream(ids).mapToInt(x -> (int) x).toArray());
        CausalLm lm = sampler.generator().model();
        try (ForwardResult f = lm.forward(new long[][] {ids}, null, null, null)) {
            float[] logits = f.lastLogits()[0];
            JsonArray head = ref.getAsJsonArray("last_logits_head");
            double maxDiff = 0;
            for (int i = 0; i < head.size(); i++) {
                maxDiff = Math.max(maxDiff, Math.abs(logits[i] - head.get(i).getAsDouble()));
            }
            int argmax = 0;
            for (int i = 1; i < logits.length; i++) {
                if (logits[i] > logits[argmax]) {
                    argmax = i;
                }
            }
            return String.format(Locale.ROOT, "against torch (reference.json): prompt ids %s, first %d logits within "
                            + "%.1e, arg-max %s", sameIds ? "equal" : "DIFFERENT", head.size(), maxDiff,
                    argmax == ref.get("argmax").getAsInt() ? "equal" : "DIFFERENT");
        }
    }
}
