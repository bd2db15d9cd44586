package org.alignstream.evaluation.quality;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
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

    /**
     * What the run measured besides the setup.
     *
     * @param poolSize   candidates sampled per prompt (Best-of-N's largest N)
     * @param proxies    the whole-response methods' rows, one entry per proxy
     * @param tokenwise  the tokenwise rows
     * @param plots      the plot files written (relative to the report's directory when they sit beside it)
     * @param timings    what each part of the run took, one line each
     * @param checks     the offline choices checked against the pipeline's stage functions, one line each
     */
    record Measured(int poolSize, List<ProxyResults> proxies, List<RowResult> tokenwise, List<String> plots,
                    List<String> timings, List<String> checks) {
    }

    static String markdown(Setup setup, List<Model> models, Claims.Context baseline, Measured m,
                           List<Claims.Verdict> verdicts, List<String> prompts, double minutes) {
        StringBuilder md = new StringBuilder();
        md.append("# Evaluation: decoding-time alignment methods on lm-austen\n\n");
        md.append("Written by `ops/eval.sh` (`org.alignstream.evaluation.quality.Evaluation`) from the run below; re-run it "
                + "rather than editing the figures. Every verdict is computed from the tables.\n\n");
        if (setup.quick()) {
            md.append("> **Quick run** (`--quick`, ").append(setup.prompts()).append(" prompts): a smoke test, too "
                    + "few prompts for the verdicts to mean much.\n\n");
        }
        md.append("## How it was run\n\n");
        md.append("```\n").append(setup.command()).append("\n```\n\n");
        md.append("- **Date**: ").append(setup.date()).append("; whole run ")
                .append(String.format(Locale.ROOT, "%.1f", minutes)).append(" minutes (model loading included): ")
                .append(String.join("; ", m.timings())).append(".\n");
        md.append("- **Machine**: ").append(setup.machine()).append(". A shared machine: the seconds per response are "
                + "comparable within this run only.\n");
        md.append("- **Models** (role, id, version, directory): ");
        md.append(String.join(", ", models.stream().map(x -> x.role() + " `" + x.ref().getId() + "` "
                + x.ref().getVersion()).toList()));
        md.append(". The proxies only choose among whole responses; the gold only scores final texts; the decoder "
                + "reward models guide the tokenwise methods. Transfer Q*'s baseline ρ_BL: ").append(baseline.baseline())
                .append(baseline.baselineStandIn() ? " — **a stand-in** (the weights of lm-austen itself, not an "
                        + "aligned model), because the bundled `lm-austen-bon16` was not available" : "")
                .append(".\n");
        md.append("- **Workload**: the first ").append(setup.prompts()).append(" prompts of the bundled "
                + "`evaluation/src/main/resources/alignstream/eval-prompts.txt`; prompt i at seed ").append(setup.seed())
                .append(" + i; max_new_tokens = ").append(setup.maxNewTokens()).append(", temperature 1, top_p 1. "
                        + "**Whole-response methods**: ").append(m.poolSize()).append(" candidates per prompt sampled "
                        + "once from π_ref (candidate i is Best-of-N's random stream i, as a best_of_n request samples "
                        + "it), each text scored once by every proxy and the gold; Best-of-N, RBoN-KL, RBoN-WD and soft "
                        + "Best-of-N with n = N choose among the first N of them with the core's selection classes (what "
                        + "the selector runs), so every N and every proxy sees nested, identical candidates; speculative "
                        + "rejection replays the same streams with the core's checkpoint rule, scoring the partial texts "
                        + "with the proxy. **Tokenwise methods**: each request runs through `BareDecodingLoop`, the "
                        + "generator's, scorer's and selector's own stage functions without Kafka, on one ONNX Runtime "
                        + "thread.\n\n");
        md.append("## Whole-response methods, one set of candidates per proxy\n\n");
        md.append("""
                Each cell is **gold / proxy (KL)**: the mean gold reward, the mean reward under that table's proxy, and \
                the mean KL figure, over the prompts. The KL figure is the same for every method: the exact KL of its \
                choice among the drawn candidates from plain sampling's uniform choice among them, log(N / copies of \
                the chosen text) for a deterministic choice (Best-of-N, RBoN, speculative rejection), less for soft \
                Best-of-N; its expectation over the draws bounds KL(π‖π_ref) from above. For any per-candidate score \
                without ties (Best-of-N, RBoN-KL) the true KL is log N − (N−1)/N whatever the score, so RBoN moves \
                along the reward axis, not the KL axis. (The pipeline reports Best-of-N's bound, `upper_bound`, for \
                such texts: π_ref restricted to N drawn texts of 24 tokens is nearly one-hot on the most probable one, \
                so the figure over the candidates, `exact_over_candidates`, would stay near 0.) \
                Soft Best-of-N's rewards are expectations under its choice distribution. Tokens: generated tokens per \
                response (Best-of-N's compute at that N).

                """);
        if (!m.checks().isEmpty()) {
            md.append("Checked against the pipeline: ").append(String.join("; ", m.checks())).append(".\n\n");
        }
        for (ProxyResults p : m.proxies()) {
            md.append("### Proxy `").append(p.proxy()).append("`\n\n");
            md.append(curveTable(p)).append('\n');
            List<RowResult> spec = p.rows().stream().filter(r -> r.family().equals(SelectionFamilies.SPECREJ))
                    .map(ProxyResults.Row::result).toList();
            if (!spec.isEmpty()) {
                md.append("| speculative rejection | gold | proxy | tokens/response | RM calls/response |\n"
                        + "| --- | ---: | ---: | ---: | ---: |\n");
                for (RowResult r : spec) {
                    md.append("| ").append(r.label()).append(" | ").append(ResultTable.sig3(r.meanGold())).append(" | ")
                            .append(ResultTable.sig3(r.meanProxy())).append(" | ")
                            .append(ResultTable.sig3(r.tokensPerResponse())).append(" | ")
                            .append(ResultTable.sig3((double) r.rewardCalls() / r.responses())).append(" |\n");
                }
                md.append('\n');
            }
            m.plots().stream().filter(f -> f.endsWith(FrontierPlot.proxyFile(Path.of(""), p.proxy()).toString()))
                    .forEach(f -> md.append("![reward against KL, proxy ").append(p.proxy()).append("](").append(f)
                            .append(")\n\n"));
        }
        if (!m.tokenwise().isEmpty()) {
            md.append("## Tokenwise methods\n\n");
            md.append(ResultTable.markdown(m.tokenwise())).append('\n');
            md.append(RescoringJitter.of(m.tokenwise()).describe()).append("\n\n");
            String timing = timingNoise(m.tokenwise());
            if (!timing.isEmpty()) {
                md.append(timing).append("\n\n");
            }
            md.append("""
                    Columns (figures rounded to 3 significant digits):

                    - **decoding RM**: the reward model the method used while decoding.
                    - **proxy**: mean reward of the final text under the full-sequence decoder reward model (the one \
                    ARGS and Transfer Q* decode with), all rows' texts of a prompt scored in one batch.
                    - **gold**: mean reward of the final text under the gold model (evaluation only).
                    - **KL**: mean of the response's `kl`: the exact per-step KL(π‖π_ref) summed along the path (for \
                    greedy methods −log π_ref of each chosen token), a one-sample estimate of the sequence KL.
                    - **distinct-1 / distinct-2**: unique / total n-grams over all responses of the row, on the language \
                    model's tokens, end-of-text left out; n-grams do not cross responses.
                    - **RM calls/token**: texts scored by the decoding reward model(s) / generated tokens, both summed \
                    over the row.
                    - **s/response**: wall time of the bare loop over the row / responses.

                    """);
            m.plots().stream().filter(f -> f.endsWith(FrontierPlot.tokenwiseFile(Path.of("")).toString()))
                    .forEach(f -> md.append("![tokenwise reward against KL](").append(f).append(")\n\n"));
        }
        md.append("## Do the papers' claims hold here?\n\n");
        md.append("Comparisons are paired over the same prompts and seeds: a difference is \"mean ± one standard error\" "
                + "of the per-prompt differences, and counts as real only beyond ")
                .append(ResultTable.sig3(PairedDifference.NOISE_MULTIPLE).replaceAll("\\.?0+$", ""))
                .append(" standard errors (about a 95 % paired test). Unless a claim states its own rule, it is **yes** "
                        + "when every comparison it rests on goes its way beyond noise, **no** when none does and at "
                        + "least one goes the other way or is zero, **partly** otherwise.\n\n");
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
        md.append("The first prompt, *").append(prompts.get(0)).append("*:\n\n");
        md.append("| row | response | proxy | gold |\n| --- | --- | ---: | ---: |\n");
        List<RowResult> examples = new ArrayList<>();
        if (!m.proxies().isEmpty()) {
            ProxyResults first = m.proxies().get(0);
            List<RowResult> bon = first.bestOfN();
            if (!bon.isEmpty()) {
                examples.add(bon.get(0));
                examples.add(bon.get(bon.size() - 1));
            }
        }
        examples.addAll(m.tokenwise());
        for (RowResult r : examples) {
            md.append("| ").append(r.label()).append(" (").append(r.decodingReward()).append(") | ")
                    .append(cell(r.texts().get(0))).append(" | ").append(ResultTable.sig3(r.proxy()[0])).append(" | ")
                    .append(ResultTable.sig3(r.gold()[0])).append(" |\n");
        }
        md.append("\n## Caveats\n\n");
        md.append("""
                - Toy scale: a 2.6 M-parameter language model and small reward models; one response per prompt per \
                row. The verdicts use paired standard errors for that reason; more prompts, not more seeds, narrow them \
                (the tokenwise methods are greedy and do not depend on the seed, Transfer Q* only through its rollouts).
                - The whole-response rows are computed from one shared sample per prompt, so their differences are \
                paired and isolate the choice rule; a text's reward comes from one batch per prompt and model (the int8 \
                encoders quantise per batch, so a text can score slightly differently in another batch, e.g. the \
                pipeline's).
                - Speculative rejection's partial texts are scored by the proxy of its table, as the paper uses one \
                reward model throughout; its compute here is generated tokens, not wall time.
                - Method parameters were set by their scale, not tuned for gold: k = 10, L = 8, w = β = α = 1 where \
                methods are compared.
                """);
        return md.toString();
    }

    /** One proxy's whole-response table: a row per N, a column per method setting (gold / proxy (KL)). */
    static String curveTable(ProxyResults p) {
        List<String[]> columns = new ArrayList<>(); // family, variant
        for (String family : List.of(SelectionFamilies.BON, SelectionFamilies.RBON_KL, SelectionFamilies.RBON_WD,
                SelectionFamilies.SOFT)) {
            for (String variant : p.variants(family)) {
                columns.add(new String[] {family, variant});
            }
        }
        List<RowResult> bon = p.bestOfN();
        StringBuilder t = new StringBuilder("| N | tokens/response |");
        StringBuilder rule = new StringBuilder("| ---: | ---: |");
        for (String[] c : columns) {
            t.append(' ').append(c[0]).append(c[1].isEmpty() ? "" : " " + c[1]).append(" |");
            rule.append(" ---: |");
        }
        t.append('\n').append(rule).append('\n');
        for (RowResult b : bon) {
            double n = Claims.bonN(b);
            t.append("| ").append((int) n).append(" | ").append(ResultTable.sig3(b.tokensPerResponse())).append(" |");
            for (String[] c : columns) {
                String cellText = p.curve(c[0], c[1]).stream().filter(r -> r.knob() == n).findFirst()
                        .map(r -> ResultTable.sig3(r.result().meanGold()) + " / " + ResultTable.sig3(r.result().meanProxy())
                                + " (" + ResultTable.sig3(r.result().meanKl()) + ")").orElse("-");
                t.append(' ').append(cellText).append(" |");
            }
            t.append('\n');
        }
        return t.toString();
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
