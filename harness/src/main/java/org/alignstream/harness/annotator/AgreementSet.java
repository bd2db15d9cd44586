package org.alignstream.harness.annotator;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.alignstream.core.selection.BestOfN;
import org.alignstream.inference.reward.LabelledSentences;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.MeanPoolingEncoder;
import org.alignstream.inference.reward.RankAgreement;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.alignstream.inference.reward.RewardModels;

/**
 * A fixed evaluation set for proxy–gold agreement: the 84 held-out sentences of the sentiment data (the split both heads
 * were evaluated on) followed by sets of generated candidates (N per set, from prompts and seeds the annotator never
 * sees), each text with its gold reward and the proxy backbone's features, computed once. A proxy version is a linear
 * head over those features, so measuring one is a dot product per text ({@link #measure}).
 */
public final class AgreementSet {

    /** Seed and train fraction of the split the bundled heads were evaluated with (models/reward-sentiment). */
    public static final long SPLIT_SEED = 42;
    public static final double TRAIN_FRACTION = LabelledSentences.TRAIN_FRACTION;
    static final String SENTENCES_RESOURCE = "alignstream/models/reward-sentiment/sentences.tsv";

    /**
     * How far a proxy agrees with the gold judge on the set.
     *
     * @param pairwise          share of all text pairs both order the same way
     * @param spearman          rank correlation over all texts
     * @param pairwiseSentences the same on the held-out sentences only
     * @param pairwiseGenerated the same on the generated candidates only (pairs across sets included)
     * @param withinSet         mean over the candidate sets of the pairwise agreement within a set (what Best-of-N
     *                          selection depends on)
     * @param goldOfPick        mean gold reward of the proxy's Best-of-N pick in each set
     */
    public record Figures(double pairwise, double spearman, double pairwiseSentences, double pairwiseGenerated,
                          double withinSet, double goldOfPick) {
        public String line() {
            return String.format(Locale.ROOT, "pairwise %.3f (sentences %.3f, generated %.3f, within a set %.3f), "
                    + "Spearman %.3f, gold reward of the Best-of-N pick %+.3f", pairwise, pairwiseSentences,
                    pairwiseGenerated, withinSet, spearman, goldOfPick);
        }
    }

    private final List<String> texts;
    private final int sentences;
    private final int setSize;
    private final double[] gold;
    private final float[][] features;

    AgreementSet(List<String> texts, int sentences, int setSize, double[] gold, float[][] features) {
        if (texts.size() != gold.length || texts.size() != features.length) {
            throw new IllegalArgumentException("texts, gold rewards and features differ in number");
        }
        if (setSize < 2 || (texts.size() - sentences) % setSize != 0) {
            throw new IllegalArgumentException("the generated texts must form whole sets of at least 2");
        }
        this.texts = List.copyOf(texts);
        this.sentences = sentences;
        this.setSize = setSize;
        this.gold = gold.clone();
        this.features = features;
    }

    /**
     * Builds the set: {@code sentences}, then each candidate set (all of size N), scored by {@code gold} and featurised
     * by {@code features} in batches of 16.
     */
    public static AgreementSet build(List<String> sentences, List<List<String>> candidateSets,
                                     SimulatedAnnotator.Judge gold, Features features) {
        List<String> texts = new ArrayList<>(sentences);
        int n = candidateSets.isEmpty() ? 2 : candidateSets.get(0).size();
        for (List<String> set : candidateSets) {
            if (set.size() != n) {
                throw new IllegalArgumentException("candidate sets differ in size: " + set.size() + " and " + n);
            }
            texts.addAll(set);
        }
        double[] g = new double[texts.size()];
        float[][] f = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += 16) {
            List<String> batch = texts.subList(from, Math.min(texts.size(), from + 16));
            System.arraycopy(gold.score(batch), 0, g, from, batch.size());
            System.arraycopy(features.features(batch), 0, f, from, batch.size());
        }
        return new AgreementSet(texts, sentences.size(), n, g, f);
    }

    /** The proxy backbone's features of a batch of texts. */
    @FunctionalInterface
    public interface Features {
        float[][] features(List<String> texts);
    }

    /** The held-out sentences of the bundled sentiment data (the split the bundled heads report on). */
    public static List<String> heldOutSentences() {
        return split().heldOut().sentences();
    }

    /** The training part of the same split (the sentences the bundled heads were fitted on). */
    public static List<String> trainingSentences() {
        return split().train().sentences();
    }

    private static LabelledSentences.Split split() {
        try {
            Path tmp = Files.createTempFile("alignstream-sentences", ".tsv");
            try {
                Files.write(tmp, MeanPoolingEncoder.readResource(SENTENCES_RESOURCE));
                return LabelledSentences.load(tmp).split(SPLIT_SEED, TRAIN_FRACTION);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The bundled {@code sentiment} head (version 1, before any feedback). */
    public static LinearHead bundledProxyHead() {
        return RewardHeadOnnx.read(MeanPoolingEncoder.readResource(RewardModels.SENTIMENT_HEAD_RESOURCE),
                "classpath:" + RewardModels.SENTIMENT_HEAD_RESOURCE);
    }

    /** Agreement of the proxy whose head is {@code head} (over the set's features) with the gold judge. */
    public Figures measure(LinearHead head) {
        double[] proxy = new double[texts.size()];
        for (int i = 0; i < proxy.length; i++) {
            proxy[i] = head.apply(features[i]);
        }
        return figures(proxy, gold, sentences, setSize);
    }

    /** The figures for proxy and gold rewards of the same texts: {@code sentences} sentences, then sets of {@code setSize}. */
    static Figures figures(double[] proxy, double[] gold, int sentences, int setSize) {
        int n = proxy.length;
        double sentencePairs = sentences >= 2
                ? RankAgreement.pairwiseAgreement(Arrays.copyOf(proxy, sentences), Arrays.copyOf(gold, sentences))
                : Double.NaN;
        double generatedPairs = n - sentences >= 2 ? RankAgreement.pairwiseAgreement(
                Arrays.copyOfRange(proxy, sentences, n), Arrays.copyOfRange(gold, sentences, n)) : Double.NaN;
        double within = 0;
        double pickGold = 0;
        int sets = (n - sentences) / setSize;
        for (int s = 0; s < sets; s++) {
            int from = sentences + s * setSize;
            double[] p = Arrays.copyOfRange(proxy, from, from + setSize);
            double[] g = Arrays.copyOfRange(gold, from, from + setSize);
            within += RankAgreement.pairwiseAgreement(p, g);
            pickGold += g[BestOfN.select(p)];
        }
        return new Figures(RankAgreement.pairwiseAgreement(proxy, gold), RankAgreement.spearman(proxy, gold),
                sentencePairs, generatedPairs, sets == 0 ? Double.NaN : within / sets,
                sets == 0 ? Double.NaN : pickGold / sets);
    }

    public int size() {
        return texts.size();
    }

    /** The texts from index {@code from} on. */
    List<String> textsFrom(int from) {
        return texts.subList(from, texts.size());
    }

    /** The texts: the sentences, then the candidate sets. */
    public List<String> texts() {
        return texts;
    }

    /** The gold rewards of the texts, in order. */
    public double[] gold() {
        return gold.clone();
    }

    /** The proxy backbone's features of the texts, in order (not copied: do not change them). */
    public float[][] features() {
        return features;
    }

    public int sentences() {
        return sentences;
    }

    public int sets() {
        return (texts.size() - sentences) / setSize;
    }
}
