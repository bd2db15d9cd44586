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
 * log-odds that the text is positive. With {@code --compare-head} the report also holds the
 * agreement between this head and another one on the held-out sentences.
 *
 * <pre>
 * SentimentHeadTrainer --data models/reward-sentiment/sentences.tsv --out models/reward-sentiment
 *                      [--seed 42] [--version 1] [--folds 5] [--threads 1]
 *                      [--encoder all-MiniLM-L6-v2-int8|e5-small-v2-int8] [--id sentiment]
 *                      [--compare-head models/reward-sentiment/head.onnx]
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
    private static final String USAGE = "SentimentHeadTrainer --data FILE.tsv --out DIR [--seed N] [--version V]"
            + " [--folds K] [--threads T] [--encoder NAME] [--id ID] [--compare-head HEAD.onnx]";

    private SentimentHeadTrainer() {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> options = parseArgs(args, USAGE);
        Path data = Path.of(require(options, "data", USAGE));
        Path out = Path.of(require(options, "out", USAGE));
        long seed = Long.parseLong(options.getOrDefault("seed", "42"));
        String version = options.getOrDefault("version", "1");
        int folds = Integer.parseInt(options.getOrDefault("folds", "5"));
        int threads = Integer.parseInt(options.getOrDefault("threads", "1"));
        String encoderName = options.getOrDefault("encoder", MeanPoolingEncoder.MINILM_NAME);
        String rewardId = options.getOrDefault("id", REWARD_ID);
        Path compareHead = options.containsKey("compare-head") ? Path.of(options.get("compare-head")) : null;

        LabelledSentences all = LabelledSentences.load(data);
        LabelledSentences.Split split = all.split(seed, TRAIN_FRACTION);
        OrtSessions sessions = OrtSessions.cpu(threads);
        MeanPoolingEncoder encoder = MeanPoolingEncoder.forName(encoderName, sessions);
        long start = System.nanoTime();
        double[][] trainX = features(encoder, split.train().sentences());
        int[] trainY = split.train().labels();

        Map<Double, Double> cvAccuracy = new LinkedHashMap<>();
        double bestL2 = L2_GRID[0];
        for (double l2 : L2_GRID) {
            double accuracy = crossValidatedAccuracy(trainX, trainY, l2, folds);
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
            int trainCorrect = correct(model, split.train());
            int heldOutCorrect = correct(model, split.heldOut());
            Map<String, Object> agreement = null;
            if (compareHead != null) {
                try (EncoderHeadModel other = RewardModels.withHead(OnnxDevice.CPU, threads, compareHead,
                        ScoredText.RESPONSE)) {
                    agreement = agreement(model, other, split.heldOut());
                    agreement.put("head_file", relative(out, compareHead));
                }
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("reward_id", rewardId);
            report.put("version", version);
            report.put("kind", RewardModel.FULL_SEQUENCE);
            report.put("encoder", encoder.name());
            report.put("feature_dim", encoder.dimension());
            report.put("data_file", relative(out, data));
            report.put("data_sha256_prefix", RewardModels.sha256Prefix(Files.readAllBytes(data)));
            report.put("sentences", all.size());
            report.put("seed", seed);
            report.put("train_fraction", TRAIN_FRACTION);
            report.put("split", "stratified by label, java.util.Random(seed) shuffle");
            report.put("train_size", split.train().size());
            report.put("heldout_size", split.heldOut().size());
            report.put("cv_folds", folds);
            Map<String, Object> grid = new LinkedHashMap<>();
            cvAccuracy.forEach((l2, acc) -> grid.put(String.format(Locale.ROOT, "%g", l2), acc));
            report.put("cv_accuracy_by_l2", grid);
            report.put("chosen_l2", bestL2);
            report.put("train_correct", trainCorrect);
            report.put("train_accuracy", (double) trainCorrect / split.train().size());
            report.put("heldout_correct", heldOutCorrect);
            report.put("heldout_accuracy", (double) heldOutCorrect / split.heldOut().size());
            report.put("decision_rule", "positive iff reward (log-odds) >= 0");
            report.put("lbfgs_iterations", fitted.lossHistory().length - 1);
            report.put("lbfgs_converged", String.valueOf(fitted.converged()));
            report.put("final_objective", fitted.lossHistory()[fitted.lossHistory().length - 1]);
            if (agreement != null) {
                report.put("heldout_agreement_with_" + agreement.get("reward_id"), agreement);
            }
            report.put("trained_on", LocalDate.now(ZoneOffset.UTC).toString());
            report.put("seconds", Math.round(seconds * 10) / 10.0);
            report.put("command", command("ops/reward-sentiment/train-head.sh", SentimentHeadTrainer.class, args));
            Files.writeString(out.resolve("training.json"), Json.write(report) + "\n", StandardCharsets.UTF_8);
            System.out.printf(Locale.ROOT, "chosen l2=%g  train accuracy=%.4f (%d/%d)  held-out accuracy=%.4f (%d/%d)%n",
                    bestL2, (double) trainCorrect / split.train().size(), trainCorrect, split.train().size(),
                    (double) heldOutCorrect / split.heldOut().size(), heldOutCorrect, split.heldOut().size());
            if (agreement != null) {
                System.out.println("held-out agreement with " + agreement.get("reward_id") + ": " + agreement);
            }
            System.out.println("wrote " + headFile + " and " + out.resolve("training.json"));
        }
    }

    /**
     * How {@code model} and {@code other} agree on {@code data}, both scored in batches of
     * {@link #BATCH}: Spearman correlation of the rewards (overall and within each label), the
     * fraction of sentence pairs they order the same way, and the fraction of sentences whose
     * sign (positive iff reward >= 0) they share; plus each model's correct count.
     */
    public static Map<String, Object> agreement(RewardModel model, RewardModel other, LabelledSentences data) {
        double[] a = scores(model, data.sentences());
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

    private static int correct(double[] rewards, int[] labels) {
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
