package org.alignstream.evaluation.quality;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.runtime.OnnxThreadOptions;
import org.alignstream.generator.LmCandidateSampler;
import org.alignstream.generator.RequestLimits;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.core.decoding.RewardModelKind;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.inference.reward.ScoredText;
import org.alignstream.harness.BareDecodingLoop;
import org.alignstream.scorer.RewardModelRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The quality evaluation ({@code ops/eval.sh}, docs/EVALUATION.md), in two sections:
 * <ul>
 *   <li><b>selection</b>: per prompt, {@code --max-n} candidates sampled once from π_ref ({@link CandidatePool}), each
 *       text scored once by every proxy and by the gold model; Best-of-N, RBoN-KL, RBoN-WD and soft Best-of-N at every N
 *       of 1, 2, 4, ..., max-n, and speculative rejection per setting, chosen among them by the core's selection classes
 *       for each proxy ({@link SelectionFamilies});</li>
 *   <li><b>tokenwise</b>: ARGS with the full-sequence decoder reward model against PARGS with the partial-sequence one
 *       across w = β, and Transfer Q* with m rollouts, through the {@link BareDecodingLoop} (the pipeline's own stage
 *       functions without Kafka), final texts scored by the full-sequence model and the gold.</li>
 * </ul>
 * Prints the tables and the papers' claims with verdicts computed from the figures ({@link Claims}), draws the
 * reward/KL frontiers ({@link FrontierPlot}) and writes the report. The reward models are directories
 * ({@link EvalModels}, loaded as the scorer's {@code --reward-model-dir} loads them); a missing one fails the run
 * before any work, naming it.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs the alignment methods over the bundled evaluation prompts and writes docs/EVALUATION.md.")
public final class Evaluation implements Callable<Integer> {

    /** Classpath location of the bundled evaluation prompts. */
    public static final String PROMPTS_RESOURCE = "alignstream/eval-prompts.txt";
    /** Prompts of a {@code --quick} run. */
    public static final int QUICK_PROMPTS = 4;
    /** Best-of-N's largest N (the candidates sampled per prompt) by default and with {@code --quick}. */
    public static final int DEFAULT_MAX_N = 256;
    public static final int QUICK_MAX_N = 32;
    /** The two sections. */
    public static final String SELECTION = "selection";
    public static final String TOKENWISE = "tokenwise";

    @Option(names = "--quick", description = "A smoke run: the first " + QUICK_PROMPTS + " prompts, --max-n "
            + QUICK_MAX_N + ", 16 new tokens, one tokenwise weight (explicit flags win)")
    boolean quick;

    @Option(names = "--prompts", paramLabel = "N", description = "Use the first N prompts (default: all)")
    Integer promptCount;

    @Option(names = "--prompts-file", paramLabel = "FILE", description = "One prompt a line, # comments (default: the bundled "
            + PROMPTS_RESOURCE + ")")
    Path promptsFile;

    @Option(names = "--max-new-tokens", paramLabel = "T", description = "(default: 24, quick: 16)")
    Integer maxNewTokens;

    @Option(names = "--seed", defaultValue = "1", description = "Base seed; prompt i uses seed + i in every row (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--sections", split = ",", paramLabel = "NAME",
            description = "selection, tokenwise or both (default: both)")
    List<String> sections = List.of(SELECTION, TOKENWISE);

    @Option(names = "--proxy-model-dirs", split = ",", paramLabel = "DIR",
            description = "The proxy reward models, one table and one plot each (default: "
                    + "models/reward-sentiment,models/reward-sentiment-100,models/reward-sentiment-25,"
                    + "models/reward-sentiment-noisy); directory names must differ")
    List<Path> proxyDirs;

    @Option(names = "--gold-model-dir", paramLabel = "DIR", description = "The gold reward model (default: "
            + EvalModels.DEFAULT_GOLD + ")")
    Path goldDir;

    @Option(names = "--full-reward-model-dir", paramLabel = "DIR", description = "Full-sequence decoder reward model for "
            + "ARGS and Transfer Q* (default: " + EvalModels.DEFAULT_FULL_DECODER + ")")
    Path fullDir;

    @Option(names = "--partial-reward-model-dir", paramLabel = "DIR", description = "Partial-sequence decoder reward "
            + "model for PARGS (default: " + EvalModels.DEFAULT_PARTIAL_DECODER + ")")
    Path partialDir;

    @Option(names = "--max-n", paramLabel = "N", description = "Candidates sampled per prompt, Best-of-N's largest N; "
            + "the grid is 1, 2, 4, ... up to it (default: " + DEFAULT_MAX_N + ", quick: " + QUICK_MAX_N + ")")
    Integer maxN;

    @Option(names = "--baseline-model-dir", paramLabel = "DIR",
            description = "Transfer Q* baseline model rho_BL; default: the bundled lm-austen-bon16 when on the classpath, "
                    + "else models/lm-austen as a stand-in (tq_star rows are left out if neither exists)")
    Path baselineModelDir;

    @Option(names = "--rows", split = ",", paramLabel = "KEY",
            description = "Only these tokenwise rows, by key or key prefix (e.g. args-,tq-m1); default: all")
    List<String> rowFilter;

    @Option(names = "--rbon-kl-betas", split = ",", paramLabel = "BETA", description = "RBoN-KL strengths (default: 0.02,0.05)")
    List<Double> rbonKlBetas = List.of(0.02, 0.05);

    @Option(names = "--rbon-wd-betas", split = ",", paramLabel = "BETA", description = "RBoN-WD strengths (default: 10,20)")
    List<Double> rbonWdBetas = List.of(10.0, 20.0);

    @Option(names = "--soft-lambdas", split = ",", paramLabel = "LAMBDA",
            description = "Soft Best-of-N temperatures, > 0, on the proxies' log-odds scale (default: 0.1,0.3,1)")
    List<Double> softLambdas = List.of(0.1, 0.3, 1.0);

    @Option(names = "--specrej-configs", split = ",", paramLabel = "N:M:ALPHA",
            description = "Speculative rejection's batch N, tokens M between checkpoints and rejection rate alpha "
                    + "(default: max-n/4:4:0.5, max-n/2:4:0.75, max-n:4:0.75)")
    List<String> specrejConfigs;

    @Option(names = "--tokenwise-weights", split = ",", paramLabel = "W",
            description = "ARGS weights w, each also PARGS's beta; 1 is the one Transfer Q* is compared at (default: "
                    + "0.5,1,2, quick: 1)")
    List<Double> tokenwiseWeights;

    @Option(names = "--tq-rollouts", split = ",", paramLabel = "M",
            description = "Transfer Q*'s rollouts per candidate, one row each (default: 1,4, quick: 1)")
    List<Integer> tqRollouts;

    @Option(names = "--out", defaultValue = "docs/EVALUATION.md", paramLabel = "FILE",
            description = "The report to write, with the plots beside it; '-' writes none (default: ${DEFAULT-VALUE})")
    String out;

    @Mixin
    OnnxThreadOptions onnx = new OnnxThreadOptions();

    @Option(names = "--command-line", hidden = true, description = "How the run was started, for the report")
    String commandLine;

    /** The reward-model directories, defaults filled in. */
    EvalModels models() {
        EvalModels d = EvalModels.defaults();
        return new EvalModels(proxyDirs != null && !proxyDirs.isEmpty() ? proxyDirs : d.proxies(),
                goldDir != null ? goldDir : d.gold(), fullDir != null ? fullDir : d.fullDecoder(),
                partialDir != null ? partialDir : d.partialDecoder());
    }

    int maxNewTokens() {
        return maxNewTokens != null ? maxNewTokens : quick ? 16 : 24;
    }

    int maxN() {
        return maxN != null ? maxN : quick ? QUICK_MAX_N : DEFAULT_MAX_N;
    }

    /** 1, 2, 4, ... up to {@link #maxN()} (which ends the grid even if it is not a power of two). */
    int[] nGrid() {
        List<Integer> ns = new ArrayList<>();
        for (int n = 1; n < maxN(); n *= 2) {
            ns.add(n);
        }
        ns.add(maxN());
        return ns.stream().mapToInt(Integer::intValue).toArray();
    }

    List<SelectionFamilies.SpecConfig> specConfigs() {
        if (specrejConfigs != null) {
            return specrejConfigs.stream().map(SelectionFamilies.SpecConfig::parse).toList();
        }
        int n = maxN();
        // M = 8 was measured dearer than M = 4 at 24 new tokens (fewer checkpoints stop less); the paper's regime is a
        // large batch pruned hard, hence N up to max-n at alpha 0.75
        return List.of(new SelectionFamilies.SpecConfig(Math.max(1, n / 4), 4, 0.5),
                new SelectionFamilies.SpecConfig(Math.max(1, n / 2), 4, 0.75),
                new SelectionFamilies.SpecConfig(n, 4, 0.75));
    }

    List<Double> tokenwiseWeights() {
        return tokenwiseWeights != null ? tokenwiseWeights : quick ? List.of(1.0) : List.of(0.5, 1.0, 2.0);
    }

    List<Integer> tqRollouts() {
        return tqRollouts != null ? tqRollouts : quick ? List.of(1) : List.of(1, 4);
    }

    @Override
    public Integer call() throws IOException {
        long started = System.nanoTime();
        for (String s : sections) {
            if (!s.equals(SELECTION) && !s.equals(TOKENWISE)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--sections takes " + SELECTION + " and/or "
                        + TOKENWISE + ", was " + s);
            }
        }
        boolean selection = sections.contains(SELECTION);
        boolean tokenwise = sections.contains(TOKENWISE);
        EvalModels dirs = models();
        try {
            dirs.requireDirectories(selection, tokenwise);
        } catch (IllegalArgumentException e) {
            System.err.println("eval: " + e.getMessage());
            return 2;
        }
        int tokens = maxNewTokens();
        List<String> prompts = selectPrompts(loadPrompts(promptsFile), quick, promptCount);
        SelectionFamilies.Grid grid = new SelectionFamilies.Grid(nGrid(), rbonKlBetas, rbonWdBetas, softLambdas,
                specConfigs(), tokens, seed);
        Report.Setup setup = new Report.Setup(commandLine != null ? commandLine : "ops/eval.sh", LocalDate.now().toString(),
                Report.machine(), prompts.size(), tokens, seed, quick && promptCount == null);
        System.out.printf(Locale.ROOT, "alignstream eval %s: %s%n%d prompts, max_new_tokens=%d, temperature=1, top_p=1, "
                + "seeds %d..%d; sections %s; %d candidates per prompt%n", setup.date(), setup.machine(), prompts.size(),
                tokens, seed, seed + prompts.size() - 1, sections, grid.poolSize());
        int threads = onnx.intraOpThreads();
        List<String> timings = new ArrayList<>();
        List<String> checks = new ArrayList<>();
        List<AutoCloseable> open = new ArrayList<>();
        try (LmCandidateSampler sampler = LmCandidateSampler.load(null, threads, true)) {
            List<Report.Model> models = new ArrayList<>(List.of(new Report.Model("LM π_ref", sampler.model())));
            RewardModel gold = load(dirs.gold(), threads, open);
            List<RewardModel> proxies = new ArrayList<>();
            for (Path p : selection ? dirs.proxies() : List.<Path>of()) {
                RewardModel m = load(p, threads, open);
                proxies.add(m);
                models.add(new Report.Model("proxy (" + p + ")", new ModelRef(m.id(), m.version())));
            }
            models.add(new Report.Model("gold (" + dirs.gold() + ")", new ModelRef(gold.id(), gold.version())));
            List<ProxyResults> proxyResults = List.of();
            if (selection) {
                proxyResults = runSelection(sampler, prompts, dirs, proxies, gold, grid, timings, checks);
            }
            List<RowResult> tokenwiseRows = List.of();
            Claims.Context baseline = new Claims.Context("none", true);
            if (tokenwise) {
                baseline = loadBaseline(sampler);
                if (sampler.baselineModel() != null) {
                    models.add(new Report.Model("ρ_BL", sampler.baselineModel()));
                }
                RewardModel full = load(dirs.fullDecoder(), threads, open);
                RewardModel partial = load(dirs.partialDecoder(), threads, open);
                models.add(new Report.Model("full-sequence RM (" + dirs.fullDecoder() + ")",
                        new ModelRef(full.id(), full.version())));
                models.add(new Report.Model("partial-sequence RM (" + dirs.partialDecoder() + ", kind " + partial.kind()
                        + ")", new ModelRef(partial.id(), partial.version())));
                tokenwiseRows = runTokenwise(sampler, prompts, full, partial, gold, tokens, timings);
            }
            List<Claims.Verdict> verdicts = Claims.assess(proxyResults, tokenwiseRows, baseline);
            double minutes = (System.nanoTime() - started) / 6e10;
            System.out.println();
            for (ProxyResults p : proxyResults) {
                System.out.println("proxy " + p.proxy() + " (cells: gold / proxy (KL))");
                System.out.print(Report.curveTable(p));
                System.out.println();
            }
            if (!tokenwiseRows.isEmpty()) {
                System.out.print(ResultTable.text(tokenwiseRows));
                System.out.println(RescoringJitter.of(tokenwiseRows).describe());
                System.out.println(Report.timingNoise(tokenwiseRows));
            }
            System.out.println();
            for (Claims.Verdict v : verdicts) {
                System.out.printf(Locale.ROOT, "claim %d: %s -> %s%n", v.number(), v.claim(), v.answer().text());
                v.figures().forEach(f -> System.out.println("    " + f));
            }
            System.out.printf(Locale.ROOT, "%nrun time %.1f min (%s)%n", minutes, String.join("; ", timings));
            if (!"-".equals(out)) {
                Path file = Path.of(out);
                Path dir = file.toAbsolutePath().getParent();
                List<String> plots = FrontierPlot.write(dir, proxyResults, tokenwiseRows).stream()
                        .map(f -> dir.relativize(f).toString()).toList();
                String report = Report.markdown(setup, models, baseline, new Report.Measured(grid.poolSize(),
                        proxyResults, tokenwiseRows, plots, timings, checks), verdicts, prompts, minutes);
                Files.createDirectories(dir);
                // keep other writers' marked sections (e.g. the feedback-curve section of ops/eval.sh --section feedback)
                Files.writeString(file, MarkedSection.keepOthers(Files.exists(file) ? Files.readString(file) : null, report));
                System.out.println("wrote " + file + " and " + plots);
            }
        } finally {
            for (AutoCloseable c : open) {
                try {
                    c.close();
                } catch (Exception e) {
                    System.err.println("closing a reward model: " + e);
                }
            }
        }
        return 0;
    }

    /** A reward model directory, loaded as the scorer's --reward-model-dir loads it (closed at the end of the run). */
    private static RewardModel load(Path dir, int threads, List<AutoCloseable> open) {
        RewardModel m = RewardModels.fromDirectory(dir, OnnxDevice.CPU, threads, ScoredText.RESPONSE);
        open.add(m);
        return m;
    }

    /** Key of the gold rewards in a pool (cannot clash with a proxy's directory name). */
    static final String GOLD_KEY = "gold:";

    private List<ProxyResults> runSelection(LmCandidateSampler sampler, List<String> prompts, EvalModels dirs,
                                            List<RewardModel> proxies, RewardModel gold, SelectionFamilies.Grid grid,
                                            List<String> timings, List<String> checks) {
        List<String> labels = dirs.proxyLabels();
        List<ProxyResults.Builder> builders = new ArrayList<>();
        for (String l : labels) {
            builders.add(new ProxyResults.Builder(l, prompts.size(), sampler.generator().eosTokenId()));
        }
        long sampling = 0;
        long scoring = 0;
        long prefixScoring = 0;
        long selecting = 0;
        long start = System.nanoTime();
        for (int i = 0; i < prompts.size(); i++) {
            String prompt = prompts.get(i);
            long t0 = System.nanoTime();
            CandidatePool pool = CandidatePool.sample(sampler, prompt, grid.poolSize(), grid.maxNewTokens(), seed + i);
            long t1 = System.nanoTime();
            sampling += t1 - t0;
            List<String> texts = List.of(pool.texts());
            for (int p = 0; p < proxies.size(); p++) {
                RewardModel m = proxies.get(p);
                if (m.hasEmbeddings()) {
                    RewardModel.RewardsAndEmbeddings re = m.scoreAndEmbed(prompt, texts);
                    pool.putRewards(labels.get(p), re.rewards(), re.embeddings());
                } else {
                    pool.putRewards(labels.get(p), m.score(prompt, texts), null);
                }
            }
            pool.putRewards(GOLD_KEY, gold.score(prompt, texts), null);
            long t2 = System.nanoTime();
            scoring += t2 - t1;
            for (int p = 0; p < proxies.size(); p++) {
                PrefixScorer prefixes = new PrefixScorer(sampler, pool, proxies.get(p));
                List<SelectionFamilies.Outcome> outcomes = SelectionFamilies.run(pool, labels.get(p), GOLD_KEY, grid,
                        prefixes);
                builders.get(p).add(i, pool, outcomes);
                prefixScoring += prefixes.nanos;
                if (i == 0 && p == 0) {
                    checks.addAll(crossCheck(sampler, proxies.get(0), pool, outcomes, grid));
                    checks.forEach(c -> System.out.println("  " + c));
                }
            }
            selecting += System.nanoTime() - t2;
            System.out.printf(Locale.ROOT, "  selection: prompt %2d/%d done, %.1f min%n", i + 1, prompts.size(),
                    (System.nanoTime() - start) / 6e10);
        }
        timings.add(String.format(Locale.ROOT, "selection section %.1f min (sampling %.1f, scoring %.1f, speculative "
                + "rejection's partial texts %.1f, selection %.1f)", (System.nanoTime() - start) / 6e10, sampling / 6e10,
                scoring / 6e10, prefixScoring / 6e10, (selecting - prefixScoring) / 6e10));
        return builders.stream().map(ProxyResults.Builder::build).toList();
    }

    /**
     * The offline choices against the pipeline's own stage functions on the first prompt with the first proxy: a
     * best_of_n request (N = 8, or the largest N below it) and a speculative_rejection request (the first setting) run
     * through the {@link BareDecodingLoop} must choose the same text with the same generated tokens (and, for
     * speculative rejection, reward calls) as {@link SelectionFamilies} on the pool. A difference is reported, not
     * fatal: the int8 encoders quantise per batch, so a near tie can break differently in the loop's smaller batches.
     */
    private List<String> crossCheck(LmCandidateSampler sampler, RewardModel proxy, CandidatePool pool,
                                    List<SelectionFamilies.Outcome> outcomes, SelectionFamilies.Grid grid) {
        RequestLimits d = RequestLimits.defaults();
        RequestLimits limits = new RequestLimits(grid.poolSize(), d.bounds().maxNewTokens(), d.bounds().maxPromptChars(),
                d.bounds().maxTopK());
        // not closed: closing the registry would close the proxy, which the run still uses
        BareDecodingLoop loop = new BareDecodingLoop(limits, sampler, sampler, new RewardModelRegistry(proxy));
        List<String> out = new ArrayList<>();
        int n = 1;
        for (int x : grid.ns()) {
            n = x <= 8 ? x : n;
        }
        int bonN = n;
        SelectionFamilies.Outcome bon = outcomes.stream().filter(o -> o.key().equals("bon-" + bonN)).findFirst()
                .orElseThrow();
        Strategy.Builder b = Strategy.newBuilder().setMethod("best_of_n").setTemperature(1.0).setTopP(1.0).setTopK(0)
                .setN(bonN).setBeta(0.0).setMaxNewTokens(grid.maxNewTokens()).setSeed(seed).setRewardModel(proxy.id());
        AlignedResponse r = loop.run(PromptRequest.newBuilder().setId("check-bon").setPrompt(pool.prompt())
                .setStrategy(b.build()).setCreatedAtMs(0).build());
        out.add(describeCheck("best_of_n N=" + bonN, r, pool.texts()[bon.chosen()], bon, false));
        if (!grid.specrej().isEmpty()) {
            SelectionFamilies.SpecConfig c = grid.specrej().get(0);
            SelectionFamilies.Outcome spec = outcomes.stream().filter(o -> o.key().equals(c.key())).findFirst()
                    .orElseThrow();
            Strategy.Builder s = Strategy.newBuilder().setMethod("speculative_rejection").setTemperature(1.0).setTopP(1.0)
                    .setTopK(0).setN(c.n()).setBlockSize(c.blockSize()).setRejectionRate(c.rate()).setBeta(0.0)
                    .setMaxNewTokens(grid.maxNewTokens()).setSeed(seed).setRewardModel(proxy.id())
                    .setRewardModelKind(proxy.kind());
            AlignedResponse sr = loop.run(PromptRequest.newBuilder().setId("check-specrej").setPrompt(pool.prompt())
                    .setStrategy(s.build()).setCreatedAtMs(0).build());
            out.add(describeCheck(c.label(), sr, pool.texts()[spec.chosen()], spec, true));
        }
        return out;
    }

    private static String describeCheck(String what, AlignedResponse r, String offlineText,
                                        SelectionFamilies.Outcome offline, boolean calls) {
        boolean sameText = r.getText().equals(offlineText);
        boolean sameTokens = r.getGeneratedTokens() == offline.tokens();
        boolean sameCalls = !calls || r.getRewardCalls() == offline.rewardCalls();
        String figures = "generated tokens " + r.getGeneratedTokens() + " vs " + offline.tokens()
                + (calls ? ", reward calls " + r.getRewardCalls() + " vs " + offline.rewardCalls() : "");
        return (sameText && sameTokens && sameCalls ? "cross-check " : "WARNING: cross-check ") + what
                + " on the first prompt, pipeline stage functions vs offline: "
                + (sameText ? "same text" : "different text") + ", " + figures;
    }

    /**
     * A proxy's rewards of the pool's texts at a speculative rejection checkpoint: each listed candidate's first t tokens
     * (all of them when it is shorter), decoded as the generator decodes a speculative candidate's text, in one batch, as
     * the scorer scores a round's candidate set (no cache across rounds or settings: the int8 encoders quantise per
     * batch, so a text's reward depends on its batch mates, and the pipeline's are the round's).
     */
    static final class PrefixScorer implements SelectionFamilies.PrefixRewards {
        private final LmCandidateSampler sampler;
        private final CandidatePool pool;
        private final RewardModel model;
        long nanos;

        PrefixScorer(LmCandidateSampler sampler, CandidatePool pool, RewardModel model) {
            this.sampler = sampler;
            this.pool = pool;
            this.model = model;
        }

        @Override
        public double[] score(int[] candidates, int length) {
            long start = System.nanoTime();
            List<String> texts = new ArrayList<>(candidates.length);
            for (int c : candidates) {
                int[] t = pool.tokens()[c];
                texts.add(length >= t.length ? pool.texts()[c]
                        : sampler.tokenizer().decode(java.util.Arrays.copyOf(t, length), true));
            }
            double[] r = model.score(pool.prompt(), texts);
            nanos += System.nanoTime() - start;
            return r;
        }
    }

    private List<RowResult> runTokenwise(LmCandidateSampler sampler, List<String> prompts, RewardModel full,
                                         RewardModel partial, RewardModel gold, int tokens, List<String> timings) {
        if (full.id().equals(partial.id())) {
            throw new IllegalArgumentException("the full- and partial-sequence reward models have the same id '"
                    + full.id() + "'; the decoding requests name them by id");
        }
        long start = System.nanoTime();
        // the registry does not close its models: they are closed with the others at the end of the run
        RewardModelRegistry registry = new RewardModelRegistry(full).add(partial);
        String partialKind = RewardModelKind.PARTIAL_SEQUENCE.wireName().equals(partial.kind()) ? null : partial.kind();
        if (partialKind != null) {
            System.out.println("WARNING: " + partial.id() + " declares itself " + partial.kind() + ", not partial-sequence; "
                    + "the PARGS rows name that kind explicitly");
        }
        List<EvalRow> rows = filter(EvalRow.tokenwise(tokenwiseWeights(), full.id(), partial.id(), partialKind,
                sampler.baselineModel() != null ? tqRollouts() : List.of()), rowFilter);
        BareDecodingLoop loop = new BareDecodingLoop(RequestLimits.defaults(), sampler, sampler, registry);
        warmUp(loop, rows, full, gold, tokens);
        RowRunner runner = new RowRunner(loop, full, gold, sampler.generator().eosTokenId(), prompts, tokens, seed);
        List<RowResult> results = runner.run(rows, i -> System.out.printf(Locale.ROOT,
                "  tokenwise: prompt %2d/%d done, %.1f min%n", i + 1, prompts.size(), (System.nanoTime() - start) / 6e10));
        timings.add(String.format(Locale.ROOT, "tokenwise section %.1f min", (System.nanoTime() - start) / 6e10));
        return results;
    }

    /** The baseline model for tq_star: explicit, else bundled, else lm-austen from models/ as a stand-in, else none. */
    private Claims.Context loadBaseline(LmCandidateSampler sampler) {
        Path dir = baselineModelDir;
        if (dir == null && !LmCandidateSampler.bundledBaselineAvailable()) {
            Path standIn = Path.of("models", "lm-austen");
            if (!Files.isRegularFile(standIn.resolve("model.onnx"))) {
                System.out.println("WARNING: no Transfer Q* baseline model (bundled lm-austen-bon16 missing, no "
                        + standIn + "): tq_star rows left out");
                return new Claims.Context("none", true);
            }
            System.out.println("WARNING: the bundled lm-austen-bon16 is not on the classpath; Transfer Q* uses " + standIn
                    + " (lm-austen itself) as a stand-in baseline");
            dir = standIn;
        }
        sampler.loadBaseline(dir, onnx.intraOpThreads());
        ModelRef b = sampler.baselineModel();
        boolean standIn = b.getVersion().equals(sampler.model().getVersion());
        String name = "`" + b.getId() + "` (version " + b.getVersion() + ")";
        System.out.println("Transfer Q* baseline: " + b.getId() + " " + b.getVersion() + (standIn ? " (stand-in: the "
                + "same weights as the language model)" : ""));
        return new Claims.Context(name, standIn);
    }

    /**
     * Every row once on a prompt outside the set, untimed and with fewer tokens, so that no row's timing includes ONNX
     * Runtime's or the JIT's first calls on its code path.
     */
    private void warmUp(BareDecodingLoop loop, List<EvalRow> rows, RewardModel proxy, RewardModel gold, int maxTokens) {
        List<String> texts = new ArrayList<>();
        int tokens = Math.min(8, maxTokens);
        for (EvalRow row : rows) {
            Strategy s = row.strategy(tokens, seed - 1);
            PromptRequest request = PromptRequest.newBuilder().setId("warmup-" + row.key()).setPrompt("Warm-up")
                    .setStrategy(s).setCreatedAtMs(0).build();
            texts.add(loop.run(request).getText());
        }
        proxy.score("Warm-up", texts);
        gold.score("Warm-up", texts);
    }

    static List<String> loadPrompts(Path file) throws IOException {
        String text;
        if (file == null) {
            try (var in = Evaluation.class.getClassLoader().getResourceAsStream(PROMPTS_RESOURCE)) {
                if (in == null) {
                    throw new IOException(PROMPTS_RESOURCE + " is missing from the classpath");
                }
                text = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
            }
        } else {
            text = Files.readString(file);
        }
        return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    /** The first {@code count} prompts, or {@value #QUICK_PROMPTS} with {@code quick}, or all. */
    static List<String> selectPrompts(List<String> all, boolean quick, Integer count) {
        int n = count != null ? count : quick ? Math.min(QUICK_PROMPTS, all.size()) : all.size();
        if (n < 1 || n > all.size()) {
            throw new CommandLine.ParameterException(new CommandLine(new Evaluation()), "--prompts must be between 1 and "
                    + all.size() + " (the prompts available), was " + n);
        }
        return all.subList(0, n);
    }

    /** The rows whose key equals or starts with one of {@code keys}; all rows when {@code keys} is null. */
    static List<EvalRow> filter(List<EvalRow> rows, List<String> keys) {
        if (keys == null || keys.isEmpty()) {
            return rows;
        }
        Set<EvalRow> kept = new LinkedHashSet<>();
        for (EvalRow row : rows) {
            if (keys.stream().anyMatch(k -> row.key().startsWith(k))) {
                kept.add(row);
            }
        }
        if (kept.isEmpty()) {
            throw new IllegalArgumentException("--rows " + keys + " matches no row; keys: "
                    + rows.stream().map(EvalRow::key).toList());
        }
        return List.copyOf(kept);
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Evaluation()).execute(args));
    }
}
