package org.alignstream.inference.reward;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.alignstream.inference.onnx.OnnxDevice;

/**
 * Manual timing (not a test): median wall time of {@link RewardModels#defaultSentiment} scoring
 * batches of 1 and 8 sentences of about 20 tokens on one intra-op thread.
 * Run: {@code ops/reward-sentiment/time-scoring.sh}.
 */
public final class ScoringTimingMain {

    private static final String[] SENTENCES = {
        "The little cafe on the corner serves the best coffee I have tasted in years, honestly.",
        "After waiting nearly two hours, we were told that the flight had been cancelled again today.",
        "She opened the letter slowly and smiled when she read the news about her new job offer.",
        "The instructions were confusing and half of the parts were missing from the box when it arrived.",
        "Our walk along the river at sunset was calm, quiet and absolutely beautiful this evening.",
        "The hotel room smelled of smoke, the sheets were stained and nobody answered the phone.",
        "He finally finished the marathon, tired but proud, with his whole family cheering loudly.",
        "The meeting dragged on for hours without a single decision being made by anyone there.",
    };

    private ScoringTimingMain() {
    }

    public static void main(String[] args) {
        int iterations = args.length > 0 ? Integer.parseInt(args[0]) : 200;
        try (EncoderRewardModel model = RewardModels.defaultSentiment(OnnxDevice.CPU, 1)) {
            int tokens = model.encoder().tokenizer().encode(List.of(SENTENCES)).length();
            System.out.printf(Locale.ROOT, "padded length of the 8 sentences: %d tokens (incl. [CLS]/[SEP])%n", tokens);
            for (int batch : new int[] {1, 8}) {
                List<String> texts = Arrays.asList(SENTENCES).subList(0, batch);
                for (int i = 0; i < 20; i++) { // warm-up
                    model.score("", texts);
                }
                List<Double> millis = new ArrayList<>();
                for (int i = 0; i < iterations; i++) {
                    long t0 = System.nanoTime();
                    model.score("", texts);
                    millis.add((System.nanoTime() - t0) / 1e6);
                }
                millis.sort(Double::compare);
                System.out.printf(Locale.ROOT, "batch %d: median %.2f ms, p90 %.2f ms, min %.2f ms (%.2f ms per sentence)%n",
                        batch, millis.get(iterations / 2), millis.get(iterations * 9 / 10), millis.get(0),
                        millis.get(iterations / 2) / batch);
            }
        }
    }
}
