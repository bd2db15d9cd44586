package org.alignstream.evaluation.bench;

import java.util.ArrayList;
import java.util.List;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.Strategy;
import org.alignstream.generator.CandidateSampler;
import org.alignstream.generator.GeneratorBatching;
import org.alignstream.generator.LmCandidateSampler;

/**
 * A measurement, not a test: generated tokens per second of the generator on the bundled lm-austen with 16 concurrent
 * Best-of-4 requests (16 different prompts, 32 new tokens each) handled together ({@link LmCandidateSampler#sampleAll},
 * what the batching stage hands the sampler for one batch of {@code --max-batch-records 16}) over the same requests
 * one at a time ({@link LmCandidateSampler#sample}). Prints {@code ratio generator_batching_gain=X} for the default
 * {@code --generator-batching=invariant} (only rows the load-time probe shows bit-identical share a call) and
 * {@code ratio generator_batching_gain_always=X} for {@code always} (every request merged), and checks that the
 * invariant mode's candidates equal the one-at-a-time ones. One ONNX Runtime thread; medians of the repetitions.
 *
 * <pre>
 * mvn -o -B -q -DskipTests -pl evaluation -am package
 * java -Dai.djl.offline=true -Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro \
 *   -cp "evaluation/target/alignstream-evaluation-0.1.0-SNAPSHOT.jar:evaluation/target/lib/*" \
 *   org.alignstream.evaluation.bench.GeneratorBatchingBench [repetitions, default 5]
 * </pre>
 */
public final class GeneratorBatchingBench {

    static final String[] PROMPTS = {"It is a truth universally acknowledged", "She was", "My dear Mr. Bennet",
            "The weather was fine and", "He said that", "Her sister", "In the morning", "Mrs. Bennet",
            "They walked", "Elizabeth could not", "The ball at Netherfield", "A letter came", "I am sure",
            "Mr. Darcy", "After dinner the ladies", "There was"};

    private GeneratorBatchingBench() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        List<LmCandidateSampler.Prompt> prompts = new ArrayList<>();
        for (int i = 0; i < PROMPTS.length; i++) {
            Strategy s = Strategy.newBuilder().setMethod("best_of_n").setN(4).setTopK(0).setTopP(1.0)
                    .setTemperature(1.0).setMaxNewTokens(32).setSeed(100 + i).build();
            prompts.add(new LmCandidateSampler.Prompt(PROMPTS[i], s));
        }
        try (LmCandidateSampler sampler = LmCandidateSampler.load(null, 1, true)) {
            sampler.batching(GeneratorBatching.INVARIANT);
            System.out.println("probe: " + sampler.batchInvariance());
            double invariant = measure(sampler, prompts, reps, "invariant");
            System.out.println(new Ratio("generator_batching_gain", invariant).line());
            sampler.batching(GeneratorBatching.ALWAYS);
            double always = measure(sampler, prompts, reps, "always");
            System.out.println(new Ratio("generator_batching_gain_always", always).line());
        }
    }

    /** Median over {@code reps} of (tokens/s merged) / (tokens/s one at a time) of one repetition; prints both. */
    private static double measure(LmCandidateSampler sampler, List<LmCandidateSampler.Prompt> prompts, int reps,
                                  String mode) {
        double[] merged = new double[reps];
        double[] alone = new double[reps];
        long tokens = 0;
        long callsBefore = sampler.mergedCalls();
        for (int r = 0; r < reps + 1; r++) { // the first is a warm-up
            long t0 = System.nanoTime();
            List<LmCandidateSampler.Result<CandidateSampler.Sampled>> together = sampler.sampleAll(prompts);
            double mergedSeconds = (System.nanoTime() - t0) / 1e9;
            long t1 = System.nanoTime();
            List<CandidateSampler.Sampled> each = new ArrayList<>();
            for (LmCandidateSampler.Prompt p : prompts) {
                each.add(sampler.sample(p.prompt(), p.strategy()));
            }
            double aloneSeconds = (System.nanoTime() - t1) / 1e9;
            tokens = 0;
            int differing = 0;
            int otherTokens = 0;
            for (int i = 0; i < prompts.size(); i++) {
                CandidateSampler.Sampled m = together.get(i).orThrow();
                for (int c = 0; c < m.candidates().size(); c++) {
                    tokens += m.candidates().get(c).getTokenIds().size();
                    if (!m.candidates().get(c).getTokenIds().equals(each.get(i).candidates().get(c).getTokenIds())) {
                        otherTokens++;
                    }
                }
                if (!m.equals(each.get(i))) {
                    differing++;
                }
            }
            if (differing > 0 && r == 0) {
                System.out.printf("%s: %d of %d requests differ from their one-at-a-time candidates (in %d of %d "
                                + "candidates the tokens differ, elsewhere only log-probability bits)%n", mode,
                        differing, prompts.size(), otherTokens, prompts.size() * 4);
            }
            if (differing > 0 && "invariant".equals(mode)) {
                throw new IllegalStateException("invariant batching changed a response");
            }
            if (r > 0) {
                long eachTokens = 0;
                for (CandidateSampler.Sampled s : each) {
                    for (Candidate c : s.candidates()) {
                        eachTokens += c.getTokenIds().size();
                    }
                }
                merged[r - 1] = tokens / mergedSeconds;
                alone[r - 1] = eachTokens / aloneSeconds;
            }
        }
        double m = Stats.median(merged);
        double a = Stats.median(alone);
        double[] ratios = new double[reps];
        for (int r = 0; r < reps; r++) {
            ratios[r] = merged[r] / alone[r]; // each repetition's two passes ran back to back: the machine's load cancels
        }
        System.out.printf("%s: %d requests x Best-of-4, %d tokens generated per pass; %.0f tokens/s merged "
                        + "(%d merged decodings per pass), %.0f tokens/s one at a time (medians)%n", mode, prompts.size(), tokens,
                m, (sampler.mergedCalls() - callsBefore) / (reps + 1), a);
        return Stats.median(ratios);
    }
}
