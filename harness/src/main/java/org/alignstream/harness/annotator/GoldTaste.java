package org.alignstream.harness.annotator;

import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * The simulated annotator's gold taste in the feedback loop ({@link SimulatedAnnotator}, {@link AgreementSet}): the gold
 * sentiment judge ({@code gold-sentiment}, a head on e5-small-v2 features) plus a second preference, for text about
 * <b>family and home</b>:
 * <pre>  gold(y) = gold-sentiment(y) + weight * (d . f(y))</pre>
 * where f(y) are the proxy backbone's features (all-MiniLM-L6-v2, mean-pooled, L2-normalised) and d is the mean of the
 * features of the three fixed {@link #FAMILY_SENTENCES} (so d . f(y) is the mean cosine similarity of y to them).
 *
 * <p>Why: with {@code gold-sentiment} alone the proxy class (a linear head on frozen MiniLM features) has almost nothing
 * to learn: a head fitted straight to those gold rewards reaches a pairwise agreement only about 0.01 above the bundled
 * head's, so feedback can at best hold it level. The family preference is something the bundled proxy does not know (it
 * lowers its starting agreement) but a MiniLM linear head can represent exactly, so feedback has something real to teach
 * and the learning curve measures whether the loop learns it. The sentiment part stays on another encoder, which the
 * proxy can only approximate.
 *
 * <p>{@link #FAMILY_WEIGHT} = 5 was set once, before any learning curve was run, so that within a candidate set both
 * parts vary about equally: over the candidates of the annotated requests (seeds 100000 + k, 400 sets of 8; never the
 * evaluation sets) the within-set standard deviation is 0.39 for {@code gold-sentiment} and 0.083 for the family
 * similarity (0.39 / 0.083 = 4.7). The anchor sentences were written for this class; they are not from the sample
 * prompts, the candidates or the sentiment data.
 */
public final class GoldTaste implements SimulatedAnnotator.Judge {

    /** What "about family and home" means: the mean of these sentences' features. */
    public static final List<String> FAMILY_SENTENCES = List.of(
            "She spoke of her mother and her sisters.",
            "The whole family was at home together.",
            "Her father and her brother came to dinner.");

    /** Weight of the family similarity against the sentiment judge's log-odds. */
    public static final double FAMILY_WEIGHT = 5.0;

    /** The tastes the feedback loop can simulate. */
    public enum Kind {
        /** {@code gold-sentiment} plus {@link #FAMILY_WEIGHT} times the family similarity (the default). */
        SENTIMENT_AND_FAMILY("sentiment+family"),
        /** {@code gold-sentiment} alone (the annotator before; the proxy can barely learn anything from it). */
        SENTIMENT("sentiment");

        private final String label;

        Kind(String label) {
            this.label = label;
        }

        public String label() {
            return label;
        }

        /** The kind named {@code label} ({@code sentiment+family} or {@code sentiment}). */
        public static Kind parse(String label) {
            for (Kind k : values()) {
                if (k.label.equalsIgnoreCase(label.strip())) {
                    return k;
                }
            }
            throw new IllegalArgumentException("unknown gold taste '" + label + "' (sentiment+family or sentiment)");
        }
    }

    /** The two parts of a gold reward. */
    public record Parts(double[] sentiment, double[] family) {
    }

    private final SimulatedAnnotator.Judge sentiment;
    private final AgreementSet.Features features;
    private final double[] direction;
    private final double weight;

    /**
     * @param sentiment      the sentiment judge ({@code gold-sentiment})
     * @param features       the proxy backbone's features
     * @param topicSentences the sentences whose mean features are the second preference's direction
     * @param weight         the second preference's weight (0: the sentiment judge alone)
     */
    public GoldTaste(SimulatedAnnotator.Judge sentiment, AgreementSet.Features features, List<String> topicSentences,
                     double weight) {
        this.sentiment = Objects.requireNonNull(sentiment, "sentiment");
        this.features = Objects.requireNonNull(features, "features");
        if (!(weight >= 0) || !Double.isFinite(weight)) {
            throw new IllegalArgumentException("weight must be finite and >= 0, was " + weight);
        }
        this.weight = weight;
        if (weight == 0) {
            direction = null;
        } else {
            if (topicSentences.isEmpty()) {
                throw new IllegalArgumentException("no topic sentences");
            }
            float[][] f = features.features(topicSentences);
            direction = new double[f[0].length];
            for (float[] row : f) {
                for (int j = 0; j < direction.length; j++) {
                    direction[j] += row[j] / (double) f.length;
                }
            }
        }
    }

    /** The taste of {@code kind} from the sentiment judge and the proxy backbone's features. */
    public static GoldTaste of(Kind kind, SimulatedAnnotator.Judge sentiment, AgreementSet.Features features) {
        return kind == Kind.SENTIMENT ? new GoldTaste(sentiment, features, List.of(), 0)
                : new GoldTaste(sentiment, features, FAMILY_SENTENCES, FAMILY_WEIGHT);
    }

    public double weight() {
        return weight;
    }

    /** The second preference's direction over the proxy's features (null when the weight is 0). */
    double[] direction() {
        return direction == null ? null : direction.clone();
    }

    /** Both parts of the gold rewards of {@code texts} (the family part all 0 when the weight is 0). */
    public Parts parts(List<String> texts) {
        double[] s = sentiment.score(texts);
        double[] fam = new double[texts.size()];
        if (direction != null && !texts.isEmpty()) {
            float[][] f = features.features(texts);
            for (int i = 0; i < fam.length; i++) {
                double dot = 0;
                for (int j = 0; j < direction.length; j++) {
                    dot += direction[j] * f[i][j];
                }
                fam[i] = dot;
            }
        }
        return new Parts(s, fam);
    }

    @Override
    public double[] score(List<String> texts) {
        Parts p = parts(texts);
        double[] out = Arrays.copyOf(p.sentiment(), p.sentiment().length);
        for (int i = 0; i < out.length; i++) {
            out[i] += weight * p.family()[i];
        }
        return out;
    }

    /** For printing: {@code gold-sentiment (e5) + 5.0 x similarity to family sentences (MiniLM)}. */
    public String describe() {
        return weight == 0 ? "gold-sentiment (e5 encoder)" : String.format(Locale.ROOT,
                "gold-sentiment (e5 encoder) + %.1f x similarity to %d sentences about family and home (MiniLM features)",
                weight, FAMILY_SENTENCES.size());
    }
}
