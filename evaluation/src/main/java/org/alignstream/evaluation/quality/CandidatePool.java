package org.alignstream.evaluation.quality;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.Strategy;
import org.alignstream.core.selection.CandidateChoiceKl;
import org.alignstream.generator.LmCandidateSampler;

/**
 * The candidates of one prompt, sampled once from pi_ref and reused by every whole-response method at every N: candidate
 * i is Best-of-N's random stream i at the prompt's seed (as {@code LmCandidateSampler} samples a best_of_n request), so
 * the first N candidates are exactly what best_of_n, rbon_kl, rbon_wd and soft_bon with n = N decode, and
 * speculative_rejection with batch N extends the same streams. Rewards are added per model, each text scored once.
 *
 * @param prompt          the prompt text
 * @param tokens          each candidate's generated token ids
 * @param texts           each candidate's text (what the reward models score)
 * @param logProbRef      each candidate's log pi_ref(y | x), the sum of its tokens' log-probabilities
 * @param eos             whether the candidate ended with end-of-text (else it was cut at max_new_tokens)
 * @param firstOccurrence {@link CandidateChoiceKl#firstOccurrence} of the candidates' tokens
 * @param rewards         each model's rewards of {@code texts}, by model label (filled by {@link #putRewards})
 * @param embeddings      each model's sentence embeddings of {@code texts}, by model label, where it has them
 */
public record CandidatePool(String prompt, int[][] tokens, String[] texts, double[] logProbRef, boolean[] eos,
                            int[] firstOccurrence, Map<String, double[]> rewards, Map<String, float[][]> embeddings) {

    public CandidatePool {
        int n = tokens.length;
        if (n == 0 || texts.length != n || logProbRef.length != n || eos.length != n || firstOccurrence.length != n) {
            throw new IllegalArgumentException("a pool needs one text, log-probability, end flag and occurrence index "
                    + "per candidate, and at least one candidate");
        }
    }

    /** A pool from its candidates, no rewards yet. */
    public static CandidatePool of(String prompt, int[][] tokens, String[] texts, double[] logProbRef, boolean[] eos) {
        List<List<Integer>> lists = new ArrayList<>(tokens.length);
        for (int[] t : tokens) {
            List<Integer> l = new ArrayList<>(t.length);
            for (int id : t) {
                l.add(id);
            }
            lists.add(l);
        }
        return new CandidatePool(prompt, tokens, texts, logProbRef, eos, CandidateChoiceKl.firstOccurrence(lists),
                new HashMap<>(), new HashMap<>());
    }

    /**
     * {@code n} candidates for {@code prompt} at {@code seed}, sampled as a best_of_n request with temperature 1, top_p 1
     * and no top-k samples them.
     */
    public static CandidatePool sample(LmCandidateSampler sampler, String prompt, int n, int maxNewTokens, long seed) {
        Strategy s = Strategy.newBuilder().setMethod("best_of_n").setTemperature(1.0).setTopP(1.0).setTopK(0).setN(n)
                .setBeta(0.0).setMaxNewTokens(maxNewTokens).setSeed(seed).build();
        List<Candidate> candidates = sampler.sample(prompt, s).candidates();
        int[][] tokens = new int[n][];
        String[] texts = new String[n];
        double[] lp = new double[n];
        boolean[] eos = new boolean[n];
        for (int i = 0; i < n; i++) {
            Candidate c = candidates.get(i);
            tokens[i] = c.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
            texts[i] = c.getText();
            double sum = 0;
            for (float f : c.getLogprobs()) {
                sum += f;
            }
            lp[i] = Math.min(0.0, sum);
            eos[i] = "eos".equals(c.getFinishReason());
        }
        return of(prompt, tokens, texts, lp, eos);
    }

    public int size() {
        return tokens.length;
    }

    /** Generated tokens of candidate i. */
    public int length(int i) {
        return tokens[i].length;
    }

    /** Generated tokens of the first n candidates (what Best-of-n decodes). */
    public long tokensOfFirst(int n) {
        long sum = 0;
        for (int i = 0; i < n; i++) {
            sum += tokens[i].length;
        }
        return sum;
    }

    /** The rewards of model {@code label}. */
    public double[] rewards(String label) {
        double[] r = rewards.get(label);
        if (r == null) {
            throw new IllegalStateException("no rewards of model " + label + " in this pool (have " + rewards.keySet()
                    + ")");
        }
        return r;
    }

    /** Records model {@code label}'s rewards (one per candidate) and, if it has them, its embeddings. */
    public void putRewards(String label, double[] r, float[][] e) {
        if (r.length != size() || (e != null && e.length != size())) {
            throw new IllegalArgumentException("model " + label + ": " + r.length + " rewards for " + size()
                    + " candidates");
        }
        rewards.put(label, r);
        if (e != null) {
            embeddings.put(label, e);
        }
    }
}
