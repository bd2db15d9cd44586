package org.alignstream.inference.lm;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A causal language model exported to ONNX in the Hugging Face / Optimum decoder-with-past layout, run with
 * ONNX Runtime:
 * <pre>
 *   inputs : input_ids [B,S] int64, attention_mask [B,P+S] int64 (optional), position_ids [B,S] int64 (optional),
 *            past_key_values.{i}.key|value [B,H,P,D] float32, use_cache_branch [1] bool (merged decoders only)
 *   outputs: logits [B,S,V] float32, present.{i}.key|value [B,H,P+S,D] float32
 * </pre>
 * The number of layers, key/value heads and the head size are read from the graph's {@code past_key_values.*}
 * inputs, never computed from config.json (with grouped-query attention the cache has fewer heads than the
 * queries, and Llama-style configs may set a {@code head_dim} other than {@code hidden_size / heads});
 * {@code config.json} only supplies the EOS id and the context length ({@link LmConfig}). The first call of a
 * sequence uses a zero-length past; a merged decoder then gets {@code use_cache_branch = [false]}, later calls
 * {@code [true]}, as Optimum's {@code ORTModelForCausalLM} (1.14 and later) feeds it. A graph without a
 * {@code position_ids} input (GPT-2 exports before Optimum 1.14) numbers the new tokens from the past length
 * itself, so {@link #forward} rejects positions that differ from that (e.g. left-padded rows) rather than
 * dropping them. {@code forward} is thread-safe (ONNX Runtime sessions are); every {@link KvCache} belongs to
 * one caller.
 */
public final class CausalLm implements AutoCloseable {

    private static final Pattern PAST = Pattern.compile("past_key_values\\.(\\d+)\\.(key|value)");
    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String POSITION_IDS = "position_ids";
    static final String USE_CACHE_BRANCH = "use_cache_branch";
    static final String LOGITS = "logits";

    private final OrtEnvironment env;
    private final OrtSession session;
    private final OrtSession.SessionOptions ownedOptions;
    private final LmConfig config;
    private final int layers;
    private final int heads;
    private final int headDim;
    private final int vocabSize;
    private final boolean hasAttentionMask;
    private final boolean hasPositionIds;
    private final boolean hasUseCacheBranch;
    private final String[] pastKeys;
    private final String[] pastValues;
    private final String[] presentKeys;
    private final String[] presentValues;

    private CausalLm(OrtEnvironment env, OrtSession session, OrtSession.SessionOptions ownedOptions, LmConfig config)
            throws OrtException {
        this.env = env;
        this.session = session;
        this.ownedOptions = ownedOptions;
        this.config = config;
        Map<String, NodeInfo> inputs = session.getInputInfo();
        if (!inputs.containsKey(INPUT_IDS)) {
            throw new IllegalArgumentException("not a decoder export: no input named input_ids, inputs are "
                    + inputs.keySet());
        }
        TreeMap<Integer, long[]> keyShapes = new TreeMap<>();
        TreeMap<Integer, long[]> valueShapes = new TreeMap<>();
        for (Map.Entry<String, NodeInfo> e : inputs.entrySet()) {
            Matcher m = PAST.matcher(e.getKey());
            if (m.matches()) {
                long[] shape = ((TensorInfo) e.getValue().getInfo()).getShape();
                (m.group(2).equals("key") ? keyShapes : valueShapes).put(Integer.parseInt(m.group(1)), shape);
            }
        }
        if (keyShapes.isEmpty()) {
            throw new IllegalArgumentException("not a decoder-with-past export: no past_key_values.N.key inputs, inputs"
                    + " are " + inputs.keySet());
        }
        this.layers = keyShapes.lastKey() + 1;
        if (keyShapes.size() != layers || !keyShapes.keySet().equals(valueShapes.keySet())) {
            throw new IllegalArgumentException("past_key_values inputs are not a complete key/value pair for each of "
                    + layers + " layers: keys " + keyShapes.keySet() + ", values " + valueShapes.keySet());
        }
        long[] shape = keyShapes.firstEntry().getValue();
        if (shape.length != 4 || shape[1] <= 0 || shape[3] <= 0) {
            throw new IllegalArgumentException("past_key_values.0.key must have shape [batch, heads, past, headDim] "
                    + "with static heads and headDim, got " + Arrays.toString(shape));
        }
        this.heads = (int) shape[1];
        this.headDim = (int) shape[3];
        for (int l = 0; l < layers; l++) {
            for (long[] s : new long[][] {keyShapes.get(l), valueShapes.get(l)}) {
                if (s.length != 4 || s[1] != heads || s[3] != headDim) {
                    throw new IllegalArgumentException("layer " + l + " past shape " + Arrays.toString(s)
                            + " differs from layer 0's [?, " + heads + ", ?, " + headDim + "]");
                }
            }
        }
        this.pastKeys = new String[layers];
        this.pastValues = new String[layers];
        this.presentKeys = new String[layers];
        this.presentValues = new String[layers];
        Map<String, NodeInfo> outputs = session.getOutputInfo();
        for (int l = 0; l < layers; l++) {
            pastKeys[l] = "past_key_values." + l + ".key";
            pastValues[l] = "past_key_values." + l + ".value";
            presentKeys[l] = "present." + l + ".key";
            presentValues[l] = "present." + l + ".value";
            if (!outputs.containsKey(presentKeys[l]) || !outputs.containsKey(presentValues[l])) {
                throw new IllegalArgumentException("the model has no outputs " + presentKeys[l] + "/" + presentValues[l]
                        + ", outputs are " + outputs.keySet());
            }
        }
        NodeInfo logits = outputs.get(LOGITS);
        if (logits == null) {
            throw new IllegalArgumentException("the model has no output named logits, outputs are " + outputs.keySet());
        }
        long[] logitsShape = ((TensorInfo) logits.getInfo()).getShape();
        long staticVocab = logitsShape.length == 3 ? logitsShape[2] : -1;
        this.vocabSize = staticVocab > 0 ? (int) staticVocab : config.vocabSize().orElse(-1);
        this.hasAttentionMask = inputs.containsKey(ATTENTION_MASK);
        this.hasPositionIds = inputs.containsKey(POSITION_IDS);
        this.hasUseCacheBranch = inputs.containsKey(USE_CACHE_BRANCH);
        if (hasUseCacheBranch) {
            requireBoolFlag(inputs.get(USE_CACHE_BRANCH));
        }
    }

    /** Optimum's merged decoders take {@code use_cache_branch} as a bool tensor of shape [1] (or a scalar). */
    private static void requireBoolFlag(NodeInfo flag) {
        if (!(flag.getInfo() instanceof TensorInfo info) || info.type != OnnxJavaType.BOOL
                || info.getShape().length > 1 || (info.getShape().length == 1 && info.getShape()[0] > 1)) {
            throw new IllegalArgumentException("input " + USE_CACHE_BRANCH + " must be a bool tensor of shape [1] as "
                    + "in Optimum's merged decoders, got " + flag.getInfo());
        }
    }

    /** Session options with {@code intraOpThreads} threads, one inter-op thread and all graph optimisations. */
    public static OrtSession.SessionOptions sessionOptions(int intraOpThreads) throws OrtException {
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
        }
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    /**
     * Loads {@code model.onnx} (a file, or a directory containing it) with the {@code config.json} beside it if
     * there is one, using {@code intraOpThreads} threads.
     */
    public static CausalLm load(Path modelOrDirectory, int intraOpThreads) throws IOException, OrtException {
        OrtSession.SessionOptions options = sessionOptions(intraOpThreads);
        try {
            return load(modelOrDirectory, options, options);
        } catch (IOException | OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    /** As {@link #load(Path, int)} with the caller's session options (which the caller keeps and closes). */
    public static CausalLm load(Path modelOrDirectory, OrtSession.SessionOptions options)
            throws IOException, OrtException {
        return load(modelOrDirectory, options, null);
    }

    private static CausalLm load(Path modelOrDirectory, OrtSession.SessionOptions options,
                                 OrtSession.SessionOptions owned) throws IOException, OrtException {
        Objects.requireNonNull(modelOrDirectory, "modelOrDirectory");
        Path model = Files.isDirectory(modelOrDirectory) ? modelOrDirectory.resolve("model.onnx") : modelOrDirectory;
        if (!Files.isRegularFile(model)) {
            throw new IOException("ONNX model not found: " + model);
        }
        LmConfig config = LmConfig.besideModel(modelOrDirectory);
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        return create(env, env.createSession(model.toString(), options), owned, config);
    }

    /** Loads a model from its serialised bytes with {@code intraOpThreads} threads. */
    public static CausalLm fromBytes(byte[] onnx, LmConfig config, int intraOpThreads) throws OrtException {
        OrtSession.SessionOptions options = sessionOptions(intraOpThreads);
        try {
            OrtEnvironment env = OrtEnvironment.getEnvironment();
            return create(env, env.createSession(onnx, options), options, config);
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    /** Loads a model from its serialised bytes with the caller's session options (the caller closes them). */
    public static CausalLm fromBytes(byte[] onnx, LmConfig config, OrtSession.SessionOptions options)
            throws OrtException {
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        return create(env, env.createSession(onnx, options), null, config);
    }

    /**
     * Loads {@code <resourceDirectory>/model.onnx} and the optional {@code config.json} from the classpath,
     * e.g. {@code alignstream/models/lm-austen}.
     */
    public static CausalLm fromClasspath(String resourceDirectory, int intraOpThreads) throws IOException, OrtException {
        String dir = resourceDirectory.replaceAll("^/+|/+$", "");
        byte[] model = readResource(dir + "/model.onnx");
        if (model == null) {
            throw new IOException("ONNX model not found on the classpath: " + dir + "/model.onnx");
        }
        byte[] config = readResource(dir + "/config.json");
        return fromBytes(model, config == null ? LmConfig.EMPTY : LmConfig.parse(new String(config, StandardCharsets.UTF_8)),
                intraOpThreads);
    }

    private static byte[] readResource(String name) throws IOException {
        try (InputStream in = CausalLm.class.getClassLoader().getResourceAsStream(name)) {
            return in == null ? null : in.readAllBytes();
        }
    }

    private static CausalLm create(OrtEnvironment env, OrtSession session, OrtSession.SessionOptions owned,
                                   LmConfig config) throws OrtException {
        try {
            return new CausalLm(env, session, owned, Objects.requireNonNull(config, "config"));
        } catch (OrtException | RuntimeException e) {
            session.close();
            throw e;
        }
    }

    public LmConfig config() {
        return config;
    }

    public int numLayers() {
        return layers;
    }

    /**
     * Heads of the key/value cache (the graph's past inputs): with grouped-query attention (Llama 2 70B, Llama 3,
     * Mistral) fewer than the query heads.
     */
    public int numHeads() {
        return heads;
    }

    public int headDim() {
        return headDim;
    }

    /** Vocabulary size from the logits output shape (or config.json), -1 if neither states it. */
    public int vocabSize() {
        return vocabSize;
    }

    public boolean hasPositionIds() {
        return hasPositionIds;
    }

    public boolean hasAttentionMask() {
        return hasAttentionMask;
    }

    /** An Optimum merged decoder (one graph for the first and the cached steps, chosen by {@code use_cache_branch}). */
    public boolean isMergedDecoder() {
        return hasUseCacheBranch;
    }

    /** A zero-length cache for the first call on {@code batchSize} fresh sequences. */
    public KvCache emptyCache(int batchSize) throws OrtException {
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, got " + batchSize);
        }
        return KvCache.empty(env, layers, batchSize, heads, headDim);
    }

    /** {@link #forward(long[][], long[][], long[][], KvCache, boolean)} returning only the last-position logits. */
    public ForwardResult forward(long[][] inputIds, long[][] attentionMask, long[][] positionIds, KvCache past)
            throws OrtException {
        return forward(inputIds, attentionMask, positionIds, past, false);
    }

    /**
     * Runs the model on a padded batch.
     *
     * @param inputIds      {@code [B][S]} new tokens
     * @param attentionMask {@code [B][P+S]} 1 for real tokens (past and new), 0 for padding; {@code null}: all ones
     * @param positionIds   {@code [B][S]}; {@code null}: derived from the mask as Hugging Face does
     *                      ({@code cumsum(mask) - 1}, padding positions set to 1). For a graph without a
     *                      {@code position_ids} input the positions of real (mask 1) tokens must be
     *                      {@code P .. P+S-1}, the ones such a graph uses, else this throws
     * @param past          the cache of the previous call, or {@code null} for a fresh batch (P = 0); it is not
     *                      closed here
     * @param allPositions  also return the logits of every input position
     */
    public ForwardResult forward(long[][] inputIds, long[][] attentionMask, long[][] positionIds, KvCache past,
                                 boolean allPositions) throws OrtException {
        Objects.requireNonNull(inputIds, "inputIds");
        int batch = inputIds.length;
        if (batch == 0 || inputIds[0].length == 0) {
            throw new IllegalArgumentException("inputIds must be a non-empty [batch][sequence] array");
        }
        int seq = inputIds[0].length;
        int pastLength = past == null ? 0 : past.length();
        int total = pastLength + seq;
        if (past != null) {
            KvCache.requireSameBatch(past, batch);
        }
        long[][] mask = attentionMask;
        if (mask == null) {
            mask = new long[batch][total];
            for (long[] row : mask) {
                Arrays.fill(row, 1L);
            }
        }
        requireShape("inputIds", inputIds, batch, seq);
        requireShape("attentionMask", mask, batch, total);
        long[][] positions = positionIds != null ? positionIds : positionsFromMask(mask, seq);
        requireShape("positionIds", positions, batch, seq);
        if (!hasPositionIds) {
            requirePositionsFromPastLength(positions, mask, pastLength, seq);
        }
        checkTokenIds(inputIds);
        LongBuffer ids = direct(batch * seq);
        LongBuffer maskBuffer = direct(batch * total);
        LongBuffer positionBuffer = direct(batch * seq);
        for (int b = 0; b < batch; b++) {
            ids.put(inputIds[b]);
            maskBuffer.put(mask[b]);
            positionBuffer.put(positions[b]);
        }
        ids.rewind();
        maskBuffer.rewind();
        positionBuffer.rewind();
        if (past != null) {
            return run(ids, maskBuffer, positionBuffer, batch, seq, past, allPositions);
        }
        try (KvCache empty = emptyCache(batch)) {
            return run(ids, maskBuffer, positionBuffer, batch, seq, empty, allPositions);
        }
    }

    /**
     * The hot path: inputs already in direct buffers ({@code ids} and {@code positions} hold
     * {@code batch * seq} values, {@code mask} holds {@code batch * (past.length() + seq)}), used as tensors
     * without copying.
     */
    ForwardResult run(LongBuffer ids, LongBuffer mask, LongBuffer positions, int batch, int seq, KvCache past,
                      boolean allPositions) throws OrtException {
        KvCache.requireSameBatch(past, batch);
        int total = past.length() + seq;
        Map<String, OnnxTensor> inputs = new HashMap<>();
        try (OnnxTensor idsTensor = OnnxTensor.createTensor(env, ids, new long[] {batch, seq});
             OnnxTensor maskTensor = hasAttentionMask
                     ? OnnxTensor.createTensor(env, mask, new long[] {batch, total}) : null;
             OnnxTensor positionTensor = hasPositionIds
                     ? OnnxTensor.createTensor(env, positions, new long[] {batch, seq}) : null;
             OnnxTensor branchTensor = hasUseCacheBranch
                     ? OnnxTensor.createTensor(env, new boolean[] {past.length() > 0}) : null) {
            inputs.put(INPUT_IDS, idsTensor);
            if (maskTensor != null) {
                inputs.put(ATTENTION_MASK, maskTensor);
            }
            if (positionTensor != null) {
                inputs.put(POSITION_IDS, positionTensor);
            }
            if (branchTensor != null) {
                inputs.put(USE_CACHE_BRANCH, branchTensor);
            }
            for (int l = 0; l < layers; l++) {
                inputs.put(pastKeys[l], past.key(l));
                inputs.put(pastValues[l], past.value(l));
            }
            OrtSession.Result result = session.run(inputs);
            try {
                OnnxTensor logits = (OnnxTensor) result.get(LOGITS).orElseThrow();
                long[] shape = logits.getInfo().getShape();
                int vocab = (int) shape[2];
                FloatBuffer all = logits.getFloatBuffer();
                float[][] last = new float[batch][vocab];
                float[][][] every = allPositions ? new float[batch][seq][vocab] : null;
                for (int b = 0; b < batch; b++) {
                    all.get((b * seq + seq - 1) * vocab, last[b]);
                    if (every != null) {
                        for (int s = 0; s < seq; s++) {
                            all.get((b * seq + s) * vocab, every[b][s]);
                        }
                    }
                }
                return new ForwardResult(last, every, KvCache.ofResult(result, presentKeys, presentValues));
            } catch (RuntimeException e) {
                result.close();
                throw e;
            }
        }
    }

    static LongBuffer direct(int size) {
        return ByteBuffer.allocateDirect(Math.multiplyExact(size, Long.BYTES)).order(ByteOrder.nativeOrder())
                .asLongBuffer();
    }

    private static long[][] positionsFromMask(long[][] mask, int seq) {
        long[][] positions = new long[mask.length][seq];
        for (int b = 0; b < mask.length; b++) {
            long count = 0;
            int total = mask[b].length;
            for (int t = 0; t < total; t++) {
                count += mask[b][t];
                if (t >= total - seq) {
                    positions[b][t - (total - seq)] = mask[b][t] == 0 ? 1 : count - 1;
                }
            }
        }
        return positions;
    }

    /**
     * A graph without {@code position_ids} (as transformers' GPT2Model traces with {@code position_ids=None})
     * gives new token {@code s} position {@code pastLength + s} in every row; any other position of a real token
     * would be silently ignored.
     */
    private static void requirePositionsFromPastLength(long[][] positions, long[][] mask, int pastLength, int seq) {
        for (int b = 0; b < positions.length; b++) {
            for (int s = 0; s < seq; s++) {
                if (mask[b][pastLength + s] != 0 && positions[b][s] != pastLength + s) {
                    throw new IllegalArgumentException("the model has no position_ids input and numbers new tokens "
                            + "from the past length (" + pastLength + " .. " + (pastLength + seq - 1) + "), but row "
                            + b + " token " + s + " needs position " + positions[b][s]
                            + " (left padding or explicit positions need a model exported with position_ids)");
                }
            }
        }
    }

    private static void requireShape(String name, long[][] rows, int batch, int width) {
        if (rows.length != batch) {
            throw new IllegalArgumentException(name + " has " + rows.length + " rows, expected " + batch);
        }
        for (int b = 0; b < batch; b++) {
            if (rows[b] == null || rows[b].length != width) {
                throw new IllegalArgumentException(name + " row " + b + " has length "
                        + (rows[b] == null ? "null" : rows[b].length) + ", expected " + width);
            }
        }
    }

    void checkTokenIds(long[][] ids) {
        for (int b = 0; b < ids.length; b++) {
            for (int s = 0; s < ids[b].length; s++) {
                checkTokenId(ids[b][s], "inputIds[" + b + "][" + s + "]");
            }
        }
    }

    void checkTokenId(long id, String where) {
        if (id < 0 || (vocabSize > 0 && id >= vocabSize)) {
            throw new IllegalArgumentException(where + " = " + id + " is outside the vocabulary [0, "
                    + (vocabSize > 0 ? vocabSize : "?") + ")");
        }
    }

    @Override
    public String toString() {
        return "CausalLm[layers " + layers + ", heads " + heads + ", headDim " + headDim + ", vocab " + vocabSize
                + ", positionIds " + hasPositionIds + ", attentionMask " + hasAttentionMask + ", useCacheBranch "
                + hasUseCacheBranch + ", " + config + "]";
    }

    @Override
    public void close() throws OrtException {
        try {
            session.close();
        } finally {
            if (ownedOptions != null) {
                ownedOptions.close();
            }
        }
    }
}
