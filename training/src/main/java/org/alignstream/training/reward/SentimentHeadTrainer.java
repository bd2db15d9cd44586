package org.alignstream.training.reward;

import org.alignstream.inference.reward.EncoderHeadModel;
import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LabelledSentences;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.MeanPoolingEncoder;
import org.alignstream.inference.reward.RankAgreement;
import org.alignstream.inference.reward.RewardBatches;
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
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.alignstream.core.training.LogisticRegression;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.onnx.OrtSessions;

/**
 * Trains a positive-sentiment reward head: encoder features (MiniLM-L6-v2 int8 by default, or
 * e5-small-v2 int8 for the gold model) of labelled sentences, an L2-regularised
 * {@link LogisticRegression} (L2 chosen by k-fold cross-validation on the training part), written
 * as {@code head.onnx} plus {@code training.json}. The reward is the logistic regression's
 * log-odds that the text is positive.
 *
 * <p>{@code --data} is a data spec ({@link LabelledSentences#load(String, Path)}: files, {@code style=file} or
 * directories whose files are styles, comma-separated). The split is stratified by style and label (seeded, 80/20);
 * held-out accuracy is reported overall and per style. Graded proxies: {@code --train-size N} keeps N training
 * sentences drawn stratified by style and label ({@link LabelledSentences#sample}), {@code --label-noise F} flips the
 * labels of a fraction F of the training sentences ({@link LabelledSentences#withFlippedLabels}); both are applied
 * after the split, so every proxy trained from the same data and seed shares the same held-out sentences.
 * {@code --eval-data SPEC} adds the accuracy (overall and per style) on every sentence of another set (e.g. the gold
 * set). {@code --compare-head M1,M2,..} adds the held-out agreement between this head and each other reward model: a
 * head file, or a model directory loaded as {@code --reward-model-dir} loads it (prompt "", the sentence as response).
 *
 * <pre>
 * SentimentHeadTrainer --data original=models/reward-sentiment/sentences.tsv,training/data/sentiment/proxy
 *                      --out models/reward-sentiment [--seed 42] [--version 1] [--folds 5] [--threads 1]
 *                      [--encoder all-MiniLM-L6-v2-int8|e5-small-v2-int8] [--id sentiment]
 *                      [--train-size N] [--label-noise F] [--eval-data SPEC]
 *                      [--compare-head models/reward-sentiment/head.onnx,...]
 * </pre>
 */
public final class SentimentHeadTrainer {

    public static final String REWARD_ID = "sentiment";
    public static final double TRAIN_FRACTION = LabelledSentences.TRAIN_FRACTION;
    /** Texts per encoder call, in training and evaluation alike (int8 activations are quantised per batch). */
    public static final int BATCH = RewardBatches.SIZE;
    static final double[] L2_GRID = {1e-4, 3e-4, 1e-3, 3e-3, 1e-2, 3e-2, 1e-1};
    /** System property the ops scripts set to name themselves in {@code training.json}. */
    static final String COMMAND_PROPERTY = "alignstream.command";
    private static final String USAGE = "SentimentHeadTrainer --data SPEC --out DIR [--seed N] [--version V]"
            + " [--folds K] [--threads T] [--encoder NAME] [--id ID] [--train-size N] [--label-noise F]"
            + " [--eval-data SPEC] [--compare-head HEAD.onnx[,HEAD.onnx...]]";

    private SentimentHeadTrainer() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> options = parseArgs(args, USAGE);
        String data = require(options, "data", USAGE);
        Path out = Path.of(require(options, "out", USAGE));
        long seed = Long.parseLong(options.getOrDefault("seed", "42"));
        String version = options.getOrDefault("version", "1");
        int folds = Integer.parseInt(options.getOrDefault("folds", "5"));
        int threads = Integer.parseInt(options.getOrDefault("threads", "1"));
        String encoderName = options.getOrDefault("encoder", MeanPoolingEncoder.MINILM_NAME);
        String rewardId = options.getOrDefault("id", REWARD_ID);
        Integer trainSize = options.containsKey("train-size") ? Integer.valueOf(options.get("train-size")) : null;
        double labelNoise = Double.parseDouble(options.getOrDefault("label-noise", "0"));
        String evalData = options.get("eval-data");
        List<Path> compareHeads = options.containsKey("compare-head")
                ? Arrays.stream(options.get("compare-head").split(",")).map(String::strip).map(Path::of).toList()
                : List.of();

        Path here = Path.of("");
        LabelledSentences all = LabelledSentences.load(data, here);
        LabelledSentences.Split split = all.split(seed, TRAIN_FRACTION);
        LabelledSentences fullTrain = split.train();
        LabelledSentences cleanTrain = trainSize == null ? fullTrain : fullTrain.sample(trainSize, seed);
        LabelledSentences train = labelNoise > 0 ? cleanTrain.withFlippedLabels(labelNoise, seed) : cleanTrain;
        LabelledSentences heldOut = split.heldOut();
        OrtSessions sessions = OrtSessions.cpu(threads);
        MeanPoolingEncoder encoder = MeanPoolingEncoder.forName(encoderName, sessions);
        long start = System.nanoTime();
        double[][] trainX = features(encoder, train.sentences());
        int[] trainY = train.labels();

        Map<Double, Double> cvAccuracy = new LinkedHashMap<>();
        double bestL2 = L2_GRID[0];
        for (double l2 : L2_GRID) {
            double accuracy = crossValidatedAccuracy(trainX, trainY, l2, Math.min(folds, train.size()));
            cvAccuracy.put(l2, accuracy);
            System.out.printf(Locale.ROOT, "l2=%g  %d-fold CV accuracy=%.4f%n", l2, folds, accuracy);
            if (accuracy > cvAccuracy.get(bestL2)) { // ties keep the smaller L2 seen first
                bestL2 = l2;
            }
        }
        LogisticRegression fitted = LogisticRegression.fit(trainX, trainY, bestL2);
        HeadMetadata metadata = new HeadMetadata(rewardId, version, RewardModel.FULL_SEQUENCE,
                encoder.dimension(), encoder.name());
        byte[] headBytes = RewardHeadOnnx.write(new LinearHead(fitted.weights(), fitted.bias(), metadata));
        Files.createDirectories(out);
        Path headFile = out.resolve("head.onnx");
        Files.write(headFile, headBytes);

        try (EncoderRewardModel model = new EncoderRewardModel(encoder,
                RewardHead.load(sessions, headBytes, headFile.toString()), ScoredText.RESPONSE)) {
            double[] trainScores = scores(model, train.sentences());
            int trainCorrect = correct(trainScores, train.labels());
            int trainCleanCorrect = correct(trainScores, cleanTrain.labels());
            double[] heldOutScores = scores(model, heldOut.sentences());
            int heldOutCorrect = correct(heldOutScores, heldOut.labels());
            Map<String, Object> agreements = new LinkedHashMap<>();
            for (Path compareHead : compareHeads) {
                // a head file, or a model directory as --reward-model-dir loads it (e.g. a decoder reward model,
                // scored with the prompt "" and the sentence as the response)
                try (RewardModel other = Files.isDirectory(compareHead)
                        ? RewardModels.fromDirectory(compareHead, OnnxDevice.CPU, threads, ScoredText.RESPONSE)
                        : RewardModels.withHead(OnnxDevice.CPU, threads, compareHead, ScoredText.RESPONSE)) {
                    Map<String, Object> agreement = agreement(heldOutScores, other, heldOut);
                    agreement.put("head_file", relative(out, compareHead));
                    agreements.put("heldout_agreement_with_" + other.id(), agreement);
                }
            }
            Map<String, Object> evalReport = null;
            if (evalData != null) {
                LabelledSentences eval = LabelledSentences.load(evalData, here);
                evalReport = new LinkedHashMap<>();
                evalReport.put("data", relativeSpec(out, evalData));
                evalReport.put("data_sha256_prefix", dataHash(eval));
                double[] evalScores = scores(model, eval.sentences());
                int evalCorrect = correct(evalScores, eval.labels());
                evalReport.put("sentences", eval.size());
                evalReport.put("correct", evalCorrect);
                evalReport.put("accuracy", (double) evalCorrect / eval.size());
                evalReport.put("by_style", byStyle(eval, evalScores));
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("reward_id", rewardId);
            report.put("version", version);
            report.put("kind", RewardModel.FULL_SEQUENCE);
            report.put("encoder", encoder.name());
            report.put("feature_dim", encoder.dimension());
            report.put("data", relativeSpec(out, data));
            report.put("data_sha256_prefix", dataHash(all));
            report.put("sentences", all.size());
            report.put("sentences_by_style", countByStyle(all));
            report.put("seed", seed);
            report.put("train_fraction", TRAIN_FRACTION);
            report.put("split", "stratified by style and label, java.util.Random(seed) shuffle"
                    + " (LabelledSentences.split)");
            report.put("split_train_size", fullTrain.size());
            report.put("train_size", train.size());
            if (trainSize != null) {
                report.put("train_subsample", "the first " + trainSize + " of the split's training part drawn"
                        + " stratified by style and label with java.util.Random(seed) (LabelledSentences.sample)");
                report.put("train_by_style", countByStyle(train));
            }
            if (labelNoise > 0) {
                report.put("label_noise", labelNoise);
                report.put("label_noise_rule", "labels of round(fraction x train_size) training sentences flipped,"
                        + " rows chosen by a java.util.Random(seed) shuffle (LabelledSentences.withFlippedLabels);"
                        + " held-out and evaluation labels are clean");
                report.put("labels_flipped", flipped(cleanTrain, train));
            }
            report.put("heldout_size", heldOut.size());
            report.put("cv_folds", folds);
            Map<String, Object> grid = new LinkedHashMap<>();
            cvAccuracy.forEach((l2, acc) -> grid.put(String.format(Locale.ROOT, "%g", l2), acc));
            report.put("cv_accuracy_by_l2", grid);
            report.put("chosen_l2", bestL2);
            report.put("train_correct", trainCorrect);
            report.put("train_accuracy", (double) trainCorrect / train.size());
            if (labelNoise > 0) {
                report.put("train_accuracy_clean_labels", (double) trainCleanCorrect / train.size());
            }
            report.put("heldout_correct", heldOutCorrect);
            report.put("heldout_accuracy", (double) heldOutCorrect / heldOut.size());
            report.put("heldout_by_style", byStyle(heldOut, heldOutScores, all.styleNames()));
            if (evalReport != null) {
                report.put("eval_set", evalReport);
            }
            report.put("decision_rule", "positive iff reward (log-odds) >= 0");
            report.put("scoring", "texts scored through the ONNX pipeline in batches of " + BATCH
                    + " in data order (held out: split order)");
            report.put("lbfgs_iterations", fitted.lossHistory().length - 1);
            report.put("lbfgs_converged", String.valueOf(fitted.converged()));
            report.put("final_objective", fitted.lossHistory()[fitted.lossHistory().length - 1]);
            report.putAll(agreements);
            report.put("trained_on", LocalDate.now(ZoneOffset.UTC).toString());
            report.put("seconds", Math.round(seconds * 10) / 10.0);
            report.put("command", command("ops/reward-sentiment/train-head.sh", SentimentHeadTrainer.class, args));
            Files.writeString(out.resolve("training.json"), Json.write(report) + "\n", StandardCharsets.UTF_8);
            System.out.printf(Locale.ROOT, "chosen l2=%g  train accuracy=%.4f (%d/%d)  held-out accuracy=%.4f (%d/%d)%n",
                    bestL2, (double) trainCorrect / train.size(), trainCorrect, train.size(),
                    (double) heldOutCorrect / heldOut.size(), heldOutCorrect, heldOut.size());
            System.out.println("held-out by style: " + report.get("heldout_by_style"));
            if (evalReport != null) {
                System.out.printf(Locale.ROOT, "eval set accuracy=%.4f  by style %s%n", evalReport.get("accuracy"),
                        evalReport.get("by_style"));
            }
            agreements.forEach((k, v) -> System.out.println(k + ": " + v));
            System.out.println("wrote " + headFile + " and " + out.resolve("training.json"));
        }
    }

    /** Number of rows whose label differs between two labellings of the same sentences. */
    private static int flipped(LabelledSentences a, LabelledSentences b) {
        int n = 0;
        for (int i = 0; i < a.size(); i++) {
            n += a.labels()[i] != b.labels()[i] ? 1 : 0;
        }
        return n;
    }

    /** Sentences per style, in order of first appearance. */
    public static Map<String, Object> countByStyle(LabelledSentences data) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String style : data.styleNames()) {
            m.put(style, data.ofStyle(style).size());
        }
        return m;
    }

    /**
     * Accuracy (positive iff score >= 0) of {@code scores} against {@code data}'s labels, per style (in order of first
     * appearance): {style: {sentences, correct, accuracy}}.
     */
    public static Map<String, Object> byStyle(LabelledSentences data, double[] scores) {
        return byStyle(data, scores, data.styleNames());
    }

    /** {@link #byStyle(LabelledSentences, double[])} with the styles in the order {@code styles} gives. */
    public static Map<String, Object> byStyle(LabelledSentences data, double[] scores, List<String> styles) {
        Map<String, Object> m = new LinkedHashMap<>();
        int[] labels = data.labels();
        for (String style : styles) {
            int n = 0;
            int correct = 0;
            for (int i = 0; i < data.size(); i++) {
                if (data.styles().get(i).equals(style)) {
                    n++;
                    correct += (scores[i] >= 0 ? 1 : 0) == labels[i] ? 1 : 0;
                }
            }
            Map<String, Object> s = new LinkedHashMap<>();
            s.put("sentences", n);
            s.put("correct", correct);
            s.put("accuracy", (double) correct / n);
            m.put(style, s);
        }
        return m;
    }

    /**
     * A SHA-256 prefix of the data as read (style, label and sentence of every row, in order): changes whenever a
     * sentence, label or style does.
     */
    public static String dataHash(LabelledSentences data) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < data.size(); i++) {
            sb.append(data.styles().get(i)).append('\t').append(data.labels()[i]).append('\t')
                    .append(data.sentences().get(i)).append('\n');
        }
        return RewardModels.sha256Prefix(sb.toString().getBytes(StandardCharsets.UTF_8));
    }

    /** A data spec with every path made relative to {@code dir} (as {@link #relative}), for the training report. */
    public static String relativeSpec(Path dir, String spec) {
        List<String> entries = new ArrayList<>();
        for (String entry : spec.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            String path = eq > 0 ? e.substring(eq + 1).strip() : e;
            entries.add((eq > 0 ? e.substring(0, eq).strip() + "=" : "") + relative(dir, Path.of(path)));
        }
        return String.join(",", entries);
    }

    /**
     * How {@code model} and {@code other} agree on {@code data}, both scored in batches of
     * {@link #BATCH}: Spearman correlation of the rewards (overall and within each label), the
     * fraction of sentence pairs they order the same way, and the fraction of sentences whose
     * sign (positive iff reward >= 0) they share; plus each model's correct count.
     */
    public static Map<String, Object> agreement(RewardModel model, RewardModel other, LabelledSentences data) {
        return agreement(scores(model, data.sentences()), other, data);
    }

    /** {@link #agreement(RewardModel, RewardModel, LabelledSentences)} with this model's scores {@code a} given. */
    public static Map<String, Object> agreement(double[] a, RewardModel other, LabelledSentences data) {
        double[] b = scores(other, data.sentences());
        int[] labels = data.labels();
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("reward_id", other.id());
        m.put("reward_version", other.version());
        m.put("sentences", data.size());
        m.put("spearman", RankAgreement.spearman(a, b));
        m.put("spearman_within_positive", RankAgreement.spearman(select(a, labels, 1), select(b, labels, 1)));
        m.put("spearman_within_negative", RankAgreement.spearman(select(a, labels, 0), select(b, labels, 0)));
        m.put("pairwise_order_agreement", RankAgreement.pairwiseAgreement(a, b));
        m.put("sign_agreement", RankAgreement.signAgreement(a, b));
        m.put("this_correct", correct(a, labels));
        m.put("other_correct", correct(b, labels));
        return m;
    }

    private static double[] select(double[] values, int[] labels, int label) {
        return java.util.stream.IntStream.range(0, values.length).filter(i -> labels[i] == label)
                .mapToDouble(i -> values[i]).toArray();
    }

    /** {@code target} relative to {@code dir} with '/' separators (e.g. {@code sentences.tsv}). */
    public static String relative(Path dir, Path target) {
        return dir.toAbsolutePath().normalize().relativize(target.toAbsolutePath().normalize()).toString()
                .replace('\\', '/');
    }

    /** The command line recorded in a training report. */
    public static String command(String defaultScript, Class<?> trainer, String[] args) {
        return System.getProperty(COMMAND_PROPERTY, defaultScript) + " (java ... " + trainer.getName() + " "
                + String.join(" ", args) + ")";
    }

    /** Encoder features as doubles, computed in batches of {@link #BATCH}. */
    public static double[][] features(MeanPoolingEncoder encoder, List<String> texts) {
        double[][] x = new double[texts.size()][];
        for (int from = 0; from < texts.size(); from += BATCH) {
            float[][] f = encoder.encode(texts.subList(from, Math.min(texts.size(), from + BATCH)));
            for (int i = 0; i < f.length; i++) {
                x[from + i] = new double[f[i].length];
                for (int d = 0; d < f[i].length; d++) {
                    x[from + i][d] = f[i][d];
                }
            }
        }
        return x;
    }

    /** Rewards of {@code texts} (prompt ""), scored through {@code model} in batches of {@link #BATCH}. */
    public static double[] scores(RewardModel model, List<String> texts) {
        return RewardBatches.score(model, texts);
    }

    /**
     * Number of sentences whose predicted label (positive iff reward >= 0) is right, scoring
     * through the full ONNX reward model in batches of {@link #BATCH}.
     */
    public static int correct(RewardModel model, LabelledSentences data) {
        return correct(scores(model, data.sentences()), data.labels());
    }

    /** Number of rewards whose sign (positive iff >= 0) matches the label. */
    public static int correct(double[] rewards, int[] labels) {
        int correct = 0;
        for (int i = 0; i < rewards.length; i++) {
            if ((rewards[i] >= 0 ? 1 : 0) == labels[i]) {
                correct++;
            }
        }
        return correct;
    }

    /** Mean accuracy over k folds (row i is in fold i mod k). */
    static double crossValidatedAccuracy(double[][] x, int[] y, double l2, int folds) {
        if (folds < 2 || folds > x.length) {
            throw new IllegalArgumentException("folds must be in [2, " + x.length + "], got " + folds);
        }
        double sum = 0;
        for (int fold = 0; fold < folds; fold++) {
            List<double[]> trX = new ArrayList<>();
            List<Integer> trY = new ArrayList<>();
            List<double[]> vaX = new ArrayList<>();
            List<Integer> vaY = new ArrayList<>();
            for (int i = 0; i < x.length; i++) {
                (i % folds == fold ? vaX : trX).add(x[i]);
                (i % folds == fold ? vaY : trY).add(y[i]);
            }
            LogisticRegression model = LogisticRegression.fit(trX.toArray(double[][]::new),
                    trY.stream().mapToInt(Integer::intValue).toArray(), l2);
            sum += model.accuracy(vaX.toArray(double[][]::new), vaY.stream().mapToInt(Integer::intValue).toArray());
        }
        return sum / folds;
    }

    /** {@code --key value} pairs of a trainer's command line (shared by the model trainers). */
    public static Map<String, String> parseArgs(String[] args, String usage) {
        Map<String, String> options = new LinkedHashMap<>();
        for (int i = 0; i < args.length; i++) {
            if (!args[i].startsWith("--") || i + 1 >= args.length) {
                throw new IllegalArgumentException("usage: " + usage + "; bad argument '" + args[i] + "'");
            }
            options.put(args[i].substring(2), args[++i]);
        }
        return options;
    }

    /** The value of a required {@code --key}. */
    public static String require(Map<String, String> options, String key, String usage) {
        String value = options.get(key);
        if (value == null) {
            throw new IllegalArgumentException("missing --" + key + " (usage: " + usage + ")");
        }
        return value;
    }

    /** Minimal JSON writer for the flat training report (strings, numbers, nested maps). */
    public static final class Json {
        private Json() {
        }

        public static String write(Map<String, ?> map) {
            StringBuilder sb = new StringBuilder();
            write(map, sb, "");
            return sb.toString();
        }

        private static void write(Map<String, ?> map, StringBuilder sb, String indent) {
            sb.append("{\n");
            int k = 0;
            for (Map.Entry<String, ?> e : map.entrySet()) {
                sb.append(indent).append("  ").append(quote(e.getKey())).append(": ");
                Object v = e.getValue();
                if (v instanceof Map<?, ?> nested) {
                    @SuppressWarnings("unchecked")
                    Map<String, ?> m = (Map<String, ?>) nested;
                    write(m, sb, indent + "  ");
                } else if (v instanceof Number) {
                    sb.append(v);
                } else {
                    sb.append(quote(String.valueOf(v)));
                }
                sb.append(++k < map.size() ? ",\n" : "\n");
            }
            sb.append(indent).append("}");
        }

        private static String quote(String s) {
            StringBuilder sb = new StringBuilder("\"");
            for (char c : s.toCharArray()) {
                switch (c) {
                    case '"' -> sb.append("\\\"");
                    case '\\' -> sb.append("\\\\");
                    case '\n' -> sb.append("\\n");
                    case '\t' -> sb.append("\\t");
                    default -> {
                        if (c < 0x20) {
                            sb.append(String.format("\\u%04x", (int) c));
                        } else {
                            sb.append(c);
                        }
                    }
                }
            }
            return sb.append('"').toString();
        }
    }
}
