package org.alignstream.inference.reward;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.PairList;
import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.inference.onnx.OnnxModelException;

/**
 * A decoder reward model: a Hugging Face {@code *ForSequenceClassification} on a decoder backbone (GPT-2, Llama,
 * Qwen, ...; {@link DecoderRewardConfig#DECODER_FAMILIES}) with one label, exported to ONNX in the decoder-with-past
 * layout Optimum uses for causal LMs, its head being the score head:
 * <pre>
 *   inputs : input_ids [B,S] int64, attention_mask [B,P+S] int64, position_ids [B,S] int64 (optional),
 *            past_key_values.{i}.key|value [B,H,P,D] float32, use_cache_branch [1] bool (merged decoders only)
 *   outputs: logits [B,S,1] float32 (the score head at EVERY position, before pooling),
 *            present.{i}.key|value [B,H,P+S,D] float32
 * </pre>
 * The reward of a text is its score at the last non-padding token, as transformers pools it (with
 * {@code pad_token_id}). The graph must output the unpooled {@code [B,S,1]} scores: a pooled {@code [B,1]} output
 * (Optimum's text-classification export) has no past key values and hides the per-position scores that a cached
 * extension needs, so it is rejected with an explanation. {@code ops/lm-fixtures/make_hf_reward_fixtures.py} shows the
 * export.
 *
 * <p>Texts are tokenised by the model's {@code tokenizer.json} with its special tokens (Llama's {@code <s>}); with
 * {@link ScoredText#PROMPT_AND_RESPONSE} as a (prompt, response) pair through the tokenizer's pair template. A text
 * that encodes to no tokens (GPT-2 tokenisers add none to an empty response) is scored as the single token
 * {@code bos_token_id} (else {@code eos_token_id}); a text longer than the context ({@code n_positions} /
 * {@code max_position_embeddings}) is rejected, never truncated (truncation would cut the token the score is read at).
 *
 * <p>Padding is Hugging Face's: a graph with a {@code position_ids} input gets LEFT-padded batches with
 * {@code position_ids = cumsum(attention_mask) - 1} (padding positions 1), so every row's score is in the last
 * column; a graph without it (GPT-2 exports before Optimum 1.14, which number positions from the past length) gets
 * RIGHT-padded batches and each row is read at its own last real token. Padding tokens are {@code pad_token_id}
 * (else {@code eos_token_id}, else 0); they are masked out, so their id does not matter.
 *
 * <p>{@link #scoreWithSharedPrefix} (a tokenwise round: k texts that extend one response by a token each) tokenises the
 * k texts, finds their longest common token prefix ({@link CommonPrefix}; re-tokenisation can merge the new token into
 * the old text, so it is never assumed), runs that prefix once, copies its key/value cache to k rows and scores the k
 * remainders (usually one or two tokens each) from it in one batch. If fewer than {@link #MIN_SHARED_TOKENS} tokens
 * are shared it scores the texts in full. The two paths compute the same function with different float summation
 * orders: on the float32 fixtures they agree within 1e-5 (DecoderRewardModelTest), not bit for bit; each path is
 * deterministic for given texts, so "same seed, same request, same response" holds as long as every caller of a set
 * takes the same path (the scorer and the bare loop both take this one for tokenwise rounds). Batched scoring
 * ({@link #score(String, List)}) likewise equals one-text-at-a-time scoring within 1e-5, not bit for bit.
 *
 * <p>Across rounds ({@link #scoreWithSharedPrefix(String, List, Outputs, RoundCache)}): the shared prefix's batch-1
 * key/value cache ({@link PrefixKv}) is kept in a {@link org.alignstream.inference.lm.KvCacheStore} under the request
 * id and {@link #cacheKey()} (id and version). The next round uses it only if its token ids are a prefix of that
 * round's shared prefix, compared token by token (so a re-tokenisation that changed earlier tokens is a miss), and
 * feeds only the tokens added since, usually the chosen token of the last round: O(1) model work for the prefix per
 * round instead of O(T). A miss reads the prefix from scratch, exactly as without a cache. A hit's rewards equal the
 * uncached path's within 1e-5 on the float32 fixtures (DecoderRoundCacheTest: the added tokens are read against cached
 * keys and values rather than in one run with the rest), not bit for bit; without the shared-past graph
 * (below), copying the prefix to the k rows still costs O(k x T) memory traffic per round.
 *
 * <p><b>Shared-past scoring graph.</b> Copying the prefix's keys and values to the k rows costs O(k x prefix) memory
 * traffic per round, and ONNX Runtime then concatenates and attends over all k copies. When the model directory also
 * holds {@value #SHARED_PAST_FILE} (written from the same weights by {@code ops/lm-fixtures/shared_past.py}, for a
 * user's transformers checkpoint by {@code ops/add-shared-past.sh}, which installs it only after {@link SharedPastCheck}; its
 * inputs are those of {@code model.onnx} without {@code use_cache_branch}, with every {@code past_key_values.*} of
 * batch 1, and its only output is {@code logits [k, S, 1]}), the k remainders are scored by that graph over the
 * ONE batch-1 prefix cache, with no copy: its k rows' queries meet the shared past in one matrix product per head.
 * Without the file (a plain Optimum export) the rows get copies of the prefix cache as before. The two paths compute
 * the same function with the attention-weighted sum split in two (past, new tokens) in the shared graph: rewards agree
 * within 1e-5 on the float32 fixtures (SharedPastScoringTest), not bit for bit; which path a model takes is fixed
 * when it is loaded ({@link #sharedPastScoring()}), so every caller of one loaded model takes the same one. Extending
 * the cached prefix across rounds still runs {@code model.onnx} on batch 1 (ONNX Runtime concatenates the batch-1
 * past once per round, O(prefix) bytes, as the generator's LM does).
 *
 * <p>Thread-safe (ONNX Runtime sessions are; the only state kept between calls is in the caller's store). Without the
 * shared-past graph, each thread that scores with a shared prefix keeps one direct buffer, at most 1.5 times as large
 * as the largest k-row prefix cache it copied (2 x layers x k x kvHeads x prefix x headDim floats), for reuse. Closing
 * frees the sessions and the tokenizer.
 */
public final class DecoderRewardModel implements RewardModel {

    /** The optional shared-past scoring graph beside {@code model.onnx} (see the class comment). */
    public static final String SHARED_PAST_FILE = "model_shared_past.onnx";

    /** Fewest shared tokens for which {@link #scoreWithSharedPrefix} runs the prefix separately (else it scores in full). */
    public static final int MIN_SHARED_TOKENS = 8;

    private static final Pattern PAST = Pattern.compile("past_key_values\\.(\\d+)\\.(key|value)");
    private static final String INPUT_IDS = "input_ids";
    private static final String ATTENTION_MASK = "attention_mask";
    private static final String POSITION_IDS = "position_ids";
    private static final String USE_CACHE_BRANCH = "use_cache_branch";
    private static final String LOGITS = "logits";

    private final String id;
    private final String version;
    private final String kind;
    private final OrtSession session;
    /** The shared-past scoring graph, or null: k-row copies of the prefix cache through {@link #session}. */
    private final OrtSession sharedPast;
    private final HuggingFaceTokenizer tokenizer;
    private final ScoredText scoredText;
    private final DecoderRewardConfig config;
    private final OrtEnvironment env = OrtEnvironment.getEnvironment();
    private final int layers;
    private final int heads;
    private final int headDim;
    private final boolean hasPositionIds;
    private final boolean hasUseCacheBranch;
    private final long padId;
    private final long emptyTextId;
    private final int maxTokens;
    private final Set<String> presentNames;
    /** Per thread: the direct buffer that the k-row copy of a prefix cache is written into ({@link #scratch}). */
    private final ThreadLocal<ByteBuffer[]> scratch = ThreadLocal.withInitial(() -> new ByteBuffer[1]);

    /**
     * Takes ownership of {@code session} and {@code tokenizer} (closed here if the graph is not a decoder reward
     * model).
     *
     * @throws OnnxModelException if the graph lacks the inputs or outputs above, or has more than one label
     */
    public DecoderRewardModel(String id, String version, OrtSession session, HuggingFaceTokenizer tokenizer,
                              DecoderRewardConfig config, ScoredText scoredText) {
        this(id, version, FULL_SEQUENCE, session, null, tokenizer, config, scoredText);
    }

    /**
     * As {@link #DecoderRewardModel(String, String, OrtSession, HuggingFaceTokenizer, DecoderRewardConfig, ScoredText)}
     * for a model of kind {@code kind}: {@value RewardModel#FULL_SEQUENCE} or {@value RewardModel#PARTIAL_SEQUENCE}
     * (trained to score prefixes of a response, e.g. on equal-length truncated pairs as PARGS trains); what the model
     * computes is the same either way, the kind tells decoding methods what it was trained for.
     *
     * @throws IllegalArgumentException for any other kind (a decoder classifier gives no per-token rewards)
     */
    public DecoderRewardModel(String id, String version, String kind, OrtSession session,
                              HuggingFaceTokenizer tokenizer, DecoderRewardConfig config, ScoredText scoredText) {
        this(id, version, kind, session, null, tokenizer, config, scoredText);
    }

    /**
     * As {@link #DecoderRewardModel(String, String, String, OrtSession, HuggingFaceTokenizer, DecoderRewardConfig,
     * ScoredText)}, with {@code sharedPast} (nullable) the session of the shared-past scoring graph of the same weights
     * (see the class comment); takes ownership of it too.
     *
     * @throws OnnxModelException      also if {@code sharedPast} does not have the shared-past layout that matches
     *                                 {@code session}'s (same layers, heads, headDim and position inputs, past batch 1)
     * @throws IllegalArgumentException for a kind other than full- or partial-sequence
     */
    public DecoderRewardModel(String id, String version, String kind, OrtSession session, OrtSession sharedPast,
                              HuggingFaceTokenizer tokenizer, DecoderRewardConfig config, ScoredText scoredText) {
        if (!FULL_SEQUENCE.equals(kind) && !PARTIAL_SEQUENCE.equals(kind)) {
            for (OrtSession s : new OrtSession[]{session, sharedPast}) {
                try {
                    if (s != null) {
                        s.close();
                    }
                } catch (OrtException e) {
                    // closing a session we refuse; the refusal below is the error that matters
                }
            }
            tokenizer.close();
            throw new IllegalArgumentException("decoder reward model '" + id + "' declares kind '" + kind + "'; a"
                    + " decoder reward model is " + FULL_SEQUENCE + " or " + PARTIAL_SEQUENCE);
        }
        this.id = id;
        this.version = version;
        this.kind = kind;
        this.session = session;
        this.sharedPast = sharedPast;
        this.tokenizer = tokenizer;
        this.config = config;
        this.scoredText = scoredText;
        try {
            String name = "decoder reward model '" + id + "'";
            if (config.labels() != 1) {
                throw new OnnxModelException(name + " has " + config.labels() + " labels in config.json; a reward model"
                        + " has exactly one (export AutoModelForSequenceClassification with num_labels=1)");
            }
            Map<String, NodeInfo> inputs = session.getInputInfo();
            if (!inputs.containsKey(INPUT_IDS) || !inputs.containsKey(ATTENTION_MASK)) {
                throw new OnnxModelException(name + " needs inputs input_ids and attention_mask, has " + inputs.keySet());
            }
            TreeMap<Integer, long[]> keys = new TreeMap<>();
            int values = 0;
            for (Map.Entry<String, NodeInfo> e : inputs.entrySet()) {
                Matcher m = PAST.matcher(e.getKey());
                if (m.matches()) {
                    if (m.group(2).equals("key")) {
                        keys.put(Integer.parseInt(m.group(1)), ((TensorInfo) e.getValue().getInfo()).getShape());
                    } else {
                        values++;
                    }
                }
            }
            if (keys.isEmpty()) {
                throw new OnnxModelException(name + " has no past_key_values.N.key inputs (inputs " + inputs.keySet()
                        + "): export the decoder with past key values, as Optimum's decoder_with_past_model");
            }
            this.layers = keys.lastKey() + 1;
            long[] shape = keys.firstEntry().getValue();
            if (keys.size() != layers || values != layers || shape.length != 4 || shape[1] <= 0 || shape[3] <= 0) {
                throw new OnnxModelException(name + ": past_key_values inputs must be a key and a value of shape "
                        + "[batch, heads, past, headDim] with static heads and headDim for each of " + layers
                        + " layers, got " + keys.size() + " keys, " + values + " values, shape " + Arrays.toString(shape));
            }
            this.heads = (int) shape[1];
            this.headDim = (int) shape[3];
            Map<String, NodeInfo> outputs = session.getOutputInfo();
            Set<String> presents = new HashSet<>();
            for (int l = 0; l < layers; l++) {
                for (String kv : new String[] {"key", "value"}) {
                    String present = "present." + l + "." + kv;
                    if (!outputs.containsKey(present)) {
                        throw new OnnxModelException(name + " has no output " + present + ", outputs are " + outputs.keySet());
                    }
                    presents.add(present);
                }
            }
            this.presentNames = Set.copyOf(presents);
            NodeInfo logits = outputs.get(LOGITS);
            if (logits == null) {
                throw new OnnxModelException(name + " has no output named logits, outputs are " + outputs.keySet());
            }
            long[] logitsShape = ((TensorInfo) logits.getInfo()).getShape();
            if (logitsShape.length != 3) {
                throw new OnnxModelException(name + ": logits must be the unpooled scores [batch, sequence, 1], got "
                        + Arrays.toString(logitsShape) + " (a pooled [batch, 1] output cannot be read at each row's last"
                        + " token of a cached extension; export the score head's output before pooling)");
            }
            if (logitsShape[2] != 1 && logitsShape[2] != -1) {
                throw new OnnxModelException(name + " has " + logitsShape[2] + " scores per position; a reward model has"
                        + " exactly one (num_labels=1)");
            }
            this.hasPositionIds = inputs.containsKey(POSITION_IDS);
            this.hasUseCacheBranch = inputs.containsKey(USE_CACHE_BRANCH);
            if (hasUseCacheBranch && !(inputs.get(USE_CACHE_BRANCH).getInfo() instanceof TensorInfo flag
                    && flag.type == OnnxJavaType.BOOL)) {
                throw new OnnxModelException(name + ": input " + USE_CACHE_BRANCH + " must be a bool tensor");
            }
            this.padId = config.padTokenId().orElse(config.eosTokenId().orElse(0));
            this.emptyTextId = config.bosTokenId().orElse(config.eosTokenId().orElse(-1));
            this.maxTokens = config.maxPositions().orElse(Integer.MAX_VALUE);
            if (sharedPast != null) {
                checkSharedPast(name, sharedPast);
            }
        } catch (OrtException e) {
            close();
            throw new OnnxModelException("Cannot read the graph of reward model '" + id + "': " + e.getMessage(), e);
        } catch (RuntimeException e) {
            close();
            throw e;
        }
    }

    /**
     * Rejects a shared-past graph that does not fit this model: inputs {@code input_ids}, {@code attention_mask},
     * {@code position_ids} exactly when {@code model.onnx} has it, no {@code use_cache_branch}, and for each layer a
     * past key and value {@code [1, heads, past, headDim]} (batch fixed at 1, heads and headDim as {@code model.onnx});
     * output {@code logits [batch, sequence, 1]}.
     */
    private void checkSharedPast(String name, OrtSession graph) throws OrtException {
        String what = name + ": " + SHARED_PAST_FILE + " ";
        Map<String, NodeInfo> inputs = graph.getInputInfo();
        Set<String> expected = new HashSet<>(List.of(INPUT_IDS, ATTENTION_MASK));
        if (hasPositionIds) {
            expected.add(POSITION_IDS);
        }
        for (int l = 0; l < layers; l++) {
            for (String kv : new String[] {"key", "value"}) {
                String past = "past_key_values." + l + "." + kv;
                expected.add(past);
                NodeInfo info = inputs.get(past);
                long[] shape = info == null ? null : ((TensorInfo) info.getInfo()).getShape();
                if (shape == null || shape.length != 4 || shape[0] != 1 || shape[1] != heads || shape[3] != headDim) {
                    throw new OnnxModelException(what + "needs input " + past + " of shape [1, " + heads + ", past, "
                            + headDim + "] (one past shared by all rows), has " + (shape == null ? "none"
                            : Arrays.toString(shape)) + "; write it with ops/lm-fixtures/shared_past.py or remove it");
                }
            }
        }
        if (!inputs.keySet().equals(expected)) {
            throw new OnnxModelException(what + "has inputs " + new TreeMap<>(inputs).keySet() + ", expected "
                    + new java.util.TreeSet<>(expected) + " (model.onnx's, without use_cache_branch)");
        }
        NodeInfo logits = graph.getOutputInfo().get(LOGITS);
        long[] shape = logits == null ? null : ((TensorInfo) logits.getInfo()).getShape();
        if (shape == null || shape.length != 3 || (shape[2] != 1 && shape[2] != -1)) {
            throw new OnnxModelException(what + "needs output logits [batch, sequence, 1], has "
                    + (shape == null ? graph.getOutputInfo().keySet() : Arrays.toString(shape)));
        }
    }

    /** Loads a {@code tokenizer.json} for scoring: special tokens added, no padding or truncation (done here). */
    public static HuggingFaceTokenizer loadTokenizer(Path tokenizerJson) {
        Map<String, String> options = Map.of("addSpecialTokens", "true", "padding", "false", "truncation", "false");
        try (InputStream in = Files.newInputStream(tokenizerJson)) {
            return HuggingFaceTokenizer.newInstance(in, options);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read tokenizer " + tokenizerJson.toAbsolutePath(), e);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Invalid tokenizer " + tokenizerJson.toAbsolutePath() + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public String id() {
        return id;
    }

    @Override
    public String version() {
        return version;
    }

    /** {@value RewardModel#FULL_SEQUENCE} unless the model declared {@value RewardModel#PARTIAL_SEQUENCE}. */
    @Override
    public String kind() {
        return kind;
    }

    public ScoredText scoredText() {
        return scoredText;
    }

    public DecoderRewardConfig config() {
        return config;
    }

    /**
     * Whether a tokenwise round's k texts are scored by the shared-past graph over one batch-1 prefix cache
     * ({@value #SHARED_PAST_FILE} loaded), rather than over k copies of it.
     */
    public boolean sharedPastScoring() {
        return sharedPast != null;
    }

    /** Whether batches are left-padded (the graph takes position_ids) rather than right-padded. */
    public boolean padsLeft() {
        return hasPositionIds;
    }

    /** Every text scored in full, in one padded batch (see the class comment for the padding). */
    @Override
    public double[] score(String prompt, List<String> responses) {
        ScoredText.requireInputs(prompt, responses);
        if (responses.isEmpty()) {
            return new double[0];
        }
        return scoreRows(session, encode(Collections.nCopies(responses.size(), prompt), responses), null);
    }

    /** All groups' texts in one padded batch, one ONNX call, each scored in full; no embeddings. */
    @Override
    public List<Scores> scoreGroups(List<Group> groups) {
        List<String> prompts = new ArrayList<>();
        List<String> responses = new ArrayList<>();
        for (Group g : groups) {
            ScoredText.requireInputs(g.prompt(), g.responses());
            if (g.outputs().embeddings()) {
                embed(g.responses()); // throws: no sentence embedding
            }
            prompts.addAll(Collections.nCopies(g.responses().size(), g.prompt()));
            responses.addAll(g.responses());
        }
        double[] all = responses.isEmpty() ? new double[0] : scoreRows(session, encode(prompts, responses), null);
        List<Scores> out = new ArrayList<>(groups.size());
        int offset = 0;
        for (Group g : groups) {
            int n = g.responses().size();
            out.add(new Scores(Arrays.copyOfRange(all, offset, offset + n), null, null));
            offset += n;
        }
        return out;
    }

    @Override
    public boolean mergesGroups() {
        return true;
    }

    @Override
    public boolean sharesPrefix() {
        return true;
    }

    /**
     * The rewards of {@code responses} with their common token prefix encoded once (see the class comment); equal to
     * {@link #score(String, List)} within float rounding. No embeddings or credit.
     */
    @Override
    public Scores scoreWithSharedPrefix(String prompt, List<String> responses, Outputs outputs) {
        ScoredText.requireInputs(prompt, responses);
        if (outputs.embeddings()) {
            embed(responses); // throws: no sentence embedding
        }
        if (responses.isEmpty()) {
            return new Scores(new double[0], null, null);
        }
        long[][] rows = encode(Collections.nCopies(responses.size(), prompt), responses);
        int shared = sharedTokens(rows);
        if (shared == 0) {
            return new Scores(scoreRows(session, rows, null), null, null);
        }
        try (PrefixKv prefix = prefill(Arrays.copyOf(rows[0], shared))) {
            return new Scores(scoreFrom(prefix, rows), null, null);
        }
    }

    /**
     * {@link #scoreWithSharedPrefix(String, List, Outputs)} with the shared prefix's key/value cache kept in
     * {@code cache} between a request's rounds (see the class comment). Keyed by this model's {@link #cacheKey()} and
     * the request id, and used only if the token ids it holds are a prefix of this round's shared prefix (else a miss:
     * the prefix is read from scratch, exactly as without a cache). A hit feeds only the tokens added since.
     */
    @Override
    public Scores scoreWithSharedPrefix(String prompt, List<String> responses, Outputs outputs, RoundCache cache) {
        if (cache == null) {
            return scoreWithSharedPrefix(prompt, responses, outputs);
        }
        ScoredText.requireInputs(prompt, responses);
        if (outputs.embeddings()) {
            embed(responses); // throws: no sentence embedding
        }
        long[][] rows = responses.isEmpty() ? new long[0][]
                : encode(Collections.nCopies(responses.size(), prompt), responses);
        int shared = sharedTokens(rows);
        if (shared == 0) {
            if (!cache.keep()) {
                cache.store().remove(cache.requestId());
            }
            return new Scores(rows.length == 0 ? new double[0] : scoreRows(session, rows, null), null, null);
        }
        long[] prefixIds = Arrays.copyOf(rows[0], shared);
        PrefixKv cached = cache.lookup() ? cache.store().take(cacheKey(), cache.requestId(), ints(prefixIds)) : null;
        PrefixKv prefix = cached == null ? prefill(prefixIds) : extend(cached, prefixIds);
        try {
            double[] rewards = scoreFrom(prefix, rows);
            if (cache.keep()) {
                cache.store().put(cacheKey(), cache.requestId(), prefix); // the store owns it now
                prefix = null;
            } else {
                cache.store().remove(cache.requestId());
            }
            return new Scores(rewards, null, null);
        } finally {
            if (prefix != null) {
                prefix.close();
            }
        }
    }

    /** The model key of this model's entries in a {@link RoundCache}'s store: id and version. */
    public String cacheKey() {
        return id + "@" + version;
    }

    /**
     * Each row's score, its first {@code prefix.length()} tokens read from {@code prefix}: by the shared-past graph over
     * {@code prefix} itself, or else by {@code model.onnx} over a copy of it per row.
     */
    private double[] scoreFrom(PrefixKv prefix, long[][] rows) {
        int shared = prefix.length();
        long[][] rests = new long[rows.length][];
        for (int i = 0; i < rows.length; i++) {
            rests[i] = Arrays.copyOfRange(rows[i], shared, rows[i].length);
        }
        if (sharedPast != null) {
            // the prefix's own tensors, not closed here: the prefix (or the store) owns them
            return scoreRows(sharedPast, rests, new Past(prefix.keys(), prefix.values(), prefix.length()));
        }
        try (Past copies = copies(prefix, rows.length)) {
            return scoreRows(session, rests, copies);
        } catch (OrtException e) {
            throw new OnnxModelException("ONNX Runtime failed copying a prefix cache of reward model '" + id + "': "
                    + e.getMessage(), e);
        }
    }

    private static int[] ints(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    /**
     * How many leading tokens {@link #scoreWithSharedPrefix} encodes once for these texts: their reusable common prefix
     * ({@link CommonPrefix#reusable}), or 0 when it scores them in full (one text, or fewer than
     * {@link #MIN_SHARED_TOKENS} shared).
     */
    public int sharedPrefixTokens(String prompt, List<String> responses) {
        ScoredText.requireInputs(prompt, responses);
        return responses.isEmpty() ? 0 : sharedTokens(encode(Collections.nCopies(responses.size(), prompt), responses));
    }

    private static int sharedTokens(long[][] rows) {
        int shared = CommonPrefix.reusable(rows);
        return rows.length < 2 || shared < MIN_SHARED_TOKENS ? 0 : shared;
    }

    /** Token ids of each (prompt, response) as this model reads them; bad lengths throw. */
    long[][] encode(List<String> prompts, List<String> responses) {
        Encoding[] encodings = scoredText == ScoredText.RESPONSE
                ? tokenizer.batchEncode(responses, true, false)
                : tokenizer.batchEncode(new PairList<>(prompts, responses), true, false);
        long[][] rows = new long[encodings.length][];
        for (int i = 0; i < rows.length; i++) {
            long[] ids = encodings[i].getIds();
            if (ids.length == 0) {
                if (emptyTextId < 0) {
                    throw new IllegalArgumentException("response " + i + " encodes to no tokens and config.json names"
                            + " no bos_token_id or eos_token_id to score it as");
                }
                ids = new long[] {emptyTextId};
            }
            if (ids.length > maxTokens) {
                throw new IllegalArgumentException("response " + i + " encodes to " + ids.length + " tokens, more than"
                        + " reward model '" + id + "' reads (" + maxTokens + ", its context length)");
            }
            rows[i] = ids;
        }
        return rows;
    }

    /** Runs the prefix once (batch 1) from nothing: its key/value cache. */
    private PrefixKv prefill(long[] prefix) {
        try (Past empty = Past.empty(env, layers, 1, heads, headDim)) {
            return wrap(ints(prefix), run(session, new long[][] {prefix}, empty, presentNames));
        } catch (OrtException e) {
            throw new OnnxModelException("ONNX Runtime failed running reward model '" + id + "' on a prefix of "
                    + prefix.length + " tokens: " + e.getMessage(), e);
        }
    }

    /**
     * {@code cached} (whose tokens begin {@code prefix}) extended to all of {@code prefix} by feeding only the tokens
     * it lacks; {@code cached} itself when it already holds them all, else it is closed.
     */
    private PrefixKv extend(PrefixKv cached, long[] prefix) {
        if (cached.length() == prefix.length) {
            return cached;
        }
        long[] added = Arrays.copyOfRange(prefix, cached.length(), prefix.length);
        try {
            return wrap(ints(prefix), run(session, new long[][] {added}, new Past(cached.keys(), cached.values(),
                    cached.length()), presentNames));
        } catch (OrtException e) {
            throw new OnnxModelException("ONNX Runtime failed running reward model '" + id + "' on " + added.length
                    + " tokens after a cached prefix of " + cached.length() + ": " + e.getMessage(), e);
        } finally {
            cached.close();
        }
    }

    private PrefixKv wrap(int[] tokens, OrtSession.Result result) {
        try {
            return new PrefixKv(tokens, result, layers);
        } catch (RuntimeException e) {
            result.close();
            throw e;
        }
    }

    /** The batch-1 {@code prefix} copied to {@code copies} rows, in this thread's scratch buffer. */
    private Past copies(PrefixKv prefix, int copies) throws OrtException {
        OnnxTensor[] keys = new OnnxTensor[layers];
        OnnxTensor[] values = new OnnxTensor[layers];
        Past past = new Past(keys, values, prefix.length());
        int rowFloats = Math.multiplyExact(Math.multiplyExact(heads, prefix.length()), headDim);
        int tensorFloats = Math.multiplyExact(rowFloats, copies);
        FloatBuffer all = scratch(Math.multiplyExact(tensorFloats, 2 * layers));
        try {
            for (int l = 0; l < layers; l++) {
                keys[l] = repeated(prefix.keys()[l], copies, all.slice(2 * l * tensorFloats, tensorFloats));
                values[l] = repeated(prefix.values()[l], copies, all.slice((2 * l + 1) * tensorFloats, tensorFloats));
            }
            return past;
        } catch (OrtException | RuntimeException e) {
            past.close();
            throw e;
        }
    }

    /** A [copies, heads, length, headDim] tensor over {@code out}, each row a copy of the batch-1 {@code row}. */
    private OnnxTensor repeated(OnnxTensor row, int copies, FloatBuffer out) throws OrtException {
        long[] shape = row.getInfo().getShape();
        FloatBuffer src = row.getFloatBuffer();
        if ((long) src.remaining() * copies != out.remaining()) {
            throw new IllegalStateException("present tensor of shape " + Arrays.toString(shape) + " does not fill "
                    + out.remaining() + " floats in " + copies + " copies");
        }
        for (int c = 0; c < copies; c++) {
            out.put(src.rewind());
        }
        return OnnxTensor.createTensor(env, out.rewind(), new long[] {copies, shape[1], shape[2], shape[3]});
    }

    /**
     * This thread's direct buffer for the copied prefix cache, at least {@code floats} long: reused from call to call
     * (the tensors over it are closed before {@link #scoreWithSharedPrefix} returns), because allocating tens of MB of
     * direct memory per round costs more than the copy and stalls on the garbage collector that frees it. It grows by
     * at least half its size at a time: a decoding's prefix grows by a token or two per round, and growing it to the
     * exact size would allocate (and zero) a new buffer in every round.
     */
    private FloatBuffer scratch(int floats) {
        ByteBuffer[] holder = scratch.get();
        long bytes = (long) floats * Float.BYTES;
        if (holder[0] == null || holder[0].capacity() < bytes) {
            long grown = holder[0] == null ? bytes : Math.max(bytes, holder[0].capacity() * 3L / 2);
            holder[0] = null; // the old buffer may be freed while the new one is allocated
            holder[0] = ByteBuffer.allocateDirect(Math.toIntExact(Math.min(grown, Integer.MAX_VALUE - 8L)))
                    .order(ByteOrder.nativeOrder());
        }
        return holder[0].clear().order(ByteOrder.nativeOrder()).asFloatBuffer().limit(floats);
    }

    /**
     * Each row's score at its last token by {@code graph}, the rows continuing {@code past} (null: none). With
     * {@link #session} every row has its own copy of the past (batch = rows); with {@link #sharedPast} the past is one
     * batch-1 cache all rows read.
     */
    private double[] scoreRows(OrtSession graph, long[][] rows, Past past) {
        int batch = rows.length;
        int width = 0;
        for (long[] r : rows) {
            width = Math.max(width, r.length);
        }
        try (Past empty = past == null ? Past.empty(env, layers, batch, heads, headDim) : null;
             OrtSession.Result result = run(graph, rows, past == null ? empty : past, Set.of(LOGITS))) {
            OnnxValue value = result.get(0);
            if (!(value instanceof OnnxTensor tensor)) {
                throw new OnnxModelException("reward model '" + id + "' returned a non-tensor " + LOGITS);
            }
            long[] shape = tensor.getInfo().getShape();
            if (shape.length != 3 || shape[0] != batch || shape[1] != width || shape[2] != 1) {
                throw new OnnxModelException("reward model '" + id + "' returned " + LOGITS + " of shape "
                        + Arrays.toString(shape) + ", expected [" + batch + ", " + width + ", 1]");
            }
            FloatBuffer logits = tensor.getFloatBuffer();
            double[] rewards = new double[batch];
            for (int b = 0; b < batch; b++) {
                int last = hasPositionIds ? width - 1 : rows[b].length - 1;
                rewards[b] = logits.get(b * width + last);
            }
            return rewards;
        } catch (OrtException e) {
            throw new OnnxModelException("ONNX Runtime failed running reward model '" + id + "' on " + batch
                    + " texts: " + e.getMessage(), e);
        }
    }

    /**
     * One ONNX run of {@code graph} on {@code rows} (padded here) after {@code past}: attention mask = past ones then each row's
     * padded mask, positions = cumsum(mask) - 1 with padding at 1, as Hugging Face computes them.
     */
    private OrtSession.Result run(OrtSession graph, long[][] rows, Past past, Set<String> outputs)
            throws OrtException {
        int batch = rows.length;
        int width = 0;
        for (long[] r : rows) {
            width = Math.max(width, r.length);
        }
        int pastLength = past.length;
        int total = pastLength + width;
        if (total > maxTokens) {
            throw new IllegalArgumentException("reward model '" + id + "' reads at most " + maxTokens + " tokens, asked"
                    + " for " + total);
        }
        long[] ids = new long[batch * width];
        long[] mask = new long[batch * total];
        long[] positions = new long[batch * width];
        for (int b = 0; b < batch; b++) {
            long[] row = rows[b];
            int offset = hasPositionIds ? width - row.length : 0; // left padding needs explicit positions
            Arrays.fill(ids, b * width, (b + 1) * width, padId);
            System.arraycopy(row, 0, ids, b * width + offset, row.length);
            Arrays.fill(mask, b * total, b * total + pastLength, 1L);
            Arrays.fill(mask, b * total + pastLength + offset, b * total + pastLength + offset + row.length, 1L);
            long count = 0;
            for (int t = 0; t < total; t++) {
                count += mask[b * total + t];
                if (t >= pastLength) {
                    positions[b * width + t - pastLength] = mask[b * total + t] == 0 ? 1 : count - 1;
                }
            }
        }
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (OnnxTensor idsTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(ids), new long[] {batch, width});
             OnnxTensor maskTensor = OnnxTensor.createTensor(env, LongBuffer.wrap(mask), new long[] {batch, total});
             OnnxTensor positionTensor = hasPositionIds
                     ? OnnxTensor.createTensor(env, LongBuffer.wrap(positions), new long[] {batch, width}) : null;
             OnnxTensor branchTensor = hasUseCacheBranch && graph == session
                     ? OnnxTensor.createTensor(env, new boolean[] {pastLength > 0}) : null) {
            inputs.put(INPUT_IDS, idsTensor);
            inputs.put(ATTENTION_MASK, maskTensor);
            if (positionTensor != null) {
                inputs.put(POSITION_IDS, positionTensor);
            }
            if (branchTensor != null) {
                inputs.put(USE_CACHE_BRANCH, branchTensor);
            }
            for (int l = 0; l < layers; l++) {
                inputs.put("past_key_values." + l + ".key", past.keys[l]);
                inputs.put("past_key_values." + l + ".value", past.values[l]);
            }
            return graph.run(inputs, outputs);
        }
    }

    /** Not supported: a decoder sequence classifier exposes no pooled sentence embedding. */
    @Override
    public float[][] embed(List<String> texts) {
        throw new UnsupportedOperationException("reward model '" + id + "' is a decoder sequence classifier and has no"
                + " sentence embedding; use an encoder-based reward model for embeddings");
    }

    @Override
    public boolean hasEmbeddings() {
        return false;
    }

    @Override
    public void close() {
        scratch.remove();
        try {
            session.close();
            if (sharedPast != null) {
                sharedPast.close();
            }
        } catch (OrtException e) {
            throw new OnnxModelException("Cannot close reward model '" + id + "': " + e.getMessage(), e);
        } finally {
            tokenizer.close();
        }
    }

    @Override
    public String toString() {
        return "DecoderRewardModel[" + id + " " + version + ", " + config.architecture() + ", layers " + layers
                + ", kv heads " + heads + ", headDim " + headDim + ", " + (hasPositionIds ? "left" : "right")
                + " padding, " + scoredText + (sharedPast != null ? ", shared-past scoring graph" : "") + "]";
    }

    /** A key/value cache this class owns: per layer [batch, heads, length, headDim] float tensors. */
    private static final class Past implements AutoCloseable {
        final OnnxTensor[] keys;
        final OnnxTensor[] values;
        final int length;

        Past(OnnxTensor[] keys, OnnxTensor[] values, int length) {
            this.keys = keys;
            this.values = values;
            this.length = length;
        }

        /** Zero-length past tensors for a run from scratch (ONNX Runtime accepts 0-sized tensors). */
        static Past empty(OrtEnvironment env, int layers, int batch, int heads, int headDim) throws OrtException {
            OnnxTensor[] keys = new OnnxTensor[layers];
            OnnxTensor[] values = new OnnxTensor[layers];
            Past past = new Past(keys, values, 0);
            long[] shape = {batch, heads, 0, headDim};
            try {
                for (int l = 0; l < layers; l++) {
                    keys[l] = OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape);
                    values[l] = OnnxTensor.createTensor(env, FloatBuffer.allocate(0), shape);
                }
                return past;
            } catch (OrtException | RuntimeException e) {
                past.close();
                throw e;
            }
        }

        @Override
        public void close() {
            for (OnnxTensor[] tensors : List.of(keys, values)) {
                for (OnnxTensor t : tensors) {
                    if (t != null) {
                        t.close();
                    }
                }
            }
        }
    }
}
