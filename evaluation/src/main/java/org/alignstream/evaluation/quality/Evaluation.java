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
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.runtime.OnnxThreadOptions;
import org.alignstream.generator.LmCandidateSampler;
import org.alignstream.generator.RequestLimits;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.EncoderRewardModel;
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
 * The quality evaluation ({@code ops/eval.sh}, docs/EVALUATION.md): a fixed bundled prompt set through every alignment
 * method at fixed seeds in the {@link BareDecodingLoop} (the pipeline's own stage functions without Kafka), each row's
 * final texts then re-scored in one batch by the full-sequence proxy {@code sentiment} and by the evaluation-only
 * {@code gold-sentiment} model. Prints the table and the papers' claims with verdicts computed from the figures, and
 * writes the report.
 */
@Command(name = "eval", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Runs every alignment method over the bundled evaluation prompts and writes docs/EVALUATION.md.")
public final class Evaluation implements Callable<Integer> {

    /** Classpath location of the bundled evaluation prompts. */
    public static final String PROMPTS_RESOURCE = "alignstream/eval-prompts.txt";
    /** Prompts of a {@code --quick} run. */
    public static final int QUICK_PROMPTS = 6;

    @Option(names = "--quick", description = "A smoke run on the first " + QUICK_PROMPTS + " prompts (--prompts wins)")
    boolean quick;

    @Option(names = "--prompts", paramLabel = "N", description = "Use the first N prompts (default: all)")
    Integer promptCount;

    @Option(names = "--prompts-file", paramLabel = "FILE", description = "One prompt a line, # comments (default: the bundled "
            + PROMPTS_RESOURCE + ")")
    Path promptsFile;

    @Option(names = "--max-new-tokens", defaultValue = "24", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--seed", defaultValue = "1", description = "Base seed; prompt i uses seed + i in every row (default: ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--baseline-model-dir", paramLabel = "DIR",
            description = "Transfer Q* baseline model rho_BL; default: the bundled lm-austen-bon16 when on the classpath, "
                    + "else models/lm-austen as a stand-in (tq_star rows are left out if neither exists)")
    Path baselineModelDir;

    @Option(names = "--rows", split = ",", paramLabel = "KEY",
            description = "Only these rows, by key or key prefix (e.g. bon-,args-w1); default: all")
    List<String> rowFilter;

    @Option(names = "--rbon-kl-betas", split = ",", paramLabel = "BETA", description = "RBoN-KL strengths (default: 0.02,0.05)")
    List<Double> rbonKlBetas = EvalRow.Grid.DEFAULT.rbonKlBetas();

    @Option(names = "--rbon-wd-betas", split = ",", paramLabel = "BETA", description = "RBoN-WD strengths (default: 10,20)")
    List<Double> rbonWdBetas = EvalRow.Grid.DEFAULT.rbonWdBetas();

    @Option(names = "--args-weights", split = ",", paramLabel = "W", description = "ARGS reward weights; 1 is the one the "
            + "claims compare (default: 1,3)")
    List<Double> argsWeights = EvalRow.Grid.DEFAULT.argsWeights();

    @Option(names = "--out", defaultValue = "docs/EVALUATION.md", paramLabel = "FILE",
            description = "The report to write; '-' writes none (default: ${DEFAULT-VALUE})")
    String out;

    @Mixin
    OnnxThreadOptions onnx = new OnnxThreadOptions();

    @Option(names = "--command-line", hidden = true, description = "How the run was started, for the report")
    String commandLine;

    @Override
    public Integer call() throws IOException {
        long started = System.nanoTime();
        List<String> prompts = selectPrompts(loadPrompts(promptsFile), quick, promptCount);
        Report.Setup setup = new Report.Setup(commandLine != null ? commandLine : "ops/eval.sh", LocalDate.now().toString(),
                Report.machine(), prompts.size(), maxNewTokens, seed, quick && promptCount == null);
        System.out.printf(Locale.ROOT, "alignstream eval %s: %s%n%d prompts, max_new_tokens=%d, temperature=1, top_p=1, "
                + "seeds %d..%d%n", setup.date(), setup.machine(), prompts.size(), maxNewTokens, seed,
                seed + prompts.size() - 1);
        try (LmCandidateSampler sampler = LmCandidateSampler.load(null, onnx.intraOpThreads(), true);
             RewardModelRegistry decodingModels = new RewardModelRegistry(
                     RewardModels.defaultSentiment(OnnxDevice.CPU, onnx.intraOpThreads()))
                     .add(RewardModels.defaultSentimentPartial(OnnxDevice.CPU, onnx.intraOpThreads()));
             EncoderRewardModel gold = RewardModels.goldSentiment(OnnxDevice.CPU, onnx.intraOpThreads())) {
            Claims.Context baseline = loadBaseline(sampler);
            RewardModel proxy = decodingModels.resolve(EvalRow.PROXY);
            requireResponseOnly(proxy);
            requireResponseOnly(gold);
            List<Report.Model> models = new ArrayList<>(List.of(new Report.Model("LM π_ref", sampler.model())));
            if (sampler.baselineModel() != null) {
                models.add(new Report.Model("ρ_BL", sampler.baselineModel()));
            }
            RewardModel partial = decodingModels.resolve(EvalRow.PARTIAL);
            models.add(new Report.Model("proxy", new ModelRef(proxy.id(), proxy.version())));
            models.add(new Report.Model("partial", new ModelRef(partial.id(), partial.version())));
            models.add(new Report.Model("gold", new ModelRef(gold.id(), gold.version())));
            List<EvalRow> rows = filter(EvalRow.standard(maxNewTokens, sampler.baselineModel() != null,
                    new EvalRow.Grid(rbonKlBetas, rbonWdBetas, argsWeights)), rowFilter);
            BareDecodingLoop loop = new BareDecodingLoop(RequestLimits.defaults(), sampler, sampler, decodingModels);
            warmUp(loop, rows, proxy, gold);
            RowRunner runner = new RowRunner(loop, proxy, gold, sampler.generator().eosTokenId(), prompts,
                    maxNewTokens, seed);
            long loopStart = System.nanoTime();
            List<RowResult> results = runner.run(rows, i -> System.out.printf(Locale.ROOT,
                    "  prompt %2d/%d done, %.1f min%n", i + 1, prompts.size(), (System.nanoTime() - loopStart) / 6e10));
            List<Claims.Verdict> verdicts = Claims.assess(results, baseline);
            double minutes = (System.nanoTime() - started) / 6e10;
            System.out.println();
            System.out.print(ResultTable.text(results));
            System.out.println(RescoringJitter.of(results).describe());
            System.out.println(Report.timingNoise(results));
            System.out.println();
            for (Claims.Verdict v : verdicts) {
                System.out.printf(Locale.ROOT, "claim %d: %s -> %s%n", v.number(), v.claim(), v.answer().text());
                v.figures().forEach(f -> System.out.println("    " + f));
            }
            System.out.printf(Locale.ROOT, "%nrun time %.1f min%n", minutes);
            if (!"-".equals(out)) {
                String report = Report.markdown(setup, models, baseline, results, verdicts, prompts, minutes);
                Path file = Path.of(out);
                if (file.getParent() != null) {
                    Files.createDirectories(file.getParent());
                }
                // keep other writers' marked sections (e.g. the feedback-curve section of ops/eval.sh --section feedback)
                Files.writeString(file, MarkedSection.keepOthers(Files.exists(file) ? Files.readString(file) : null, report));
                System.out.println("wrote " + file);
            }
        }
        return 0;
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

    /** The row scoring passes one placeholder prompt for a whole batch, which is only right if the prompt is ignored. */
    private static void requireResponseOnly(RewardModel model) {
        if (!(model instanceof EncoderRewardModel e) || e.scoredText() != ScoredText.RESPONSE) {
            throw new IllegalStateException("reward model " + model.id() + " must score the response only");
        }
    }

    /**
     * Every row once on a prompt outside the set, untimed and with fewer tokens, so that no row's timing includes ONNX
     * Runtime's or the JIT's first calls on its code path.
     */
    private void warmUp(BareDecodingLoop loop, List<EvalRow> rows, RewardModel proxy, RewardModel gold) {
        List<String> texts = new ArrayList<>();
        int tokens = Math.min(8, maxNewTokens);
        for (EvalRow row : rows) {
            Strategy s = row.strategy(tokens, seed - 1);
            if (s.getBlockSize() > tokens) {
                s.setBlockSize(tokens);
            }
            PromptRequest request = PromptRequest.newBuilder().setId("warmup-" + row.key()).setPrompt("Warm-up")
                    .setStrategy(s).setCreatedAtMs(0).build();
            texts.add(loop.run(request).getText());
        }
        proxy.score("", texts);
        gold.score("", texts);
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
