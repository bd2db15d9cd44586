package org.alignstream.training.lm;

import org.alignstream.inference.lm.CandidateGenerator;
import org.alignstream.inference.lm.CausalLm;
import org.alignstream.inference.lm.GeneratedSequence;
import org.alignstream.inference.lm.PromptOverflow;

import ai.onnxruntime.OrtException;
import java.nio.file.Path;
import java.util.List;
import org.alignstream.core.sampling.SamplingParams;

/**
 * Throughput of {@link CandidateGenerator#sample}: generated tokens per second for N candidates of a fixed
 * prompt. No assertions; {@code ops/bench.sh} runs {@link #main}.
 *
 * <pre>java ... org.alignstream.training.lm.LmBenchmark models/lm-austen [threads=1] [n=8] [maxNewTokens=32] [iterations=20]</pre>
 */
public final class LmBenchmark {

    /**
     * @param tokens          tokens generated over all timed iterations and rows
     * @param seconds         timed wall-clock seconds
     * @param tokensPerSecond {@code tokens / seconds}
     * @param msPerCall       mean milliseconds per {@code sample} call (prefill + all decode steps)
     */
    public record Report(long tokens, double seconds, double tokensPerSecond, double msPerCall) {
        @Override
        public String toString() {
            return String.format("%d tokens in %.3f s: %.1f tokens/s, %.2f ms per sample call", tokens, seconds,
                    tokensPerSecond, msPerCall);
        }
    }

    private LmBenchmark() {
    }

    /** Runs {@code warmup} untimed and {@code iterations} timed calls with seeds 0, 1, 2, ... */
    public static Report run(CandidateGenerator generator, int[] promptIds, int n, SamplingParams params,
                             int maxNewTokens, int warmup, int iterations) throws OrtException {
        if (iterations < 1) {
            throw new IllegalArgumentException("iterations must be >= 1, got " + iterations);
        }
        for (int w = 0; w < warmup; w++) {
            generator.sample(promptIds, n, params, maxNewTokens, -1 - w);
        }
        long tokens = 0;
        long start = System.nanoTime();
        for (int it = 0; it < iterations; it++) {
            List<GeneratedSequence> out = generator.sample(promptIds, n, params, maxNewTokens, it);
            for (GeneratedSequence s : out) {
                tokens += s.length();
            }
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        return new Report(tokens, seconds, tokens / seconds, seconds * 1000.0 / iterations);
    }

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LmBenchmark <model dir> [threads=1] [n=8] [maxNewTokens=32] [iterations=20]");
            System.exit(2);
        }
        Path dir = Path.of(args[0]);
        int threads = args.length > 1 ? Integer.parseInt(args[1]) : 1;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 8;
        int maxNew = args.length > 3 ? Integer.parseInt(args[3]) : 32;
        int iterations = args.length > 4 ? Integer.parseInt(args[4]) : 20;
        try (CausalLm lm = CausalLm.load(dir, threads);
             org.alignstream.inference.tokenizer.HfTokenizer tokenizer =
                     org.alignstream.inference.tokenizer.HfTokenizer.fromFile(dir.resolve("tokenizer.json"))) {
            int[] prompt = tokenizer.encode("It is a truth universally acknowledged, that");
            // eos id -1: every row runs the full maxNewTokens, so the token count is fixed
            CandidateGenerator generator = new CandidateGenerator(lm, -1, PromptOverflow.REJECT);
            Report report = run(generator, prompt, n, new SamplingParams(1.0, 0, 1.0), maxNew, 3, iterations);
            System.out.printf("lm=%s threads=%d n=%d maxNewTokens=%d prompt=%d tokens: %s%n", dir, threads, n, maxNew,
                    prompt.length, report);
        }
    }
}
