package org.alignstream.inference.lm;

import ai.onnxruntime.OrtException;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;
import org.alignstream.core.sampling.SamplingParams;
import org.alignstream.core.sampling.Seeds;
import org.alignstream.core.sampling.TokenSampler;

/**
 * Samples N continuations of one prompt with a KV-cached {@link CausalLm} (ancestral sampling, "best-of-N"
 * candidate generation): the prompt is prefilled once with batch 1, its cache is repeated to N rows, and all
 * rows are decoded together, one batched ONNX call per step.
 *
 * <p>Row {@code i} draws its token at step {@code t} from {@link Seeds#forStep}{@code (seed, streams[i], t)}, so a
 * row's tokens depend only on {@code (prompt, params, seed, stream)}: not on N, on the other rows, or on how the
 * work is split. A row that emitted EOS stops: it keeps being fed EOS (as padding) while the others continue and
 * its outputs are ignored; decoding ends when every row finished or after {@code maxNewTokens}.
 *
 * <p>Context length: with a known {@code maxPositions}, a prompt of P tokens leaves room for
 * {@code maxPositions - P + 1} new tokens (the last sampled token is never fed back). Longer requests are
 * rejected or the prompt is cut from the left, as chosen by {@link PromptOverflow}.
 */
public final class CandidateGenerator {

    private final CausalLm lm;
    private final int eosTokenId;
    private final PromptOverflow overflow;

    /** Uses the model's {@code eos_token_id} and rejects prompts that overflow the context. */
    public CandidateGenerator(CausalLm lm) {
        this(lm, lm.config().eosTokenId().orElseThrow(() -> new IllegalArgumentException(
                "the model's config.json has no eos_token_id; pass the EOS id explicitly (or -1 for none)")),
                PromptOverflow.REJECT);
    }

    /**
     * @param eosTokenId the token that ends a sequence, or -1 if sequences only end by length
     * @param overflow   what to do with prompts that do not fit the context
     */
    public CandidateGenerator(CausalLm lm, int eosTokenId, PromptOverflow overflow) {
        this.lm = Objects.requireNonNull(lm, "lm");
        this.overflow = Objects.requireNonNull(overflow, "overflow");
        if (eosTokenId < -1 || (lm.vocabSize() > 0 && eosTokenId >= lm.vocabSize())) {
            throw new IllegalArgumentException("eosTokenId " + eosTokenId + " is outside the vocabulary [0, "
                    + lm.vocabSize() + ") (use -1 for none)");
        }
        this.eosTokenId = eosTokenId;
    }

    public CausalLm model() {
        return lm;
    }

    public int eosTokenId() {
        return eosTokenId;
    }

    /** Greedy decoding (arg-max at every step) of one continuation. */
    public GeneratedSequence greedy(int[] promptIds, int maxNewTokens) throws OrtException {
        return sample(promptIds, new int[] {0}, SamplingParams.GREEDY, maxNewTokens, 0L).get(0);
    }

    /** {@code n} continuations using random streams {@code 0 .. n-1}. */
    public List<GeneratedSequence> sample(int[] promptIds, int n, SamplingParams params, int maxNewTokens, long seed)
            throws OrtException {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, got " + n);
        }
        int[] streams = new int[n];
        Arrays.setAll(streams, i -> i);
        return sample(promptIds, streams, params, maxNewTokens, seed);
    }

    /**
     * One continuation per entry of {@code streams}, row {@code i} using random stream {@code streams[i]};
     * sampling streams {@code {3}} alone gives the same tokens as row 3 of streams {@code {0..7}}.
     */
    public List<GeneratedSequence> sample(int[] promptIds, int[] streams, SamplingParams params, int maxNewTokens,
                                          long seed) throws OrtException {
        return sample(promptIds, streams, params, maxNewTokens, seed, 0);
    }

    /**
     * {@link #sample(int[], int[], SamplingParams, int, long)} continuing a response of {@code firstStep} tokens: the
     * token at response position {@code firstStep + t} of row {@code i} draws from
     * {@link Seeds#forStep}{@code (seed, streams[i], firstStep + t)}. Randomness is indexed by position in the response,
     * so sampling a response in blocks of M tokens gives, for M = the whole length, exactly the one-pass sample.
     */
    public List<GeneratedSequence> sample(int[] promptIds, int[] streams, SamplingParams params, int maxNewTokens,
                                          long seed, int firstStep) throws OrtException {
        if (firstStep < 0) {
            throw new IllegalArgumentException("firstStep must be >= 0, got " + firstStep);
        }
        Objects.requireNonNull(promptIds, "promptIds");
        Objects.requireNonNull(streams, "streams");
        Objects.requireNonNull(params, "params");
        if (streams.length == 0) {
            throw new IllegalArgumentException("streams must not be empty");
        }
        for (int i = 0; i < streams.length; i++) {
            if (streams[i] < 0) {
                throw new IllegalArgumentException("streams[" + i + "] = " + streams[i] + " must be >= 0");
            }
        }
        if (maxNewTokens < 1) {
            throw new IllegalArgumentException("maxNewTokens must be >= 1, got " + maxNewTokens);
        }
        int[] prompt = fitPrompt(promptIds, maxNewTokens);
        return decode(prompt, streams, params, maxNewTokens, seed, firstStep, null);
    }

    /**
     * The {@code k} most likely next tokens after {@code context} under the model's raw distribution
     * (log-softmax of the logits, temperature 1): the candidate set of tokenwise reward-guided decoding.
     * Most likely first; equal logits in increasing token id. One forward pass over the whole context.
     */
    public TopTokens nextTokens(int[] context, int k) throws OrtException {
        Objects.requireNonNull(context, "context");
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        int[] prompt = fitPrompt(context, 1);
        long[][] ids = new long[1][prompt.length];
        for (int t = 0; t < prompt.length; t++) {
            ids[0][t] = prompt[t];
        }
        float[] logits;
        try (ForwardResult result = lm.forward(ids, null, null, null)) {
            logits = result.lastLogits()[0];
        }
        if (k > logits.length) {
            throw new IllegalArgumentException("k = " + k + " exceeds the vocabulary of " + logits.length + " tokens");
        }
        double[] logSoftmax = TokenSampler.logSoftmax(logits);
        Integer[] order = new Integer[logits.length];
        Arrays.setAll(order, i -> i);
        Arrays.sort(order, (a, b) -> {
            int byLogit = Float.compare(logits[b], logits[a]);
            return byLogit != 0 ? byLogit : Integer.compare(a, b);
        });
        int[] tokens = new int[k];
        double[] logprobs = new double[k];
        for (int i = 0; i < k; i++) {
            tokens[i] = order[i];
            logprobs[i] = logSoftmax[order[i]];
        }
        return new TopTokens(tokens, logprobs);
    }

    /** The top-k next tokens and their raw log-probabilities, most likely first. */
    public record TopTokens(int[] tokenIds, double[] logprobs) {
    }

    /**
     * Rollouts (Transfer Q*): for each {@code firstTokens[i]}, the continuation of {@code context ∘ firstTokens[i]}
     * sampled with {@code params} for up to {@code length} tokens, all rows in one batch (context prefilled once).
     * Row {@code i} uses random stream {@code i}. The returned sequences hold the rollout only (not the first token);
     * a first token equal to EOS gives an empty rollout.
     */
    public List<GeneratedSequence> rollouts(int[] context, int[] firstTokens, SamplingParams params, int length,
                                            long seed) throws OrtException {
        Objects.requireNonNull(context, "context");
        Objects.requireNonNull(firstTokens, "firstTokens");
        Objects.requireNonNull(params, "params");
        if (firstTokens.length == 0) {
            throw new IllegalArgumentException("firstTokens must not be empty");
        }
        if (length < 1) {
            throw new IllegalArgumentException("rollout length must be >= 1, got " + length);
        }
        for (int i = 0; i < firstTokens.length; i++) {
            lm.checkTokenId(firstTokens[i], "firstTokens[" + i + "]");
        }
        int[] prompt = fitPrompt(context, length + 1);
        int[] streams = new int[firstTokens.length];
        Arrays.setAll(streams, i -> i);
        List<GeneratedSequence> full = decode(prompt, streams, params, length + 1, seed, 0, firstTokens);
        List<GeneratedSequence> out = new ArrayList<>(full.size());
        for (GeneratedSequence s : full) {
            out.add(new GeneratedSequence(Arrays.copyOfRange(s.tokenIds(), 1, s.length()),
                    Arrays.copyOfRange(s.logprobs(), 1, s.length()), s.finishReason()));
        }
        return out;
    }

    /** The prompt after the context-length guard. */
    public int[] fitPrompt(int[] promptIds, int maxNewTokens) {
        if (promptIds.length == 0) {
            throw new IllegalArgumentException("promptIds must not be empty (start with the BOS/EOS token for an "
                    + "unconditional sample)");
        }
        for (int i = 0; i < promptIds.length; i++) {
            lm.checkTokenId(promptIds[i], "promptIds[" + i + "]");
        }
        if (lm.config().maxPositions().isEmpty()) {
            return promptIds;
        }
        int maxPositions = lm.config().maxPositions().getAsInt();
        int needed = promptIds.length + maxNewTokens - 1; // the last sampled token is never fed back
        if (needed <= maxPositions) {
            return promptIds;
        }
        if (overflow == PromptOverflow.REJECT || maxNewTokens >= maxPositions) {
            throw new IllegalArgumentException("prompt of " + promptIds.length + " tokens plus maxNewTokens "
                    + maxNewTokens + " needs " + needed + " positions but the model has " + maxPositions
                    + (overflow == PromptOverflow.REJECT ? " (PromptOverflow.REJECT)" : ""));
        }
        int keep = maxPositions - maxNewTokens + 1;
        return Arrays.copyOfRange(promptIds, promptIds.length - keep, promptIds.length);
    }

    /** Batched decoding; with {@code forced}, row i's first token is {@code forced[i]} instead of a sample. */
    private List<GeneratedSequence> decode(int[] prompt, int[] streams, SamplingParams params, int maxNewTokens,
                                           long seed, int firstStep, int[] forced) throws OrtException {
        int n = streams.length;
        int p = prompt.length;
        int padToken = eosTokenId >= 0 ? eosTokenId : 0;
        // reusable direct input buffers: the mask is all ones, so it is written once for the longest step
        LongBuffer ids = CausalLm.direct(Math.max(n, p));
        LongBuffer positions = CausalLm.direct(Math.max(n, p));
        LongBuffer mask = CausalLm.direct(Math.max(n * (p + maxNewTokens), p));
        while (mask.hasRemaining()) {
            mask.put(1L);
        }
        for (int t = 0; t < p; t++) {
            ids.put(t, prompt[t]);
            positions.put(t, t);
        }
        int[][] tokens = new int[n][maxNewTokens];
        float[][] logprobs = new float[n][maxNewTokens];
        int[] lengths = new int[n];
        boolean[] finished = new boolean[n];
        float[][] logits = new float[n][];
        KvCache cache;
        try (KvCache empty = lm.emptyCache(1);
             ForwardResult prefill = lm.run(view(ids, p), view(mask, p), view(positions, p), 1, p, empty, false)) {
            cache = prefill.cache().repeatBatch(n);
            Arrays.fill(logits, prefill.lastLogits()[0]);
        }
        try {
            int active = n;
            for (int step = 0; ; step++) {
                for (int i = 0; i < n; i++) {
                    if (finished[i]) {
                        continue;
                    }
                    int token;
                    double logprob;
                    if (forced != null && step == 0) {
                        token = forced[i];
                        logprob = TokenSampler.logSoftmaxAt(logits[i], token);
                    } else {
                        SplittableRandom rng = Seeds.forStep(seed, streams[i], firstStep + step);
                        TokenSampler.Draw draw = TokenSampler.sampleWithLogprob(logits[i], params, rng);
                        token = draw.token();
                        logprob = draw.rawLogprob();
                    }
                    tokens[i][lengths[i]] = token;
                    logprobs[i][lengths[i]] = (float) logprob;
                    lengths[i]++;
                    if (token == eosTokenId) {
                        finished[i] = true;
                        active--;
                    }
                }
                if (active == 0 || step + 1 == maxNewTokens) {
                    break;
                }
                for (int i = 0; i < n; i++) {
                    ids.put(i, finished[i] ? padToken : tokens[i][lengths[i] - 1]);
                    positions.put(i, p + step);
                }
                int total = p + step + 1;
                ForwardResult next = lm.run(view(ids, n), view(mask, n * total), view(positions, n), n, 1, cache,
                        false);
                cache.close();
                cache = next.cache();
                logits = next.lastLogits();
            }
        } finally {
            cache.close();
        }
        List<GeneratedSequence> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new GeneratedSequence(Arrays.copyOf(tokens[i], lengths[i]), Arrays.copyOf(logprobs[i], lengths[i]),
                    finished[i] ? GeneratedSequence.EOS : GeneratedSequence.LENGTH));
        }
        return out;
    }

    /** The first {@code size} elements of {@code buffer} as a buffer of exactly that many remaining elements. */
    private static LongBuffer view(LongBuffer buffer, int size) {
        return buffer.duplicate().position(0).limit(size);
    }
}
