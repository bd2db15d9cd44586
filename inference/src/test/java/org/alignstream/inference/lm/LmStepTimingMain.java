package org.alignstream.inference.lm;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.alignstream.inference.tokenizer.HfTokenizer;

/**
 * Manual timing (not a test): what one tokenwise round costs the generator's LM with the round cache, at a short and a
 * long context, interleaved: {@link CandidateGenerator#context} extending the cached context by one token (one
 * batch-1 ONNX call over the past), then {@link CandidateGenerator#nextTokens(CachedContext, int)} (log-softmax and
 * top-k over the vocabulary), and (with a tokenizer.json) decoding the k candidate texts as the generator does
 * (each the whole context plus one token). Medians of the rounds after the first two. Args: model dir, k, short and long context
 * lengths in tokens, intra-op threads.
 */
public final class LmStepTimingMain {

    private LmStepTimingMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 10;
        int shortLength = args.length > 2 ? Integer.parseInt(args[2]) : 26;
        int longLength = args.length > 3 ? Integer.parseInt(args[3]) : 266;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        Path tokenizerFile = dir.resolve("tokenizer.json");
        try (CausalLm lm = CausalLm.load(dir, threads);
             HfTokenizer tokenizer = java.nio.file.Files.isRegularFile(tokenizerFile)
                     ? HfTokenizer.fromFile(tokenizerFile) : null) {
            CandidateGenerator generator = new CandidateGenerator(lm);
            SplittableRandom random = new SplittableRandom(7);
            for (int pass = 0; pass < 3; pass++) {
                for (int length : new int[] {shortLength, longLength}) {
                    int[] tokens = random.ints(length, 0, Math.min(lm.vocabSize(), 4000)).toArray();
                    List<Double> extendMs = new ArrayList<>();
                    List<Double> topMs = new ArrayList<>();
                    List<Double> decodeMs = new ArrayList<>();
                    CachedContext context = generator.context(tokens, null);
                    for (int round = 0; round < 14; round++) {
                        int[] next = java.util.Arrays.copyOf(tokens, tokens.length + 1);
                        long t0 = System.nanoTime();
                        CandidateGenerator.TopTokens top = generator.nextTokens(context, k);
                        long t1 = System.nanoTime();
                        next[tokens.length] = top.tokenIds()[0];
                        context = generator.context(next, context);
                        long t2 = System.nanoTime();
                        topMs.add((t1 - t0) / 1e6);
                        extendMs.add((t2 - t1) / 1e6);
                        if (tokenizer != null) { // the generator's k candidate texts: each the whole response decoded
                            long t3 = System.nanoTime();
                            for (int c = 0; c < k; c++) {
                                int[] candidate = java.util.Arrays.copyOf(tokens, tokens.length + 1);
                                candidate[tokens.length] = top.tokenIds()[c];
                                tokenizer.decode(candidate, true);
                            }
                            decodeMs.add((System.nanoTime() - t3) / 1e6);
                        }
                        tokens = next;
                    }
                    context.close();
                    System.out.printf(Locale.ROOT, "pass %d, context %d: one-token extension median %.2f ms, "
                            + "top-%d median %.2f ms, %d candidate texts decoded median %.2f ms%n", pass, length,
                            median(extendMs), k, median(topMs), k, decodeMs.isEmpty() ? Double.NaN : median(decodeMs));
                }
            }
        }
    }

    private static double median(List<Double> ms) {
        List<Double> sorted = new ArrayList<>(ms.subList(2, ms.size()));
        sorted.sort(Double::compare);
        return sorted.get(sorted.size() / 2);
    }
}
