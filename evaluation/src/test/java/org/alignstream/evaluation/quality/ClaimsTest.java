package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.alignstream.evaluation.quality.Claims.Answer;
import org.alignstream.evaluation.quality.Claims.Verdict;
import org.junit.jupiter.api.Test;

class ClaimsTest {

    private static final Claims.Context BUNDLED = new Claims.Context("`lm-austen-bon16`", false);
    private static final Claims.Context STAND_IN = new Claims.Context("`lm-austen`", true);

    /** Per-prompt values {@code base + offset[i]}: the prompt effect every row shares. */
    private static final double[] PROMPT = {0.3, -0.8, 1.1, -0.2, 0.5, -1.0, 0.9, 0.0};

    private static double[] values(double shift, double noise) {
        double[] v = new double[PROMPT.length];
        for (int i = 0; i < v.length; i++) {
            v[i] = PROMPT[i] + shift + (i % 2 == 0 ? noise : -noise);
        }
        return v;
    }

    private static RowResult row(String key, double proxyShift, double goldShift) {
        return row(key, proxyShift, goldShift, 0.01);
    }

    private static RowResult row(String key, double proxyShift, double goldShift, double noise) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < PROMPT.length; i++) {
            texts.add(key + " " + i);
        }
        return new RowResult(key, key, "sentiment", values(proxyShift, noise), values(goldShift, noise),
                new double[PROMPT.length], 0.8, 0.95, 10L * PROMPT.length, 2L * PROMPT.length, 1.0, texts);
    }

    private static Verdict verdict(int number, List<RowResult> rows, Claims.Context context) {
        return Claims.assess(rows, context).get(number - 1);
    }

    private static PairedDifference diff(double mean, double se) {
        return new PairedDifference(mean, se, 24);
    }

    @Test
    void directionRule() {
        assertThat(Claims.direction(List.of(diff(1, 0.1), diff(0.5, 0.2)))).isEqualTo(Answer.YES);
        assertThat(Claims.direction(List.of(diff(1, 0.1), diff(0.5, 0.3)))).isEqualTo(Answer.PARTLY);
        assertThat(Claims.direction(List.of(diff(1, 0.1), diff(-1, 0.1)))).isEqualTo(Answer.PARTLY);
        // right direction everywhere but within noise
        assertThat(Claims.direction(List.of(diff(0.1, 0.1), diff(0.2, 0.2)))).isEqualTo(Answer.PARTLY);
        assertThat(Claims.direction(List.of(diff(0.1, 0.1), diff(-0.01, 0.2)))).isEqualTo(Answer.NO);
        assertThat(Claims.direction(List.of(diff(0, 0), diff(0, 0)))).isEqualTo(Answer.NO);
        assertThat(Claims.direction(List.of(diff(-1, 0.1)))).isEqualTo(Answer.NO);
        assertThat(Claims.direction(List.of())).isEqualTo(Answer.NOT_MEASURED);
    }

    @Test
    void bestOfNRule() {
        assertThat(Claims.bestOfNRises(new double[] {0, 0.1, 0.2}, diff(0.2, 0.05))).isEqualTo(Answer.YES);
        assertThat(Claims.bestOfNRises(new double[] {0, 0.3, 0.2}, diff(0.2, 0.05))).isEqualTo(Answer.PARTLY);
        assertThat(Claims.bestOfNRises(new double[] {0, 0.1, 0.2}, diff(0.2, 0.2))).isEqualTo(Answer.PARTLY);
        assertThat(Claims.bestOfNRises(new double[] {0, 0.3, 0.2}, diff(0.2, 0.2))).isEqualTo(Answer.NO);
        assertThat(Claims.bestOfNRises(new double[] {0.2, 0.1, 0.0}, diff(-0.2, 0.05))).isEqualTo(Answer.NO);
        assertThat(Claims.bestOfNRises(new double[] {0.1, 0.1}, diff(0, 0))).isEqualTo(Answer.NO);
    }

    @Test
    void bestOfNRisesYesWhenTheProxyRisesAtEveryDoubling() {
        List<RowResult> rows = List.of(row("bon-1", 0, 0), row("bon-2", 0.3, 0.1), row("bon-4", 0.6, 0.15),
                row("bon-8", 0.8, 0.2), row("bon-16", 1.0, 0.22));
        Verdict v = verdict(1, rows, BUNDLED);
        assertThat(v.answer()).isEqualTo(Answer.YES);
        assertThat(v.figures().get(0)).isEqualTo("mean proxy by N: 1: 0.100, 2: 0.400, 4: 0.700, 8: 0.900, 16: 1.10");
        assertThat(v.figures().get(2)).contains("N=16 minus N=1, paired over 8 prompts: proxy +1.00 ± ");
        assertThat(v.why()).contains("rises at every doubling").contains("0.220 times the proxy's gain")
                .contains("carries over to the gold reward");
    }

    @Test
    void bestOfNRisesListsWhereTheMeanFalls() {
        // rows given out of order: sorted by N before comparing
        List<RowResult> rows = List.of(row("bon-16", 1.0, 0), row("bon-1", 0, 0), row("bon-4", 1.2, 0));
        Verdict v = verdict(1, rows, BUNDLED);
        assertThat(v.answer()).isEqualTo(Answer.PARTLY);
        assertThat(v.why()).contains("falls at N=4→16").contains("does not clearly carry over");
    }

    @Test
    void rbonKeepsMoreGoldYesWhenEveryRbonRowKeepsMoreGold() {
        List<RowResult> rows = List.of(row("bon-8", 0.9, 0.5), row("bon-16", 1.0, 0.4), row("rbon_kl-0.02", 0.8, 0.6),
                row("rbon_wd-10", 0.7, 0.55));
        Verdict v = verdict(2, rows, BUNDLED);
        assertThat(v.answer()).isEqualTo(Answer.YES);
        assertThat(v.figures()).hasSize(4);
        assertThat(v.figures().get(1)).startsWith("rbon_kl-0.02: gold").contains("vs BoN-16 +0.200 ± ")
                .contains("2.00 tokens/response");
        assertThat(v.why()).contains("the gold no longer rises while the proxy does").endsWith("for the RBoN rows.");
    }

    @Test
    void rbonKeepsMoreGoldNoWhenRbonLosesGoldAndPartlyWhenOnlyOneWins() {
        List<RowResult> lose = List.of(row("bon-8", 0.9, 0.3), row("bon-16", 1.0, 0.5), row("rbon_kl-0.02", 0.8, 0.3),
                row("rbon_wd-10", 0.7, 0.5));
        Verdict no = verdict(2, lose, BUNDLED);
        assertThat(no.answer()).isEqualTo(Answer.NO);
        assertThat(no.why()).contains("(rbon_kl-0.02 keeps significantly less)").contains("the gold still rises with N")
                .endsWith("0.500 for Best-of-16 against 0.500, 0.200 for the RBoN rows."); // one gap is not narrower
        List<RowResult> mixed = List.of(row("bon-16", 1.0, 0.5), row("rbon_kl-0.02", 0.8, 0.7),
                row("rbon_wd-10", 0.7, 0.3));
        Verdict partly = verdict(2, mixed, BUNDLED);
        assertThat(partly.answer()).isEqualTo(Answer.PARTLY);
        assertThat(partly.why()).startsWith("Only rbon_kl-0.02 keeps more gold").contains("rbon_wd-10 keeps less");
    }

    @Test
    void rbonKeepsMoreGoldNotesWhenRbonKlChoosesShorterResponses() {
        RowResult bon = new RowResult("bon-16", "bon-16", "sentiment", values(1, 0.01), values(0.5, 0.01),
                new double[PROMPT.length], 0.8, 0.9, 160, 24L * PROMPT.length, 1, row("bon-16", 0, 0).texts());
        RowResult kl = new RowResult("rbon_kl-0.05", "rbon_kl-0.05", "sentiment", values(0.5, 0.01), values(0.4, 0.01),
                new double[PROMPT.length], 0.8, 0.9, 160, 15L * PROMPT.length, 1, row("rbon_kl-0.05", 0, 0).texts());
        RowResult wd = new RowResult("rbon_wd-20", "rbon_wd-20", "sentiment", values(0.5, 0.01), values(0.4, 0.01),
                new double[PROMPT.length], 0.8, 0.9, 160, 10L * PROMPT.length, 1, row("rbon_wd-20", 0, 0).texts());
        Verdict v = verdict(2, List.of(bon, kl, wd), BUNDLED);
        assertThat(v.why()).contains("favours short responses").contains("15.0 (rbon_kl-0.05) against 24.0")
                .doesNotContain("10.0 (rbon_wd-20)")
                .endsWith("0.500 for Best-of-16 against 0.100, 0.100 for the RBoN rows: RBoN narrows the gap only by "
                        + "giving up more proxy than gold, not by keeping more gold.");
        Verdict same = verdict(2, List.of(bon, new RowResult("rbon_kl-0.02", "k", "sentiment", bon.proxy(), bon.gold(),
                bon.kl(), 0.8, 0.9, 160, 24L * PROMPT.length, 1, bon.texts())), BUNDLED);
        assertThat(same.why()).doesNotContain("favours short responses");
        assertThat(same.answer()).isEqualTo(Answer.NO); // identical choice: zero difference is not "more gold"
    }

    @Test
    void pargsPartialBeatsArgsComparesGreedyAndSampledPairsAndExplainsAFailure() {
        RowResult args = row("args-w1", 2.0, 1.0);
        List<RowResult> rows = List.of(args, row("pargs-g-partial", 1.5, 0.7), row("pargs-partial", 0.2, 0.3),
                row("pargs-full", 0.5, 0.2, 0.5), row("pargs-g-full", 2.0, 1.0), row("pargs-g2-partial", 1.8, 0.9));
        Verdict v = verdict(3, rows, BUNDLED);
        assertThat(v.figures()).hasSize(2);
        assertThat(v.figures().get(0)).startsWith("greedy: PARGS-G (sentiment-partial) vs ARGS (sentiment)")
                .contains("gold 0.800 vs 1.10 (-0.300 ± ");
        assertThat(v.answer()).isEqualTo(Answer.NO);
        assertThat(v.why()).contains("The full-sequence model is ahead beyond noise in: greedy gold, greedy proxy. ")
                .doesNotContain("sampled gold") // sampled: +0.1 gold but noise 0.5 per prompt
                .contains("reproduces ARGS w=1 on 0 of 8 prompts") // texts differ by key in this fixture
                .contains("models/reward-sentiment-partial/MODEL_CARD.md").contains("With β = 2 to match the scale");
    }

    @Test
    void pargsPartialBeatsArgsYesWhenThePartialModelWinsEverywhere() {
        List<RowResult> rows = List.of(row("args-w1", 1.0, 0.5), row("pargs-g-partial", 1.2, 0.7),
                row("pargs-partial", 0.6, 0.4), row("pargs-full", 0.5, 0.3));
        Verdict v = verdict(3, rows, BUNDLED);
        assertThat(v.answer()).isEqualTo(Answer.YES);
        assertThat(v.why()).doesNotContain("MODEL_CARD");
    }

    @Test
    void transferQStarBeatsArgsNamesTheStandInBaselineAndChecksIndirectEqualsDirect() {
        RowResult tq = row("tq-direct", 1.0, 0.6);
        RowResult indirect = new RowResult("tq-indirect", "tq-indirect", "sentiment", tq.proxy(), tq.gold(), tq.kl(),
                0.8, 0.95, 2 * tq.rewardCalls(), tq.tokens(), 1.0, tq.texts());
        List<RowResult> rows = List.of(row("args-w1", 2.0, 1.0), tq, indirect);
        Verdict v = verdict(4, rows, STAND_IN);
        assertThat(v.answer()).isEqualTo(Answer.NO);
        assertThat(v.why()).contains("ARGS is ahead beyond noise in: gold, proxy. ")
                .contains("a stand-in").contains("identical on 8 of 8 prompts")
                .contains("10.0 RM calls per token instead of 5.00");
        Verdict bundled = verdict(4, rows, BUNDLED);
        assertThat(bundled.why()).doesNotContain("stand-in").contains("lm-austen-bon16")
                .contains("single rollout per candidate");
        Verdict better = verdict(4, List.of(row("args-w1", 1.0, 0.5), row("tq-direct", 1.5, 0.7)), BUNDLED);
        assertThat(better.answer()).isEqualTo(Answer.YES);
        assertThat(better.why()).doesNotContain("single rollout per candidate").doesNotContain("ahead beyond noise");
    }

    @Test
    void diversityNoteOnlyWhenTheGoldLeaderIsClearlyLessVaried() {
        RowResult varied = new RowResult("a", "A", "sentiment", values(1, 0), values(0.5, 0), new double[PROMPT.length],
                0.5, 0.9, 1, 1, 1, row("a", 0, 0).texts());
        RowResult repetitive = new RowResult("b", "B", "sentiment", values(2, 0), values(1.0, 0),
                new double[PROMPT.length], 0.2, 0.3, 1, 1, 1, row("b", 0, 0).texts());
        assertThat(Claims.diversityNote(varied, repetitive)).startsWith("B leads with much less varied text "
                + "(distinct-2 0.300 vs 0.900)");
        assertThat(Claims.diversityNote(repetitive, varied)).startsWith("B leads");
        RowResult alike = new RowResult("c", "C", "sentiment", values(2, 0), values(1.0, 0), new double[PROMPT.length],
                0.2, 0.85, 1, 1, 1, row("c", 0, 0).texts());
        assertThat(Claims.diversityNote(varied, alike)).isEmpty();
    }

    @Test
    void missingRowsAreNotMeasured() {
        List<Verdict> verdicts = Claims.assess(List.of(row("args-w1", 1, 1)), BUNDLED);
        assertThat(verdicts).extracting(Verdict::answer).containsOnly(Answer.NOT_MEASURED);
        assertThat(verdicts).extracting(Verdict::number).containsExactly(1, 2, 3, 4);
    }

    @Test
    void verdictsFollowTheFiguresNotTheRowNames() {
        // same keys, reversed figures: the verdict must flip
        List<RowResult> good = List.of(row("args-w1", 1.0, 0.5), row("tq-direct", 1.5, 0.8));
        List<RowResult> bad = List.of(row("args-w1", 1.5, 0.8), row("tq-direct", 1.0, 0.5));
        assertThat(verdict(4, good, BUNDLED).answer()).isEqualTo(Answer.YES);
        assertThat(verdict(4, bad, BUNDLED).answer()).isEqualTo(Answer.NO);
        assertThat(Arrays.asList(verdict(4, bad, BUNDLED).figures().get(0).split(" "))).contains("(-0.300");
    }
}
