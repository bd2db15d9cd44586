package org.alignstream.generator;

import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Arrays;
import java.util.Map;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
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
import org.alignstream.inference.lm.GeneratedSequence;
import org.alignstream.inference.tokenizer.HfTokenizer;

/**
 * The generator's language model: tokenizer + ONNX causal LM with KV cache. One prompt's N candidates
 * are sampled in one batch (prompt prefilled once, then batched decoding), reproducibly from the
 * request's seed. Stepwise requests keep their context between rounds in the round cache ({@link #kvCache()},
 * {@code --kv-cache-bytes}).
 */
public final class LmCandidateSampler implements CandidateSampler, StepProposer, AutoCloseable {
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
    private final KvCacheStore kvCache;
    private CandidateGenerator baseline;
    private ModelRef baselineModel;
    private String baselineKey;

    LmCandidateSampler(HfTokenizer tokenizer, CausalLm lm, ModelRef model, boolean prependBos, long kvCacheBytes) {
        this.kvCache = new KvCacheStore(kvCacheBytes);
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
        HfTokenizer tok = modelDir == null
                ? tokenizer(() -> HfTokenizer.fromClasspath(DEFAULT_MODEL_RESOURCE + "/tokenizer.json"), modelDir)
                : tokenizer(() -> HfTokenizer.fromFile(directory(modelDir).resolve("tokenizer.json")), modelDir);
        try {
            LoadedLm lm = loadLm(modelDir, DEFAULT_MODEL_RESOURCE, "lm-austen", intraOpThreads);
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
        LoadedLm loaded = loadLm(baselineDir, DEFAULT_BASELINE_RESOURCE, "lm-austen-bon16", intraOpThreads);
        if (loaded.lm().vocabSize() != lm.vocabSize()) {
            int vocab = loaded.lm().vocabSize();
            closeQuietly(loaded.lm());
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

    private record LoadedLm(CausalLm lm, ModelRef ref) {
    }

    private interface TokenizerLoader {
        HfTokenizer load() throws IOException;
    }

    private static HfTokenizer tokenizer(TokenizerLoader loader, Path modelDir) {
        try {
            return loader.load();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the tokenizer of "
                    + (modelDir == null ? "classpath:" + DEFAULT_MODEL_RESOURCE : modelDir), e);
        }
    }

    private static Path directory(Path modelDir) {
        return Files.isDirectory(modelDir) ? modelDir : modelDir.getParent();
    }

    /** A decoder from a directory (or model file), or from the classpath resource when {@code modelDir} is null. */
    private static LoadedLm loadLm(Path modelDir, String resource, String resourceName, int intraOpThreads) {
        try {
            if (modelDir == null) {
                String version;
                try (InputStream in = LmCandidateSampler.class.getClassLoader().getResourceAsStream(resource + "/model.onnx")) {
                    if (in == null) {
                        throw new IOException("the bundled model " + resource + " is missing from the classpath");
                    }
                    version = sha256Prefix(in.readAllBytes());
                }
                return new LoadedLm(CausalLm.fromClasspath(resource, intraOpThreads), new ModelRef(resourceName, version));
            }
            Path dir = directory(modelDir);
            String version = sha256Prefix(Files.readAllBytes(dir.resolve("model.onnx")));
            return new LoadedLm(CausalLm.load(modelDir, intraOpThreads), new ModelRef(dir.getFileName().toString(), version));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load language model from "
                    + (modelDir == null ? "classpath:" + resource : modelDir), e);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot load the language model: " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(CausalLm lm) {
        try {
            lm.close();
        } catch (OrtException | RuntimeException ignored) {
            // already failing
        }
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
        int[] promptIds = promptIds(prompt);
        SamplingParams params = new SamplingParams(strategy.getTemperature(), strategy.getTopK(), strategy.getTopP());
        List<GeneratedSequence> sequences;
        try {
            sequences = generator.sample(promptIds, strategy.getN(), params, strategy.getMaxNewTokens(), strategy.getSeed());
        } catch (IllegalArgumentException e) {
            // the request does not fit the model (e.g. prompt + max_new_tokens beyond its context): the user's to fix
            throw new InvalidRecordException(e.getMessage());
        } catch (OrtException e) {
            throw new IllegalStateException("language model inference failed: " + e.getMessage(), e);
        }
        List<Candidate> candidates = new ArrayList<>(sequences.size());
        for (int i = 0; i < sequences.size(); i++) {
            GeneratedSequence s = sequences.get(i);
            candidates.add(candidate(i, new int[0], s.tokenIds(), s.logprobs(), new int[0], s.finishReason()));
        }
        return new Sampled(toList(promptIds), candidates);
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
    public KvCacheStore kvCache() {
        return kvCache;
    }

    private static String sha256Prefix(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes)).substring(0, 12);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
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
        Strategy s = state.getRequest().getStrategy();
        AlignmentMethod method = AlignmentMethod.of(s.getMethod()).filter(AlignmentMethod::stepwise).orElseThrow(() ->
                new InvalidRecordException("'" + s.getMethod() + "' is not a stepwise method"));
        int[] response = toArray(state.getTokenIds());
        int[] context = concat(toArray(state.getPromptTokenIds()), response);
        int remaining = s.getMaxNewTokens() - response.length;
        if (remaining < 1) {
            throw new InvalidRecordException("the response already has max_new_tokens = " + s.getMaxNewTokens() + " tokens");
        }
        SamplingParams params = new SamplingParams(s.getTemperature(), method.tokenwise() ? 0 : s.getTopK(), s.getTopP());
        MethodParameters p = StrategyParameters.of(s);
        String requestId = state.getRequest().getId();
        try (ContextsInUse reading = new ContextsInUse()) {
            List<Candidate> candidates = new ArrayList<>();
            int appended;
            if (method.tokenwise()) {
                // the top-k next tokens, each followed by the baseline's rollout when the method rolls out
                if (method.needsBaselineModel() && baseline == null) {
                    throw new InvalidRecordException(method.wireName() + " needs a baseline model and none is loaded "
                            + "(--baseline-model-dir)");
                }
                int k = method.candidatesPerRound(p);
                int rolloutLength = Math.min(method.maxRolloutTokens(p), remaining - 1);
                generator.fitPrompt(context, 1); // bad token ids or an overlong context: rejected before model work
                if (rolloutLength >= 1) {
                    baseline.fitPrompt(context, rolloutLength + 1);
                }
                CachedContext read = reading.add(modelKey,
                        read(generator, modelKey, requestId, context, response.length));
                CandidateGenerator.TopTokens top = generator.nextTokens(read, k);
                List<GeneratedSequence> rollouts = null;
                int perToken = Math.max(1, method.rolloutsPerCandidate(p));
                int kTop = top.tokenIds().length;
                if (rolloutLength >= 1) {
                    CachedContext baselineRead = reading.add(baselineKey,
                            read(baseline, baselineKey, requestId, context, response.length));
                    // m rollouts per token in one batch: row j * k + i is rollout j of token i (stream j * k + i),
                    // so rollout 0 of every token is the one a single rollout would be
                    int[] firstTokens = new int[kTop * perToken];
                    for (int r = 0; r < firstTokens.length; r++) {
                        firstTokens[r] = top.tokenIds()[r % kTop];
                    }
                    rollouts = baseline.rollouts(baselineRead, firstTokens, params, rolloutLength,
                            Seeds.forRound(s.getSeed(), state.getRound()));
                }
                for (int i = 0; i < kTop; i++) {
                    Candidate c = tokenCandidate(i, response, top,
                            rollouts == null ? new int[0] : rollouts.get(i).tokenIds());
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
                // N sampled blocks; stream i, response position t: the randomness of Best-of-N, so M = max_new_tokens
                // is Best-of-N
                int blockSize = method.maxCandidateTokens(p, response.length);
                int[] streams = new int[method.candidatesPerRound(p)];
                Arrays.setAll(streams, i -> i);
                generator.fitPrompt(context, blockSize);
                CachedContext read = reading.add(modelKey,
                        read(generator, modelKey, requestId, context, response.length));
                List<GeneratedSequence> blocks = generator.sample(read, streams, params, blockSize, s.getSeed(),
                        response.length);
                for (int i = 0; i < blocks.size(); i++) {
                    GeneratedSequence block = blocks.get(i);
                    candidates.add(candidate(i, response, block.tokenIds(), block.logprobs(), new int[0],
                            block.finishReason()));
                }
                appended = blockSize;
            }
            boolean last = appended >= remaining
                    || candidates.stream().allMatch(c -> GeneratedSequence.EOS.equals(c.getFinishReason()));
            if (last) {
                kvCache.remove(requestId); // the request ends with this round: drop what any model kept of it
            } else {
                reading.keepIn(kvCache, requestId);
            }
            return candidates;
        } catch (IllegalArgumentException e) {
            throw new InvalidRecordException(e.getMessage());
        } catch (OrtException e) {
            throw new IllegalStateException("language model inference failed: " + e.getMessage(), e);
        }
    }

    /**
     * The model's reading of {@code context}: the request's cached context extended by the tokens appended since, or
     * (first round, or none usable) the whole context read at once. The first round does not consult the cache.
     */
    private CachedContext read(CandidateGenerator lm, String key, String requestId, int[] context, int responseLength)
            throws OrtException {
        CachedContext past = responseLength == 0 ? null : kvCache.take(key, requestId, context);
        return lm.context(context, past);
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

        void keepIn(KvCacheStore store, String requestId) {
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
