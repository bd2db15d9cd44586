package org.alignstream.evaluation.quality;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.alignstream.avro.ModelRef;

/** docs/EVALUATION.md, written from one run's figures. */
final class Report {

    /**
     * How the run was set up.
     *
     * @param command the command line that produced it
     * @param quick whether it was a {@code --quick} smoke run
     */
    record Setup(String command, String date, String machine, int prompts, int maxNewTokens, long seed, boolean quick) {
    }

    /** A model the run used, with its role (e.g. "proxy"). */
    record Model(String role, ModelRef ref) {
    }

    private Report() {
    }

    /** Cores, CPU model, OS, Java and the load average when the run started. */
    static String machine() {
        String cpu = "";
        try {
            cpu = Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                    .findFirst().map(l -> l.substring(l.indexOf(':') + 1).strip() + ", ").orElse("");
        } catch (IOException | RuntimeException ignored) {
            // not Linux: leave the CPU model out
        }
        double load = ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return String.format(Locale.ROOT, "%d cores seen by the JVM, %s%s %s, Java %s, load average %.2f at start",
                Runtime.getRuntime().availableProcessors(), cpu, System.getProperty("os.name"),
                System.getProperty("os.arch"), System.getProperty("java.version"), load);
    }

    static String markdown(Setup setup, List<Model> models, Claims.Context baseline, List<RowResult> rows,
                           List<Claims.Verdict> verdicts, List<String> prompts, double minutes) {
        StringBuilder md = new StringBuilder();
        md.append("# Evaluation: decoding-time alignment methods on lm-austen\n\n");
        md.append("Written by `ops/eval.sh` (`org.alignstream.evaluation.quality.Evaluation`) from the run below; re-run it "
                + "rather than editing the figures. Every verdict in the last section is computed from the table.\n\n");
        if (setup.quick()) {
            md.append("> **Quick run** (`--quick`, ").append(setup.prompts()).append(" prompts): a smoke test, too "
                    + "few prompts for the verdicts to mean much.\n\n");
        }
        md.append("## How it was run\n\n");
        md.append("```\n").append(setup.command()).append("\n```\n\n");
        md.append("- **Date**: ").append(setup.date()).append("; whole run ")
                .append(String.format(Locale.ROOT, "%.1f", minutes)).append(" minutes (model loading included).\n");
        md.append("- **Machine**: ").append(setup.machine()).append(". A shared machine: the seconds per response are "
                + "comparable within this run only.\n");
        md.append("- **Models** (id, version): ");
        md.append(String.join(", ", models.stream().map(m -> m.role() + " `" + m.ref().getId() + "` "
                + m.ref().getVersion()).toList()));
        md.append(". Decoding uses the language model `lm-austen` (π_ref), the proxy `sentiment` (full-sequence) or "
                + "`sentiment-partial`; `gold-sentiment` (e5-small-v2 encoder) only scores the final texts. Transfer "
                + "Q*'s baseline ρ_BL: ").append(baseline.baseline())
                .append(baseline.baselineStandIn() ? " — **a stand-in** (the weights of lm-austen itself, not an "
                        + "aligned model), because the bundled `lm-austen-bon16` was not available" : "")
                .append(".\n");
        md.append("- **Workload**: the first ").append(setup.prompts()).append(" prompts of the bundled "
                + "`evaluation/src/main/resources/alignstream/eval-prompts.txt`, one response per prompt per row; prompt i at "
                + "seed ").append(setup.seed()).append(" + i in every row (so the Best-of-N and RBoN rows choose among "
                + "nested or identical candidates); max_new_tokens = ").append(setup.maxNewTokens())
                .append(", temperature 1, top_p 1, no top-k when sampling whole responses or blocks. Each request runs "
                        + "through `BareDecodingLoop`, the generator's, scorer's and selector's own stage functions "
                        + "without Kafka (`StepwiseDecodingIT` shows it answers token for token as the pipeline over "
                        + "the broker does), on one ONNX Runtime thread.\n\n");
        md.append("## Results\n\n");
        md.append(ResultTable.markdown(rows)).append('\n');
        md.append(RescoringJitter.of(rows).describe()).append("\n\n");
        String timing = timingNoise(rows);
        if (!timing.isEmpty()) {
            md.append(timing).append("\n\n");
        }
        md.append("""
                Columns (figures rounded to 3 significant digits):

                - **decoding RM**: the reward model the method used while decoding.
                - **proxy**: mean reward of the final text under the full-sequence `sentiment` model, all texts of a row \
                scored in one batch, so rows are comparable whatever reward model guided the decoding (log-odds of \
                positive; the int8 encoder makes a text's reward move slightly with its batch mates, so BoN rows differ \
                by a little from the rewards seen while selecting).
                - **gold**: mean reward of the final text under `gold-sentiment` (log-odds, evaluation only).
                - **KL**: mean of the response's `kl`: the exact per-step KL(π‖π_ref) summed along the path for the \
                tokenwise methods (for greedy ones −log π_ref of each chosen token), log K − (K−1)/K per block for \
                greedy blockwise, and log N − (N−1)/N for Best-of-N **and for RBoN**, whose selection it does not \
                model. Not comparable across families.
                - **distinct-1 / distinct-2**: unique / total n-grams over all responses of the row, on the language \
                model's tokenizer tokens (byte-level BPE ids), end-of-text left out; n-grams do not cross responses.
                - **RM calls/token**: texts scored by the decoding reward model(s) / generated tokens, both summed over \
                the row.
                - **s/response**: wall time of the bare loop over the row / responses (generation, scoring, \
                selection; not the evaluation's re-scoring).

                """);
        md.append("## Do the papers' claims hold here?\n\n");
        md.append("Comparisons are paired over the same prompts and seeds: a difference is \"mean ± one standard error\" "
                + "of the per-prompt differences, and counts as real only beyond ")
                .append(ResultTable.sig3(PairedDifference.NOISE_MULTIPLE).replaceAll("\\.?0+$", ""))
                .append(" standard errors (about a 95 % paired test). A claim is **yes** when every comparison it rests "
                        + "on goes its way beyond noise, **no** when none does and at least one goes the other way or is "
                        + "zero, **partly** otherwise.\n\n");
        for (Claims.Verdict v : verdicts) {
            md.append("### ").append(v.number()).append(". ").append(v.claim()).append(" — **")
                    .append(v.answer().text()).append("**\n\n");
            v.figures().forEach(f -> md.append("- ").append(f).append('\n'));
            if (!v.figures().isEmpty()) {
                md.append('\n');
            }
            md.append(v.why()).append("\n\n");
        }
        md.append("## Example responses\n\n");
        md.append("The first prompt, *").append(prompts.get(0)).append("*, in every row:\n\n");
        md.append("| row | response | proxy | gold |\n| --- | --- | ---: | ---: |\n");
        for (RowResult r : rows) {
            md.append("| ").append(r.label()).append(" (").append(r.decodingReward()).append(") | ").append(cell(r.texts().get(0))).append(" | ")
                    .append(ResultTable.sig3(r.proxy()[0])).append(" | ").append(ResultTable.sig3(r.gold()[0]))
                    .append(" |\n");
        }
        md.append("\n## Caveats\n\n");
        md.append("""
                - Toy scale: a 2.6 M-parameter language model, reward heads on frozen small encoders trained on 424 \
                sentences, one response per prompt per row. Differences of a few hundredths are noise; the verdicts \
                use paired standard errors for that reason.
                - The gold model shares the proxy's training sentences (only the encoder differs), so it sees only \
                part of the proxy's errors; over-optimisation the two share is invisible here.
                - Method parameters were set by their scale, not tuned for gold: k = 10, L = 8, K = 4 and the M values \
                as the task asked, w = β = α = 1 where methods are compared; the two β per RBoN variant are a mild and a \
                strong regulariser picked from a wider grid on the first 8 prompts by how far they move the choice away \
                from Best-of-16's (`ops/eval.sh --prompts 8 --rows bon-16,rbon --rbon-kl-betas \
                0.005,0.01,0.02,0.03,0.05,0.1 --rbon-wd-betas 10,20,30,50,100,200 --out -` shows that grid).
                - ARGS and PARGS-G do not depend on the seed at all (Transfer Q* only through its rollouts), so one \
                response per prompt is all they have to give; more prompts, not more seeds, would narrow the standard \
                errors.
                """);
        return md.toString();
    }

    /**
     * How noisy the seconds are: rows that answered every prompt with the same text, with the same tokens and reward
     * calls, did identical work (e.g. args w=1 and pargs-g with the proxy; best_of_n N=4 and blockwise M=max), so the
     * ratio of their times is the machine's noise. Names the pair furthest apart; empty when no such pair exists.
     */
    static String timingNoise(List<RowResult> rows) {
        RowResult[] worst = null;
        double worstRatio = 0;
        for (int a = 0; a < rows.size(); a++) {
            for (int b = a + 1; b < rows.size(); b++) {
                RowResult x = rows.get(a);
                RowResult y = rows.get(b);
                if (x.texts().equals(y.texts()) && x.tokens() == y.tokens() && x.rewardCalls() == y.rewardCalls()
                        && x.seconds() > 0 && y.seconds() > 0) {
                    double ratio = Math.max(x.seconds(), y.seconds()) / Math.min(x.seconds(), y.seconds());
                    if (worst == null || ratio > worstRatio) {
                        worst = new RowResult[] {x, y};
                        worstRatio = ratio;
                    }
                }
            }
        }
        if (worst == null) {
            return "";
        }
        return "Timing noise: `" + worst[0].label() + "` (" + worst[0].decodingReward() + ") and `" + worst[1].label()
                + "` (" + worst[1].decodingReward() + ") did identical work (the same texts, tokens and reward calls) "
                + "and took " + ResultTable.sig3(worst[0].secondsPerResponse()) + " and "
                + ResultTable.sig3(worst[1].secondsPerResponse()) + " s/response, a factor "
                + ResultTable.sig3(worstRatio) + " apart (the largest such gap in this run): read the seconds column "
                + "only to about that factor.";
    }

    private static String cell(String text) {
        return text.replace("|", "\\|").replace("\n", " ").replace("\r", " ").strip();
    }
}
