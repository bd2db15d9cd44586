package org.alignstream.generator;

import ai.onnxruntime.OrtException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.SpeculativeCandidate;
import org.alignstream.avro.Strategy;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.common.validation.StrategyParameters;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.decoding.MethodParameters;
import org.alignstream.core.sampling.SamplingParams;
import org.alignstream.core.sampling.Seeds;
import org.alignstream.inference.lm.CachedContext;
import org.alignstream.inference.lm.CandidateGenerator;
import org.alignstream.inference.lm.KvCacheStore;
import org.alignstream.inference.lm.CausalLm;
import org.alignstream.inference.lm.DecodeJob;
import org.alignstream.inference.lm.GeneratedSequence;
import org.alignstream.inference.lm.LmBatchInvariance;
import org.alignstream.inference.tokenizer.HfTokenizer;

/**
 * The generator's language model: tokenizer + ONNX causal LM with KV cache. One prompt's N candidates
 * are sampled in one batch (prompt prefilled once, then batched decoding), reproducibly from the
 * request's seed. Stepwise requests keep their context between rounds in the round cache ({@link #kvCache()},
 * {@code --kv-cache-bytes}).
 */
public final class LmCandidateSampler implements CandidateSampler, StepProposer, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LmCandidateSampler.class);
    /** Classpath location of the bundled default model (see models/lm-austen/MODEL_CARD.md). */
    public static final String DEFAULT_MODEL_RESOURCE = "alignstream/models/lm-austen";
    /** Classpath location of the bundled Transfer Q* baseline model (see models/lm-austen-bon16/MODEL_CARD.md). */
    public static final String DEFAULT_BASELINE_RESOURCE = "alignstream/models/lm-austen-bon16";

    /** Default bound of the round cache ({@code --kv-cache-bytes}): 256 MiB. */
    public static final long DEFAULT_KV_CACHE_BYTES = 256L << 20;

    private final HfTokenizer tokenizer;
    private final CausalLm lm;
    private final CandidateGenerator generator;
    private final ModelRef model;
    private final String modelKey;
    private final boolean prependBos;
    private final KvCacheStore<CachedContext> kvCache;
    private CandidateGenerator baseline;
    private ModelRef baselineModel;
    private String baselineKey;
    private GeneratorBatching batching = GeneratorBatching.OFF;
    private LmBatchInvariance.Verdict verdict;
    private LmBatchInvariance.Verdict baselineVerdict;
    private volatile IntConsumer mergedObserver = requests -> { };
    private final AtomicLong mergedCalls = new AtomicLong();

    LmCandidateSampler(HfTokenizer tokenizer, CausalLm lm, ModelRef model, boolean prependBos, long kvCacheBytes) {
        this.kvCache = new KvCacheStore<>(kvCacheBytes);
        this.tokenizer = tokenizer;
        this.lm = lm;
        this.generator = new CandidateGenerator(lm);
        this.model = model;
        this.modelKey = cacheKey(model);
        this.prependBos = prependBos;
    }

    /** The round cache's key of a model: its id and version (the sha-256 prefix of its model.onnx). */
    private static String cacheKey(ModelRef ref) {
        return ref.getId() + "@" + ref.getVersion();
    }

    /**
     * Loads a model directory holding {@code model.onnx}, {@code tokenizer.json} and optionally
     * {@code config.json} (a Hugging Face / Optimum decoder export with past key values), or the
     * bundled default model when {@code modelDir} is null.
     *
     * @param prependBos start every prompt with the end-of-text token, as the model saw documents begin in training
     */
    public static LmCandidateSampler load(Path modelDir, int intraOpThreads, boolean prependBos) {
        return load(modelDir, intraOpThreads, prependBos, DEFAULT_KV_CACHE_BYTES);
    }

    /**
     * {@link #load(Path, int, boolean)} with a round cache of at most {@code kvCacheBytes} (0: none; see
     * {@link #kvCache()}).
     */
    public static LmCandidateSampler load(Path modelDir, int intraOpThreads, boolean prependBos, long kvCacheBytes) {
        if (kvCacheBytes < 0) {
            throw new IllegalArgumentException("kvCacheBytes must be >= 0 (0 disables the cache), got " + kvCacheBytes);
        }
        HfTokenizer tok = LanguageModels.tokenizer(modelDir, DEFAULT_MODEL_RESOURCE);
        try {
            LanguageModels.Loaded lm = LanguageModels.load(modelDir, DEFAULT_MODEL_RESOURCE, "lm-austen", intraOpThreads);
            return new LmCandidateSampler(tok, lm.lm(), lm.ref(), prependBos, kvCacheBytes);
        } catch (RuntimeException e) {
            tok.close();
            throw e;
        }
    }

    /**
     * Loads the Transfer Q* baseline model rho_BL: a decoder export in the same layout as the main model, sharing its
     * tokenizer (same vocabulary). {@code baselineDir == null} loads the bundled {@code lm-austen-bon16}.
     *
     * @return this sampler
     */
    public LmCandidateSampler loadBaseline(Path baselineDir, int intraOpThreads) {
        if (baseline != null) {
            throw new IllegalStateException("a baseline model is already loaded");
        }
        LanguageModels.Loaded loaded = LanguageModels.load(baselineDir, DEFAULT_BASELINE_RESOURCE, "lm-austen-bon16",
                intraOpThreads);
        if (loaded.lm().vocabSize() != lm.vocabSize()) {
            int vocab = loaded.lm().vocabSize();
            LanguageModels.closeQuietly(loaded.lm());
            throw new IllegalArgumentException("the baseline model's vocabulary has " + vocab
                    + " tokens but the language model's has " + lm.vocabSize() + ": they must share a tokenizer");
        }
        baseline = new CandidateGenerator(loaded.lm(), generator.eosTokenId(),
                org.alignstream.inference.lm.PromptOverflow.REJECT);
        baselineModel = loaded.ref();
        baselineKey = "baseline:" + cacheKey(baselineModel);
        return this;
    }

    /** Whether the bundled baseline model is on the classpath. */
    public static boolean bundledBaselineAvailable() {
        return LmCandidateSampler.class.getClassLoader().getResource(DEFAULT_BASELINE_RESOURCE + "/model.onnx") != null;
    }

    @Override
    public ModelRef model() {
        return model;
    }

    /**
     * The prompt as token ids, as the model sees it: with {@code prependBos}, the model's
     * {@code bos_token_id} (config.json) first, else its end-of-text token (GPT-2 convention).
     */
    public int[] promptIds(String prompt) {
        int[] ids = tokenizer.encode(prompt);
        int bos = lm.config().bosTokenId().orElse(generator.eosTokenId());
        if (!prependBos || bos < 0) {
            return ids;
        }
        int[] withBos = new int[ids.length + 1];
        withBos[0] = bos;
        System.arraycopy(ids, 0, withBos, 1, ids.length);
        return withBos;
    }

    @Override
    public Sampled sample(String prompt, Strategy strategy) {
        return sampleAll(List.of(new Prompt(prompt, strategy))).get(0).orThrow();
    }

    /** A Best-of-N sampling to run: the prompt text and the strategy. */
    public record Prompt(String prompt, Strategy strategy) {
    }

    /** One request's result in a batch: its value, or why it failed (then the value is null). */
    public record Result<T>(T value, RuntimeException failure) {
        static <T> Result<T> failed(RuntimeException e) {
            return new Result<>(null, e);
        }

        /** The value, or the failure thrown. */
        public T orThrow() {
            if (failure != null) {
                throw failure;
            }
            return value;
        }
    }

    /**
     * The Best-of-N samplings of several requests (element i of the result is request i's): each prompt is read alone,
     * then the decoding steps of the requests that may share calls ({@link #batching}) run as one padded call per
     * step; the others, and everything with batching off, one request at a time. A request's candidates are those of
     * {@link #sample(String, Strategy)} alone (bit for bit with {@link GeneratorBatching#INVARIANT}). A request that
     * does not fit the model fails alone ({@link InvalidRecordException}); an inference failure throws.
     */
    public List<Result<Sampled>> sampleAll(List<Prompt> prompts) {
        int count = prompts.size();
        List<Result<Sampled>> out = new ArrayList<>(java.util.Collections.nCopies(count, null));
        int[][] promptIds = new int[count][];
        CachedContext[] contexts = new CachedContext[count];
        DecodeJob[] jobs = new DecodeJob[count];
        try {
            for (int i = 0; i < count; i++) {
                Strategy strategy = prompts.get(i).strategy();
                try {
                    promptIds[i] = promptIds(prompts.get(i).prompt());
                    SamplingParams params = new SamplingParams(strategy.getTemperature(), strategy.getTopK(),
                            strategy.getTopP());
                    int[] fitted = generator.fitPrompt(promptIds[i], strategy.getMaxNewTokens());
                    int[] streams = new int[strategy.getN()];
                    if (streams.length < 1) {
                        throw new IllegalArgumentException("n must be >= 1, got " + streams.length);
                    }
                    Arrays.setAll(streams, r -> r);
                    contexts[i] = generator.context(fitted, null);
                    jobs[i] = generator.samplingJob(contexts[i], streams, params, strategy.getMaxNewTokens(),
                            strategy.getSeed(), 0);
                } catch (IllegalArgumentException e) {
                    // the request does not fit the model (e.g. prompt + max_new_tokens beyond its context)
                    out.set(i, Result.failed(new InvalidRecordException(e.getMessage())));
                }
            }
            List<List<GeneratedSequence>> sequences = decodeAll(generator, verdict, Arrays.asList(jobs));
            for (int i = 0; i < count; i++) {
                if (out.get(i) != null) {
                    continue;
                }
                List<Candidate> candidates = new ArrayList<>(sequences.get(i).size());
                for (int c = 0; c < sequences.get(i).size(); c++) {
                    GeneratedSequence s = sequences.get(i).get(c);
                    candidates.add(candidate(c, new int[0], s.tokenIds(), s.logprobs(), new int[0], s.finishReason()));
                }
                out.set(i, new Result<>(new Sampled(toList(promptIds[i]), candidates), null));
            }
            return out;
        } catch (OrtException e) {
            throw new IllegalStateException("language model inference failed: " + e.getMessage(), e);
        } finally {
            for (CachedContext c : contexts) {
                if (c != null) {
                    c.close();
                }
            }
        }
    }

    /**
     * Sets how concurrent requests' LM calls are merged ({@code --generator-batching}); with
     * {@link GeneratorBatching#INVARIANT} the model (and the baseline, if loaded) is probed now
     * ({@link LmBatchInvariance#check}) and the verdict logged. Call after {@link #loadBaseline}, before serving.
     *
     * @return this sampler
     */
    public LmCandidateSampler batching(GeneratorBatching mode) {
        this.batching = Objects.requireNonNull(mode, "mode");
        this.verdict = null;
        this.baselineVerdict = null;
        if (mode == GeneratorBatching.INVARIANT) {
            verdict = LmBatchInvariance.check(generator);
            LOG.info("generator batching: language model {}@{}: {} ({})", model.getId(), model.getVersion(),
                    verdict.mode(), verdict.detail());
            if (baseline != null) {
                baselineVerdict = LmBatchInvariance.check(baseline);
                LOG.info("generator batching: baseline model {}@{}: {} ({})", baselineModel.getId(),
                        baselineModel.getVersion(), baselineVerdict.mode(), baselineVerdict.detail());
            }
        }
        return this;
    }

    public GeneratorBatching batching() {
        return batching;
    }

    /** The language model's batch-invariance verdict ({@link GeneratorBatching#INVARIANT} only; else null). */
    public LmBatchInvariance.Verdict batchInvariance() {
        return verdict;
    }

    /** Whether requests' LM calls may be merged at all with the current mode and verdicts. */
    public boolean merges() {
        return switch (batching) {
            case OFF -> false;
            case ALWAYS -> lm.hasPositionIds();
            case INVARIANT -> verdict != null && verdict.invariant();
        };
    }

    /** Receives the number of requests of every merged decoding (the stage's metrics). */
    public void onMerged(IntConsumer observer) {
        this.mergedObserver = Objects.requireNonNull(observer, "observer");
    }

    /** Merged LM decodings and readings so far (each one padded call per step for two or more requests). */
    public long mergedCalls() {
        return mergedCalls.get();
    }

    /** The class of a row with {@code pastLength} tokens of past: rows of one class may share a call; -1: none. */
    private int group(CandidateGenerator g, LmBatchInvariance.Verdict v, int pastLength) {
        return switch (batching) {
            case OFF -> -1;
            case ALWAYS -> g.model().hasPositionIds() ? 0 : -1;
            case INVARIANT -> v == null ? -1 : v.group(pastLength);
        };
    }

    /**
     * Runs the jobs (null entries: failed requests, null results), those of one class ({@link #group}) merged, each
     * other one alone.
     */
    private List<List<GeneratedSequence>> decodeAll(CandidateGenerator g, LmBatchInvariance.Verdict v,
                                                    List<DecodeJob> jobs) throws OrtException {
        List<List<GeneratedSequence>> out = new ArrayList<>(java.util.Collections.nCopies(jobs.size(), null));
        Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
        for (int i = 0; i < jobs.size(); i++) {
            DecodeJob job = jobs.get(i);
            if (job == null) {
                continue;
            }
            int group = group(g, v, job.contextLength());
            if (group < 0) {
                out.set(i, g.decode(List.of(job), false).get(0));
            } else {
                groups.computeIfAbsent(group, k -> new ArrayList<>()).add(i);
            }
        }
        for (List<Integer> members : groups.values()) {
            List<DecodeJob> merged = members.stream().map(jobs::get).toList();
            List<List<GeneratedSequence>> results = g.decode(merged, merged.size() > 1);
            if (merged.size() > 1) {
                merged(merged.size());
            }
            for (int m = 0; m < members.size(); m++) {
                out.set(members.get(m), results.get(m));
            }
        }
        return out;
    }

    private void merged(int requests) {
        mergedCalls.incrementAndGet();
        mergedObserver.accept(requests);
    }

    /** Tokens generated per second is the generator's throughput figure; exposed for benchmarks. */
    public CandidateGenerator generator() {
        return generator;
    }

    public HfTokenizer tokenizer() {
        return tokenizer;
    }

    /**
     * The round cache: each in-flight stepwise request's context as read by the model (and by the Transfer Q*
     * baseline), kept between rounds on this instance. An optimisation only: see {@link #propose} and
     * docs/OPERATIONS.md for what it changes in the numbers.
     */
    public KvCacheStore<CachedContext> kvCache() {
        return kvCache;
    }

    @Override
    public ModelRef baselineModel() {
        return baselineModel;
    }

    @Override
    public DecodeState start(PromptRequest request) {
        int[] promptIds = promptIds(request.getPrompt());
        try {
            generator.fitPrompt(promptIds, request.getStrategy().getMaxNewTokens());
        } catch (IllegalArgumentException e) {
            throw new InvalidRecordException(e.getMessage());
        }
        return DecodeState.newBuilder()
                .setRequest(request)
                .setPromptTokenIds(toList(promptIds))
                .setTokenIds(new ArrayList<>())
                .setLogprobs(new ArrayList<>())
                .setGeneratorModel(model)
                .setBaselineModel(AlignmentMethod.of(request.getStrategy().getMethod())
                        .filter(AlignmentMethod::needsBaselineModel).isPresent() ? baselineModel : null)
                .build();
    }

    /**
     * The candidates of the round. With the round cache enabled ({@link #kvCache}), the model reads only the tokens
     * appended since this request's previous round on this instance (the chosen token of a tokenwise round, the chosen
     * block of a blockwise one); without a usable cached context (first round, another instance had the request,
     * eviction, restart) it reads the whole prompt and response in one call, as it always does with the cache off.
     * The context is kept for the next round unless this round is the request's last (no room for another token, or
     * every candidate ends with EOS).
     */
    @Override
    public List<Candidate> propose(DecodeState state) {
        return proposeAll(List.of(state)).get(0).orThrow();
    }

    /**
     * The rounds of several requests (element i of the result is state i's candidates): as {@link #propose} each,
     * with the LM calls of the requests that may share them ({@link #batching}) merged: the one-token readings of
     * tokenwise rounds whose context grew by one token since the cached one, and the decoding of blockwise blocks and
     * Transfer Q* rollouts, one padded call per step. A state that is invalid fails alone
     * ({@link InvalidRecordException}); an inference failure throws.
     */
    public List<Result<List<Candidate>>> proposeAll(List<DecodeState> states) {
        int count = states.size();
        Round[] rounds = new Round[count];
        List<Result<List<Candidate>>> out = new ArrayList<>(java.util.Collections.nCopies(count, null));
        try {
            for (int i = 0; i < count; i++) {
                try {
                    rounds[i] = new Round(states.get(i));
                } catch (InvalidRecordException e) {
                    out.set(i, Result.failed(e));
                } catch (IllegalArgumentException e) {
                    out.set(i, Result.failed(new InvalidRecordException(e.getMessage())));
                }
            }
            readAll(generator, modelKey, verdict, rounds, false);
            for (Round r : rounds) {
                if (r != null && r.method.tokenwise()) {
                    r.top = generator.nextTokens(r.read, r.k);
                }
            }
            if (Arrays.stream(rounds).anyMatch(r -> r != null && r.rolloutLength >= 1)) {
                readAll(baseline, baselineKey, baselineVerdict, rounds, true);
            }
            List<DecodeJob> mainJobs = new ArrayList<>();
            int[] firstJob = new int[count + 1];
            DecodeJob[] rolloutJobs = new DecodeJob[count];
            for (int i = 0; i < count; i++) {
                Round r = rounds[i];
                firstJob[i] = mainJobs.size();
                if (r == null) {
                    mainJobs.add(null);
                    continue;
                }
                if (r.method.prunes()) {
                    mainJobs.addAll(r.speculativeJobs());
                } else if (r.method.tokenwise()) {
                    if (r.rolloutLength >= 1) {
                        rolloutJobs[i] = baseline.rolloutJob(r.baselineRead, r.rolloutFirstTokens(), r.params,
                                r.rolloutLength, Seeds.forRound(r.strategy.getSeed(), r.state.getRound()));
                    }
                    mainJobs.add(null);
                } else {
                    int[] streams = new int[r.k];
                    Arrays.setAll(streams, c -> c);
                    mainJobs.add(generator.samplingJob(r.read, streams, r.params, r.blockSize,
                            r.strategy.getSeed(), r.response.length));
                }
            }
            firstJob[count] = mainJobs.size();
            List<List<GeneratedSequence>> decoded = decodeAll(generator, verdict, mainJobs);
            List<List<GeneratedSequence>> rollouts = Arrays.stream(rolloutJobs).anyMatch(Objects::nonNull)
                    ? decodeAll(baseline, baselineVerdict, Arrays.asList(rolloutJobs))
                    : java.util.Collections.nCopies(count, null);
            for (int i = 0; i < count; i++) {
                Round r = rounds[i];
                if (r == null) {
                    continue;
                }
                List<GeneratedSequence> blocks = new ArrayList<>();
                for (int j = firstJob[i]; j < firstJob[i + 1]; j++) {
                    if (decoded.get(j) != null) {
                        blocks.addAll(decoded.get(j));
                    }
                }
                out.set(i, new Result<>(r.finish(blocks, rollouts.get(i)), null));
                rounds[i] = null; // finish handed its contexts on
            }
            return out;
        } catch (IllegalArgumentException e) {
            throw new InvalidRecordException(e.getMessage());
        } catch (OrtException e) {
            throw new IllegalStateException("language model inference failed: " + e.getMessage(), e);
        } finally {
            for (Round r : rounds) {
                if (r != null) {
                    r.reading.close();
                    r.closeSpeculativeContexts();
                }
            }
        }
    }

    /**
     * Reads each round's context with {@code lm} (the baseline's, with {@code baselineReads}, for the rounds that roll
     * out): the request's cached context extended by the tokens appended since, or the whole context when none is
     * usable (the first round does not consult the cache). Rounds whose cached context is one token short are read
     * together, one padded call per class ({@link #group}), the others one call each.
     */
    private void readAll(CandidateGenerator lm, String key, LmBatchInvariance.Verdict v, Round[] rounds,
                         boolean baselineReads) throws OrtException {
        Map<Integer, List<Integer>> groups = new LinkedHashMap<>();
        CachedContext[] pasts = new CachedContext[rounds.length];
        for (int i = 0; i < rounds.length; i++) {
            Round r = rounds[i];
            if (r == null || (baselineReads && r.rolloutLength < 1) || r.method.prunes()) {
                continue;
            }
            CachedContext past = r.response.length == 0 ? null : kvCache.take(key, r.requestId, r.context);
            int group = past != null && past.length() + 1 == r.context.length ? group(lm, v, past.length()) : -1;
            if (group < 0) {
                r.read(key, lm.context(r.context, past), baselineReads);
            } else {
                pasts[i] = past;
                groups.computeIfAbsent(group, g -> new ArrayList<>()).add(i);
            }
        }
        for (List<Integer> members : groups.values()) {
            if (members.size() == 1) {
                int i = members.get(0);
                rounds[i].read(key, lm.context(rounds[i].context, pasts[i]), baselineReads);
                continue;
            }
            List<CachedContext> read = lm.extendByOne(members.stream().map(i -> pasts[i]).toList(),
                    members.stream().map(i -> rounds[i].context).toList());
            merged(members.size());
            for (int m = 0; m < members.size(); m++) {
                rounds[members.get(m)].read(key, read.get(m), baselineReads);
            }
        }
    }

    /** One request's decoding round on its way through {@link #proposeAll}: its checks, contexts and results. */
    private final class Round {
        final DecodeState state;
        final Strategy strategy;
        final AlignmentMethod method;
        final int[] response;
        final int[] context;
        final int remaining;
        final SamplingParams params;
        final String requestId;
        final ContextsInUse reading = new ContextsInUse();
        int k;
        int rolloutLength;
        /** Transfer Q*'s rollouts per candidate token (m), averaged into its Q. */
        int perToken = 1;
        int blockSize;
        CachedContext read;
        CachedContext baselineRead;
        CandidateGenerator.TopTokens top;
        /** speculative_rejection: the candidates still going (their streams and tokens so far); none at round 0. */
        List<SpeculativeCandidate> going = List.of();
        /** speculative_rejection: the contexts read for this round's jobs, closed when it ends. */
        final List<CachedContext> speculativeContexts = new ArrayList<>();

        /** Checks the state (bad token ids or an overlong context: rejected before any model work). */
        Round(DecodeState state) {
            this.state = state;
            this.strategy = state.getRequest().getStrategy();
            Strategy s = strategy;
            this.method = AlignmentMethod.of(s.getMethod()).filter(AlignmentMethod::stepwise).orElseThrow(() ->
                    new InvalidRecordException("'" + s.getMethod() + "' is not a stepwise method"));
            this.response = toArray(state.getTokenIds());
            this.context = concat(toArray(state.getPromptTokenIds()), response);
            // speculative_rejection's candidates all have round * M tokens before the round
            int done = method.prunes() ? state.getRound() * method.tokensPerRound(StrategyParameters.of(s))
                    : response.length;
            this.remaining = s.getMaxNewTokens() - done;
            if (remaining < 1) {
                throw new InvalidRecordException("the response already has max_new_tokens = " + s.getMaxNewTokens()
                        + " tokens");
            }
            this.params = new SamplingParams(s.getTemperature(), method.tokenwise() ? 0 : s.getTopK(), s.getTopP());
            MethodParameters p = StrategyParameters.of(s);
            this.requestId = state.getRequest().getId();
            if (method.tokenwise()) {
                // the top-k next tokens, each followed by the baseline's rollout when the method rolls out
                if (method.needsBaselineModel() && baseline == null) {
                    throw new InvalidRecordException(method.wireName() + " needs a baseline model and none is loaded "
                            + "(--baseline-model-dir)");
                }
                k = method.candidatesPerRound(p);
                rolloutLength = Math.min(method.maxRolloutTokens(p), remaining - 1);
                perToken = Math.max(1, method.rolloutsPerCandidate(p));
                generator.fitPrompt(context, 1);
                if (rolloutLength >= 1) {
                    baseline.fitPrompt(context, rolloutLength + 1);
                }
            } else if (method.prunes()) {
                // the N candidates start as Best-of-N's N streams; each one still going continues its own stream at
                // its own response position, so its tokens are those Best-of-N's candidate of that stream would have
                blockSize = method.maxCandidateTokens(p, s.getMaxNewTokens() - remaining);
                going = state.getSpeculativeCandidates().stream().filter(c -> !c.getEnded()).toList();
                k = state.getRound() == 0 ? method.candidatesPerRound(p) : going.size();
                if (state.getRound() > 0) {
                    for (SpeculativeCandidate c : going) {
                        generator.fitPrompt(concat(context, toArray(c.getTokenIds())), blockSize);
                    }
                } else {
                    generator.fitPrompt(context, blockSize);
                }
            } else {
                // N sampled blocks; stream i, response position t: the randomness of Best-of-N, so M = max_new_tokens
                // is Best-of-N
                blockSize = method.maxCandidateTokens(p, response.length);
                k = method.candidatesPerRound(p);
                generator.fitPrompt(context, blockSize);
            }
        }

        /**
         * speculative_rejection's decodings: at round 0 one job of streams 0..N-1 from the prompt (Best-of-N's first
         * block), later one job per candidate still going, from its whole context read in one piece (the round cache
         * is not used), stream as its own, first position at its length.
         */
        List<DecodeJob> speculativeJobs() throws OrtException {
            if (state.getRound() == 0) {
                CachedContext c = generator.context(context, null);
                speculativeContexts.add(c);
                int[] streams = new int[k];
                Arrays.setAll(streams, i -> i);
                return List.of(generator.samplingJob(c, streams, params, blockSize, strategy.getSeed(), 0));
            }
            List<DecodeJob> jobs = new ArrayList<>(going.size());
            for (SpeculativeCandidate g : going) {
                CachedContext c = generator.context(concat(context, toArray(g.getTokenIds())), null);
                speculativeContexts.add(c);
                jobs.add(generator.samplingJob(c, new int[] {g.getStream()}, params, blockSize, strategy.getSeed(),
                        g.getTokenIds().size()));
            }
            return jobs;
        }

        void closeSpeculativeContexts() {
            speculativeContexts.forEach(CachedContext::close);
            speculativeContexts.clear();
        }

        /**
         * The first token of every rollout in one batch: row j * k + i is rollout j of top token i (stream j * k + i),
         * so rollout 0 of every token is the one a single rollout would be.
         */
        int[] rolloutFirstTokens() {
            int kTop = top.tokenIds().length;
            int[] first = new int[kTop * perToken];
            for (int r = 0; r < first.length; r++) {
                first[r] = top.tokenIds()[r % kTop];
            }
            return first;
        }

        void read(String key, CachedContext context, boolean baselineContext) {
            reading.add(key, context);
            if (baselineContext) {
                baselineRead = context;
            } else {
                read = context;
            }
        }

        /** The candidates; keeps the contexts for the next round, or drops the request's when this is its last. */
        List<Candidate> finish(List<GeneratedSequence> blocks, List<GeneratedSequence> rollouts) {
            List<Candidate> candidates = new ArrayList<>();
            int appended;
            if (method.tokenwise()) {
                int kTop = top.tokenIds().length;
                for (int i = 0; i < kTop; i++) {
                    Candidate c = tokenCandidate(i, response, top,
                            rollouts == null ? new int[0] : rollouts.get(i).tokenIds());
                    // rollout j of token i is row j * k + i (see rolloutFirstTokens): rollout 0 is the one a single
                    // rollout would be, the others are the candidate's extra rollouts, averaged into Q by the selector.
                    // Where there is no room to roll out (the token ends the text, or it is the last one max_new_tokens
                    // allows) every rollout of the token is empty, and every candidate still carries m - 1 extras (the
                    // scorer needs the same count on each): empty ones, whose texts are the candidate's own
                    List<List<Integer>> extraIds = new ArrayList<>();
                    List<String> extraTexts = new ArrayList<>();
                    for (int j = 1; rollouts != null && j < perToken; j++) {
                        int[] extra = rollouts.get(j * kTop + i).tokenIds();
                        extraIds.add(toList(extra));
                        extraTexts.add(tokenizer.decode(concat(concat(response, new int[] {top.tokenIds()[i]}), extra),
                                true));
                    }
                    c.setExtraRolloutTokenIds(extraIds);
                    c.setExtraRolloutTexts(extraTexts);
                    candidates.add(c);
                }
                appended = 1;
            } else {
                for (int i = 0; i < blocks.size(); i++) {
                    GeneratedSequence block = blocks.get(i);
                    int[] before = state.getRound() > 0 && method.prunes()
                            ? toArray(going.get(i).getTokenIds()) : response;
                    candidates.add(candidate(i, before, block.tokenIds(), block.logprobs(), new int[0],
                            block.finishReason()));
                }
                appended = blockSize;
                closeSpeculativeContexts();
            }
            boolean last = appended >= remaining
                    || candidates.stream().allMatch(c -> GeneratedSequence.EOS.equals(c.getFinishReason()));
            if (last) {
                reading.close();
                kvCache.remove(requestId); // the request ends with this round: drop what any model kept of it
            } else {
                reading.keepIn(kvCache, requestId);
            }
            return candidates;
        }
    }

    /**
     * The contexts a round reads (one per model): closed when the round fails or ends the request, else handed to the
     * store for the next round.
     */
    private static final class ContextsInUse implements AutoCloseable {
        private final Map<String, CachedContext> byModel = new LinkedHashMap<>();

        CachedContext add(String modelKey, CachedContext context) {
            byModel.put(modelKey, context);
            return context;
        }

        void keepIn(KvCacheStore<CachedContext> store, String requestId) {
            byModel.forEach((model, context) -> store.put(model, requestId, context));
            byModel.clear();
        }

        @Override
        public void close() {
            byModel.values().forEach(CachedContext::close);
            byModel.clear();
        }
    }

    /** The candidate appending the i-th top token; finished if that token is EOS. */
    private Candidate tokenCandidate(int i, int[] response, CandidateGenerator.TopTokens top, int[] rollout) {
        int token = top.tokenIds()[i];
        return candidate(i, response, new int[] {token}, new float[] {(float) top.logprobs()[i]}, rollout,
                token == generator.eosTokenId() ? GeneratedSequence.EOS : GeneratedSequence.LENGTH);
    }

    /** A candidate appending {@code tokens} to {@code response}; its text includes the rollout, which is never appended. */
    private Candidate candidate(int index, int[] response, int[] tokens, float[] logprobs, int[] rollout,
                                String finishReason) {
        int[] extended = concat(response, tokens);
        List<Float> lp = new ArrayList<>(logprobs.length);
        for (float f : logprobs) {
            lp.add(f);
        }
        return Candidate.newBuilder()
                .setIndex(index)
                .setText(tokenizer.decode(rollout.length == 0 ? extended : concat(extended, rollout), true))
                .setTokenIds(toList(tokens))
                .setLogprobs(lp)
                .setFinishReason(finishReason)
                .setRolloutTokenIds(toList(rollout))
                .setResponseText(rollout.length == 0 ? null : tokenizer.decode(extended, true))
                .build();
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static int[] toArray(List<Integer> ids) {
        int[] out = new int[ids.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = ids.get(i);
        }
        return out;
    }

    private static List<Integer> toList(int[] ids) {
        List<Integer> out = new ArrayList<>(ids.length);
        for (int id : ids) {
            out.add(id);
        }
        return out;
    }

    @Override
    public void close() {
        kvCache.close();
        try {
            if (baseline != null) {
                baseline.model().close();
            }
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the baseline model session", e);
        } finally {
            closeMain();
        }
    }

    private void closeMain() {
        try {
            lm.close();
        } catch (OrtException e) {
            throw new IllegalStateException("cannot close the language model session", e);
        } finally {
            tokenizer.close();
        }
    }
}
