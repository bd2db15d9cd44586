package org.alignstream.inference.lm;

import ai.onnxruntime.OrtException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import org.alignstream.core.sampling.SamplingParams;

/**
 * Decides whether, and for which rows, a causal LM is batch-invariant for the generator's merged calls: whether
 * requests whose decoding runs in one padded call per step ({@link CandidateGenerator#decode(List, boolean)} with
 * merging, {@link CandidateGenerator#extendByOne}) get, bit for bit, the logits, tokens and log-probabilities they get
 * from their own calls. Only then may a generator merge concurrent requests without a request's response depending on
 * which other requests arrived with it (the scorer's rule, {@code BatchInvariance} for reward models).
 *
 * <p>Left padding is where bits change: ONNX Runtime's CPU kernels reduce over the (padded) sequence in vector lanes,
 * so a row padded by a number of positions that is not a multiple of the lane grouping sums its attention in another
 * order (measured on the bundled lm-austen: up to 6.7e-6 on a logit, 2026-12, ORT 1.28, x86-64) while rows whose
 * padding is a multiple of 4 give the same bits as alone, at any batch size. The check therefore finds the smallest
 * <em>alignment</em> A in {1, 2, 4, 8, 16, 32} such that rows whose past lengths are equal modulo A (so every row's
 * padding is a multiple of A) give bit-identical results merged and alone; a generator then merges only requests in
 * the same class ({@link Verdict#group}).
 *
 * <p>The check runs the model (it covers the graph, the padding and the kernels as they are on this machine):
 * contexts of lengths in one or two classes are extended by one token alone and merged (logits compared), then
 * sampled and rolled out for a few tokens alone and merged, in order and reversed (tokens and log-probabilities
 * compared). A model without a {@code position_ids} input is never merged (it numbers new tokens from the padded
 * length). Run it off the hot path, when a model is loaded (a few dozen small calls per alignment tried).
 */
public final class LmBatchInvariance {

    /** Context lengths of the probe for alignment 1: different residues, so rows are padded by every amount mod 4. */
    static final int[] PROBE_LENGTHS = {7, 19, 3, 12, 2};
    /** Alignments tried, smallest first. */
    static final int[] ALIGNMENTS = {1, 2, 4, 8, 16, 32};
    private static final int PROBE_NEW_TOKENS = 5;

    /**
     * The outcome of a check.
     *
     * @param alignment          rows of past lengths equal modulo this may share a call bit-identically; 0: none may
     * @param merges             whether the model can take left-padded rows at all (it has {@code position_ids})
     * @param maxLogitDifference largest absolute difference between a logit (or log-probability) of a merged and of a
     *                           per-request call seen when rows of any lengths are merged (0 when those are invariant
     *                           too; NaN when not measured)
     * @param detail             why, in a sentence (the first mismatch of any-length merging when there is one)
     */
    public record Verdict(int alignment, boolean merges, double maxLogitDifference, String detail) {
        /** Whether some rows of different requests may share a call. */
        public boolean invariant() {
            return alignment > 0;
        }

        /** {@code merged} (rows of concurrent requests in one call) or {@code per-request}. */
        public String mode() {
            return invariant() ? "merged" : "per-request";
        }

        /**
         * The class of a row whose past has {@code pastLength} tokens: rows of one class may share a call; -1 when
         * none may.
         */
        public int group(int pastLength) {
            return alignment > 0 ? pastLength % alignment : -1;
        }
    }

    private LmBatchInvariance() {
    }

    /** Probes {@code generator}'s model (see the class comment). Never throws for a model that fails: a verdict too. */
    public static Verdict check(CandidateGenerator generator) {
        CausalLm lm = generator.model();
        if (!lm.hasPositionIds()) {
            return new Verdict(0, false, Double.NaN, "the model has no position_ids input: it numbers new tokens "
                    + "from the padded past length, so rows of different lengths cannot share a call");
        }
        try {
            Probe any = new Probe(generator, PROBE_LENGTHS);
            String anyMismatch = any.run();
            if (anyMismatch == null) {
                return new Verdict(1, true, 0.0, "rows of any lengths merged into one padded call give bit-identical "
                        + "logits, tokens and log-probabilities to per-request calls");
            }
            int limit = lm.config().maxPositions().orElse(128);
            for (int alignment : ALIGNMENTS) {
                if (alignment == 1) {
                    continue;
                }
                String m = new Probe(generator, lengths(alignment, 3, limit)).run();
                if (m == null) {
                    m = new Probe(generator, lengths(alignment, 0, limit)).run();
                }
                if (m == null) {
                    return new Verdict(alignment, true, any.maxLogitDifference, "rows whose past lengths are equal "
                            + "modulo " + alignment + " give bit-identical results merged and alone; rows of other "
                            + "lengths do not (" + anyMismatch + "; largest difference " + any.maxLogitDifference + ")");
                }
            }
            return new Verdict(0, true, any.maxLogitDifference, anyMismatch + " (largest logit difference "
                    + any.maxLogitDifference + "), and no alignment up to " + ALIGNMENTS[ALIGNMENTS.length - 1]
                    + " makes merged calls bit-identical");
        } catch (OrtException | RuntimeException e) {
            return new Verdict(0, true, Double.NaN, "the probe failed: " + e);
        }
    }

    /**
     * Up to five context lengths {@code residue (mod alignment)}, from short to near the model's context (padding up
     * to about 100 positions), in an order that is not sorted.
     */
    static int[] lengths(int alignment, int residue, int maxPositions) {
        int top = Math.max(residue + alignment, maxPositions - PROBE_NEW_TOKENS - 16);
        int[] picks = {1, 9, 0, 25, 4};
        List<Integer> out = new ArrayList<>();
        for (int k : picks) {
            int length = Math.max(residue + alignment * k, 1);
            if (length <= top && !out.contains(length) && length % alignment == residue % alignment) {
                out.add(length);
            }
        }
        if (out.size() < 2) {
            out.add(residue + alignment * 2 > 0 ? residue + alignment * 2 : alignment);
        }
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    /** One run of the probe; keeps the largest logit difference seen. */
    static final class Probe {
        private final CandidateGenerator generator;
        private final List<int[]> contexts = new ArrayList<>();
        double maxLogitDifference;
        private String firstMismatch;

        Probe(CandidateGenerator generator, int[] lengths) {
            this.generator = generator;
            int vocab = generator.model().vocabSize() > 0 ? generator.model().vocabSize() : 256;
            SplittableRandom random = new SplittableRandom(20261204L);
            int eos = generator.eosTokenId();
            for (int length : lengths) {
                int[] tokens = new int[length + 1]; // the last one is the appended token
                for (int t = 0; t < tokens.length; t++) {
                    int id;
                    do {
                        id = random.nextInt(vocab);
                    } while (id == eos);
                    tokens[t] = id;
                }
                contexts.add(tokens);
            }
        }

        /** The first mismatch in words, or null; goes on after a mismatch to measure the largest difference. */
        String run() throws OrtException {
            int n = contexts.size();
            List<CachedContext> alone = new ArrayList<>();
            List<CachedContext> merged = List.of();
            try {
                List<CachedContext> pasts = new ArrayList<>();
                for (int[] c : contexts) {
                    int[] past = java.util.Arrays.copyOf(c, c.length - 1);
                    alone.add(generator.context(c, generator.context(past, null)));
                    pasts.add(generator.context(past, null));
                }
                merged = generator.extendByOne(pasts, contexts);
                for (int i = 0; i < n; i++) {
                    compareLogits(alone.get(i).lastLogits(), merged.get(i).lastLogits(),
                            "one-token reading of probe context " + i);
                }
                decodeBoth(alone, merged, false, "sampled after the merged reading");
                decodeBoth(alone, alone, true, "rolled out");
                List<CachedContext> reversed = new ArrayList<>(alone);
                Collections.reverse(reversed);
                decodeBoth(reversed, reversed, false, "sampled in reverse order");
            } finally {
                alone.forEach(CachedContext::close);
                merged.forEach(CachedContext::close);
            }
            return firstMismatch;
        }

        /**
         * Jobs of 2, 1, 3, ... rows decoded alone from {@code single} and merged from {@code merged} (contexts with
         * the same tokens); with {@code rollouts}, rollout jobs with forced first tokens.
         */
        private void decodeBoth(List<CachedContext> single, List<CachedContext> merged, boolean rollouts,
                                String what) throws OrtException {
            SamplingParams params = new SamplingParams(1.0, 0, 1.0);
            List<DecodeJob> alone = new ArrayList<>();
            List<DecodeJob> together = new ArrayList<>();
            for (int i = 0; i < single.size(); i++) {
                int rows = 1 + (i * 2 + 1) % 3;
                int[] streams = new int[rows];
                int[] first = new int[rows];
                for (int r = 0; r < rows; r++) {
                    streams[r] = r;
                    first[r] = (i * 31 + r * 7 + 1) % generator.model().vocabSize();
                }
                long seed = 1000L + i;
                alone.add(rollouts ? generator.rolloutJob(single.get(i), first, params, PROBE_NEW_TOKENS, seed)
                        : generator.samplingJob(single.get(i), streams, params, PROBE_NEW_TOKENS + i, seed, i));
                together.add(rollouts ? generator.rolloutJob(merged.get(i), first, params, PROBE_NEW_TOKENS, seed)
                        : generator.samplingJob(merged.get(i), streams, params, PROBE_NEW_TOKENS + i, seed, i));
            }
            List<List<GeneratedSequence>> a = generator.decode(alone, false);
            List<List<GeneratedSequence>> b = generator.decode(together, true);
            for (int j = 0; j < a.size(); j++) {
                for (int r = 0; r < a.get(j).size(); r++) {
                    GeneratedSequence x = a.get(j).get(r);
                    GeneratedSequence y = b.get(j).get(r);
                    if (!java.util.Arrays.equals(x.tokenIds(), y.tokenIds())) {
                        mismatch(what + ", job " + j + " row " + r + ": tokens " + java.util.Arrays.toString(
                                x.tokenIds()) + " alone, " + java.util.Arrays.toString(y.tokenIds()) + " merged");
                        continue;
                    }
                    for (int t = 0; t < x.length(); t++) {
                        float p = x.logprobs()[t];
                        float q = y.logprobs()[t];
                        if (Float.floatToRawIntBits(p) != Float.floatToRawIntBits(q)) {
                            maxLogitDifference = Math.max(maxLogitDifference, Math.abs(p - q));
                            mismatch(what + ", job " + j + " row " + r + " token " + t + ": log-probability " + p
                                    + " alone, " + q + " merged");
                        }
                    }
                }
            }
        }

        private void compareLogits(float[] a, float[] b, String what) {
            int first = -1;
            for (int v = 0; v < a.length; v++) {
                if (Float.floatToRawIntBits(a[v]) != Float.floatToRawIntBits(b[v])) {
                    maxLogitDifference = Math.max(maxLogitDifference, Math.abs(a[v] - b[v]));
                    if (first < 0) {
                        first = v;
                    }
                }
            }
            if (first >= 0) {
                mismatch(what + ": logit of token " + first + " is " + a[first] + " alone and " + b[first]
                        + " merged");
            }
        }

        private void mismatch(String m) {
            if (firstMismatch == null) {
                firstMismatch = m;
            }
        }
    }
}
