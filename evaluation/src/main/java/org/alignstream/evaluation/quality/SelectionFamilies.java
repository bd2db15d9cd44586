package org.alignstream.evaluation.quality;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.alignstream.core.sampling.Seeds;
import org.alignstream.core.selection.BestOfN;
import org.alignstream.core.selection.CandidateChoiceKl;
import org.alignstream.core.selection.RegularizedBestOfN;
import org.alignstream.core.selection.SoftBestOfN;
import org.alignstream.core.selection.SpeculativeRejection;
import org.alignstream.core.selection.SpeculativeRejection.Checkpoint;
import org.alignstream.core.selection.SpeculativeRejection.Scored;

/**
 * The whole-response methods on one prompt's {@link CandidatePool}, for one proxy, by the core's own selection classes:
 * Best-of-N, RBoN-KL and RBoN-WD at every N of the grid (the first N candidates, so the choices are nested), soft
 * Best-of-N at every N and lambda, and speculative rejection per setting, replayed on the pool's streams. No model is
 * run here except the proxy on speculative rejection's partial texts ({@link PrefixRewards}).
 *
 * <p>Figures per method: the proxy and gold reward of the chosen text (soft Best-of-N: their expectations under its
 * choice distribution, which is what the method delivers on average, without the noise of one draw), the KL figure,
 * generated tokens and reward-model calls. The KL figure is the same for every method: the exact KL of its choice among
 * the drawn candidates from plain sampling's choice (uniform over the N draws), over the distinct texts
 * ({@link SoftBestOfN#kl}): {@code log(N / copies of the chosen text)} for a deterministic choice (Best-of-N, RBoN,
 * speculative rejection among its N), less for soft Best-of-N. Since the uniform choice averages to π_ref and the
 * method's choice to its output distribution, its expectation over the draws bounds KL(π || π_ref) from above (joint
 * convexity). The figure over the candidates ({@link CandidateChoiceKl#bestOfN}) is not used: π_ref restricted to N
 * drawn texts of 16 or more tokens is nearly one-hot on the most probable one, so that figure stays near 0 and is not
 * monotone in N (the pipeline reports Best-of-N's bound for such sets, {@link CandidateChoiceKl#describesTheChoice}). For a per-candidate score without ties (Best-of-N, RBoN-KL) the true KL is
 * {@code log N - (N - 1)/N} whatever the score, so RBoN-KL moves along the reward axis only.
 */
public final class SelectionFamilies {

    /** Method families, as keys and plots name them. */
    public static final String BON = "bon";
    public static final String RBON_KL = "rbon_kl";
    public static final String RBON_WD = "rbon_wd";
    public static final String SOFT = "soft_bon";
    public static final String SPECREJ = "specrej";

    /**
     * What is run.
     *
     * @param ns            Best-of-N's grid, ascending (each at most the pool size)
     * @param rbonKlBetas   RBoN-KL strengths
     * @param rbonWdBetas   RBoN-WD strengths
     * @param softLambdas   soft Best-of-N temperatures (&gt; 0)
     * @param specrej       speculative rejection settings
     * @param maxNewTokens  the candidates' max_new_tokens (where speculative rejection's candidates end at the latest)
     * @param seed          the prompt's seed (soft Best-of-N draws its shown text from it as the selector does)
     */
    public record Grid(int[] ns, List<Double> rbonKlBetas, List<Double> rbonWdBetas, List<Double> softLambdas,
                       List<SpecConfig> specrej, int maxNewTokens, long seed) {
        public Grid {
            for (int i = 1; i < ns.length; i++) {
                if (ns[i] <= ns[i - 1]) {
                    throw new IllegalArgumentException("the N grid must ascend: " + Arrays.toString(ns));
                }
            }
            for (double l : softLambdas) {
                if (!(l > 0) || Double.isInfinite(l)) {
                    throw new IllegalArgumentException("soft Best-of-N's lambda must be finite and > 0, was " + l);
                }
            }
        }

        /** The largest N any method needs: the pool size. */
        public int poolSize() {
            int max = ns[ns.length - 1];
            for (SpecConfig c : specrej) {
                max = Math.max(max, c.n());
            }
            return max;
        }
    }

    /** One speculative_rejection setting: batch N, tokens M between checkpoints, rejection rate alpha. */
    public record SpecConfig(int n, int blockSize, double rate) {
        public SpecConfig {
            if (n < 1 || blockSize < 1 || !(rate >= 0 && rate < 1)) {
                throw new IllegalArgumentException("speculative rejection needs N >= 1, M >= 1 and alpha in [0, 1), was "
                        + n + ":" + blockSize + ":" + rate);
            }
        }

        /** {@code N:M:ALPHA}. */
        public static SpecConfig parse(String text) {
            String[] p = text.split(":");
            if (p.length != 3) {
                throw new IllegalArgumentException("a speculative rejection setting is N:M:ALPHA, was '" + text + "'");
            }
            return new SpecConfig(Integer.parseInt(p[0].strip()), Integer.parseInt(p[1].strip()),
                    Double.parseDouble(p[2].strip()));
        }

        public String key() {
            return SPECREJ + "-" + n + ":" + blockSize + ":" + EvalRow.num(rate);
        }

        public String label() {
            return "speculative_rejection N=" + n + " M=" + blockSize + " α=" + EvalRow.num(rate);
        }
    }

    /**
     * The proxy's rewards at a checkpoint: the first {@code length} tokens of each listed candidate (all of it when it is
     * shorter), in one batch, as the scorer scores a round's candidate set.
     */
    @FunctionalInterface
    public interface PrefixRewards {
        double[] score(int[] candidates, int length);
    }

    /**
     * One method's result on one prompt.
     *
     * @param key         row key, e.g. {@code bon-16}, {@code rbon_kl-0.02@16}, {@code soft_bon-1@256}
     * @param label       what tables show
     * @param family      {@link #BON}, {@link #RBON_KL}, ...
     * @param variant     the family's fixed parameter as a label part ("" for Best-of-N), e.g. {@code β=0.02}
     * @param knob        the value the curve runs over: N, or for speculative rejection its batch N
     * @param proxy       proxy reward of the choice (soft: expected)
     * @param gold        gold reward of the choice (soft: expected)
     * @param kl          the KL figure (see the class comment)
     * @param tokens      generated tokens
     * @param rewardCalls texts the decoding reward model scored
     * @param chosen      the chosen candidate (soft: the one drawn with the selector's stream)
     */
    public record Outcome(String key, String label, String family, String variant, double knob, double proxy,
                          double gold, double kl, long tokens, long rewardCalls, int chosen) {
    }

    private SelectionFamilies() {
    }

    /** Every method of {@code grid} on {@code pool} for proxy {@code proxyLabel}, gold {@code goldLabel}. */
    public static List<Outcome> run(CandidatePool pool, String proxyLabel, String goldLabel, Grid grid,
                                    PrefixRewards prefixRewards) {
        double[] proxyAll = pool.rewards(proxyLabel);
        double[] goldAll = pool.rewards(goldLabel);
        float[][] embAll = pool.embeddings().get(proxyLabel);
        List<Outcome> out = new ArrayList<>();
        for (int n : grid.ns()) {
            if (n > pool.size()) {
                throw new IllegalArgumentException("N = " + n + " but the pool holds " + pool.size() + " candidates");
            }
            double[] r = Arrays.copyOf(proxyAll, n);
            double[] lp = Arrays.copyOf(pool.logProbRef(), n); // RBoN-KL's regulariser
            int[] first = Arrays.copyOf(pool.firstOccurrence(), n);
            long tokens = pool.tokensOfFirst(n);
            int bon = BestOfN.select(r);
            out.add(new Outcome(BON + "-" + n, "best_of_n N=" + n, BON, "", n, proxyAll[bon], goldAll[bon],
                    choiceKl(first, bon), tokens, n, bon));
            for (double beta : grid.rbonKlBetas()) {
                double[] objective = RegularizedBestOfN.klObjective(r, lp, beta);
                int c = BestOfN.select(objective);
                out.add(new Outcome(RBON_KL + "-" + EvalRow.num(beta) + "@" + n, "rbon_kl N=" + n + " β="
                        + EvalRow.num(beta), RBON_KL, "β=" + EvalRow.num(beta), n, proxyAll[c], goldAll[c],
                        choiceKl(first, c), tokens, n, c));
            }
            if (embAll != null) {
                float[][] e = Arrays.copyOf(embAll, n);
                for (double beta : grid.rbonWdBetas()) {
                    double[] objective = RegularizedBestOfN.wassersteinObjective(r, e, beta);
                    int c = BestOfN.select(objective);
                    out.add(new Outcome(RBON_WD + "-" + EvalRow.num(beta) + "@" + n, "rbon_wd N=" + n + " β="
                            + EvalRow.num(beta), RBON_WD, "β=" + EvalRow.num(beta), n, proxyAll[c], goldAll[c],
                            choiceKl(first, c), tokens, n, c));
                }
            }
            for (double lambda : grid.softLambdas()) {
                double[] p = SoftBestOfN.probabilities(r, lambda);
                double ep = 0;
                double eg = 0;
                for (int i = 0; i < n; i++) {
                    ep += p[i] * proxyAll[i];
                    eg += p[i] * goldAll[i];
                }
                int drawn = SoftBestOfN.select(r, lambda,
                        Seeds.forStep(Seeds.forRound(grid.seed(), 0), Seeds.SELECTION_STREAM, 0));
                out.add(new Outcome(SOFT + "-" + EvalRow.num(lambda) + "@" + n, "soft_bon N=" + n + " λ="
                        + EvalRow.num(lambda), SOFT, "λ=" + EvalRow.num(lambda), n, ep, eg,
                        SoftBestOfN.kl(r, lambda, first), tokens, n, drawn));
            }
        }
        for (SpecConfig c : grid.specrej()) {
            out.add(speculativeRejection(pool, proxyAll, goldAll, c, grid.maxNewTokens(), prefixRewards));
        }
        return out;
    }

    /**
     * The KL of a deterministic choice of candidate {@code chosen} among the candidates {@code firstOccurrence}
     * describes, from the uniform choice: {@code log(N / copies of its text)}.
     */
    static double choiceKl(int[] firstOccurrence, int chosen) {
        int text = firstOccurrence[chosen];
        int copies = 0;
        for (int f : firstOccurrence) {
            copies += f == text ? 1 : 0;
        }
        return Math.log((double) firstOccurrence.length / copies);
    }

    /**
     * Speculative rejection replayed on the pool's streams with the core's checkpoint rule, as the pipeline runs it
     * ({@code SpeculativeRejectionStep}): every M tokens the candidates still going are extended (each generates up to
     * its own end) and their texts so far scored in one batch, the checkpoint keeps the best, and when none is still
     * going the choice is made (ended candidates keep the reward they were ranked with, as in the pipeline). A
     * candidate has ended when its text so far holds its end-of-text or max_new_tokens tokens. Tokens are counted as
     * generated until the candidate is stopped or ends; reward calls are the texts scored at the checkpoints.
     */
    static Outcome speculativeRejection(CandidatePool pool, double[] proxyAll, double[] goldAll, SpecConfig c,
                                        int maxNewTokens, PrefixRewards prefixRewards) {
        if (c.n() > pool.size()) {
            throw new IllegalArgumentException(c.label() + " needs " + c.n() + " candidates, the pool holds "
                    + pool.size());
        }
        List<Integer> live = new ArrayList<>();
        for (int i = 0; i < c.n(); i++) {
            live.add(i);
        }
        int[] done = new int[c.n()]; // tokens generated so far per stream
        List<Scored> previouslyEnded = List.of();
        List<Scored> retired = new ArrayList<>();
        long tokens = 0;
        long calls = 0;
        for (int round = 1; ; round++) {
            int t = Math.min(round * c.blockSize(), maxNewTokens);
            // the round's texts, scored in one batch as the scorer scores the round's candidate set
            double[] roundRewards = prefixRewards.score(live.stream().mapToInt(Integer::intValue).toArray(), t);
            List<Scored> current = new ArrayList<>();
            for (int k = 0; k < live.size(); k++) {
                int i = live.get(k);
                int len = Math.min(t, pool.length(i));
                tokens += len - done[i];
                done[i] = len;
                boolean ended = len >= maxNewTokens || (t >= pool.length(i) && pool.eos()[i]);
                current.add(new Scored(i, roundRewards[k], ended));
            }
            calls += current.size();
            Checkpoint cp = SpeculativeRejection.checkpoint(previouslyEnded, current, c.rate());
            if (cp.done()) {
                int chosen = SpeculativeRejection.choose(current, previouslyEnded, retired).id();
                return new Outcome(c.key(), c.label(), SPECREJ, "M=" + c.blockSize() + " α=" + EvalRow.num(c.rate()),
                        c.n(), proxyAll[chosen], goldAll[chosen],
                        choiceKl(Arrays.copyOf(pool.firstOccurrence(), c.n()), chosen), tokens, calls, chosen);
            }
            retired.addAll(cp.retired());
            previouslyEnded = cp.ended();
            live = cp.live().stream().map(Scored::id).toList();
            if (t >= maxNewTokens) {
                throw new IllegalStateException("speculative rejection did not end at max_new_tokens");
            }
        }
    }
}
