package org.alignstream.core.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;
import org.junit.jupiter.api.Test;

class TokenSamplerTest {

    private static float[] randomLogits(SplittableRandom rnd, int v, int flavour) {
        float[] logits = new float[v];
        for (int i = 0; i < v; i++) {
            double g = rnd.nextGaussian() * 3.0;
            logits[i] = switch (flavour) {
                case 0 -> (float) g;
                case 1 -> (float) (Math.round(g * 2.0) / 2.0); // many exact ties
                default -> rnd.nextInt(5) == 0 ? Float.NEGATIVE_INFINITY : (float) g; // masked tokens
            };
        }
        if (flavour == 2) {
            logits[rnd.nextInt(v)] = 0.5f; // at least one finite logit
        }
        return logits;
    }

    /** Largest element-wise difference; also fails on a length mismatch. */
    static double maxAbsDiff(double[] a, double[] b) {
        assertThat(a).hasSameSizeAs(b);
        double max = 0.0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }

    @Test
    void distributionEqualsFullSortReferenceForManyParameterCombinations() {
        SplittableRandom rnd = new SplittableRandom(7);
        int[] vocabs = {1, 2, 7, 100, 1000};
        double[] temperatures = {0.0, 0.25, 1.0, 2.5};
        double[] topPs = {0.01, 0.3, 0.9, 1.0};
        int checked = 0;
        for (int v : vocabs) {
            int[] topKs = {0, 1, 2, 10, 50, v - 1, v, v + 5};
            for (int flavour = 0; flavour < 3; flavour++) {
                float[] logits = randomLogits(rnd, v, flavour);
                for (double t : temperatures) {
                    for (int k : topKs) {
                        if (k < 0) {
                            continue;
                        }
                        for (double p : topPs) {
                            SamplingParams params = new SamplingParams(t, k, p);
                            double[] expected = NaiveSampling.distribution(logits, params);
                            double[] actual = TokenSampler.samplingDistribution(logits, params);
                            assertThat(maxAbsDiff(actual, expected)).as("V=%d flavour=%d %s", v, flavour, params)
                                    .isLessThan(1e-12);
                            assertThat(Arrays.stream(actual).sum()).isCloseTo(1.0, within(1e-9));
                            checked++;
                        }
                    }
                }
            }
        }
        assertThat(checked).isGreaterThan(1000);
    }

    @Test
    void distributionEqualsFullSortReferenceAtLanguageModelVocabularySize() {
        SplittableRandom rnd = new SplittableRandom(8);
        float[] logits = randomLogits(rnd, 50_257, 0);
        for (SamplingParams params : new SamplingParams[] {
            new SamplingParams(1.0, 0, 1.0), new SamplingParams(0.7, 50, 1.0),
            new SamplingParams(1.0, 0, 0.95), new SamplingParams(0.9, 1000, 0.9)}) {
            double[] actual = TokenSampler.samplingDistribution(logits, params);
            assertThat(maxAbsDiff(actual, NaiveSampling.distribution(logits, params))).as("%s", params)
                    .isLessThan(1e-12);
        }
    }

    @Test
    void sampleFrequenciesPassChiSquareAgainstTheDistribution() {
        SplittableRandom rnd = new SplittableRandom(11);
        float[] logits = randomLogits(rnd, 200, 0);
        SamplingParams[] cases = {
            new SamplingParams(1.0, 0, 1.0), new SamplingParams(0.8, 20, 1.0),
            new SamplingParams(1.3, 0, 0.9), new SamplingParams(0.9, 40, 0.8)};
        for (SamplingParams params : cases) {
            double[] dist = TokenSampler.samplingDistribution(logits, params);
            int n = 100_000;
            int[] counts = new int[logits.length];
            RandomGenerator rng = new SplittableRandom(12345);
            for (int s = 0; s < n; s++) {
                counts[TokenSampler.sample(logits, params, rng)]++;
            }
            // pool cells with expected count < 5 into one; zero-probability tokens must never appear
            double chi2 = 0.0;
            int cells = 0;
            double pooledExpected = 0.0;
            long pooledObserved = 0;
            for (int i = 0; i < dist.length; i++) {
                if (dist[i] == 0.0) {
                    assertThat(counts[i]).as("token %d has probability 0 under %s", i, params).isZero();
                    continue;
                }
                double expected = dist[i] * n;
                if (expected < 5.0) {
                    pooledExpected += expected;
                    pooledObserved += counts[i];
                } else {
                    chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
                    cells++;
                }
            }
            if (pooledExpected > 0) {
                chi2 += (pooledObserved - pooledExpected) * (pooledObserved - pooledExpected) / pooledExpected;
                cells++;
            }
            int df = cells - 1;
            // Wilson-Hilferty approximation of the chi-square 0.999 quantile (z = 3.09)
            double critical = df * Math.pow(1 - 2.0 / (9 * df) + 3.09 * Math.sqrt(2.0 / (9 * df)), 3);
            assertThat(chi2).as("chi-square with %d degrees of freedom for %s", df, params).isLessThan(critical);
        }
    }

    @Test
    void aBiasedSamplerFailsTheSameChiSquareCheck() {
        // guards the test above against being unable to fail: temperature 1 samples checked against T = 1.1
        SplittableRandom rnd = new SplittableRandom(11);
        float[] logits = randomLogits(rnd, 50, 0);
        double[] wrong = TokenSampler.samplingDistribution(logits, SamplingParams.ofTemperature(1.1));
        int n = 200_000;
        int[] counts = new int[logits.length];
        RandomGenerator rng = new SplittableRandom(12345);
        for (int s = 0; s < n; s++) {
            counts[TokenSampler.sample(logits, SamplingParams.UNMODIFIED, rng)]++;
        }
        double chi2 = 0.0;
        for (int i = 0; i < wrong.length; i++) {
            double expected = wrong[i] * n;
            chi2 += (counts[i] - expected) * (counts[i] - expected) / expected;
        }
        assertThat(chi2).isGreaterThan(200.0);
    }

    @Test
    void topKOneAndTinyTopPAreGreedy() {
        float[] logits = {0.1f, 2.0f, 1.9f, -3f};
        assertThat(TokenSampler.samplingDistribution(logits, new SamplingParams(1.0, 1, 1.0)))
                .containsExactly(0, 1, 0, 0);
        assertThat(TokenSampler.samplingDistribution(logits, new SamplingParams(5.0, 0, 1e-9)))
                .containsExactly(0, 1, 0, 0);
        assertThat(TokenSampler.samplingDistribution(logits, SamplingParams.GREEDY)).containsExactly(0, 1, 0, 0);
    }

    @Test
    void topKKeepsAllTokensTiedWithTheKthLogit() {
        float[] logits = {3f, 1f, 2f, 2f, 0f};
        double[] dist = TokenSampler.samplingDistribution(logits, new SamplingParams(1.0, 2, 1.0));
        double z = Math.exp(3) + 2 * Math.exp(2);
        assertThat(dist).containsExactly(new double[] {Math.exp(3) / z, 0, Math.exp(2) / z, Math.exp(2) / z, 0},
                within(1e-15));
    }

    @Test
    void topPKeepsTheSmallestPrefixReachingP() {
        float[] logits = {(float) Math.log(0.2), (float) Math.log(0.5), (float) Math.log(0.3)};
        assertThat(support(logits, 0.49)).containsExactly(1);
        assertThat(support(logits, 0.51)).containsExactly(1, 2);
        assertThat(support(logits, 0.79)).containsExactly(1, 2);
        assertThat(support(logits, 0.81)).containsExactly(0, 1, 2);
        double[] dist = TokenSampler.samplingDistribution(logits, new SamplingParams(1.0, 0, 0.6));
        assertThat(dist).containsExactly(new double[] {0, 0.625, 0.375}, within(1e-6));
    }

    @Test
    void topPBreaksProbabilityTiesByLowerTokenId() {
        float[] logits = {1f, 1f, 1f, 1f};
        assertThat(support(logits, 0.5)).containsExactly(0, 1);
    }

    private static int[] support(float[] logits, double topP) {
        double[] dist = TokenSampler.samplingDistribution(logits, new SamplingParams(1.0, 0, topP));
        return java.util.stream.IntStream.range(0, dist.length).filter(i -> dist[i] > 0).toArray();
    }

    @Test
    void negativeInfinityIsNeverSampledAndBadLogitsAreRejected() {
        float[] logits = {Float.NEGATIVE_INFINITY, 0f, Float.NEGATIVE_INFINITY};
        RandomGenerator rng = new SplittableRandom(1);
        for (int i = 0; i < 100; i++) {
            assertThat(TokenSampler.sample(logits, SamplingParams.UNMODIFIED, rng)).isEqualTo(1);
            assertThat(TokenSampler.sample(logits, new SamplingParams(1, 3, 0.5), rng)).isEqualTo(1);
        }
        assertThatThrownBy(() -> TokenSampler.argmax(new float[] {0f, Float.NaN}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("logits[1] is NaN");
        assertThatThrownBy(() -> TokenSampler.sample(new float[] {Float.POSITIVE_INFINITY}, SamplingParams.UNMODIFIED, rng))
                .hasMessageContaining("logits[0] is Infinity");
        assertThatThrownBy(() -> TokenSampler.logSoftmax(new float[] {Float.NEGATIVE_INFINITY}))
                .hasMessageContaining("all 1 logits are -Infinity");
        assertThatThrownBy(() -> TokenSampler.argmax(new float[0])).hasMessageContaining("must not be empty");
    }

    @Test
    void greedyConsumesNoRandomnessAndSamplingConsumesOneDraw() {
        int[] draws = {0};
        RandomGenerator counting = new RandomGenerator() {
            private final SplittableRandom inner = new SplittableRandom(3);

            @Override
            public long nextLong() {
                draws[0]++;
                return inner.nextLong();
            }
        };
        float[] logits = {0f, 1f, 2f};
        assertThat(TokenSampler.sample(logits, SamplingParams.GREEDY, counting)).isEqualTo(2);
        assertThat(draws[0]).isZero();
        TokenSampler.sample(logits, new SamplingParams(1, 2, 0.9), counting);
        assertThat(draws[0]).isEqualTo(1);
    }

    @Test
    void sampleWithLogprobDrawsTheSameTokenAsSampleAndTheRawLogprob() {
        SplittableRandom rnd = new SplittableRandom(21);
        SamplingParams[] cases = {SamplingParams.UNMODIFIED, SamplingParams.GREEDY, SamplingParams.ofTemperature(0.7),
            new SamplingParams(1.0, 10, 1.0), new SamplingParams(1.0, 0, 0.8), new SamplingParams(1.5, 30, 0.95)};
        for (int trial = 0; trial < 50; trial++) {
            float[] logits = randomLogits(rnd, 300, trial % 3);
            double[] raw = TokenSampler.logSoftmax(logits);
            for (SamplingParams params : cases) {
                int expected = TokenSampler.sample(logits, params, Seeds.forStep(trial, 0, 0));
                TokenSampler.Draw draw = TokenSampler.sampleWithLogprob(logits, params, Seeds.forStep(trial, 0, 0));
                assertThat(draw.token()).as("%s", params).isEqualTo(expected);
                assertThat(draw.rawLogprob()).isCloseTo(raw[expected], within(1e-12));
            }
        }
    }

    @Test
    void logSoftmaxIsStableAndNormalised() {
        float[] logits = {1000f, 1001f, 999f};
        double[] lp = TokenSampler.logSoftmax(logits);
        double z = Math.exp(0) + Math.exp(1) + Math.exp(-1);
        assertThat(lp).containsExactly(new double[] {-Math.log(z), 1 - Math.log(z), -1 - Math.log(z)}, within(1e-12));
        assertThat(TokenSampler.logSoftmaxAt(logits, 1)).isEqualTo(lp[1]);
        SplittableRandom rnd = new SplittableRandom(5);
        float[] random = randomLogits(rnd, 4096, 0);
        assertThat(Arrays.stream(TokenSampler.logSoftmax(random)).map(Math::exp).sum()).isCloseTo(1.0, within(1e-12));
    }

    @Test
    void drawsDoNotDependOnWhatTheThreadSampledBefore() throws Exception {
        // the sampler reuses per-thread scratch arrays: a thread that sampled other vocabularies (larger and smaller)
        // must draw exactly what a fresh thread draws
        SplittableRandom gen = new SplittableRandom(99);
        SamplingParams[] params = {SamplingParams.UNMODIFIED, new SamplingParams(0.7, 0, 1.0),
                new SamplingParams(1.0, 40, 1.0), new SamplingParams(1.0, 0, 0.9), new SamplingParams(1.3, 50, 0.8),
                new SamplingParams(1.0, 0, 0.999)};
        int[] vocabs = {60_000, 7, 50_257, 300, 4096};
        List<float[]> logits = new java.util.ArrayList<>();
        for (int vocab : vocabs) {
            float[] l = new float[vocab];
            for (int i = 0; i < vocab; i++) {
                l[i] = gen.nextInt(5) == 0 ? 1.0f : (float) (gen.nextGaussian() * 2); // many exact ties
            }
            l[gen.nextInt(vocab)] = Float.NEGATIVE_INFINITY;
            logits.add(l);
        }
        List<Integer> reused = new java.util.ArrayList<>();
        List<Double> reusedLogprobs = new java.util.ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (float[] l : logits) {
                for (int p = 0; p < params.length; p++) {
                    reused.add(TokenSampler.sample(l, params[p], new SplittableRandom(round * 31L + p)));
                    reusedLogprobs.add(TokenSampler.sampleWithLogprob(l, params[p],
                            new SplittableRandom(round * 31L + p)).rawLogprob());
                }
            }
        }
        int at = 0;
        for (int round = 0; round < 3; round++) {
            for (float[] l : logits) {
                for (int p = 0; p < params.length; p++, at++) {
                    SamplingParams sp = params[p];
                    long seed = round * 31L + p;
                    int[] fresh = new int[1];
                    double[] freshLogprob = new double[1];
                    Thread t = new Thread(() -> {
                        fresh[0] = TokenSampler.sample(l, sp, new SplittableRandom(seed));
                        freshLogprob[0] = TokenSampler.sampleWithLogprob(l, sp, new SplittableRandom(seed)).rawLogprob();
                    });
                    t.start();
                    t.join();
                    assertThat(reused.get(at)).as("vocab %d params %s", l.length, sp).isEqualTo(fresh[0]);
                    assertThat(reusedLogprobs.get(at)).isEqualTo(freshLogprob[0]);
                    // and the draw is in the support of the reference distribution
                    assertThat(NaiveSampling.distribution(l, sp)[fresh[0]]).isPositive();
                }
            }
        }
    }

    @Test
    void kthLargestMatchesSorting() {
        SplittableRandom rnd = new SplittableRandom(9);
        for (int trial = 0; trial < 200; trial++) {
            float[] values = randomLogits(rnd, 1 + rnd.nextInt(300), trial % 3);
            int k = 1 + rnd.nextInt(values.length);
            float[] sorted = values.clone();
            Arrays.sort(sorted);
            assertThat(TokenSampler.kthLargest(values, k)).isEqualTo(sorted[values.length - k]);
        }
    }

    @Test
    void paramsAreValidatedWithPreciseMessages() {
        assertThatThrownBy(() -> new SamplingParams(-0.1, 0, 1)).hasMessageContaining("temperature must be a finite number >= 0");
        assertThatThrownBy(() -> new SamplingParams(Double.NaN, 0, 1)).hasMessageContaining("got NaN");
        assertThatThrownBy(() -> new SamplingParams(Double.POSITIVE_INFINITY, 0, 1)).hasMessageContaining("temperature");
        assertThatThrownBy(() -> new SamplingParams(1, -1, 1)).hasMessageContaining("topK must be >= 0");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 0)).hasMessageContaining("topP must lie in (0, 1]");
        assertThatThrownBy(() -> new SamplingParams(1, 0, 1.01)).hasMessageContaining("got 1.01");
        assertThat(new SamplingParams(0, 0, 1).isGreedy()).isTrue();
    }
}
