package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class SelectionFamiliesTest {

    private static final String P = "proxy";
    private static final String G = "gold:";

    /** {@code n} random candidates (lengths 1..maxTokens, some ending with end-of-text), rewards and embeddings. */
    static CandidatePool pool(int n, int maxTokens, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int[][] tokens = new int[n][];
        String[] texts = new String[n];
        double[] lp = new double[n];
        boolean[] eos = new boolean[n];
        double[] proxy = new double[n];
        double[] gold = new double[n];
        float[][] emb = new float[n][];
        for (int i = 0; i < n; i++) {
            eos[i] = rnd.nextInt(3) == 0;
            int len = eos[i] ? 1 + rnd.nextInt(maxTokens) : maxTokens;
            tokens[i] = rnd.ints(len, 0, 50).toArray();
            texts[i] = "text " + i;
            lp[i] = -len * (1 + rnd.nextDouble());
            proxy[i] = rnd.nextGaussian();
            gold[i] = 0.5 * proxy[i] + 0.5 * rnd.nextGaussian();
            emb[i] = new float[] {(float) rnd.nextGaussian(), (float) rnd.nextGaussian(), 1f};
        }
        CandidatePool pool = CandidatePool.of("She was", tokens, texts, lp, eos);
        pool.putRewards(P, proxy, emb);
        pool.putRewards(G, gold, null);
        return pool;
    }

    private static int argmax(double[] r) {
        int best = 0;
        for (int i = 1; i < r.length; i++) {
            best = r[i] > r[best] ? i : best;
        }
        return best;
    }

    private static Map<String, SelectionFamilies.Outcome> byKey(List<SelectionFamilies.Outcome> outcomes) {
        return outcomes.stream().collect(Collectors.toMap(SelectionFamilies.Outcome::key, Function.identity()));
    }

    /** A checkpoint reward that depends on the candidate and length (the full reward once complete). */
    private static final class Prefixes implements SelectionFamilies.PrefixRewards {
        final CandidatePool pool;
        final List<int[]> asked = new ArrayList<>();

        Prefixes(CandidatePool pool) {
            this.pool = pool;
        }

        @Override
        public double[] score(int[] candidates, int length) {
            double[] out = new double[candidates.length];
            for (int k = 0; k < candidates.length; k++) {
                int c = candidates[k];
                asked.add(new int[] {c, length});
                out[k] = pool.rewards(P)[c] * Math.min(1.0, (double) length / pool.length(c));
            }
            return out;
        }
    }

    private static SelectionFamilies.Grid grid(List<SelectionFamilies.SpecConfig> spec, int maxTokens) {
        return new SelectionFamilies.Grid(new int[] {1, 2, 4, 8, 16, 32}, List.of(0.0, 0.05), List.of(0.0, 1.0),
                List.of(1e-9, 1.0, 1e9), spec, maxTokens, 3);
    }

    @Test
    void bestOfNAndItsRegularisedVariantsChooseAmongTheFirstNCandidates() {
        CandidatePool pool = pool(32, 12, 1);
        Map<String, SelectionFamilies.Outcome> o = byKey(SelectionFamilies.run(pool, P, G, grid(List.of(), 12),
                new Prefixes(pool)));
        double[] r = pool.rewards(P);
        for (int n : new int[] {1, 2, 4, 8, 16, 32}) {
            int best = 0;
            for (int i = 1; i < n; i++) {
                best = r[i] > r[best] ? i : best;
            }
            SelectionFamilies.Outcome bon = o.get("bon-" + n);
            assertThat(bon.chosen()).as("N=" + n).isEqualTo(best);
            assertThat(bon.proxy()).isEqualTo(r[best]);
            assertThat(bon.gold()).isEqualTo(pool.rewards(G)[best]);
            assertThat(bon.tokens()).isEqualTo(Arrays.stream(pool.tokens()).limit(n).mapToLong(t -> t.length).sum());
            assertThat(bon.rewardCalls()).isEqualTo(n);
            int bestText = pool.firstOccurrence()[best];
            long copies = Arrays.stream(pool.firstOccurrence()).limit(n).filter(f -> f == bestText).count();
            assertThat(bon.kl()).isEqualTo(Math.log((double) n / copies));
            // beta = 0 is Best-of-N for both regularisers; soft Best-of-N with a tiny lambda is too
            assertThat(o.get("rbon_kl-0@" + n).chosen()).isEqualTo(best);
            assertThat(o.get("rbon_wd-0@" + n).chosen()).isEqualTo(best);
            assertThat(o.get("soft_bon-1.0E-9@" + n).proxy()).isCloseTo(r[best], within(1e-9));
            // its KL from the uniform choice: all mass on the best text, as Best-of-N's
            assertThat(o.get("soft_bon-1.0E-9@" + n).kl()).isCloseTo(Math.log((double) n / copies), within(1e-6));
        }
        // Best-of-N's proxy can only rise with N (nested candidates)
        for (int n = 2; n <= 32; n *= 2) {
            assertThat(o.get("bon-" + n).proxy()).isGreaterThanOrEqualTo(o.get("bon-" + n / 2).proxy());
        }
        // RBoN-KL at beta > 0 maximises reward + beta log pi_ref
        SelectionFamilies.Outcome kl = o.get("rbon_kl-0.05@32");
        for (int i = 0; i < 32; i++) {
            assertThat(r[kl.chosen()] + 0.05 * pool.logProbRef()[kl.chosen()])
                    .isGreaterThanOrEqualTo(r[i] + 0.05 * pool.logProbRef()[i]);
        }
    }

    @Test
    void softBestOfNReportsItsExpectationsUnderTheChoiceDistribution() {
        CandidatePool pool = pool(32, 12, 2);
        Map<String, SelectionFamilies.Outcome> o = byKey(SelectionFamilies.run(pool, P, G, grid(List.of(), 12),
                new Prefixes(pool)));
        double[] r = pool.rewards(P);
        double[] g = pool.rewards(G);
        // brute force: weights exp(r / lambda) summed directly
        double z = 0;
        double ep = 0;
        double eg = 0;
        for (int i = 0; i < 16; i++) {
            double w = Math.exp(r[i]);
            z += w;
            ep += w * r[i];
            eg += w * g[i];
        }
        assertThat(o.get("soft_bon-1@16").proxy()).isCloseTo(ep / z, within(1e-12));
        assertThat(o.get("soft_bon-1@16").gold()).isCloseTo(eg / z, within(1e-12));
        // a huge lambda is the uniform choice: the mean of the first N, KL 0
        double mean = Arrays.stream(r).limit(8).average().orElseThrow();
        assertThat(o.get("soft_bon-1000000000@8").proxy()).isCloseTo(mean, within(1e-6));
        assertThat(o.get("soft_bon-1000000000@8").kl()).isCloseTo(0, within(1e-6));
        // lambda 1 lies between: reward and KL both between the uniform choice's and Best-of-N's
        assertThat(o.get("soft_bon-1@32").proxy()).isBetween(o.get("soft_bon-1000000000@32").proxy(),
                o.get("bon-32").proxy());
    }

    @Test
    void speculativeRejectionWithoutRejectionIsBestOfNAtItsBatch() {
        CandidatePool pool = pool(32, 12, 3);
        Prefixes prefixes = new Prefixes(pool);
        Map<String, SelectionFamilies.Outcome> o = byKey(SelectionFamilies.run(pool, P, G,
                grid(List.of(new SelectionFamilies.SpecConfig(16, 4, 0.0)), 12), prefixes));
        SelectionFamilies.Outcome spec = o.get("specrej-16:4:0");
        assertThat(spec.chosen()).isEqualTo(o.get("bon-16").chosen());
        assertThat(spec.tokens()).isEqualTo(o.get("bon-16").tokens()); // every candidate runs to its end
        assertThat(spec.kl()).isEqualTo(o.get("bon-16").kl());
        assertThat(spec.rewardCalls()).isGreaterThan(16); // scored at every checkpoint
    }

    @Test
    void speculativeRejectionStopsTheWorstPartialCandidatesAtEachCheckpoint() {
        // four candidates cut at 8 tokens; partial rewards at 4 tokens rank 1 and 2 best; candidate 0 is best in full
        int[][] tokens = {{1, 2, 3, 4, 5, 6, 7, 8}, {2, 2, 3, 4, 5, 6, 7, 8}, {3, 2, 3, 4, 5, 6, 7, 8},
            {4, 2, 3, 4, 5, 6, 7, 8}};
        CandidatePool pool = CandidatePool.of("x", tokens, new String[] {"a", "b", "c", "d"}, new double[] {-1, -1, -1, -1},
                new boolean[4]);
        pool.putRewards(P, new double[] {5, 1, 2, 0}, null);
        pool.putRewards(G, new double[] {0, 1, 2, 3}, null);
        double[] partial = {0.1, 0.9, 0.5, 0.3};
        List<String> asked = new ArrayList<>();
        SelectionFamilies.Outcome o = SelectionFamilies.speculativeRejection(pool, pool.rewards(P), pool.rewards(G),
                new SelectionFamilies.SpecConfig(4, 4, 0.5), 8, (candidates, length) -> {
                    double[] out = new double[candidates.length];
                    for (int k = 0; k < candidates.length; k++) {
                        asked.add(candidates[k] + "@" + length);
                        out[k] = length < 8 ? partial[candidates[k]] : pool.rewards(P)[candidates[k]];
                    }
                    return out;
                });
        // each round's candidates in one call, in the order the previous checkpoint ranked them
        assertThat(asked).containsExactly("0@4", "1@4", "2@4", "3@4", "1@8", "2@8");
        // checkpoint 1 keeps round(0.5 * 4) = 2: candidates 1 and 2; they run to 8 tokens and end; 2 has the higher reward
        assertThat(o.chosen()).isEqualTo(2);
        assertThat(o.proxy()).isEqualTo(2);
        assertThat(o.gold()).isEqualTo(2);
        assertThat(o.tokens()).isEqualTo(4 * 4 + 2 * 4);
        assertThat(o.rewardCalls()).isEqualTo(4 + 2);
        assertThat(o.kl()).isEqualTo(Math.log(4)); // a deterministic choice among 4 distinct texts
    }

    @Test
    void aGridBeyondThePoolIsRefused() {
        CandidatePool pool = pool(8, 6, 4);
        assertThatThrownBy(() -> SelectionFamilies.run(pool, P, G, grid(List.of(), 6), new Prefixes(pool)))
                .hasMessageContaining("N = 16 but the pool holds 8 candidates");
        assertThatThrownBy(() -> SelectionFamilies.SpecConfig.parse("8:4")).hasMessageContaining("N:M:ALPHA");
        assertThatThrownBy(() -> SelectionFamilies.SpecConfig.parse("8:4:1")).hasMessageContaining("alpha in [0, 1)");
        assertThat(SelectionFamilies.SpecConfig.parse(" 64:8:0.5 ")).isEqualTo(new SelectionFamilies.SpecConfig(64, 8, 0.5));
    }

    @Test
    void proxyResultsCollectEveryPromptIntoRows() {
        SelectionFamilies.Grid g = new SelectionFamilies.Grid(new int[] {1, 4}, List.of(0.05), List.of(), List.of(2.0),
                List.of(), 6, 1);
        ProxyResults.Builder b = new ProxyResults.Builder(P, 2, 0);
        CandidatePool first = pool(4, 6, 5);
        CandidatePool second = pool(4, 6, 6);
        b.add(0, first, SelectionFamilies.run(first, P, G, g, new Prefixes(first)));
        b.add(1, second, SelectionFamilies.run(second, P, G, g, new Prefixes(second)));
        ProxyResults r = b.build();
        assertThat(r.bestOfN()).extracting(RowResult::key).containsExactly("bon-1", "bon-4");
        assertThat(r.variants(SelectionFamilies.RBON_KL)).containsExactly("β=0.05");
        RowResult bon4 = r.row("bon-4").orElseThrow();
        int c0 = argmax(first.rewards(P));
        int c1 = argmax(second.rewards(P));
        assertThat(bon4.proxy()).containsExactly(first.rewards(P)[c0], second.rewards(P)[c1]);
        assertThat(bon4.texts()).containsExactly(first.texts()[c0], second.texts()[c1]);
        assertThat(bon4.tokens()).isEqualTo(first.tokensOfFirst(4) + second.tokensOfFirst(4));
        assertThat(bon4.decodingReward()).isEqualTo(P);
        assertThatThrownBy(() -> b.add(3, first, List.of())).hasMessageContaining("prompt 3 after prompt 1");
    }
}
