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

    @Test
    void markdownHasTheCommandTheTableTheVerdictsAndTheQuickWarning() {
        List<RowResult> rows = List.of(row("args-w1", "sentiment", 480, 48, 2.0), row("tq-direct", "sentiment", 480, 48, 4.0));
        Claims.Context ctx = new Claims.Context("`lm-austen`", true);
        String md = Report.markdown(new Report.Setup("ops/eval.sh --quick", "2026-11-29", "2 cores", 2, 24, 1, true),
                List.of(), ctx, rows, Claims.assess(rows, ctx), List.of("She was", "He was"), 1.25);
        assertThat(md).contains("```\nops/eval.sh --quick\n```").contains("**Quick run**").contains("whole run 1.3 minutes")
                .contains("| args-w1 | sentiment | 1.50 | 0.500 |").contains("**a stand-in**")
                .contains("### 4. Transfer Q* beats ARGS at equal k").contains("### 1. Best-of-N raises the proxy reward "
                        + "with N. — **not measured**").contains("The first prompt, *She was*");
        String full = Report.markdown(new Report.Setup("ops/eval.sh", "2026-11-29", "2 cores", 2, 24, 1, false),
                List.of(), new Claims.Context("`lm-austen-bon16`", false), rows, List.of(), List.of("x", "y"), 5);
        assertThat(full).doesNotContain("Quick run").doesNotContain("stand-in");
    }
}
