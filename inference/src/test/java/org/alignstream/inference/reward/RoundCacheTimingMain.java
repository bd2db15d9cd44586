package org.alignstream.inference.reward;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.alignstream.inference.lm.KvCacheStore;
import org.alignstream.inference.onnx.OnnxDevice;

/**
 * Manual timing (not a test): ms per tokenwise round of a decoder reward model with the round cache, at a short and a
 * long response, interleaved (k texts, each the response plus one word). Args: model dir, k, short and long words.
 */
public final class RoundCacheTimingMain {

    private RoundCacheTimingMain() {
    }

    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int shortWords = args.length > 2 ? Integer.parseInt(args[2]) : 16;
        int longWords = args.length > 3 ? Integer.parseInt(args[3]) : 256;
        String[] words = {" the", " house", " was", " quiet", " and", " she", " smiled", " at", " him"};
        try (DecoderRewardModel model = (DecoderRewardModel) RewardModels.fromDirectory(dir, OnnxDevice.CPU, 1,
                ScoredText.RESPONSE);
             KvCacheStore<PrefixKv> store = new KvCacheStore<>(256L << 20)) {
            for (int pass = 0; pass < 3; pass++) {
                for (int length : new int[] {shortWords, longWords}) {
                    StringBuilder response = new StringBuilder("It");
                    for (int i = 0; i < length; i++) {
                        response.append(words[i % words.length]);
                    }
                    String id = "r" + pass + "-" + length;
                    List<Double> ms = new ArrayList<>();
                    for (int round = 0; round < 12; round++) {
                        List<String> texts = new ArrayList<>();
                        for (int c = 0; c < k; c++) {
                            texts.add(response + words[c % words.length] + (c >= words.length ? "s" : ""));
                        }
                        long t0 = System.nanoTime();
                        model.scoreWithSharedPrefix("", texts, RewardModel.Outputs.REWARDS,
                                new RewardModel.RoundCache(store, id, round > 0, true));
                        ms.add((System.nanoTime() - t0) / 1e6);
                        response.append(words[round % words.length]);
                    }
                    List<Double> hits = new ArrayList<>(ms.subList(2, ms.size()));
                    hits.sort(Double::compare);
                    System.out.printf(Locale.ROOT, "pass %d, %d words: first round %.1f ms, hit rounds median %.1f ms%n",
                            pass, length, ms.get(0), hits.get(hits.size() / 2));
                }
            }
            System.out.printf(Locale.ROOT, "hits %d, misses %d%n", store.hits(), store.misses());
        }
    }
}
