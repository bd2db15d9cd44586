package org.alignstream.inference.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.alignstream.core.sampling.SamplingParams;
import org.alignstream.core.sampling.TokenSampler;
import org.alignstream.inference.tokenizer.EncodeOptions;
import org.alignstream.inference.tokenizer.HfTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link CausalLm} and {@link CandidateGenerator} on tiny decoders in the ONNX layouts of real Hugging Face /
 * Optimum exports ({@code src/test/resources/lm-fixtures}, written by
 * {@code ops/lm-fixtures/make_hf_decoder_fixtures.py} together with torch reference values):
 * GPT-2 without {@code position_ids}, Optimum's merged decoder with {@code use_cache_branch}, and a Llama with
 * grouped-query attention and a {@code head_dim} that differs from {@code hidden_size / num_attention_heads}.
 */
class HfExportLayoutsTest {

    private static final String ROOT = "lm-fixtures/";
    private static final Map<String, CausalLm> MODELS = new HashMap<>();

    /** One entry of a fixture's reference.json. */
    record Reference(String prompt, int[] inputIds, float[] lastLogits, int[] greedyIds) {
    }

    @BeforeAll
    static void load() throws Exception {
        for (String name : List.of("gpt2-style", "merged-decoder", "llama-style")) {
            MODELS.put(name, CausalLm.fromClasspath(ROOT + name, 1));
        }
    }

    @AfterAll
    static void close() throws Exception {
        for (CausalLm lm : MODELS.values()) {
            lm.close();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-style", "merged-decoder", "llama-style"})
    void layersHeadsAndHeadDimComeFromTheGraph(String fixture) {
        CausalLm lm = MODELS.get(fixture);
        JsonObject config = config(fixture);
        int layers = firstInt(config, "n_layer", "num_hidden_layers");
        int queryHeads = firstInt(config, "n_head", "num_attention_heads");
        int kvHeads = config.has("num_key_value_heads") ? config.get("num_key_value_heads").getAsInt() : queryHeads;
        int headDim = config.has("head_dim") ? config.get("head_dim").getAsInt()
                : firstInt(config, "n_embd", "hidden_size") / queryHeads;
        assertThat(lm.numLayers()).isEqualTo(layers);
        assertThat(lm.numHeads()).as("key/value heads of the cache").isEqualTo(kvHeads);
        assertThat(lm.headDim()).isEqualTo(headDim);
        assertThat(lm.vocabSize()).isEqualTo(config.get("vocab_size").getAsInt());
        assertThat(lm.config().eosTokenId()).hasValue(config.get("eos_token_id").getAsInt());
        assertThat(lm.config().maxPositions()).hasValue(firstInt(config, "n_positions", "max_position_embeddings"));
        List<String> inputs = inputNames(fixture);
        assertThat(lm.hasPositionIds()).isEqualTo(inputs.contains("position_ids"));
        assertThat(lm.hasAttentionMask()).isTrue();
        assertThat(lm.isMergedDecoder()).isEqualTo(inputs.contains("use_cache_branch"));
    }

    @Test
    void theLayoutsAreTheOnesTheFixturesClaim() {
        assertThat(MODELS.get("gpt2-style").hasPositionIds()).isFalse();
        assertThat(MODELS.get("merged-decoder").isMergedDecoder()).isTrue();
        JsonObject llama = config("llama-style");
        assertThat(llama.get("num_key_value_heads").getAsInt()).isLessThan(llama.get("num_attention_heads").getAsInt());
        assertThat(llama.get("head_dim").getAsInt())
                .isNotEqualTo(llama.get("hidden_size").getAsInt() / llama.get("num_attention_heads").getAsInt());
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-style", "merged-decoder", "llama-style"})
    void lastPositionLogitsMatchTorch(String fixture) throws Exception {
        CausalLm lm = MODELS.get(fixture);
        for (Reference ref : references(fixture)) {
            try (ForwardResult r = lm.forward(row(ref.inputIds()), null, null, null)) {
                float[] logits = r.lastLogits()[0];
                assertThat(logits).hasSameSizeAs(ref.lastLogits());
                for (int i = 0; i < logits.length; i++) {
                    assertThat(logits[i]).as("%s '%s' logit %d", fixture, ref.prompt(), i)
                            .isCloseTo(ref.lastLogits()[i], within(1e-4f));
                }
                // a merged decoder's placeholder past must not leak into the cache
                assertThat(r.cache().length()).isEqualTo(ref.inputIds().length);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-style", "merged-decoder", "llama-style"})
    void greedyDecodingThroughTheKvCacheEqualsFullRecomputation(String fixture) throws Exception {
        CausalLm lm = MODELS.get(fixture);
        CandidateGenerator generator = new CandidateGenerator(lm);
        int eos = lm.config().eosTokenId().getAsInt();
        for (Reference ref : references(fixture)) {
            GeneratedSequence greedy = generator.greedy(ref.inputIds(), ref.greedyIds().length);
            int eosAt = indexOf(ref.greedyIds(), eos);
            int[] expected = eosAt < 0 ? ref.greedyIds() : Arrays.copyOf(ref.greedyIds(), eosAt + 1);
            assertThat(greedy.tokenIds()).as("%s '%s'", fixture, ref.prompt()).containsExactly(expected);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-style", "merged-decoder", "llama-style"})
    void stepwiseForwardWithTheCacheEqualsFullRecomputationAtEveryPosition(String fixture) throws Exception {
        CausalLm lm = MODELS.get(fixture);
        int[] ids = references(fixture).get(0).inputIds();
        try (ForwardResult full = lm.forward(row(ids), null, null, null, true)) {
            ForwardResult step = lm.forward(row(Arrays.copyOf(ids, 2)), null, null, null);
            try {
                for (int t = 2; t < ids.length; t++) {
                    ForwardResult next = lm.forward(row(ids[t]), ones(t + 1), new long[][] {{t}}, step.cache());
                    step.close();
                    step = next;
                    assertThat(step.cache().length()).isEqualTo(t + 1);
                    assertThat(CausalLmTest.maxAbsDiff(step.lastLogits()[0], full.allLogits()[0][t]))
                            .as("%s position %d", fixture, t).isLessThan(1e-4);
                }
            } finally {
                step.close();
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-style", "merged-decoder", "llama-style"})
    void sampleThreeCandidatesInOneBatch(String fixture) throws Exception {
        CausalLm lm = MODELS.get(fixture);
        CandidateGenerator generator = new CandidateGenerator(lm, -1, PromptOverflow.REJECT);
        int[] prompt = references(fixture).get(1).inputIds();
        List<GeneratedSequence> rows = generator.sample(prompt, 3, SamplingParams.UNMODIFIED, 6, 2024);
        assertThat(rows).hasSize(3);
        assertThat(rows.stream().map(r -> Arrays.toString(r.tokenIds())).distinct().count())
                .as("three random streams").isGreaterThan(1);
        for (int i = 0; i < 3; i++) {
            GeneratedSequence row = rows.get(i);
            assertThat(row.tokenIds()).hasSize(6);
            GeneratedSequence alone = generator.sample(prompt, new int[] {i}, SamplingParams.UNMODIFIED, 6, 2024).get(0);
            assertThat(alone.tokenIds()).as("%s stream %d alone", fixture, i).containsExactly(row.tokenIds());
            int[] context = prompt;
            for (int t = 0; t < row.length(); t++) { // every log-probability against a cache-free forward pass
                try (ForwardResult full = lm.forward(row(context), null, null, null)) {
                    double expected = TokenSampler.logSoftmaxAt(full.lastLogits()[0], row.tokenIds()[t]);
                    assertThat((double) row.logprobs()[t]).as("%s row %d token %d", fixture, i, t)
                            .isCloseTo(expected, within(1e-4));
                }
                context = Arrays.copyOf(context, context.length + 1);
                context[context.length - 1] = row.tokenIds()[t];
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"merged-decoder", "llama-style"})
    void leftPaddedRowsEqualSingleRowRunsWhenTheGraphTakesPositionIds(String fixture) throws Exception {
        CausalLm lm = MODELS.get(fixture);
        PaddedPair pair = leftPaddedPair(fixture);
        try (ForwardResult batch = lm.forward(pair.ids(), pair.mask(), null, null);
             ForwardResult alone0 = lm.forward(row(pair.first()), null, null, null);
             ForwardResult alone1 = lm.forward(row(pair.second()), null, null, null)) {
            assertThat(CausalLmTest.maxAbsDiff(batch.lastLogits()[0], alone0.lastLogits()[0])).isLessThan(1e-4);
            assertThat(CausalLmTest.maxAbsDiff(batch.lastLogits()[1], alone1.lastLogits()[0])).isLessThan(1e-4);
        }
    }

    @Test
    void aGraphWithoutPositionIdsRejectsPositionsItWouldIgnore() throws Exception {
        CausalLm lm = MODELS.get("gpt2-style");
        PaddedPair pair = leftPaddedPair("gpt2-style");
        int width = pair.first().length;
        int pad = width - pair.second().length;
        assertThatThrownBy(() -> lm.forward(pair.ids(), pair.mask(), null, null))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("the model has no position_ids input and numbers new tokens from the past length (0 .. "
                        + (width - 1) + "), but row 1 token " + pad + " needs position 0 (left padding or explicit "
                        + "positions need a model exported with position_ids)");
        int[] ids = pair.first();
        assertThatThrownBy(() -> lm.forward(row(ids), null, new long[][] {new long[width]}, null))
                .hasMessageContaining("row 0 token 1 needs position 0");
        long[][] explicit = {java.util.stream.LongStream.range(0, width).toArray()};
        try (ForwardResult given = lm.forward(row(ids), null, explicit, null);
             ForwardResult derived = lm.forward(row(ids), null, null, null)) {
            assertThat(given.lastLogits()[0]).containsExactly(derived.lastLogits()[0]);
        }
    }

    /**
     * The merged fixture itself keeps Optimum's contract: with {@code use_cache_branch = [false]} the past inputs
     * are ignored, whether zero-length (Optimum 1.14+) or a length-1 dummy (earlier Optimum), whatever they hold;
     * with {@code [true]} they are used.
     */
    @Test
    void mergedDecoderIgnoresThePastOnlyWhenUseCacheBranchIsFalse() throws Exception {
        Reference ref = references("merged-decoder").get(0);
        int n = ref.inputIds().length;
        int layers = MODELS.get("merged-decoder").numLayers();
        int heads = MODELS.get("merged-decoder").numHeads();
        int headDim = MODELS.get("merged-decoder").headDim();
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        byte[] onnx = bytes("merged-decoder", "model.onnx");
        Random random = new Random(5);
        try (OrtSession session = env.createSession(onnx, new OrtSession.SessionOptions())) {
            for (int dummyLength : new int[] {0, 1}) {
                Map<String, OnnxTensor> in = new HashMap<>();
                try {
                    putTokens(env, in, ref.inputIds(), 0);
                    for (int l = 0; l < layers; l++) {
                        for (String kv : List.of("key", "value")) {
                            in.put("past_key_values." + l + "." + kv,
                                    randomTensor(env, random, new long[] {1, heads, dummyLength, headDim}));
                        }
                    }
                    in.put("use_cache_branch", OnnxTensor.createTensor(env, new boolean[] {false}));
                    try (OrtSession.Result r = session.run(in)) {
                        float[][][] logits = (float[][][]) r.get("logits").orElseThrow().getValue();
                        assertThat(CausalLmTest.maxAbsDiff(logits[0][n - 1], ref.lastLogits()))
                                .as("no-cache branch with a random past of length %d", dummyLength).isLessThan(1e-4);
                        long[] present = ((OnnxTensor) r.get("present.0.key").orElseThrow()).getInfo().getShape();
                        assertThat(present).containsExactly(1, heads, n, headDim);
                    }
                } finally {
                    in.values().forEach(OnnxTensor::close);
                }
            }
            int[] prefix = Arrays.copyOf(ref.inputIds(), n - 1);
            try (ForwardResult prefill = MODELS.get("merged-decoder").forward(row(prefix), null, null, null)) {
                for (boolean realPast : new boolean[] {true, false}) {
                    Map<String, OnnxTensor> in = new HashMap<>();
                    try {
                        putTokens(env, in, new int[] {ref.inputIds()[n - 1]}, n - 1);
                        for (int l = 0; l < layers; l++) {
                            in.put("past_key_values." + l + ".key", realPast ? copy(env, prefill.cache().key(l))
                                    : randomTensor(env, random, new long[] {1, heads, n - 1, headDim}));
                            in.put("past_key_values." + l + ".value", realPast ? copy(env, prefill.cache().value(l))
                                    : randomTensor(env, random, new long[] {1, heads, n - 1, headDim}));
                        }
                        in.put("use_cache_branch", OnnxTensor.createTensor(env, new boolean[] {true}));
                        try (OrtSession.Result r = session.run(in)) {
                            float[][][] logits = (float[][][]) r.get("logits").orElseThrow().getValue();
                            double diff = CausalLmTest.maxAbsDiff(logits[0][0], ref.lastLogits());
                            if (realPast) {
                                assertThat(diff).as("cache branch with the real past").isLessThan(1e-4);
                            } else {
                                assertThat(diff).as("cache branch with a random past").isGreaterThan(1e-2);
                            }
                        }
                    } finally {
                        in.values().forEach(OnnxTensor::close);
                    }
                }
            }
        }
    }

    @Test
    void gpt2TokenizerEncodesPromptsAsTheReferenceWithoutSpecialTokens() throws Exception {
        for (String fixture : List.of("gpt2-style", "merged-decoder")) {
            try (HfTokenizer tokenizer = HfTokenizer.fromClasspath(ROOT + fixture + "/tokenizer.json")) {
                assertThat(tokenizer.vocabSize()).isEqualTo(MODELS.get(fixture).vocabSize());
                assertThat(tokenizer.tokenId("<|endoftext|>"))
                        .isEqualTo(MODELS.get(fixture).config().eosTokenId().getAsInt());
                for (Reference ref : references(fixture)) {
                    assertThat(tokenizer.encode(ref.prompt())).as(ref.prompt()).containsExactly(ref.inputIds());
                    assertThat(tokenizer.decode(ref.inputIds())).isEqualTo(ref.prompt());
                }
            }
        }
    }

    @Test
    void llamaTokenizerAddsBosThroughItsTemplateAndFallsBackToBytes() throws Exception {
        CausalLm lm = MODELS.get("llama-style");
        JsonObject config = config("llama-style");
        try (HfTokenizer tokenizer = HfTokenizer.fromClasspath(ROOT + "llama-style/tokenizer.json")) {
            assertThat(tokenizer.vocabSize()).isEqualTo(lm.vocabSize());
            assertThat(tokenizer.tokenId("<s>")).isEqualTo(config.get("bos_token_id").getAsInt());
            assertThat(tokenizer.tokenId("</s>")).isEqualTo(config.get("eos_token_id").getAsInt());
            EncodeOptions withBos = EncodeOptions.DECODER_PROMPTS.withAddSpecialTokens(true);
            for (Reference ref : references("llama-style")) {
                long[] encoded = tokenizer.encodeBatch(List.of(ref.prompt()), 64, withBos).inputIds()[0];
                assertThat(Arrays.stream(encoded).mapToInt(Math::toIntExact).toArray()).as(ref.prompt())
                        .containsExactly(ref.inputIds());
                int[] withoutBos = Arrays.copyOfRange(ref.inputIds(), 1, ref.inputIds().length);
                assertThat(tokenizer.encode(ref.prompt())).containsExactly(withoutBos);
                assertThat(tokenizer.decode(ref.inputIds(), true)).isEqualTo(ref.prompt());
            }
            // "She" has no 'S' piece in this vocabulary: byte fallback gives <0x53>
            assertThat(tokenizer.encode("She was")).contains(tokenizer.tokenId("<0x53>"));
        }
    }

    // ------------------------------------------------------------------------------------------ fixtures

    /** Two prompts as one batch, the shorter one left-padded (pad id 0, mask 0). */
    record PaddedPair(int[] first, int[] second, long[][] ids, long[][] mask) {
    }

    private static PaddedPair leftPaddedPair(String fixture) {
        int[] a = references(fixture).get(0).inputIds();
        int[] b = references(fixture).get(1).inputIds();
        assertThat(b.length).isLessThan(a.length);
        long[][] ids = new long[2][a.length];
        long[][] mask = new long[2][a.length];
        int pad = a.length - b.length;
        for (int i = 0; i < a.length; i++) {
            ids[0][i] = a[i];
            mask[0][i] = 1;
            if (i >= pad) {
                ids[1][i] = b[i - pad];
                mask[1][i] = 1;
            }
        }
        return new PaddedPair(a, b, ids, mask);
    }

    private static void putTokens(OrtEnvironment env, Map<String, OnnxTensor> in, int[] ids, int firstPosition)
            throws OrtException {
        long[] tokens = Arrays.stream(ids).asLongStream().toArray();
        long[] mask = new long[firstPosition + ids.length];
        Arrays.fill(mask, 1L);
        long[] positions = java.util.stream.LongStream.range(firstPosition, firstPosition + ids.length).toArray();
        in.put("input_ids", OnnxTensor.createTensor(env, new long[][] {tokens}));
        in.put("attention_mask", OnnxTensor.createTensor(env, new long[][] {mask}));
        in.put("position_ids", OnnxTensor.createTensor(env, new long[][] {positions}));
    }

    private static OnnxTensor randomTensor(OrtEnvironment env, Random random, long[] shape) throws OrtException {
        float[] values = new float[Math.toIntExact(shape[0] * shape[1] * shape[2] * shape[3])];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(values), shape);
    }

    private static OnnxTensor copy(OrtEnvironment env, OnnxTensor tensor) throws OrtException {
        FloatBuffer data = tensor.getFloatBuffer();
        return OnnxTensor.createTensor(env, data, tensor.getInfo().getShape());
    }

    private static byte[] bytes(String fixture, String file) {
        String name = ROOT + fixture + "/" + file;
        try (InputStream in = HfExportLayoutsTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name);
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String read(String fixture, String file) {
        String name = ROOT + fixture + "/" + file;
        try (InputStream in = HfExportLayoutsTest.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IllegalStateException("missing test resource " + name
                        + " (run ops/lm-fixtures/make_hf_decoder_fixtures.py)");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static JsonObject config(String fixture) {
        return JsonParser.parseString(read(fixture, "config.json")).getAsJsonObject();
    }

    private static List<String> inputNames(String fixture) {
        List<String> names = new ArrayList<>();
        JsonObject root = JsonParser.parseString(read(fixture, "reference.json")).getAsJsonObject();
        root.getAsJsonArray("inputs").forEach(e -> names.add(e.getAsString()));
        return names;
    }

    private static List<Reference> references(String fixture) {
        JsonObject root = JsonParser.parseString(read(fixture, "reference.json")).getAsJsonObject();
        List<Reference> out = new ArrayList<>();
        for (JsonElement e : root.getAsJsonArray("references")) {
            JsonObject o = e.getAsJsonObject();
            JsonArray logits = o.getAsJsonArray("last_logits");
            float[] last = new float[logits.size()];
            for (int i = 0; i < last.length; i++) {
                last[i] = logits.get(i).getAsFloat();
            }
            out.add(new Reference(o.get("prompt").getAsString(), ints(o.getAsJsonArray("input_ids")), last,
                    ints(o.getAsJsonArray("greedy_ids"))));
        }
        assertThat(out).as("references of " + fixture).isNotEmpty();
        return out;
    }

    private static int firstInt(JsonObject config, String name, String fallback) {
        return (config.has(name) ? config.get(name) : config.get(fallback)).getAsInt();
    }

    private static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    private static long[][] row(int... ids) {
        return new long[][] {Arrays.stream(ids).asLongStream().toArray()};
    }

    private static long[][] ones(int width) {
        long[][] m = new long[1][width];
        Arrays.fill(m[0], 1L);
        return m;
    }

    private static int indexOf(int[] values, int value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
