package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ReportTest {

    private static RowResult row(String key, String rm, long calls, long tokens, double seconds) {
        return new RowResult(key, key, rm, new double[] {1, 2}, new double[] {0, 1}, new double[] {3, 4}, 0.5, 0.8,
                calls, tokens, seconds, List.of("a", "b"));
    }

    @Test
    void timingNoiseNamesTheIdenticalWorkPairFurthestApart() {
        String note = Report.timingNoise(List.of(row("args-w1", "sentiment", 480, 48, 2.0),
                row("pargs-g-full", "sentiment", 480, 48, 3.0), row("bon-4", "sentiment", 8, 48, 1.0),
                row("blockwise-m24", "sentiment", 8, 48, 4.0)));
        assertThat(note).contains("`bon-4` (sentiment) and `blockwise-m24` (sentiment)")
                .contains("took 0.500 and 2.00 s/response, a factor 4.00 apart");
        assertThat(Report.timingNoise(List.of(row("args-w1", "sentiment", 480, 48, 2.0)))).isEmpty();
        // not the same work (different reward calls or texts): no claim about noise
        assertThat(Report.timingNoise(List.of(row("args-w1", "sentiment", 480, 48, 2.0),
                row("pargs-g-full", "sentiment", 470, 48, 3.0)))).isEmpty();
        RowResult other = new RowResult("x", "x", "sentiment", new double[] {1, 2}, new double[] {0, 1},
                new double[] {3, 4}, 0.5, 0.8, 480, 48, 9.0, List.of("a", "c"));
        assertThat(Report.timingNoise(List.of(row("args-w1", "sentiment", 480, 48, 2.0), other))).isEmpty();
    }

    private static ProxyResults proxyRows() {
        List<ProxyResults.Row> rows = new java.util.ArrayList<>();
        for (int n : new int[] {1, 2, 4}) {
            rows.add(new ProxyResults.Row(new RowResult("bon-" + n, "best_of_n N=" + n, "p", new double[] {n, n},
                    new double[] {0.5 * n, 0.5 * n}, new double[] {0.1 * n, 0.1 * n}, 0.5, 0.8, 2L * n, 20L * n,
                    Double.NaN, List.of("a" + n, "b" + n)), SelectionFamilies.BON, "", n));
            rows.add(new ProxyResults.Row(new RowResult("rbon_kl-0.05@" + n, "rbon_kl N=" + n + " β=0.05", "p",
                    new double[] {1, 1}, new double[] {2, 2}, new double[] {0.3, 0.3}, 0.5, 0.8, 2L * n, 20L * n,
                    Double.NaN, List.of("a", "b")), SelectionFamilies.RBON_KL, "β=0.05", n));
        }
        rows.add(new ProxyResults.Row(new RowResult("specrej-4:4:0.5", "speculative_rejection N=4 M=4 α=0.5", "p",
                new double[] {3, 3}, new double[] {1, 1}, new double[] {1.4, 1.4}, 0.5, 0.8, 12, 30, Double.NaN,
                List.of("a", "b")), SelectionFamilies.SPECREJ, "M=4 α=0.5", 4));
        return new ProxyResults("reward-sentiment-25", rows);
    }

    @Test
    void curveTableHasARowPerNAndACellPerSetting() {
        String table = Report.curveTable(proxyRows());
        assertThat(table.lines().toList()).containsExactly("| N | tokens/response | bon | rbon_kl β=0.05 |",
                "| ---: | ---: | ---: | ---: |", "| 1 | 10.0 | 0.500 / 1.00 (0.100) | 2.00 / 1.00 (0.300) |",
                "| 2 | 20.0 | 1.00 / 2.00 (0.200) | 2.00 / 1.00 (0.300) |",
                "| 4 | 40.0 | 2.00 / 4.00 (0.400) | 2.00 / 1.00 (0.300) |");
    }

    @Test
    void markdownHasTheCommandTheTablesThePlotsTheVerdictsAndTheQuickWarning() {
        List<RowResult> rows = List.of(row("args-w1", "full", 480, 48, 2.0), row("tq-m1", "full", 480, 48, 4.0));
        Claims.Context ctx = new Claims.Context("`lm-austen`", true);
        List<ProxyResults> proxies = List.of(proxyRows());
        Report.Measured m = new Report.Measured(4, proxies, rows, List.of("eval-frontier-reward-sentiment-25.png",
                "eval-frontier-tokenwise.png"), List.of("selection section 0.1 min"),
                List.of("cross-check best_of_n N=4 on the first prompt: same text"));
        String md = Report.markdown(new Report.Setup("ops/eval.sh --quick", "2026-11-29", "2 cores", 2, 24, 1, true),
                List.of(), ctx, m, Claims.assess(proxies, rows, ctx), List.of("She was", "He was"), 1.25);
        assertThat(md).contains("```\nops/eval.sh --quick\n```").contains("**Quick run**")
                .contains("whole run 1.3 minutes (model loading included): selection section 0.1 min.")
                .contains("### Proxy `reward-sentiment-25`")
                .contains("Checked against the pipeline: cross-check best_of_n N=4 on the first prompt: same text.")
                .contains("| speculative_rejection N=4 M=4 α=0.5 | 1.00 | 3.00 | 15.0 | 6.00 |")
                .contains("![reward against KL, proxy reward-sentiment-25](eval-frontier-reward-sentiment-25.png)")
                .contains("![tokenwise reward against KL](eval-frontier-tokenwise.png)")
                .contains("| args-w1 | full | 1.50 | 0.500 |").contains("**a stand-in**")
                .contains("Transfer Q* beats ARGS at equal k").contains("The first prompt, *She was*")
                .contains("| best_of_n N=4 (p) | a4 | 4.00 | 2.00 |");
        String full = Report.markdown(new Report.Setup("ops/eval.sh", "2026-11-29", "2 cores", 2, 24, 1, false),
                List.of(), new Claims.Context("`lm-austen-bon16`", false), new Report.Measured(4, List.of(), rows,
                        List.of(), List.of(), List.of()), List.of(), List.of("x", "y"), 5);
        assertThat(full).doesNotContain("Quick run").doesNotContain("stand-in").doesNotContain("![");
    }
}
