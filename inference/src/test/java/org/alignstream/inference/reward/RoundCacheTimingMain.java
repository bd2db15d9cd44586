package org.alignstream.inference.reward;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.alignstream.inference.lm.KvCacheStore;
import org.alignstream.inference.onnx.OnnxDevice;

/**
 * Manual timing (not a test): ms per tokenwise round of a decoder reward model with the round cache, at a short and a
 * long response, interleaved (k texts, each the response plus one word). Args: model dir, k, short and long words,
 * and optionally {@code both}: also time the same rounds on the model loaded without its
 * {@value DecoderRewardModel#SHARED_PAST_FILE} (a temporary directory of links to the other files: the k-row copy
 * path), printing the largest reward difference between the two paths and whether their arg-max agrees every round.
 */
public final class RoundCacheTimingMain {

    private RoundCacheTimingMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int shortWords = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int longWords = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        boolean both = args.length > 4 && args[4].equals("both");
        String[] words = {" the", " house", " was", " quiet", " and", " she", " smiled", " at", " him"};
        Path plainDir = null;
        if (both) {
            plainDir = Files.createTempDirectory("rm-copied").resolve(dir.toAbsolutePath().normalize().getFileName());
            Files.createDirectories(plainDir);
            for (String f : List.of("model.onnx", "config.json", "tokenizer.json")) {
                Files.createSymbolicLink(plainDir.resolve(f), dir.toAbsolutePath().resolve(f));
            }
        }
        try (DecoderRewardModel model = (DecoderRewardModel) RewardModels.fromDirectory(dir, OnnxDevice.CPU, 1,
                ScoredText.RESPONSE);
             DecoderRewardModel plain = both ? (DecoderRewardModel) RewardModels.fromDirectory(plainDir, OnnxDevice.CPU,
                     1, ScoredText.RESPONSE) : null;
             KvCacheStore<PrefixKv> store = new KvCacheStore<>(256L << 20);
             KvCacheStore<PrefixKv> plainStore = new KvCacheStore<>(256L << 20)) {
            System.out.println(model + (plain == null ? "" : " against " + plain));
            double worst = 0;
            int disagreements = 0;
            for (int pass = 0; pass < 3; pass++) {
                for (int length : new int[] {shortWords, longWords}) {
                    StringBuilder response = new StringBuilder("It");
                    for (int i = 0; i < length; i++) {
                        response.append(words[i % words.length]);
                    }
                    String id = "r" + pass + "-" + length;
                    List<Double> ms = new ArrayList<>();
                    List<Double> plainMs = new ArrayList<>();
                    for (int round = 0; round < 12; round++) {
                        List<String> texts = new ArrayList<>();
                        for (int c = 0; c < k; c++) {
                            texts.add(response + words[c % words.length] + (c >= words.length ? "s" : ""));
                        }
                        long t0 = System.nanoTime();
                        double[] a = model.scoreWithSharedPrefix("", texts, RewardModel.Outputs.REWARDS,
                                new RewardModel.RoundCache(store, id, round > 0, true)).rewards();
                        ms.add((System.nanoTime() - t0) / 1e6);
                        if (plain != null) {
                            long t1 = System.nanoTime();
                            double[] b = plain.scoreWithSharedPrefix("", texts, RewardModel.Outputs.REWARDS,
                                    new RewardModel.RoundCache(plainStore, id, round > 0, true)).rewards();
                            plainMs.add((System.nanoTime() - t1) / 1e6);
                            for (int i = 0; i < k; i++) {
                                worst = Math.max(worst, Math.abs(a[i] - b[i]));
                            }
                            if (argmax(a) != argmax(b)) {
                                disagreements++;
                            }
                        }
                        response.append(words[round % words.length]);
                    }
                    System.out.printf(Locale.ROOT, "pass %d, %d words: first round %.1f ms, hit rounds median %.1f ms%s%n",
                            pass, length, ms.get(0), hitMedian(ms), plain == null ? ""
                                    : String.format(Locale.ROOT, " (copied-prefix path: first %.1f, hits %.1f ms)",
                                            plainMs.get(0), hitMedian(plainMs)));
                }
            }
            System.out.printf(Locale.ROOT, "hits %d, misses %d%n", store.hits(), store.misses());
            if (plain != null) {
                System.out.printf(Locale.ROOT, "shared past vs copied prefix: max |reward diff| %.2e, arg-max differs in "
                        + "%d rounds%n", worst, disagreements);
            }
        }
    }

    private static double hitMedian(List<Double> ms) {
        List<Double> hits = new ArrayList<>(ms.subList(2, ms.size()));
        hits.sort(Double::compare);
        return hits.get(hits.size() / 2);
    }

    private static int argmax(double[] x) {
        int best = 0;
        for (int i = 1; i < x.length; i++) {
            if (x[i] > x[best]) {
                best = i;
            }
        }
        return best;
    }
}
