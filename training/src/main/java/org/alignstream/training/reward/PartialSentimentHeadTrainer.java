package org.alignstream.training.reward;

import org.alignstream.inference.reward.EncoderHeadModel;
import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LabelledSentences;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.MeanPoolingEncoder;
import org.alignstream.inference.reward.PrefixPairs;
import org.alignstream.inference.reward.RewardHead;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.inference.reward.ScoredText;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.alignstream.core.training.BradleyTerry;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.onnx.OrtSessions;

/**
 * Trains the partial-sequence sentiment reward head ({@code sentiment-partial}) the way Rashid et
 * al. (2024, PARGS) train theirs: Bradley-Terry on pairs of EQUAL-LENGTH prefixes of a chosen
 * (positive) and a rejected (negative) sentence ({@link PrefixPairs}), over the same MiniLM-L6-v2
 * int8 features as the full-sequence {@code sentiment} head. The split of the sentences is
 * {@link SentimentHeadTrainer}'s (same file, seed and fraction), so the held-out sentences are ones
 * neither head saw; training pairs are built from training sentences only, held-out pairs from
 * held-out sentences only.
 *
 * <p>The head is r(f) = w . f + b with w from {@link BradleyTerry} (so r(a) - r(b) is the
 * log-odds that a is preferred) and b, which no pairwise figure depends on, set so that the
 * midpoint of the mean rewards of positive and negative full training sentences is 0.
 *
 * <pre>
 * PartialSentimentHeadTrainer --data SPEC (as SentimentHeadTrainer) --out models/reward-sentiment-partial
 *     --compare-head models/reward-sentiment/head.onnx [--seed 42] [--version 1] [--folds 5] [--threads 1]
 *     [--negatives 4] [--prefixes 3]
 * </pre>
 */
public final class PartialSentimentHeadTrainer {

    public static final String REWARD_ID = "sentiment-partial";
    private static final String USAGE = "PartialSentimentHeadTrainer --data SPEC --out DIR"
            + " [--compare-head HEAD.onnx] [--seed N] [--version V] [--folds K] [--threads T] [--negatives M]"
            + " [--prefixes P]";

    private PartialSentimentHeadTrainer() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> options = SentimentHeadTrainer.parseArgs(args, USAGE);
        String data = SentimentHeadTrainer.require(options, "data", USAGE);
        Path out = Path.of(SentimentHeadTrainer.require(options, "out", USAGE));
        long seed = Long.parseLong(options.getOrDefault("seed", "42"));
        String version = options.getOrDefault("version", "1");
        int folds = Integer.parseInt(options.getOrDefault("folds", "5"));
        int threads = Integer.parseInt(options.getOrDefault("threads", "1"));
        int negatives = Integer.parseInt(options.getOrDefault("negatives", "4"));
        int prefixes = Integer.parseInt(options.getOrDefault("prefixes", "3"));
        Path compareHead = options.containsKey("compare-head") ? Path.of(options.get("compare-head")) : null;

        LabelledSentences all = LabelledSentences.load(data, Path.of(""));
        LabelledSentences.Split split = all.split(seed, SentimentHeadTrainer.TRAIN_FRACTION);
        LabelledSentences train = split.train();
        OrtSessions sessions = OrtSessions.cpu(threads);
        MeanPoolingEncoder encoder = MeanPoolingEncoder.miniLm(sessions);
        long start = System.nanoTime();

        List<String> trainTexts = PrefixPairs.prefixTexts(train);
        double[][] trainFeatures = SentimentHeadTrainer.features(encoder, trainTexts);
        Map<String, double[]> features = new HashMap<>();
        for (int i = 0; i < trainTexts.size(); i++) {
            features.put(trainTexts.get(i), trainFeatures[i]);
        }
        System.out.printf(Locale.ROOT, "%d training sentences, %d distinct prefix texts encoded in %.1f s%n",
                train.size(), trainTexts.size(), (System.nanoTime() - start) / 1e9);

        // L2 by k-fold CV over SENTENCES: a fold's validation pairs use only its own sentences.
        Map<Double, CrossValidation> cv = new LinkedHashMap<>();
        double bestL2 = SentimentHeadTrainer.L2_GRID[0];
        for (double l2 : SentimentHeadTrainer.L2_GRID) {
            CrossValidation result = crossValidate(train, features, seed, negatives, prefixes, l2, folds);
            cv.put(l2, result);
            System.out.printf(Locale.ROOT, "l2=%g  %d-fold CV prefix-pair accuracy=%.4f%n", l2, folds,
                    result.meanAccuracy());
            if (result.meanAccuracy() > cv.get(bestL2).meanAccuracy()) { // ties keep the smaller L2 seen first
                bestL2 = l2;
            }
        }
        List<PrefixPairs.Pair> trainPairs = PrefixPairs.sample(train, seed, negatives, prefixes);
        double[][][] trainSides = sides(train, trainPairs, features);
        BradleyTerry fitted = BradleyTerry.fit(trainSides[0], trainSides[1], bestL2);
        double bias = centringBias(fitted, train, features);
        HeadMetadata metadata = new HeadMetadata(REWARD_ID, version, RewardModel.PARTIAL_SEQUENCE,
                encoder.dimension(), encoder.name());
        byte[] headBytes = RewardHeadOnnx.write(new LinearHead(fitted.weights(), bias, metadata));
        Files.createDirectories(out);
        Path headFile = out.resolve("head.onnx");
        Files.write(headFile, headBytes);

        LabelledSentences heldOut = split.heldOut();
        try (EncoderRewardModel model = new EncoderRewardModel(encoder,
                RewardHead.load(sessions, headBytes, headFile.toString()), ScoredText.RESPONSE)) {
            // Held-out pairs are within one style, so each style is scored on its own: its prefix texts encoded once
            // (batches of 16, prefixTexts order of that style's held-out sentences) and both heads applied to the same
            // features, which is what scoring each text through each model in those batches computes. A test can
            // then re-score one style alone and get the same figures.
            Map<String, HeldOutStyle> styles = new LinkedHashMap<>();
            for (String style : all.styleNames()) {
                styles.put(style, HeldOutStyle.of(model, heldOut.ofStyle(style)));
            }
            Map<String, Double> partialScores = new HashMap<>();
            Map<String, PrefixPairs.Tally> partial = null;
            Map<String, Object> partialByStyle = new LinkedHashMap<>();
            for (Map.Entry<String, HeldOutStyle> e : styles.entrySet()) {
                HeldOutStyle h = e.getValue();
                Map<String, Double> scores = byText(h.texts(), model.head().score(h.features()));
                partialScores.putAll(scores); // full sentences are unique across styles (rewardScale reads those)
                Map<String, PrefixPairs.Tally> tallies = PrefixPairs.accuracyByBucket(h.data(), h.pairs(), scores);
                partialByStyle.put(e.getKey(), tallies(tallies));
                partial = partial == null ? tallies : plus(partial, tallies);
            }
            double[] heldOutScores = SentimentHeadTrainer.scores(model, heldOut.sentences());
            int heldOutCorrect = SentimentHeadTrainer.correct(heldOutScores, heldOut.labels());
            int trainCorrect = SentimentHeadTrainer.correct(model, train);
            Map<String, Object> scale = new LinkedHashMap<>();
            scale.put(REWARD_ID, rewardScale(heldOut, partialScores));
            Map<String, PrefixPairs.Tally> compared = null;
            Map<String, Object> comparedByStyle = new LinkedHashMap<>();
            String comparedId = null;
            int comparedCorrect = -1;
            if (compareHead != null) {
                try (EncoderHeadModel other = RewardModels.withHead(OnnxDevice.CPU, threads, compareHead,
                        ScoredText.RESPONSE)) {
                    if (!(other instanceof EncoderRewardModel otherModel)
                            || !otherModel.encoder().name().equals(encoder.name())) {
                        throw new IllegalArgumentException("--compare-head must be a " + encoder.name() + " head");
                    }
                    Map<String, Double> otherScores = new HashMap<>();
                    for (Map.Entry<String, HeldOutStyle> e : styles.entrySet()) {
                        HeldOutStyle h = e.getValue();
                        Map<String, Double> scores = byText(h.texts(), otherModel.head().score(h.features()));
                        otherScores.putAll(scores);
                        Map<String, PrefixPairs.Tally> tallies = PrefixPairs.accuracyByBucket(h.data(), h.pairs(), scores);
                        comparedByStyle.put(e.getKey(), tallies(tallies));
                        compared = compared == null ? tallies : plus(compared, tallies);
                    }
                    comparedId = other.id();
                    scale.put(comparedId, rewardScale(heldOut, otherScores));
                    comparedCorrect = SentimentHeadTrainer.correct(other, heldOut);
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;

            Map<String, Object> report = new LinkedHashMap<>();
            report.put("reward_id", REWARD_ID);
            report.put("version", version);
            report.put("kind", RewardModel.PARTIAL_SEQUENCE);
            report.put("encoder", encoder.name());
            report.put("feature_dim", encoder.dimension());
            report.put("data", SentimentHeadTrainer.relativeSpec(out, data));
            report.put("data_sha256_prefix", SentimentHeadTrainer.dataHash(all));
            report.put("sentences", all.size());
            report.put("sentences_by_style", SentimentHeadTrainer.countByStyle(all));
            report.put("seed", seed);
            report.put("train_fraction", SentimentHeadTrainer.TRAIN_FRACTION);
            report.put("split", "stratified by style and label, java.util.Random(seed) shuffle (as SentimentHeadTrainer)");
            report.put("train_size", train.size());
            report.put("heldout_size", heldOut.size());
            report.put("prefix_unit", "whitespace-separated words");
            report.put("train_pairs", "each training positive with " + negatives + " random training negatives of its style,"
                    + " up to " + prefixes + " random equal prefix lengths per pair plus the full pair (seeded)");
            report.put("train_pair_count", trainPairs.size());
            report.put("train_prefix_texts", trainTexts.size());
            report.put("heldout_pairs", "every held-out positive x negative pair of the same style at every prefix length"
                    + " 1..min(length) plus the full pair; identical prefixes (ignoring case) left out");
            report.put("heldout_pair_count", styles.values().stream().mapToInt(h -> h.pairs().size()).sum());
            report.put("heldout_prefix_texts", styles.values().stream().mapToInt(h -> h.texts().size()).sum());
            report.put("cv_folds", folds);
            Map<String, Object> grid = new LinkedHashMap<>();
            cv.forEach((l2, r) -> grid.put(String.format(Locale.ROOT, "%g", l2), r.meanAccuracy()));
            report.put("cv_prefix_pair_accuracy_by_l2", grid);
            report.put("chosen_l2", bestL2);
            report.put("cv_prefix_pair_accuracy_by_bucket_at_chosen_l2", tallies(cv.get(bestL2).byBucket()));
            report.put("bias", bias);
            report.put("bias_rule", "midpoint of mean rewards of positive and negative full training sentences is 0");
            report.put("train_pair_accuracy_java", fitted.pairwiseAccuracy(trainSides[0], trainSides[1]));
            report.put("train_correct", trainCorrect);
            report.put("train_accuracy", (double) trainCorrect / train.size());
            report.put("heldout_correct", heldOutCorrect);
            report.put("heldout_accuracy", (double) heldOutCorrect / heldOut.size());
            report.put("heldout_by_style", SentimentHeadTrainer.byStyle(heldOut, heldOutScores, all.styleNames()));
            report.put("decision_rule", "positive iff reward >= 0 (full sentences; *_correct above);"
                    + " pairs: chosen scores strictly higher");
            report.put("scoring", "held-out prefix texts encoded style by style, each style's in batches of "
                    + SentimentHeadTrainer.BATCH + " in PrefixPairs.prefixTexts order, both heads applied to those features");
            report.put("heldout_prefix_pair_accuracy", tallies(partial));
            report.put("heldout_prefix_pair_accuracy_by_style", partialByStyle);
            if (compared != null) {
                report.put("compared_reward_id", comparedId);
                report.put("compared_head_file", SentimentHeadTrainer.relative(out, compareHead));
                report.put("compared_heldout_correct", comparedCorrect);
                report.put("compared_heldout_prefix_pair_accuracy", tallies(compared));
                report.put("compared_heldout_prefix_pair_accuracy_by_style", comparedByStyle);
            }
            report.put("heldout_reward_scale", scale);
            report.put("lbfgs_iterations", fitted.lossHistory().length - 1);
            report.put("lbfgs_converged", String.valueOf(fitted.converged()));
            report.put("final_objective", fitted.lossHistory()[fitted.lossHistory().length - 1]);
            report.put("trained_on", LocalDate.now(ZoneOffset.UTC).toString());
            report.put("seconds", Math.round(seconds * 10) / 10.0);
            report.put("command", SentimentHeadTrainer.command("ops/reward-sentiment-partial/train-head.sh",
                    PartialSentimentHeadTrainer.class, args));
            Files.writeString(out.resolve("training.json"), SentimentHeadTrainer.Json.write(report) + "\n",
                    StandardCharsets.UTF_8);

            System.out.printf(Locale.ROOT, "chosen l2=%g  held-out full-sentence accuracy=%.4f (%d/%d)%n", bestL2,
                    (double) heldOutCorrect / heldOut.size(), heldOutCorrect, heldOut.size());
            System.out.printf(Locale.ROOT, "%-13s %8s %10s %10s%n", "bucket", "pairs", REWARD_ID,
                    comparedId == null ? "-" : comparedId);
            for (String bucket : partial.keySet()) {
                System.out.printf(Locale.ROOT, "%-13s %8d %10.4f %10.4f%n", bucket, partial.get(bucket).pairs(),
                        partial.get(bucket).accuracy(), compared == null ? Double.NaN : compared.get(bucket).accuracy());
            }
            System.out.println("wrote " + headFile + " and " + out.resolve("training.json"));
        }
    }

    /**
     * Cross-validation result: mean over folds of the validation accuracy on all pairs, and the
     * validation tallies by bucket summed over folds.
     */
    record CrossValidation(double meanAccuracy, Map<String, PrefixPairs.Tally> byBucket) {}

    /**
     * k-fold cross-validation over training SENTENCES (training sentence i is in fold i mod k): each
     * fold's head is fitted on pairs sampled from the other folds' sentences and validated on all
     * pairs ({@link PrefixPairs#all}) of its own sentences, scored in Java from the cached features.
     */
    static CrossValidation crossValidate(LabelledSentences train, Map<String, double[]> features, long seed,
            int negatives, int prefixes, double l2, int folds) {
        if (folds < 2 || folds > train.size()) {
            throw new IllegalArgumentException("folds must be in [2, " + train.size() + "], got " + folds);
        }
        double sum = 0;
        Map<String, PrefixPairs.Tally> total = null;
        for (int fold = 0; fold < folds; fold++) {
            List<Integer> fit = new ArrayList<>();
            List<Integer> validate = new ArrayList<>();
            for (int i = 0; i < train.size(); i++) {
                (i % folds == fold ? validate : fit).add(i);
            }
            LabelledSentences fitPart = train.subset(fit);
            LabelledSentences validatePart = train.subset(validate);
            double[][][] fitSides = sides(fitPart, PrefixPairs.sample(fitPart, seed, negatives, prefixes), features);
            BradleyTerry model = BradleyTerry.fit(fitSides[0], fitSides[1], l2);
            Map<String, Double> scores = new HashMap<>();
            for (String text : PrefixPairs.prefixTexts(validatePart)) {
                scores.put(text, model.reward(feature(features, text)));
            }
            Map<String, PrefixPairs.Tally> tallies = PrefixPairs.accuracyByBucket(validatePart,
                    PrefixPairs.all(validatePart), scores);
            PrefixPairs.Tally everything = tallies.get(PrefixPairs.ALL_PREFIXES).plus(tallies.get("full"));
            sum += everything.accuracy();
            if (total == null) {
                total = tallies;
            } else {
                Map<String, PrefixPairs.Tally> merged = new LinkedHashMap<>();
                for (Map.Entry<String, PrefixPairs.Tally> e : total.entrySet()) {
                    merged.put(e.getKey(), e.getValue().plus(tallies.get(e.getKey())));
                }
                total = merged;
            }
        }
        return new CrossValidation(sum / folds, total);
    }

    /** One style's held-out sentences, their pairs ({@link PrefixPairs#all}), prefix texts and those texts' features. */
    record HeldOutStyle(LabelledSentences data, List<PrefixPairs.Pair> pairs, List<String> texts, float[][] features) {
        static HeldOutStyle of(EncoderRewardModel model, LabelledSentences data) {
            List<String> texts = PrefixPairs.prefixTexts(data);
            return new HeldOutStyle(data, PrefixPairs.all(data), texts, floatFeatures(model, texts));
        }
    }

    private static Map<String, PrefixPairs.Tally> plus(Map<String, PrefixPairs.Tally> a, Map<String, PrefixPairs.Tally> b) {
        Map<String, PrefixPairs.Tally> out = new LinkedHashMap<>();
        a.forEach((bucket, t) -> out.put(bucket, t.plus(b.get(bucket))));
        return out;
    }

    /** Encoder features of {@code texts} in batches of {@link SentimentHeadTrainer#BATCH}, in list order. */
    static float[][] floatFeatures(EncoderRewardModel model, List<String> texts) {
        float[][] features = new float[texts.size()][];
        for (int from = 0; from < texts.size(); from += SentimentHeadTrainer.BATCH) {
            float[][] f = model.features(texts.subList(from, Math.min(texts.size(), from + SentimentHeadTrainer.BATCH)));
            System.arraycopy(f, 0, features, from, f.length);
        }
        return features;
    }

    static Map<String, Double> byText(List<String> texts, double[] scores) {
        Map<String, Double> m = new HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            m.put(texts.get(i), scores[i]);
        }
        return m;
    }

    /** {chosen features, rejected features} of each pair, from precomputed text features. */
    static double[][][] sides(LabelledSentences data, List<PrefixPairs.Pair> pairs, Map<String, double[]> features) {
        double[][] chosen = new double[pairs.size()][];
        double[][] rejected = new double[pairs.size()][];
        for (int i = 0; i < pairs.size(); i++) {
            chosen[i] = feature(features, PrefixPairs.chosenText(data, pairs.get(i)));
            rejected[i] = feature(features, PrefixPairs.rejectedText(data, pairs.get(i)));
        }
        return new double[][][] {chosen, rejected};
    }

    private static double[] feature(Map<String, double[]> features, String text) {
        double[] f = features.get(text);
        if (f == null) {
            throw new IllegalStateException("no features computed for '" + text + "'");
        }
        return f;
    }

    /** -(mean reward of positive full sentences + mean reward of negative ones) / 2. */
    static double centringBias(BradleyTerry model, LabelledSentences train, Map<String, double[]> features) {
        double[] sum = new double[2];
        int[] count = new int[2];
        int[] labels = train.labels();
        for (int i = 0; i < train.size(); i++) {
            sum[labels[i]] += model.reward(feature(features, train.sentences().get(i)));
            count[labels[i]]++;
        }
        return -(sum[0] / count[0] + sum[1] / count[1]) / 2;
    }

    /** Mean and standard deviation of the rewards of the full held-out sentences of each label. */
    private static Map<String, Object> rewardScale(LabelledSentences data, Map<String, Double> scores) {
        Map<String, Object> out = new LinkedHashMap<>();
        int[] labels = data.labels();
        for (int label = 1; label >= 0; label--) {
            List<Double> values = new ArrayList<>();
            for (int i = 0; i < data.size(); i++) {
                if (labels[i] == label) {
                    values.add(scores.get(data.sentences().get(i)));
                }
            }
            double mean = values.stream().mapToDouble(Double::doubleValue).average().orElse(Double.NaN);
            double var = values.stream().mapToDouble(v -> (v - mean) * (v - mean)).sum() / Math.max(1, values.size() - 1);
            out.put(label == 1 ? "positive_mean" : "negative_mean", mean);
            out.put(label == 1 ? "positive_sd" : "negative_sd", Math.sqrt(var));
        }
        return out;
    }

    private static Map<String, Object> tallies(Map<String, PrefixPairs.Tally> tallies) {
        Map<String, Object> out = new LinkedHashMap<>();
        tallies.forEach((bucket, t) -> {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("pairs", t.pairs());
            m.put("correct", t.correct());
            m.put("accuracy", t.accuracy());
            out.put(bucket, m);
        });
        return out;
    }
}
