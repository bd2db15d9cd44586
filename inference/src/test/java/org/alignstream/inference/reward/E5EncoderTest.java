package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.alignstream.inference.onnx.OrtSessions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class E5EncoderTest {

    private static MeanPoolingEncoder e5;

    @BeforeAll
    static void load() {
        e5 = MeanPoolingEncoder.e5SmallV2(OrtSessions.cpu(1));
    }

    @AfterAll
    static void close() {
        e5.close();
    }

    @Test
    void embeddingsAreUnitLength384dAndSemantic() {
        float[][] f = e5.encode(List.of("A cat is sitting on the mat.", "The kitten sits on a rug.",
                "Stock markets fell sharply after the interest rate decision."));
        assertThat(e5.name()).isEqualTo("e5-small-v2-int8");
        assertThat(e5.dimension()).isEqualTo(384);
        for (float[] row : f) {
            assertThat(row).hasSize(384);
            double norm = 0;
            for (float v : row) {
                norm += v * v;
            }
            assertThat(Math.sqrt(norm)).isCloseTo(1.0, within(1e-5));
        }
        // e5 similarities are compressed towards 1 (its contrastive temperature is 0.01), hence the small margin
        assertThat(EncoderRewardModelTest.cosine(f[0], f[1]))
                .isGreaterThan(EncoderRewardModelTest.cosine(f[0], f[2]) + 0.05);
    }

    @Test
    void batchAndSingleGiveTheSameEmbeddingsWithinInt8Jitter() {
        List<String> texts = List.of("Nice.", "The service at this restaurant was slow but the food was good.",
                "Another quite long sentence with many many more tokens than the other ones have here, to force padding.");
        float[][] batch = e5.encode(texts);
        for (int i = 0; i < texts.size(); i++) {
            float[] single = e5.encode(List.of(texts.get(i)))[0];
            assertThat(EncoderRewardModelTest.cosine(single, batch[i])).as(texts.get(i)).isGreaterThan(0.99);
            for (int d = 0; d < 384; d++) {
                assertThat((double) batch[i][d]).isCloseTo(single[d], within(0.02));
            }
        }
        assertThat(e5.encode(List.of(texts.get(1), texts.get(1)))[1]).containsExactly(e5.encode(List.of(texts.get(1)))[0]);
    }

    @Test
    void feedsTokenTypeIdsPrefixesQueryAndTruncatesAt512() {
        assertThat(e5.tokenizer().maxLength()).isEqualTo(512);
        assertThat(e5.textPrefix()).isEqualTo("query: ");
        assertThat(e5.tokenizer().encode(List.of("word ".repeat(1000))).length()).isEqualTo(512);
        // "query: hello" and "hello" embed differently: the prefix is really prepended
        MeanPoolingEncoder unprefixed = new MeanPoolingEncoder("e5-no-prefix",
                OrtSessions.cpu(1).open(MeanPoolingEncoder.readResource(MeanPoolingEncoder.E5_MODEL_RESOURCE)),
                BatchTokenizer.fromClasspath(MeanPoolingEncoder.E5_TOKENIZER_RESOURCE, 512));
        try (unprefixed) {
            float[] viaPrefix = e5.encode(List.of("hello there"))[0];
            assertThat(unprefixed.encode(List.of("query: hello there"))[0]).containsExactly(viaPrefix);
            assertThat(EncoderRewardModelTest.cosine(unprefixed.encode(List.of("hello there"))[0], viaPrefix)).isLessThan(0.999);
        }
        assertThatThrownBy(() -> MeanPoolingEncoder.forName("bert-large", OrtSessions.cpu(1)))
                .hasMessageContaining("unknown encoder 'bert-large'");
    }
}
