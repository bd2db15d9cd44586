package org.alignstream.evaluation.bench;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.core.sampling.TopK;
import org.alignstream.generator.LmCandidateSampler;

/**
 * A measurement, not a test: milliseconds per tokenwise (ARGS, k = 10) decoding round of the generator on the bundled
 * lm-austen with the round cache ({@code --kv-cache-bytes}) on and off, at a few context lengths, and the cost of the
 * top-k selection by partial selection against a boxed full sort at a real vocabulary size. Prints
 * {@code ratio kv_round_speedup_<tokens>=X} (ms per round without the cache over with it) and
 * {@code ratio topk_partial_vs_sort=X} (full-sort time over partial-selection time). One thread; medians.
 *
 * <pre>
 * mvn -o -B -q -DskipTests -pl evaluation -am package
 * java -Dai.djl.offline=true -Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro \
 *   -cp "evaluation/target/alignstream-evaluation-0.1.0-SNAPSHOT.jar:evaluation/target/lib/*" \
 *   org.alignstream.evaluation.bench.RoundCacheBench [repetitions, default 40]
 * </pre>
 * The cache's miss count printed at the end includes the untimed rounds that set up each timed hit.
 */
public final class RoundCacheBench {

    private RoundCacheBench() {
    }

    public static void main(String[] args) {
        int reps = args.length > 0 ? Integer.parseInt(args[0]) : 40;
        try (LmCandidateSampler on = LmCandidateSampler.load(null, 1, true);
             LmCandidateSampler off = LmCandidateSampler.load(null, 1, true, 0)) {
            Strategy s = Strategy.newBuilder().setMethod("args").setN(10).setTopK(10).setMaxNewTokens(120)
                    .setTemperature(1.0).setTopP(1.0).setSeed(1).build();
            PromptRequest request = PromptRequest.newBuilder().setId("bench").setPrompt("It is a truth")
                    .setStrategy(s).build();
            // a response of up to 119 tokens: the top candidate every round
            List<DecodeState> states = new ArrayList<>();
            DecodeState state = off.start(request);
            states.add(state);
            for (int round = 0; round < 118; round++) {
                Candidate c = off.propose(state).stream().filter(x -> !"eos".equals(x.getFinishReason()))
                        .findFirst().orElseThrow();
                List<Integer> tokens = new ArrayList<>(state.getTokenIds());
                tokens.addAll(c.getTokenIds());
                state = DecodeState.newBuilder(state).setTokenIds(tokens).setRound(round + 1).build();
                states.add(state);
            }
            int prompt = state.getPromptTokenIds().size();
            for (int response : new int[] {8, 24, 56, 118}) {
                DecodeState before = states.get(response - 1);
                DecodeState at = states.get(response);
                double[] cached = new double[reps];
                double[] full = new double[reps];
                for (int r = 0; r < reps; r++) {
                    on.propose(before); // leaves the context of `before` cached: the next round is a hit
                    long t0 = System.nanoTime();
                    on.propose(at);
                    cached[r] = (System.nanoTime() - t0) / 1e6;
                    long t1 = System.nanoTime();
                    off.propose(at);
                    full[r] = (System.nanoTime() - t1) / 1e6;
                }
                int context = prompt + response;
                double c = Stats.median(cached);
                double f = Stats.median(full);
                System.out.printf("context %3d tokens: %.3f ms per round with the cache, %.3f ms without%n", context,
                        c, f);
                System.out.println(new Ratio("kv_round_speedup_" + context, f / c).line());
            }
            System.out.printf("cache: %d hits, %d misses, %d bytes held%n", on.kvCache().hits(),
                    on.kvCache().misses(), on.kvCache().bytesHeld());
        }
        topK(reps);
    }

    /** Top-10 of a 50,257-entry vector: partial selection against sorting every boxed index. */
    private static void topK(int reps) {
        SplittableRandom rng = new SplittableRandom(1);
        float[] logits = new float[50_257];
        for (int i = 0; i < logits.length; i++) {
            logits[i] = (float) (rng.nextGaussian() * 3);
        }
        double[] partial = new double[reps];
        double[] sorted = new double[reps];
        long sink = 0;
        for (int r = 0; r < reps; r++) {
            long t0 = System.nanoTime();
            sink += TopK.indices(logits, 10)[0];
            partial[r] = (System.nanoTime() - t0) / 1e6;
            long t1 = System.nanoTime();
            Integer[] order = new Integer[logits.length];
            Arrays.setAll(order, i -> i);
            Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparing(i -> i));
            sink += order[0];
            sorted[r] = (System.nanoTime() - t1) / 1e6;
        }
        System.out.printf("top-10 of 50257: %.3f ms partial selection, %.3f ms boxed full sort (%d)%n",
                Stats.median(partial), Stats.median(sorted), sink % 2);
        System.out.println(new Ratio("topk_partial_vs_sort", Stats.median(sorted) / Stats.median(partial)).line());
    }
}
