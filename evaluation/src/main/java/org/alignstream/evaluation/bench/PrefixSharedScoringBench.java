package org.alignstream.evaluation.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.DecoderRewardModel;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.inference.reward.ScoredText;

/**
 * Reward-model texts/s for one tokenwise round with prefix sharing ({@link RewardModel#scoreWithSharedPrefix}: the
 * common prefix encoded once, the k one-token extensions scored from its cache) over scoring each of the k texts in
 * full ({@link RewardModel#score(String, List)}, one padded batch), on a decoder reward model directory. The round: a
 * response of at least {@code prefixTokens} tokens (a fixed English text, repeated as needed) extended by k different
 * word endings. The two paths run interleaved, {@code rounds} times each after a warm-up; the figure is the ratio of
 * their median times. Prints {@code ratio prefix_shared_scoring_gain=X} and the largest reward difference between
 * the paths.
 *
 * <p>Usage: {@code PrefixSharedScoringBench MODEL_DIR [k=10] [prefixTokens=64] [rounds=30] [threads=1]}.
 */
public final class PrefixSharedScoringBench {

    static final String TEXT = "It is a truth universally acknowledged, that a single man in possession of a good "
            + "fortune, must be in want of a wife. However little known the feelings or views of such a man may be on "
            + "his first entering a neighbourhood, this truth is so well fixed in the minds of the surrounding families, "
            + "that he is considered the rightful property of some one or other of their daughters. ";
    static final List<String> ENDINGS = List.of(" the", " a", " and", " of", " to", " she", " was", ",", ".", " his",
            " her", " it", " in", " that", " be", " for");

    private PrefixSharedScoringBench() {
    }

    /**
     * The measured figures of one run.
     *
     * @param sharedTokens tokens encoded once for the round ({@link DecoderRewardModel#sharedPrefixTokens})
     * @param fullMs       median ms per round scoring the k texts in full
     * @param sharedMs     median ms per round with prefix sharing
     * @param maxDiff      largest |reward difference| between the two paths
     */
    public record Result(int k, int sharedTokens, double fullMs, double sharedMs, double maxDiff) {
        public double gain() {
            return fullMs / sharedMs;
        }
    }

    /** Measures {@code model} (see the class comment). */
    public static Result measure(DecoderRewardModel model, int k, int prefixTokens, int rounds) {
        if (k < 2 || k > ENDINGS.size()) {
            throw new IllegalArgumentException("k must be in [2, " + ENDINGS.size() + "], got " + k);
        }
        StringBuilder response = new StringBuilder();
        int tokens = 0;
        while (tokens < prefixTokens) {
            response.append(TEXT);
            tokens = model.sharedPrefixTokens("", List.of(response.toString(), response + "x"));
        }
        // cut back to whole words until just above the target, so that the prefix is about prefixTokens long
        String text = response.toString();
        while (true) {
            int cut = text.lastIndexOf(' ', text.length() - 2);
            String shorter = text.substring(0, Math.max(cut, 0));
            if (cut <= 0 || model.sharedPrefixTokens("", List.of(shorter, shorter + "x")) < prefixTokens) {
                break;
            }
            text = shorter;
        }
        List<String> texts = new ArrayList<>();
        for (String ending : ENDINGS.subList(0, k)) {
            texts.add(text + ending);
        }
        int shared = model.sharedPrefixTokens("", texts);
        double maxDiff = 0;
        for (int w = 0; w < 3; w++) { // warm-up (ONNX Runtime allocations)
            double[] full = model.score("", texts);
            double[] prefixed = model.scoreWithSharedPrefix("", texts, RewardModel.Outputs.REWARDS).rewards();
            for (int i = 0; i < k; i++) {
                maxDiff = Math.max(maxDiff, Math.abs(full[i] - prefixed[i]));
            }
        }
        double[] fullMs = new double[rounds];
        double[] sharedMs = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            long t0 = System.nanoTime();
            model.score("", texts);
            long t1 = System.nanoTime();
            model.scoreWithSharedPrefix("", texts, RewardModel.Outputs.REWARDS);
            long t2 = System.nanoTime();
            fullMs[r] = (t1 - t0) / 1e6;
            sharedMs[r] = (t2 - t1) / 1e6;
        }
        return new Result(k, shared, median(fullMs), median(sharedMs), maxDiff);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    public static void main(String[] args) {
        if (args.length < 1) {
            System.err.println("usage: PrefixSharedScoringBench MODEL_DIR [k=10] [prefixTokens=64] [rounds=30] [threads=1]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int prefixTokens = args.length > 2 ? Integer.parseInt(args[2]) : 64;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 30;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        try (RewardModel loaded = RewardModels.fromDirectory(dir, OnnxDevice.CPU, threads, ScoredText.RESPONSE)) {
            if (!(loaded instanceof DecoderRewardModel model)) {
                throw new IllegalArgumentException(dir + " is not a decoder reward model (" + loaded.getClass().getSimpleName() + ")");
            }
            Result r = measure(model, k, prefixTokens, rounds);
            System.out.println(model);
            System.out.printf(Locale.ROOT, "tokenwise round: k=%d, shared prefix %d tokens; median of %d rounds, "
                            + "%d thread(s)%n", r.k(), r.sharedTokens(), rounds, threads);
            System.out.printf(Locale.ROOT, "full scoring   %8.2f ms/round  %8.1f texts/s%n", r.fullMs(), 1000 * k / r.fullMs());
            System.out.printf(Locale.ROOT, "prefix shared  %8.2f ms/round  %8.1f texts/s%n", r.sharedMs(),
                    1000 * k / r.sharedMs());
            System.out.printf(Locale.ROOT, "max |reward difference| %.2e%n", r.maxDiff());
            System.out.println(new Ratio("prefix_shared_scoring_gain", r.gain()).line());
        }
    }
}
