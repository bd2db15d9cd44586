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
        return row(key, proxyShift, goldShift, 0.01, 2);
    }

    /** A row with {@code tokensPerResponse} generated tokens per response and one RM call per token. */
    private static RowResult row(String key, double proxyShift, double goldShift, double noise, double tokensPerResponse) {
        List<String> texts = new ArrayList<>();
        for (int i = 0; i < PROMPT.length; i++) {
            texts.add(key + " " + i);
        }
        long tokens = Math.round(tokensPerResponse * PROMPT.length);
        return new RowResult(key, key, "rm", values(proxyShift, noise), values(goldShift, noise),
                new double[PROMPT.length], 0.8, 0.95, tokens, tokens, 1.0, texts);
    }

    private static ProxyResults.Row bon(int n, double proxy, double gold) {
        return new ProxyResults.Row(row("bon-" + n, proxy, gold, 0.01, 10.0 * n), SelectionFamilies.BON, "", n);
    }

    private static ProxyResults.Row sel(String family, String variant, int n, double proxy, double gold) {
        return new ProxyResults.Row(row(family + "-" + variant + "@" + n, proxy, gold, 0.01, 10.0 * n), family, variant,
                n);
    }

    /** Best-of-N at N = 1..16 with these mean proxy and gold shifts. */
    private static List<ProxyResults.Row> bonCurve(double[] proxy, double[] gold) {
        List<ProxyResults.Row> rows = new ArrayList<>();
        for (int k = 0; k < proxy.length; k++) {
            rows.add(bon(1 << k, proxy[k], gold[k]));
        }
        return rows;
    }

    private static ProxyResults proxy(List<ProxyResults.Row> rows) {
        return new ProxyResults("reward-sentiment-25", rows);
    }

    private static PairedDifference diff(double mean, double se) {
        return new PairedDifference(mean, se, 24);
    }

    @Test
    void directionRule() {
        assertThat(Claims.direction(List.of(diff(1, 0.1), diff(0.5, 0.2)))).isEqualTo(Answer.YES);
        assertThat(Claims.direction(List.of(diff(1, 0.1), diff(0.5, 0.3)))).isEqualTo(Answer.PARTLY);
        assertThat(Claims.direction(List.of(diff(1, 0.1), diff(-1, 0.1)))).isEqualTo(Answer.PARTLY);
        assertThat(Claims.direction(List.of(diff(0.1, 0.1), diff(0.2, 0.2)))).isEqualTo(Answer.PARTLY);
        assertThat(Claims.direction(List.of(diff(0.1, 0.1), diff(-0.01, 0.2)))).isEqualTo(Answer.NO);
        assertThat(Claims.direction(List.of(diff(0, 0), diff(0, 0)))).isEqualTo(Answer.NO);
        assertThat(Claims.direction(List.of())).isEqualTo(Answer.NOT_MEASURED);
    }

    @Test
    void goldStopsRisingWhereNoLargerNIsAboveItBeyondNoise() {
        ProxyResults p = proxy(bonCurve(new double[] {0, 0.5, 1.0, 1.5, 2.0}, new double[] {0, 0.3, 0.5, 0.5, 0.4}));
        assertThat(Claims.goldStopIndex(p.bestOfN())).isEqualTo(2); // N = 4
        Verdict v = Claims.bestOfNGoldStopsRising(p);
        assertThat(v.answer()).isEqualTo(Answer.YES);
        assertThat(v.claim()).contains("`reward-sentiment-25`");
        assertThat(v.why()).contains("stops rising at N=4").contains("keeps rising beyond noise from there to N=16")
                .contains("The gold even falls past its peak at N=4");
        assertThat(v.figures().get(1)).isEqualTo("mean gold by N: 1: 0.100, 2: 0.400, 4: 0.600, 8: 0.600, 16: 0.500");
    }

    @Test
    void goldStillRisingAtTheLargestNIsANo() {
        ProxyResults p = proxy(bonCurve(new double[] {0, 0.5, 1.0, 1.5, 2.0}, new double[] {0, 0.2, 0.4, 0.6, 0.8}));
        assertThat(Claims.goldStopIndex(p.bestOfN())).isEqualTo(4);
        Verdict v = Claims.bestOfNGoldStopsRising(p);
        assertThat(v.answer()).isEqualTo(Answer.NO);
        assertThat(v.why()).contains("does not level off: from every N up to N=4 some larger N is above it beyond noise")
                .contains("the last doubling moved it by +0.200 ± ");
    }

    @Test
    void oneDoublingWithoutASignificantRiseIsNotAPlateau() {
        // the gold rises at every step but the last, which does not rise beyond noise (here: not at all)
        ProxyResults p = proxy(bonCurve(new double[] {0, 0.5, 1.0, 1.5, 2.0}, new double[] {0, 0.3, 0.6, 0.9, 0.9}));
        assertThat(Claims.goldStopIndex(p.bestOfN())).isEqualTo(4);
        assertThat(Claims.bestOfNGoldStopsRising(p).answer()).isEqualTo(Answer.NO);
    }

    @Test
    void bothCurvesFlatIsSaturationNotOverOptimisation() {
        ProxyResults p = proxy(bonCurve(new double[] {0, 0.5, 0.5, 0.5}, new double[] {0, 0.3, 0.3, 0.3}));
        Verdict v = Claims.bestOfNGoldStopsRising(p);
        assertThat(v.answer()).isEqualTo(Answer.PARTLY);
        assertThat(v.why()).contains("saturation");
    }

    @Test
    void rbonIsComparedWithBestOfNAtTheLargestN() {
        List<ProxyResults.Row> rows = new ArrayList<>(bonCurve(new double[] {0, 0.5, 1.0, 1.5},
                new double[] {0, 0.5, 0.4, 0.4}));
        rows.add(sel(SelectionFamilies.RBON_KL, "β=0.02", 4, 0.4, 0.1)); // at N = 4: not compared
        rows.add(sel(SelectionFamilies.RBON_KL, "β=0.02", 8, 0.8, 0.6));
        rows.add(sel(SelectionFamilies.RBON_WD, "β=10", 8, 0.7, 0.55));
        Verdict yes = Claims.rbonKeepsMoreGoldThanBestOfN(proxy(rows));
        assertThat(yes.answer()).isEqualTo(Answer.YES);
        assertThat(yes.figures()).hasSize(4);
        assertThat(yes.figures().get(1)).startsWith("rbon_kl-β=0.02@8: gold").contains("vs Best-of-8 +0.200 ± ");
        assertThat(yes.why()).contains("stops rising at N=2, the regime where a regulariser can help");
        rows.set(5, sel(SelectionFamilies.RBON_KL, "β=0.02", 8, 0.8, 0.2));
        rows.set(6, sel(SelectionFamilies.RBON_WD, "β=10", 8, 0.7, 0.4));
        Verdict no = Claims.rbonKeepsMoreGoldThanBestOfN(proxy(rows));
        assertThat(no.answer()).isEqualTo(Answer.NO); // one loses, one ties: none more gold
        assertThat(no.why()).contains("rbon_kl-β=0.02@8 keeps significantly less");
    }

    @Test
    void speculativeRejectionMatchingBestOfNAtFourTimesItsTokensIsAYes() {
        // Best-of-N tokens/response: 10 N; specrej 12 tokens/response: 4 x 12 = 48 -> compared with N = 8 (80 tokens)
        List<ProxyResults.Row> rows = new ArrayList<>(bonCurve(new double[] {0, 0.5, 1.0, 1.5, 2.0},
                new double[] {0, 0.2, 0.4, 0.5, 0.6}));
        rows.add(new ProxyResults.Row(row("specrej-16:4:0.5", 1.5, 0.5, 0.01, 12), SelectionFamilies.SPECREJ,
                "M=4 α=0.5", 16));
        Verdict v = Claims.speculativeRejectionMatchesBestOfNAtAQuarterOfTheCompute(proxy(rows));
        assertThat(v.answer()).isEqualTo(Answer.YES);
        assertThat(v.figures().get(1)).contains("vs bon-8 (6.67× its tokens)").contains("N = 8.00")
                .contains("compute ratio 0.150");
        // the same tokens but lower reward than Best-of-8 by proxy and gold: a no
        rows.set(5, new ProxyResults.Row(row("specrej-16:4:0.5", 1.0, 0.3, 0.01, 12), SelectionFamilies.SPECREJ,
                "M=4 α=0.5", 16));
        assertThat(Claims.speculativeRejectionMatchesBestOfNAtAQuarterOfTheCompute(proxy(rows)).answer())
                .isEqualTo(Answer.NO);
        // within noise of Best-of-8 (noisy per prompt) but its mean proxy is Best-of-2's (20 tokens): ratio 0.75, partly
        rows.set(5, new ProxyResults.Row(row("specrej-16:4:0.5", 0.5, 0.5, 2.0, 15), SelectionFamilies.SPECREJ,
                "M=4 α=0.5", 16));
        Verdict noisy = Claims.speculativeRejectionMatchesBestOfNAtAQuarterOfTheCompute(proxy(rows));
        assertThat(noisy.answer()).isEqualTo(Answer.PARTLY);
        assertThat(noisy.figures().get(1)).contains("N = 2.00, compute ratio 0.750");
        assertThat(noisy.why()).contains("more than a quarter");
        // so many tokens that no Best-of-N costs four times as much: only a bound, partly
        rows.set(5, new ProxyResults.Row(row("specrej-16:4:0.5", 2.5, 0.7, 0.01, 100), SelectionFamilies.SPECREJ,
                "M=4 α=0.5", 16));
        Verdict bound = Claims.speculativeRejectionMatchesBestOfNAtAQuarterOfTheCompute(proxy(rows));
        assertThat(bound.answer()).isEqualTo(Answer.PARTLY);
        assertThat(bound.why()).contains("cannot be tested here");
    }

    @Test
    void softBestOfNConvergesWhenItsLastDoublingIsFlat() {
        List<ProxyResults.Row> rows = new ArrayList<>(bonCurve(new double[] {0, 0.5, 1.0, 1.5},
                new double[] {0, 0.2, 0.4, 0.5}));
        double[] settled = {0, 0.4, 0.5, 0.5};
        double[] rising = {0, 0.3, 0.6, 0.9};
        for (int k = 0; k < 4; k++) {
            rows.add(sel(SelectionFamilies.SOFT, "λ=1", 1 << k, settled[k], settled[k] / 2));
        }
        Verdict yes = Claims.softBestOfNConvergesWithN(proxy(rows));
        assertThat(yes.answer()).isEqualTo(Answer.YES);
        assertThat(yes.figures().get(1)).startsWith("soft λ=1: expected proxy by N 1: 0.100, 2: 0.500, 4: 0.600, 8: 0.600");
        for (int k = 0; k < 4; k++) {
            rows.add(sel(SelectionFamilies.SOFT, "λ=0.5", 1 << k, rising[k], rising[k] / 2));
        }
        Verdict partly = Claims.softBestOfNConvergesWithN(proxy(rows));
        assertThat(partly.answer()).isEqualTo(Answer.PARTLY);
        assertThat(partly.why()).contains("λ 0.5: still rises at the last doubling");
    }

    @Test
    void pargsAgainstArgsAtEveryWeight() {
        List<RowResult> rows = List.of(row("args-w1", 2.0, 1.0), row("args-w2", 2.5, 1.1), row("pargs-b1", 1.5, 0.7),
                row("pargs-b2", 2.6, 1.3));
        Verdict v = Claims.assess(List.of(), rows, BUNDLED).get(0);
        assertThat(v.number()).isEqualTo(1);
        assertThat(v.claim()).startsWith("PARGS with a partial-sequence reward model");
        assertThat(v.figures()).hasSize(2);
        assertThat(v.figures().get(0)).startsWith("w = β = 1: PARGS (rm) vs ARGS (rm)").contains("gold 0.800 vs 1.10 "
                + "(-0.300 ± ");
        assertThat(v.answer()).isEqualTo(Answer.PARTLY); // wins at w = 2, loses at w = 1
        assertThat(v.why()).contains("ahead beyond noise in: w=1 gold, w=1 proxy");
        Verdict yes = Claims.assess(List.of(), List.of(row("args-w1", 1.0, 0.5), row("pargs-b1", 1.2, 0.7)), BUNDLED)
                .get(0);
        assertThat(yes.answer()).isEqualTo(Answer.YES);
    }

    @Test
    void transferQStarAgainstArgsWithEachRolloutCount() {
        List<RowResult> rows = List.of(row("args-w1", 2.0, 1.0), row("tq-m1", 1.0, 0.6), row("tq-m4", 1.5, 0.8));
        Verdict v = Claims.assess(List.of(), rows, STAND_IN).get(1);
        assertThat(v.answer()).isEqualTo(Answer.NO);
        assertThat(v.figures()).hasSize(4);
        assertThat(v.why()).contains("ARGS is ahead beyond noise in: m=1 gold, m=1 proxy, m=4 gold, m=4 proxy")
                .contains("a stand-in").contains("More rollouts (m = 4 against m = 1) moved the gold by +0.200 ± ");
        Verdict bundled = Claims.assess(List.of(), rows, BUNDLED).get(1);
        assertThat(bundled.why()).doesNotContain("stand-in").contains("lm-austen-bon16");
    }

    @Test
    void verdictsFollowTheFiguresNotTheRowNames() {
        List<RowResult> good = List.of(row("args-w1", 1.0, 0.5), row("tq-m1", 1.5, 0.8));
        List<RowResult> bad = List.of(row("args-w1", 1.5, 0.8), row("tq-m1", 1.0, 0.5));
        assertThat(Claims.assess(List.of(), good, BUNDLED).get(1).answer()).isEqualTo(Answer.YES);
        Verdict flipped = Claims.assess(List.of(), bad, BUNDLED).get(1);
        assertThat(flipped.answer()).isEqualTo(Answer.NO);
        assertThat(Arrays.asList(flipped.figures().get(0).split(" "))).contains("(-0.300");
    }

    @Test
    void missingRowsAreNotMeasuredAndVerdictsAreNumberedInOrder() {
        List<Verdict> none = Claims.assess(List.of(), List.of(row("args-w1", 1, 1)), BUNDLED);
        assertThat(none).extracting(Verdict::answer).containsOnly(Answer.NOT_MEASURED);
        assertThat(none).extracting(Verdict::number).containsExactly(1, 2);
        List<Verdict> withProxy = Claims.assess(List.of(proxy(bonCurve(new double[] {0, 1}, new double[] {0, 1}))),
                List.of(), BUNDLED);
        assertThat(withProxy).extracting(Verdict::number).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(withProxy.get(0).answer()).isEqualTo(Answer.NOT_MEASURED); // two N only
    }

    @Test
    void diversityNoteOnlyWhenTheGoldLeaderIsClearlyLessVaried() {
        RowResult varied = new RowResult("a", "A", "rm", values(1, 0), values(0.5, 0), new double[PROMPT.length],
                0.5, 0.9, 1, 1, 1, row("a", 0, 0).texts());
        RowResult repetitive = new RowResult("b", "B", "rm", values(2, 0), values(1.0, 0), new double[PROMPT.length],
                0.2, 0.3, 1, 1, 1, row("b", 0, 0).texts());
        assertThat(Claims.diversityNote(varied, repetitive)).startsWith("B leads with much less varied text "
                + "(distinct-2 0.300 vs 0.900)");
        RowResult alike = new RowResult("c", "C", "rm", values(2, 0), values(1.0, 0), new double[PROMPT.length],
                0.2, 0.85, 1, 1, 1, row("c", 0, 0).texts());
        assertThat(Claims.diversityNote(varied, alike)).isEmpty();
    }
}
