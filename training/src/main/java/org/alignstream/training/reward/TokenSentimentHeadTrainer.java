package org.alignstream.training.reward;

import org.alignstream.feedback.EncoderFeaturizer;
import org.alignstream.feedback.ExampleBuilder;
import org.alignstream.feedback.Featurizer;
import org.alignstream.feedback.RewardTrainer;

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
import org.alignstream.avro.TokenSequence;
import org.alignstream.avro.TrainingExample;
import org.alignstream.inference.onnx.OrtSessions;
import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LabelledSentences;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.MeanPoolingEncoder;
import org.alignstream.inference.reward.PrefixPairs;
import org.alignstream.inference.reward.ResponseCredit;
import org.alignstream.inference.reward.RewardHead;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.ScoredText;
import org.alignstream.training.reward.SentimentHeadTrainer;
import org.alignstream.inference.reward.TokenLevelRewardModel;

/**
 * Trains the bundled token-level sentiment head ({@code sentiment-token}, kind {@value RewardModel#TOKEN_LEVEL}) exactly
 * the way the feedback service trains its later versions ({@link RewardTrainer#trainTokenLevel}): the labelled
 * sentences of the {@code sentiment} head, with its split (seed, 80 % train), presented as preference feedback, a
 * positive sentence preferred over a negative one; each sentence's token targets are the bundled {@code sentiment}
 * reward spread over its tokens by attention (dense credit, Chan et al. 2024); fitted from zero (there is no version to
 * refine yet). The data hold no edits (no sentence is a minimal edit of another), so this first version learns from
 * preferences and dense credit only; edit labels come with feedback. In effect it distils the sequence reward into a
 * per-token one whose sum ranks texts like it and whose parts follow the reward model's attention.
 *
 * <p>Pairs: each training positive with {@code negatives} random training negatives (seeded, full sentences). The
 * credit share {@code beta} and the L2 strength are chosen by k-fold cross-validation over training sentences
 * (a fold's validation pairs are all positive x negative pairs of its own sentences); the metric is the gate's,
 * pairwise accuracy of the sequence sums. Held out: every held-out positive x negative pair, scored through the ONNX
 * pipeline ({@link TokenLevelRewardModel}, batches of {@link SentimentHeadTrainer#BATCH}) and compared with the
 * {@code sentiment} head on the same pairs.
 *
 * <pre>
 * TokenSentimentHeadTrainer --data models/reward-sentiment/sentences.tsv --out models/reward-sentiment-token
 *     --credit-head models/reward-sentiment/head.onnx [--seed 42] [--version 1] [--folds 5] [--negatives 4]
 *     [--threads 1]
 * </pre>
 */
public final class TokenSentimentHeadTrainer {

    public static final String REWARD_ID = "sentiment-token";
    /** The sentence whose per-token rewards the report shows. */
    public static final String EXAMPLE = "I absolutely hated this terrible, boring movie.";
    static final double[] BETA_GRID = {0.5, 1.0};
    static final double[] L2_GRID = {1e-2, 1e-1, 1, 10, 100};
    private static final String USAGE = "TokenSentimentHeadTrainer --data SPEC --out DIR --credit-head HEAD.onnx"
            + " [--seed N] [--version V] [--folds K] [--negatives M] [--threads T]";

    private TokenSentimentHeadTrainer() {
    }

    /** A sentence as the feedback service stores it: pooled features and tokens. */
    record Encoded(List<Float> features, TokenSequence tokens) {
    }

    public static void main(String[] args) throws IOException {
        Map<String, String> options = SentimentHeadTrainer.parseArgs(args, USAGE);
        String data = SentimentHeadTrainer.require(options, "data", USAGE); // a data spec (LabelledSentences.load)
        Path out = Path.of(SentimentHeadTrainer.require(options, "out", USAGE));
        Path creditHead = Path.of(SentimentHeadTrainer.require(options, "credit-head", USAGE));
        long seed = Long.parseLong(options.getOrDefault("seed", "42"));
        String version = options.getOrDefault("version", "1");
        int folds = Integer.parseInt(options.getOrDefault("folds", "5"));
        int negatives = Integer.parseInt(options.getOrDefault("negatives", "4"));
        int threads = Integer.parseInt(options.getOrDefault("threads", "1"));

        LabelledSentences all = LabelledSentences.load(data, Path.of(""));
        LabelledSentences.Split split = all.split(seed, SentimentHeadTrainer.TRAIN_FRACTION);
        LabelledSentences train = split.train();
        LabelledSentences heldOut = split.heldOut();
        LinearHead credit = RewardHeadOnnx.read(Files.readAllBytes(creditHead), creditHead.toString());
        OrtSessions sessions = OrtSessions.cpu(threads);
        long start = System.nanoTime();
        try (MeanPoolingEncoder encoder = MeanPoolingEncoder.miniLm(sessions, true)) {
            HeadMetadata metadata = new HeadMetadata(REWARD_ID, version, RewardModel.TOKEN_LEVEL, encoder.dimension(),
                    encoder.name());
            Map<String, Encoded> encoded = encode(new EncoderFeaturizer(encoder), train.sentences());
            encoded.putAll(encode(new EncoderFeaturizer(encoder), heldOut.sentences()));

            Map<String, Double> cv = new LinkedHashMap<>();
            double bestBeta = BETA_GRID[0];
            double bestL2 = L2_GRID[0];
            double best = -1;
            for (double beta : BETA_GRID) {
                for (double l2 : L2_GRID) {
                    double accuracy = crossValidate(train, encoded, credit, metadata, seed, negatives, folds, beta, l2);
                    cv.put(String.format(Locale.ROOT, "beta=%s l2=%g", beta, l2), accuracy);
                    System.out.printf(Locale.ROOT, "beta=%s l2=%g  %d-fold CV pair accuracy=%.4f%n", beta, l2, folds,
                            accuracy);
                    if (accuracy > best) { // ties keep the first: smaller beta, then smaller l2
                        best = accuracy;
                        bestBeta = beta;
                        bestL2 = l2;
                    }
                }
            }
            List<TrainingExample> examples = new ArrayList<>(examples(train, PrefixPairs.sample(train, seed, negatives, 0),
                    encoded, false));
            examples.addAll(examples(heldOut, PrefixPairs.all(heldOut).stream().filter(PrefixPairs.Pair::full).toList(),
                    encoded, true));
            RewardTrainer.Outcome outcome = trainer(bestL2, bestBeta).trainTokenLevel(null, credit, metadata, examples,
                    Long.parseLong(version));
            byte[] headBytes = RewardHeadOnnx.write(new LinearHead(outcome.head().weights(), outcome.head().bias(),
                    metadata));
            Files.createDirectories(out);
            Path headFile = out.resolve("head.onnx");
            Files.write(headFile, headBytes);

            Map<String, Object> report = new LinkedHashMap<>();
            try (TokenLevelRewardModel model = TokenLevelRewardModel.sharing(encoder,
                    RewardHead.load(sessions, headBytes, headFile.toString()));
                 EncoderRewardModel sentiment = new EncoderRewardModel(MeanPoolingEncoder.miniLm(sessions),
                         RewardHead.load(sessions, Files.readAllBytes(creditHead), creditHead.toString()),
                         ScoredText.RESPONSE)) {
                Map<String, Object> heldOutFigures = evaluate(model, heldOut);
                Map<String, Object> compared = evaluate(sentiment, heldOut);
                double seconds = (System.nanoTime() - start) / 1e9;
                report.put("reward_id", REWARD_ID);
                report.put("version", version);
                report.put("kind", RewardModel.TOKEN_LEVEL);
                report.put("encoder", encoder.name());
                report.put("feature_dim", encoder.dimension());
                report.put("token_features", "last_hidden_state row of each response token (no [CLS]/[SEP])");
                report.put("data_file", SentimentHeadTrainer.relativeSpec(out, data));
                report.put("sentences", all.size());
                report.put("seed", seed);
                report.put("train_fraction", SentimentHeadTrainer.TRAIN_FRACTION);
                report.put("split", "stratified by label, java.util.Random(seed) shuffle (as SentimentHeadTrainer)");
                report.put("train_size", train.size());
                report.put("heldout_size", heldOut.size());
                report.put("feedback", "preferences only: positive sentence preferred over negative sentence; no edits");
                report.put("credit_reward", SentimentHeadTrainer.relative(out, creditHead));
                report.put("credit_attention", "last layer, head and query mean, renormalised over the response tokens");
                report.put("train_pairs", "each training positive with " + negatives + " random training negatives");
                report.put("cv_folds", folds);
                report.put("cv_pair_accuracy", cv);
                report.put("chosen_credit_beta", bestBeta);
                report.put("chosen_l2", bestL2);
                Map<String, Object> figures = new LinkedHashMap<>();
                outcome.figures().forEach((k, v) -> {
                    if (Double.isFinite(v)) { // no serving version: no serving accuracy
                        figures.put(k, v);
                    }
                });
                report.put("trainer_figures", figures);
                report.put("heldout", heldOutFigures);
                report.put("compared_reward_id", sentiment.id());
                report.put("compared_heldout", compared);
                report.put("scoring", "held-out sentences scored through the ONNX pipeline in batches of "
                        + SentimentHeadTrainer.BATCH + " in split order; pairs: chosen strictly higher");
                report.put("example_sentence", EXAMPLE);
                report.put("example_token_rewards", tokenRewards(model, EXAMPLE));
                report.put("trained_on", LocalDate.now(ZoneOffset.UTC).toString());
                report.put("seconds", Math.round(seconds * 10) / 10.0);
                report.put("command", SentimentHeadTrainer.command("ops/reward-sentiment-token/train-head.sh",
                        TokenSentimentHeadTrainer.class, args));
                Files.writeString(out.resolve("training.json"), SentimentHeadTrainer.Json.write(report) + "\n",
                        StandardCharsets.UTF_8);
                System.out.printf(Locale.ROOT, "chosen beta=%s l2=%g; held-out %s; %s %s%n", bestBeta, bestL2,
                        heldOutFigures, sentiment.id(), compared);
                System.out.println("wrote " + headFile + " and " + out.resolve("training.json"));
            }
        }
    }

    /** Each sentence's pooled features and tokens, encoded in batches of {@link SentimentHeadTrainer#BATCH}. */
    static Map<String, Encoded> encode(Featurizer featurizer, List<String> sentences) {
        Map<String, Encoded> out = new HashMap<>();
        for (int from = 0; from < sentences.size(); from += SentimentHeadTrainer.BATCH) {
            List<String> batch = sentences.subList(from, Math.min(sentences.size(), from + SentimentHeadTrainer.BATCH));
            Featurizer.Encoded e = featurizer.encode(batch, batch.size());
            for (int i = 0; i < batch.size(); i++) {
                out.putIfAbsent(batch.get(i), new Encoded(ExampleBuilder.toList(e.features()[i]),
                        ExampleBuilder.sequence(e.tokens().get(i), new int[0])));
            }
        }
        return out;
    }

    /** The pairs as preference examples (chosen = the positive sentence), all train or all held out. */
    static List<TrainingExample> examples(LabelledSentences data, List<PrefixPairs.Pair> pairs,
            Map<String, Encoded> encoded, boolean holdout) {
        List<TrainingExample> out = new ArrayList<>(pairs.size());
        for (PrefixPairs.Pair pair : pairs) {
            Encoded chosen = encoded.get(data.sentences().get(pair.chosen()));
            Encoded rejected = encoded.get(data.sentences().get(pair.rejected()));
            out.add(TrainingExample.newBuilder().setEventId((holdout ? "h" : "t") + out.size())
                    .setRewardModel("sentiment").setSource("preference").setHoldout(holdout)
                    .setChosen(chosen.features()).setRejected(rejected.features())
                    .setChosenTokens(chosen.tokens()).setRejectedTokens(rejected.tokens()).build());
        }
        return out;
    }

    /** Mean over folds of the validation pair accuracy of a fit on the other folds' sampled pairs. */
    static double crossValidate(LabelledSentences train, Map<String, Encoded> encoded, LinearHead credit,
            HeadMetadata metadata, long seed, int negatives, int folds, double beta, double l2) {
        double sum = 0;
        for (int fold = 0; fold < folds; fold++) {
            List<Integer> fit = new ArrayList<>();
            List<Integer> validation = new ArrayList<>();
            for (int i = 0; i < train.size(); i++) {
                (i % folds == fold ? validation : fit).add(i);
            }
            LabelledSentences fitPart = train.subset(fit);
            LabelledSentences validationPart = train.subset(validation);
            List<TrainingExample> examples = new ArrayList<>(examples(fitPart,
                    PrefixPairs.sample(fitPart, seed + fold, negatives, 0), encoded, false));
            examples.addAll(examples(validationPart, PrefixPairs.all(validationPart).stream()
                    .filter(PrefixPairs.Pair::full).toList(), encoded, true));
            sum += trainer(l2, beta).trainTokenLevel(null, credit, metadata, examples, 1).decision().newAccuracy();
        }
        return sum / folds;
    }

    /** The feedback service's trainer with these token-level settings (its sequence-level settings are not used). */
    private static RewardTrainer trainer(double l2, double beta) {
        return new RewardTrainer(1, 0, new RewardTrainer.TokenLevel(l2, beta));
    }

    /**
     * Held-out figures of a model scoring the sentences in batches: pairwise accuracy over every positive x negative
     * pair, and sign accuracy (positive iff reward >= 0).
     */
    static Map<String, Object> evaluate(RewardModel model, LabelledSentences heldOut) {
        double[] r = SentimentHeadTrainer.scores(model, heldOut.sentences());
        int[] labels = heldOut.labels();
        int pairs = 0;
        int correct = 0;
        for (int p = 0; p < r.length; p++) {
            for (int n = 0; n < r.length; n++) {
                if (labels[p] == 1 && labels[n] == 0) {
                    pairs++;
                    correct += r[p] > r[n] ? 1 : 0;
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("pairs", pairs);
        m.put("pair_correct", correct);
        m.put("pair_accuracy", (double) correct / pairs);
        int signCorrect = SentimentHeadTrainer.correct(model, heldOut);
        m.put("sign_correct", signCorrect);
        m.put("sign_accuracy", (double) signCorrect / heldOut.size());
        return m;
    }

    private static Map<String, Object> tokenRewards(TokenLevelRewardModel model, String sentence) {
        ResponseCredit c = model.tokenRewards(List.of(sentence)).get(0);
        Map<String, Object> m = new LinkedHashMap<>();
        double[] credits = c.credits();
        for (int t = 0; t < c.size(); t++) {
            m.put(t + ":" + c.tokens().get(t), Math.round(credits[t] * 1000) / 1000.0);
        }
        m.put("sum", Math.round(c.sum() * 1000) / 1000.0);
        return m;
    }
}
