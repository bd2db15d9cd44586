package org.alignstream.inference.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.google.gson.JsonObject;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.core.sampling.TokenSampler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The ONNX causal LM on the bundled lm-austen; the reference.json checks (graph shapes, logits, greedy decoding
 * through the KV cache) run for every bundled model in {@link TestModel#BUNDLED_DIRS}.
 */
class CausalLmTest {

    static List<String> bundled() {
        return TestModel.BUNDLED_DIRS;
    }

    private static final Map<String, CausalLm> MODELS = new LinkedHashMap<>();
    private static CausalLm lm;

    @BeforeAll
    static void load() throws Exception {
        for (String dir : bundled()) {
            MODELS.put(dir, CausalLm.fromClasspath(dir, 1));
        }
        lm = MODELS.get(TestModel.DIR);
    }

    @AfterAll
    static void close() throws Exception {
        for (CausalLm model : MODELS.values()) {
            model.close();
        }
    }

    private static long[][] row(int... ids) {
        return new long[][] {Arrays.stream(ids).asLongStream().toArray()};
    }

    private static long[][] ones(int batch, int width) {
        long[][] m = new long[batch][width];
        for (long[] r : m) {
            Arrays.fill(r, 1L);
        }
        return m;
    }

    private static long[][] range(int from, int to) {
        return new long[][] {java.util.stream.LongStream.range(from, to).toArray()};
    }

    @ParameterizedTest
    @MethodSource("bundled")
    void shapesComeFromTheGraphAndAgreeWithConfigJson(String dir) {
        CausalLm lm = MODELS.get(dir);
        JsonObject config = TestModel.config(dir);
        assertThat(lm.numLayers()).isEqualTo(config.get("n_layer").getAsInt());
        assertThat(lm.numHeads()).isEqualTo(config.get("n_head").getAsInt());
        assertThat(lm.headDim()).isEqualTo(config.get("head_dim").getAsInt());
        assertThat(lm.vocabSize()).isEqualTo(config.get("vocab_size").getAsInt());
        assertThat(lm.config().eosTokenId()).hasValue(config.get("eos_token_id").getAsInt());
        assertThat(lm.config().maxPositions()).hasValue(config.get("n_positions").getAsInt());
        assertThat(lm.hasPositionIds()).isTrue();
        assertThat(lm.hasAttentionMask()).isTrue();
    }

    @ParameterizedTest
    @MethodSource("bundled")
    void lastLogitsMatchReferenceJson(String dir) throws Exception {
        CausalLm lm = MODELS.get(dir);
        for (TestModel.Reference ref : TestModel.references(dir)) {
            try (ForwardResult r = lm.forward(row(ref.inputIds()), null, null, null)) {
                float[] logits = r.lastLogits()[0];
                for (int i = 0; i < ref.lastLogitsFirst8().length; i++) {
                    assertThat(logits[i]).as("%s logit %d", ref.prompt(), i)
                            .isCloseTo(ref.lastLogitsFirst8()[i], within(1e-3f));
                }
                int argmax = TokenSampler.argmax(logits);
                assertThat(argmax).isEqualTo(ref.lastLogitsArgmax());
                assertThat(logits[argmax]).isCloseTo(ref.lastLogitsMax(), within(1e-3f));
                assertThat(TokenSampler.logSoftmaxAt(logits, argmax))
                        .isCloseTo(ref.logSoftmaxAtArgmax(), within(1e-3));
                assertThat(r.cache().length()).isEqualTo(ref.inputIds().length);
                assertThat(r.cache().batchSize()).isEqualTo(1);
            }
        }
    }

    @ParameterizedTest
    @MethodSource("bundled")
    void greedyDecodingThroughTheKvCacheMatchesReferenceJson(String dir) throws Exception {
        CandidateGenerator generator = new CandidateGenerator(MODELS.get(dir));
        int eos = generator.eosTokenId();
        for (TestModel.Reference ref : TestModel.references(dir)) {
            int[] expected = ref.greedyIds();
            for (int i = 0; i < expected.length; i++) {
                if (expected[i] == eos) {
                    expected = Arrays.copyOf(expected, i + 1);
                    break;
                }
            }
            GeneratedSequence greedy = generator.greedy(ref.inputIds(), ref.greedyIds().length);
            assertThat(greedy.tokenIds()).as("%s: %s", dir, ref.prompt()).containsExactly(expected);
        }
    }

    @Test
    void theDistilledBaselineIsADifferentModelWithTheSameShapesAndTokenizer() throws Exception {
        assertThat(TestModel.read(TestModel.BON16_DIR, "tokenizer.json")).isEqualTo(TestModel.read("tokenizer.json"));
        assertThat(TestModel.config(TestModel.BON16_DIR)).isEqualTo(TestModel.config());
        int[] ids = TestModel.references().get(0).inputIds();
        try (ForwardResult base = lm.forward(row(ids), null, null, null);
             ForwardResult bon = MODELS.get(TestModel.BON16_DIR).forward(row(ids), null, null, null)) {
            assertThat(maxAbsDiff(base.lastLogits()[0], bon.lastLogits()[0])).isGreaterThan(1e-2);
        }
    }

    @Test
    void loadingFromTheDirectoryGivesTheSameModel() throws Exception {
        TestModel.Reference ref = TestModel.references().get(0);
        try (CausalLm fromDir = CausalLm.load(TestModel.directory(), 1);
             ForwardResult a = fromDir.forward(row(ref.inputIds()), null, null, null);
             ForwardResult b = lm.forward(row(ref.inputIds()), null, null, null)) {
            assertThat(a.lastLogits()[0]).containsExactly(b.lastLogits()[0]);
            assertThat(fromDir.config()).isEqualTo(lm.config());
        }
    }

    @Test
    void incrementalDecodingWithTheCacheEqualsFullRecomputation() throws Exception {
        int[] ids = TestModel.references().get(0).inputIds();
        int n = ids.length;
        try (ForwardResult full = lm.forward(row(ids), null, null, null, true)) {
            assertThat(full.allLogits()[0]).hasNumberOfRows(n);
            assertThat(full.allLogits()[0][n - 1]).containsExactly(full.lastLogits()[0]);
            int prefix = 3;
            ForwardResult step = lm.forward(row(Arrays.copyOf(ids, prefix)), ones(1, prefix), range(0, prefix), null);
            try {
                for (int t = prefix; t < n; t++) {
                    ForwardResult next = lm.forward(row(ids[t]), ones(1, t + 1), range(t, t + 1), step.cache());
                    step.close();
                    step = next;
                    assertThat(step.cache().length()).isEqualTo(t + 1);
                    assertThat(maxAbsDiff(step.lastLogits()[0], full.allLogits()[0][t])).as("position %d", t)
                            .isLessThan(1e-4);
                }
            } finally {
                step.close();
            }
        }
    }

    @Test
    void leftPaddedBatchRowsEqualSingleRowRuns() throws Exception {
        int[] a = TestModel.references().get(0).inputIds();
        int[] b = {a[1], a[2]};
        int width = a.length;
        long[][] ids = new long[2][width];
        long[][] mask = new long[2][width];
        for (int i = 0; i < width; i++) {
            ids[0][i] = a[i];
            mask[0][i] = 1;
        }
        Arrays.fill(ids[1], 0L); // pad id is arbitrary under a zero mask
        ids[1][width - 2] = b[0];
        ids[1][width - 1] = b[1];
        mask[1][width - 2] = 1;
        mask[1][width - 1] = 1;
        try (ForwardResult batch = lm.forward(ids, mask, null, null);
             ForwardResult alone0 = lm.forward(row(a), null, null, null);
             ForwardResult alone1 = lm.forward(row(b), null, null, null)) {
            assertThat(maxAbsDiff(batch.lastLogits()[0], alone0.lastLogits()[0])).isLessThan(1e-4);
            assertThat(maxAbsDiff(batch.lastLogits()[1], alone1.lastLogits()[0])).isLessThan(1e-4);
        }
    }

    @Test
    void repeatedCacheContinuesEveryRowLikeTheOriginal() throws Exception {
        int[] ids = TestModel.references().get(0).inputIds();
        int p = ids.length;
        try (ForwardResult prefill = lm.forward(row(ids), null, null, null);
             KvCache three = prefill.cache().repeatBatch(3);
             ForwardResult single = lm.forward(row(7), ones(1, p + 1), range(p, p + 1), prefill.cache());
             ForwardResult batched = lm.forward(new long[][] {{7}, {7}, {7}}, ones(3, p + 1), null, three)) {
            assertThat(three.batchSize()).isEqualTo(3);
            assertThat(three.length()).isEqualTo(p);
            for (int r = 0; r < 3; r++) {
                assertThat(maxAbsDiff(batched.lastLogits()[r], single.lastLogits()[0])).isLessThan(1e-4);
            }
            assertThatThrownBy(() -> three.repeatBatch(2)).hasMessageContaining("needs a batch-1 cache");
        }
    }

    @Test
    void badInputsAreRejectedWithPreciseMessages() throws Exception {
        int vocab = lm.vocabSize();
        assertThatThrownBy(() -> lm.forward(row(1, vocab), null, null, null))
                .hasMessage("inputIds[0][1] = " + vocab + " is outside the vocabulary [0, " + vocab + ")");
        assertThatThrownBy(() -> lm.forward(row(1, 2), ones(1, 3), null, null))
                .hasMessage("attentionMask row 0 has length 3, expected 2");
        assertThatThrownBy(() -> lm.forward(new long[][] {{1, 2}, {3}}, null, null, null))
                .hasMessage("inputIds row 1 has length 1, expected 2");
        try (ForwardResult r = lm.forward(row(1, 2), null, null, null)) {
            assertThatThrownBy(() -> lm.forward(new long[][] {{1}, {2}}, null, null, r.cache()))
                    .hasMessage("past cache has batch 1 but the inputs have batch 2");
            KvCache cache = r.cache();
            cache.close();
            assertThatThrownBy(() -> lm.forward(row(3), null, null, cache)).hasMessage("this KvCache is closed");
        }
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
