package org.alignstream.harness.annotator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GoldTasteTest {

    /** Toy features: a text's 3 features are looked up; unknown texts are all zero. */
    static final Map<String, float[]> FEATURES = Map.of(
            "mother", new float[] {1, 0, 0},
            "father", new float[] {0.8f, 0.6f, 0},
            "a family dinner", new float[] {0.9f, 0.1f, 0},
            "the road was long", new float[] {0, 0, 1});

    static float[][] features(List<String> texts) {
        return texts.stream().map(t -> FEATURES.getOrDefault(t, new float[3])).toArray(float[][]::new);
    }

    /** Toy sentiment: +1 for "happy", else 0. */
    static double[] sentiment(List<String> texts) {
        return texts.stream().mapToDouble(t -> t.contains("happy") ? 1 : 0).toArray();
    }

    @Test
    void theGoldIsSentimentPlusTheWeightedSimilarityToTheTopicSentences() {
        GoldTaste taste = new GoldTaste(GoldTasteTest::sentiment, GoldTasteTest::features, List.of("mother", "father"), 2);
        assertThat(taste.direction()).containsExactly(new double[] {0.9, 0.3, 0}, org.assertj.core.data.Offset.offset(1e-6));
        double[] s = taste.score(List.of("a family dinner", "the road was long", "happy"));
        assertThat(s[0]).isCloseTo(2 * (0.9 * 0.9 + 0.1 * 0.3), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(s[1]).isZero(); // orthogonal to the topic, neutral
        assertThat(s[2]).isEqualTo(1.0); // sentiment only
        GoldTaste.Parts p = taste.parts(List.of("a family dinner"));
        assertThat(p.sentiment()).containsExactly(0.0);
        assertThat(p.family()[0]).isCloseTo(0.84, org.assertj.core.data.Offset.offset(1e-6));
    }

    @Test
    void theFamilyPreferenceDecidesBetweenTextsOfEqualSentiment() {
        GoldTaste taste = new GoldTaste(GoldTasteTest::sentiment, GoldTasteTest::features, List.of("mother", "father"), 2);
        SimulatedAnnotator a = new SimulatedAnnotator(taste, new SimulatedAnnotator.Options(0, List.of("good"), 0.05, 24, 1));
        // the proxy picks the road; the annotator prefers the family text
        SimulatedAnnotator.Annotation an = a.annotate("r", List.of("the road was long", "a family dinner"), new double[] {2, 1});
        assertThat(an.pick()).isZero();
        assertThat(an.preference().chosenText()).isEqualTo("a family dinner");
    }

    @Test
    void theSentimentKindIsTheSentimentJudgeAlone() {
        GoldTaste taste = GoldTaste.of(GoldTaste.Kind.SENTIMENT, GoldTasteTest::sentiment, texts -> {
            throw new AssertionError("no features needed");
        });
        assertThat(taste.weight()).isZero();
        assertThat(taste.score(List.of("a family dinner", "happy"))).containsExactly(0.0, 1.0);
        assertThat(taste.describe()).isEqualTo("gold-sentiment (e5 encoder)");
    }

    @Test
    void theDefaultKindUsesTheFamilySentencesAndWeight() {
        GoldTaste taste = GoldTaste.of(GoldTaste.Kind.SENTIMENT_AND_FAMILY, GoldTasteTest::sentiment, texts -> {
            assertThat(texts).isEqualTo(GoldTaste.FAMILY_SENTENCES);
            return new float[][] {{1, 0}, {0, 1}, {1, 1}};
        });
        assertThat(taste.weight()).isEqualTo(GoldTaste.FAMILY_WEIGHT);
        assertThat(taste.direction()).containsExactly(new double[] {2 / 3.0, 2 / 3.0}, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(taste.describe()).contains("+ 5.0 x similarity to 3 sentences about family");
    }

    @Test
    void kindsParseAndBadArgumentsAreRefused() {
        assertThat(GoldTaste.Kind.parse("sentiment+family")).isEqualTo(GoldTaste.Kind.SENTIMENT_AND_FAMILY);
        assertThat(GoldTaste.Kind.parse(" Sentiment ")).isEqualTo(GoldTaste.Kind.SENTIMENT);
        assertThatThrownBy(() -> GoldTaste.Kind.parse("family")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GoldTaste(GoldTasteTest::sentiment, GoldTasteTest::features, List.of("mother"), -1))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new GoldTaste(GoldTasteTest::sentiment, GoldTasteTest::features, List.of(), 1))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
