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
import org.alignstream.core.sampling.TopK;

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
 *
 * <p>Stepwise decoding across rounds: {@link #context} reads a request's context once and extends it by the tokens
 * appended since ({@link CachedContext}: one request's past plus its new tokens, the unit a batched call across
 * requests would merge), and {@link #nextTokens(CachedContext, int)}, {@link #sample(CachedContext, int[],
 * SamplingParams, int, long, int)} and {@link #rollouts(CachedContext, int[], SamplingParams, int, long)} decode from
 * it. The methods taking token arrays read their context in one piece, as before.
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
        Objects.requireNonNull(promptIds, "promptIds");
        requireSamplingArguments(streams, params, maxNewTokens, firstStep);
        int[] prompt = fitPrompt(promptIds, maxNewTokens);
        try (CachedContext context = prefill(prompt)) {
            return decodeAlone(new DecodeJob(context, streams.clone(), params, maxNewTokens, seed, firstStep, null));
        }
    }

    /**
     * {@link #sample(int[], int[], SamplingParams, int, long, int)} from a context already read by the model: the
     * same tokens and log-probabilities as sampling from {@code context}'s token ids when the context was read in one
     * piece (see {@link #context} for a context extended round by round). {@code context} is left unchanged and
     * open. The context is never cut: it must leave room for {@code maxNewTokens}.
     */
    public List<GeneratedSequence> sample(CachedContext context, int[] streams, SamplingParams params,
                                          int maxNewTokens, long seed, int firstStep) throws OrtException {
        return decodeAlone(samplingJob(context, streams, params, maxNewTokens, seed, firstStep));
    }

    /**
     * The decoding {@link #sample(CachedContext, int[], SamplingParams, int, long, int)} runs, checked (bad arguments
     * throw here, before any model work) and ready for {@link #decode(List, boolean)}. {@code context} must stay open
     * until the job has run.
     */
    public DecodeJob samplingJob(CachedContext context, int[] streams, SamplingParams params, int maxNewTokens,
                                 long seed, int firstStep) {
        requireOwn(context);
        requireSamplingArguments(streams, params, maxNewTokens, firstStep);
        requireRoom(context.length(), maxNewTokens);
        return new DecodeJob(context, streams.clone(), params, maxNewTokens, seed, firstStep, null);
    }

    /**
     * The model's reading of {@code tokens}, reusing {@code past} when it is this model's reading of a prefix of
     * them: then only the tokens after that prefix go through the model, in one call over the past's key/value cache
     * (none when {@code past} already covers all of {@code tokens}, which is returned as it is). Otherwise (no past,
     * another model's, or a different prefix) the whole of {@code tokens} is read in one call, as {@link #nextTokens}
     * and {@link #sample} do.
     *
     * <p>{@code past} is consumed: it is closed unless it is the returned context. The token ids are checked against
     * the vocabulary and the context length (never cut) before any model work.
     *
     * <p>Numerics: an extended context's logits and cache are those of an incremental (cached) forward, which agree
     * with a one-piece reading of the same tokens only to rounding: on the bundled lm-austen the logits differ by at
     * most 1.9e-5 (absolute; max over 5 random contexts of 8 to 100 tokens, every position, every vocabulary entry),
     * so decisions based on them (top-k order, a sample's inverse-CDF walk) can differ only where two values are
     * within that distance. The same sequence of {@code context} calls always gives the same bits.
     */
    public CachedContext context(int[] tokens, CachedContext past) throws OrtException {
        try {
            Objects.requireNonNull(tokens, "tokens");
            if (tokens.length == 0) {
                throw new IllegalArgumentException("tokens must not be empty");
            }
            for (int i = 0; i < tokens.length; i++) {
                lm.checkTokenId(tokens[i], "tokens[" + i + "]");
            }
            requireRoom(tokens.length, 1);
        } catch (RuntimeException e) {
            if (past != null) {
                past.close();
            }
            throw e;
        }
        if (past == null || past.model() != lm || !past.isPrefixOf(tokens)) {
            if (past != null) {
                past.close();
            }
            return prefill(tokens.clone());
        }
        if (past.length() == tokens.length) {
            return past;
        }
        try {
            return extend(past, tokens.clone());
        } finally {
            past.close();
        }
    }

    /**
     * {@link #context(int[], CachedContext)} for several requests whose contexts each grew by exactly one token since
     * their past ({@code tokens.get(i)} is {@code pasts.get(i)}'s tokens plus one), read in one padded call
     * ({@link PaddedBatch}) instead of one call each. Each returned context holds its own unpadded copy of its row;
     * the result equals the per-request reading bit for bit wherever the model's logits do not depend on the batch
     * ({@link LmBatchInvariance}). Needs a model with a {@code position_ids} input unless the pasts have one length.
     * Everything is checked before any model work; the pasts are consumed (closed) in every case.
     */
    public List<CachedContext> extendByOne(List<CachedContext> pasts, List<int[]> tokens) throws OrtException {
        try {
            Objects.requireNonNull(pasts, "pasts");
            Objects.requireNonNull(tokens, "tokens");
            if (pasts.isEmpty() || pasts.size() != tokens.size()) {
                throw new IllegalArgumentException(pasts.size() + " pasts for " + tokens.size() + " contexts");
            }
            for (int i = 0; i < pasts.size(); i++) {
                CachedContext past = pasts.get(i);
                int[] t = tokens.get(i);
                requireOwn(past);
                if (t.length != past.length() + 1 || !past.isPrefixOf(t)) {
                    throw new IllegalArgumentException("context " + i + " is not its past plus one token");
                }
                lm.checkTokenId(t[t.length - 1], "tokens[" + i + "][" + (t.length - 1) + "]");
                requireRoom(t.length, 1);
            }
            List<KvCache> parts = new ArrayList<>(pasts.size());
            int[] copies = new int[pasts.size()];
            int[] next = new int[pasts.size()];
            for (int i = 0; i < pasts.size(); i++) {
                parts.add(pasts.get(i).cache());
                copies[i] = 1;
                int[] t = tokens.get(i);
                next[i] = t[t.length - 1];
            }
            try (PaddedBatch batch = new PaddedBatch(lm, parts, copies)) {
                float[][] logits = batch.step(next);
                KvCache[] rows = batch.unpaddedRows();
                List<CachedContext> out = new ArrayList<>(rows.length);
                for (int i = 0; i < rows.length; i++) {
                    out.add(new CachedContext(lm, tokens.get(i).clone(), rows[i], logits[i]));
                }
                return out;
            }
        } finally {
            if (pasts != null) {
                pasts.forEach(CachedContext::close);
            }
        }
    }

    /** Reads {@code tokens} in one call from an empty cache; the cache is copied off the run's output. */
    private CachedContext prefill(int[] tokens) throws OrtException {
        int p = tokens.length;
        LongBuffer ids = CausalLm.direct(p);
        LongBuffer positions = CausalLm.direct(p);
        LongBuffer mask = CausalLm.direct(p);
        for (int t = 0; t < p; t++) {
            ids.put(t, tokens[t]);
            positions.put(t, t);
            mask.put(t, 1L);
        }
        try (KvCache empty = lm.emptyCache(1);
             ForwardResult result = lm.run(ids, mask, positions, 1, p, empty, false)) {
            // a copy, so the context does not keep the run's [1, p, vocab] logits alive
            return new CachedContext(lm, tokens, result.cache().repeatBatch(1), result.lastLogits()[0]);
        }
    }

    /** Reads {@code tokens[past.length() ..]} in one call over {@code past}'s cache (past is left open). */
    private CachedContext extend(CachedContext past, int[] tokens) throws OrtException {
        int from = past.length();
        int s = tokens.length - from;
        LongBuffer ids = CausalLm.direct(s);
        LongBuffer positions = CausalLm.direct(s);
        LongBuffer mask = CausalLm.direct(tokens.length);
        for (int j = 0; j < s; j++) {
            ids.put(j, tokens[from + j]);
            positions.put(j, from + j);
        }
        for (int t = 0; t < tokens.length; t++) {
            mask.put(t, 1L);
        }
        ForwardResult result = lm.run(ids, mask, positions, 1, s, past.cache(), false);
        if (s == 1) {
            // the run's output holds one position's logits besides the cache: keep it as it is (no copy)
            return new CachedContext(lm, tokens, result.cache(), result.lastLogits()[0]);
        }
        try (result) {
            return new CachedContext(lm, tokens, result.cache().repeatBatch(1), result.lastLogits()[0]);
        }
    }

    private void requireOwn(CachedContext context) {
        Objects.requireNonNull(context, "context");
        if (context.model() != lm) {
            throw new IllegalArgumentException("the context was read by another model");
        }
    }

    /** Rejects a context of {@code length} tokens that leaves no room for {@code maxNewTokens} (the last never fed). */
    private void requireRoom(int length, int maxNewTokens) {
        if (lm.config().maxPositions().isPresent()) {
            int maxPositions = lm.config().maxPositions().getAsInt();
            int needed = length + maxNewTokens - 1;
            if (needed > maxPositions) {
                throw new IllegalArgumentException("a context of " + length + " tokens plus maxNewTokens "
                        + maxNewTokens + " needs " + needed + " positions but the model has " + maxPositions);
            }
        }
    }

    /**
     * The {@code k} most likely next tokens after {@code context} under the model's raw distribution
     * (log-softmax of the logits, temperature 1): the candidate set of tokenwise reward-guided decoding.
     * Most likely first; equal logits in increasing token id. One forward pass over the whole context.
     */
    public TopTokens nextTokens(int[] context, int k) throws OrtException {
        Objects.requireNonNull(context, "context");
        requireK(k);
        int[] prompt = fitPrompt(context, 1);
        try (CachedContext read = prefill(prompt.clone())) {
            return topTokens(read.lastLogits(), k);
        }
    }

    /** {@link #nextTokens(int[], int)} after a context already read by the model (left unchanged and open). */
    public TopTokens nextTokens(CachedContext context, int k) {
        requireOwn(context);
        requireK(k);
        return topTokens(context.lastLogits(), k);
    }

    private void requireK(int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1, got " + k);
        }
        if (lm.vocabSize() > 0 && k > lm.vocabSize()) {
            throw new IllegalArgumentException("k = " + k + " exceeds the vocabulary of " + lm.vocabSize() + " tokens");
        }
    }

    /** The k largest logits (ties: lower id first) by partial selection, with their log-softmax. */
    private static TopTokens topTokens(float[] logits, int k) {
        if (k > logits.length) {
            throw new IllegalArgumentException("k = " + k + " exceeds the vocabulary of " + logits.length + " tokens");
        }
        double lse = TokenSampler.logSumExp(logits); // validates the logits
        int[] tokens = TopK.indices(logits, k);
        double[] logprobs = new double[k];
        for (int i = 0; i < k; i++) {
            logprobs[i] = logits[tokens[i]] - lse;
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
        try (CachedContext read = prefill(prompt.clone())) {
            return decodeAlone(rolloutDecoding(read, firstTokens, params, length, seed));
        }
    }

    /**
     * {@link #rollouts(int[], int[], SamplingParams, int, long)} from a context already read by the model (left
     * unchanged and open; never cut: it must leave room for {@code length + 1} tokens).
     */
    public List<GeneratedSequence> rollouts(CachedContext context, int[] firstTokens, SamplingParams params,
                                            int length, long seed) throws OrtException {
        return decodeAlone(rolloutJob(context, firstTokens, params, length, seed));
    }

    /**
     * The decoding {@link #rollouts(CachedContext, int[], SamplingParams, int, long)} runs, checked (bad arguments
     * throw here, before any model work) and ready for {@link #decode(List, boolean)}. {@code context} must stay open
     * until the job has run.
     */
    public DecodeJob rolloutJob(CachedContext context, int[] firstTokens, SamplingParams params, int length,
                                long seed) {
        requireOwn(context);
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
        requireRoom(context.length(), length + 1);
        return rolloutDecoding(context, firstTokens, params, length, seed);
    }

    /** Row {@code i} uses random stream {@code i} and starts with {@code firstTokens[i]}. */
    private static DecodeJob rolloutDecoding(CachedContext context, int[] firstTokens, SamplingParams params,
                                             int length, long seed) {
        int[] streams = new int[firstTokens.length];
        Arrays.setAll(streams, i -> i);
        return new DecodeJob(context, streams, params, length + 1, seed, 0, firstTokens.clone());
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

    private List<GeneratedSequence> decodeAlone(DecodeJob job) throws OrtException {
        return decode(List.of(job), false).get(0);
    }

    /**
     * Runs {@code jobs} (made by this generator's {@link #samplingJob} and {@link #rolloutJob}); element i of the
     * result is job i's sequences. {@code merge}: all jobs' rows in one padded call per step ({@link PaddedBatch}: each
     * context left-padded to the longest, masked, positions continuing each row's own), until every job is done;
     * a job's tokens are drawn exactly as when it runs alone, so the result is the same as running each job alone
     * wherever the model's logits do not depend on the batch ({@link LmBatchInvariance}), and may differ in the
     * last bits of the logits (so, rarely, in a token) where they do. Otherwise one call per step per job, as
     * {@link #sample(CachedContext, int[], SamplingParams, int, long, int)} and
     * {@link #rollouts(CachedContext, int[], SamplingParams, int, long)} do. Merging needs a model with a
     * {@code position_ids} input unless every context has the same length.
     */
    public List<List<GeneratedSequence>> decode(List<DecodeJob> jobs, boolean merge) throws OrtException {
        Objects.requireNonNull(jobs, "jobs");
        for (DecodeJob job : jobs) {
            requireOwn(job.context);
        }
        if (!merge || jobs.size() == 1) {
            List<List<GeneratedSequence>> out = new ArrayList<>(jobs.size());
            for (DecodeJob job : jobs) {
                out.add(job.result(decodeMerged(List.of(job)).get(0)));
            }
            return out;
        }
        List<List<GeneratedSequence>> rows = decodeMerged(jobs);
        List<List<GeneratedSequence>> out = new ArrayList<>(jobs.size());
        for (int j = 0; j < jobs.size(); j++) {
            out.add(jobs.get(j).result(rows.get(j)));
        }
        return out;
    }

    /**
     * Decodes the jobs' rows in one {@link PaddedBatch} (each context's cache repeated to its rows); with
     * {@code forced}, row i's first token is {@code forced[i]} instead of a sample. A job is done when every one of its
     * rows emitted EOS or after its {@code maxNewTokens}; its rows (and finished rows) are fed the padding token while
     * other jobs go on, and their outputs are ignored.
     */
    private List<List<GeneratedSequence>> decodeMerged(List<DecodeJob> jobs) throws OrtException {
        int jobCount = jobs.size();
        int[] copies = new int[jobCount];
        int[] firstRow = new int[jobCount + 1];
        List<KvCache> parts = new ArrayList<>(jobCount);
        for (int j = 0; j < jobCount; j++) {
            copies[j] = jobs.get(j).rows();
            firstRow[j + 1] = firstRow[j] + copies[j];
            parts.add(jobs.get(j).context.cache());
        }
        int n = firstRow[jobCount];
        int padToken = eosTokenId >= 0 ? eosTokenId : 0;
        int[][] tokens = new int[n][];
        float[][] logprobs = new float[n][];
        int[] lengths = new int[n];
        boolean[] finished = new boolean[n];
        boolean[] done = new boolean[jobCount];
        float[][] logits = new float[n][];
        for (int j = 0; j < jobCount; j++) {
            DecodeJob job = jobs.get(j);
            for (int r = firstRow[j]; r < firstRow[j + 1]; r++) {
                tokens[r] = new int[job.maxNewTokens];
                logprobs[r] = new float[job.maxNewTokens];
                logits[r] = job.context.lastLogits();
            }
        }
        int[] next = new int[n];
        try (PaddedBatch batch = new PaddedBatch(lm, parts, copies)) {
            int jobsLeft = jobCount;
            for (int step = 0; ; step++) {
                for (int j = 0; j < jobCount; j++) {
                    if (done[j]) {
                        continue;
                    }
                    DecodeJob job = jobs.get(j);
                    int active = 0;
                    for (int r = firstRow[j]; r < firstRow[j + 1]; r++) {
                        if (finished[r]) {
                            continue;
                        }
                        int i = r - firstRow[j];
                        int token;
                        double logprob;
                        if (job.forced != null && step == 0) {
                            token = job.forced[i];
                            logprob = TokenSampler.logSoftmaxAt(logits[r], token);
                        } else {
                            SplittableRandom rng = Seeds.forStep(job.seed, job.streams[i], job.firstStep + step);
                            TokenSampler.Draw draw = TokenSampler.sampleWithLogprob(logits[r], job.params, rng);
                            token = draw.token();
                            logprob = draw.rawLogprob();
                        }
                        tokens[r][lengths[r]] = token;
                        logprobs[r][lengths[r]] = (float) logprob;
                        lengths[r]++;
                        if (token == eosTokenId) {
                            finished[r] = true;
                        } else {
                            active++;
                        }
                    }
                    if (active == 0 || step + 1 == job.maxNewTokens) {
                        done[j] = true;
                        jobsLeft--;
                    }
                }
                if (jobsLeft == 0) {
                    break;
                }
                for (int j = 0; j < jobCount; j++) {
                    for (int r = firstRow[j]; r < firstRow[j + 1]; r++) {
                        next[r] = done[j] || finished[r] ? padToken : tokens[r][lengths[r] - 1];
                    }
                }
                logits = batch.step(next);
            }
        }
        List<List<GeneratedSequence>> out = new ArrayList<>(jobCount);
        for (int j = 0; j < jobCount; j++) {
            List<GeneratedSequence> rows = new ArrayList<>(copies[j]);
            for (int r = firstRow[j]; r < firstRow[j + 1]; r++) {
                rows.add(new GeneratedSequence(Arrays.copyOf(tokens[r], lengths[r]),
                        Arrays.copyOf(logprobs[r], lengths[r]),
                        finished[r] ? GeneratedSequence.EOS : GeneratedSequence.LENGTH));
            }
            out.add(rows);
        }
        return out;
    }


    /** The checks every sampling entry point makes before any model work. */
    private static void requireSamplingArguments(int[] streams, SamplingParams params, int maxNewTokens, int firstStep) {
        if (firstStep < 0) {
            throw new IllegalArgumentException("firstStep must be >= 0, got " + firstStep);
        }
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
    }

}
