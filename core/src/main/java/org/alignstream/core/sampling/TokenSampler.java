package org.alignstream.core.sampling;

import java.util.Objects;
import java.util.random.RandomGenerator;

/**
 * Softmax sampling of the next token from a vector of logits with temperature, top-k and top-p (nucleus)
 * truncation, in the order and with the semantics of Hugging Face {@code generate()}:
 * <ol>
 *   <li>temperature: {@code z = logits / T} ({@code T == 0}: greedy, a point mass on the arg-max);</li>
 *   <li>top-k: keep the tokens whose logit is {@code >=} the k-th largest logit (ties with the k-th value are
 *       all kept, like {@code TopKLogitsWarper});</li>
 *   <li>top-p (Holtzman et al. 2020): renormalise over the kept tokens, sort them by probability (descending,
 *       lower token id first on ties) and keep the smallest prefix whose cumulative probability is
 *       {@code >= p}; at least one token is always kept;</li>
 *   <li>renormalise over the final set.</li>
 * </ol>
 * Tokens with logit {@code -Infinity} get probability 0 and are never sampled. {@code NaN} or
 * {@code +Infinity} logits, and a vector with no finite logit, are rejected with an
 * {@link IllegalArgumentException}.
 *
 * <p>Cost: O(V) for plain sampling, O(V log k) for top-k (a size-k heap, no full sort) and
 * O(V + m log V) for top-p over the full vocabulary, where m is the size of the nucleus (candidates are popped from
 * a heap in order of decreasing probability only until the nucleus is complete). {@link #sample} and
 * {@link #sampleWithLogprob} allocate no vocabulary-sized array per call: they work in per-thread scratch buffers
 * that grow to the largest vocabulary seen.
 */
public final class TokenSampler {

    private static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);

    private TokenSampler() {
    }

    /** Per-thread working arrays, grown on demand and reused across calls. */
    private static final class Scratch {
        double[] weights = new double[0];
        int[] ids = new int[0];
        double[] probs = new double[0];
        int[] heap = new int[0];
        int[] keptIds = new int[0];
        double[] keptProbs = new double[0];

        double[] weights(int n) {
            if (weights.length < n) {
                weights = new double[n];
            }
            return weights;
        }

        void ensure(int n) {
            if (ids.length < n) {
                ids = new int[n];
                probs = new double[n];
                heap = new int[n];
                keptIds = new int[n];
                keptProbs = new double[n];
            }
        }
    }

    /** Index of the largest logit; the lowest index wins ties. Validates the logits (see class comment). */
    public static int argmax(float[] logits) {
        Objects.requireNonNull(logits, "logits");
        if (logits.length == 0) {
            throw new IllegalArgumentException("logits must not be empty");
        }
        int best = 0;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < logits.length; i++) {
            float x = logits[i];
            if (Float.isNaN(x) || x == Float.POSITIVE_INFINITY) {
                throw new IllegalArgumentException("logits[" + i + "] is " + x + "; logits must be finite or -Infinity");
            }
            if (x > max) {
                max = x;
                best = i;
            }
        }
        if (max == Float.NEGATIVE_INFINITY) {
            throw new IllegalArgumentException("all " + logits.length + " logits are -Infinity");
        }
        return best;
    }

    /** {@code log(sum_i exp(logits[i]))}, computed stably in double precision. */
    public static double logSumExp(float[] logits) {
        float max = logits[argmax(logits)];
        double sum = 0.0;
        for (float x : logits) {
            sum += Math.exp((double) x - max);
        }
        return max + Math.log(sum);
    }

    /** The log-probabilities {@code log softmax(logits)} in double precision. */
    public static double[] logSoftmax(float[] logits) {
        double lse = logSumExp(logits);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - lse;
        }
        return out;
    }

    /**
     * {@code log softmax(logits)[token]} without materialising the whole vector: the log-probability of
     * {@code token} under the unmodified distribution.
     */
    public static double logSoftmaxAt(float[] logits, int token) {
        double lse = logSumExp(logits);
        Objects.checkIndex(token, logits.length);
        return logits[token] - lse;
    }

    /**
     * The exact distribution {@link #sample} draws from: a dense vector of length {@code logits.length}
     * that is zero outside the kept set and sums to 1.
     */
    public static double[] samplingDistribution(float[] logits, SamplingParams params) {
        Support support = support(logits, params, new Scratch());
        double[] dense = new double[logits.length];
        for (int j = 0; j < support.size; j++) {
            dense[support.ids[j]] = support.probs[j];
        }
        return dense;
    }

    /**
     * Draws one token id from {@link #samplingDistribution}. Consumes exactly one {@code nextDouble()} from
     * {@code rng} unless {@code params} is greedy, in which case none is consumed.
     */
    public static int sample(float[] logits, SamplingParams params, RandomGenerator rng) {
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(rng, "rng");
        if (params.isGreedy()) {
            return argmax(logits);
        }
        int best = argmax(logits);
        boolean truncated = (params.topK() > 0 && params.topK() < logits.length) || params.topP() < 1.0;
        if (!truncated) {
            return sampleFull(logits, best, params.temperature(), rng.nextDouble());
        }
        Support support = support(logits, params, SCRATCH.get());
        double u = rng.nextDouble();
        double cumulative = 0.0;
        for (int j = 0; j < support.size; j++) {
            cumulative += support.probs[j];
            if (u < cumulative) {
                return support.ids[j];
            }
        }
        return support.ids[support.size - 1]; // u within rounding error of 1
    }

    /**
     * A sampled token together with its log-probability under the unmodified distribution
     * ({@code log softmax(logits)[token]}, before temperature and truncation).
     */
    public record Draw(int token, double rawLogprob) {
    }

    /**
     * {@link #sample} plus {@link #logSoftmaxAt} of the drawn token, sharing one pass over the vocabulary in
     * the common case of plain sampling (temperature 1, no top-k, no top-p). Draws exactly what {@link #sample}
     * would draw from the same generator state.
     */
    public static Draw sampleWithLogprob(float[] logits, SamplingParams params, RandomGenerator rng) {
        Objects.requireNonNull(params, "params");
        Objects.requireNonNull(rng, "rng");
        boolean truncated = (params.topK() > 0 && params.topK() < logits.length) || params.topP() < 1.0;
        if (params.temperature() != 1.0 || truncated) {
            int token = sample(logits, params, rng);
            return new Draw(token, logSoftmaxAt(logits, token));
        }
        int best = argmax(logits);
        float max = logits[best];
        double[] weights = SCRATCH.get().weights(logits.length);
        double sum = 0.0;
        for (int i = 0; i < logits.length; i++) {
            weights[i] = Math.exp(logits[i] / 1.0 - max); // same arithmetic as sampleFull with T = 1
            sum += weights[i];
        }
        int token = walk(weights, logits.length, sum, best, rng.nextDouble());
        return new Draw(token, (logits[token] - (double) max) - Math.log(sum));
    }

    /** Sampling from the whole softmax(logits / T): one exp pass into a scratch array, then a linear walk. */
    private static int sampleFull(float[] logits, int best, double temperature, double u) {
        double max = logits[best] / temperature;
        double[] weights = SCRATCH.get().weights(logits.length);
        double sum = 0.0;
        for (int i = 0; i < logits.length; i++) {
            weights[i] = Math.exp(logits[i] / temperature - max);
            sum += weights[i];
        }
        return walk(weights, logits.length, sum, best, u);
    }

    /** Inverse-CDF walk over the first {@code n} weights: the first index whose cumulative weight exceeds {@code u * sum}. */
    private static int walk(double[] weights, int n, double sum, int fallback, double u) {
        double target = u * sum;
        double cumulative = 0.0;
        int last = fallback;
        for (int i = 0; i < n; i++) {
            if (weights[i] == 0.0) {
                continue;
            }
            cumulative += weights[i];
            last = i;
            if (target < cumulative) {
                return i;
            }
        }
        return last;
    }

    /** The kept token ids and their renormalised probabilities (in descending order when top-p applied). */
    static Support support(float[] logits, SamplingParams params) {
        return support(logits, params, new Scratch());
    }

    /** {@link #support(float[], SamplingParams)} in {@code scratch}'s arrays (valid until its next use). */
    private static Support support(float[] logits, SamplingParams params, Scratch scratch) {
        Objects.requireNonNull(params, "params");
        int vocab = logits.length;
        int best = argmax(logits); // validates
        if (params.isGreedy()) {
            return new Support(new int[] {best}, new double[] {1.0}, 1);
        }
        double temperature = params.temperature();
        float threshold = Float.NEGATIVE_INFINITY;
        if (params.topK() > 0 && params.topK() < vocab) {
            threshold = kthLargest(logits, params.topK());
        }
        int count = 0;
        for (float x : logits) {
            if (x >= threshold && x != Float.NEGATIVE_INFINITY) {
                count++;
            }
        }
        scratch.ensure(count);
        int[] ids = scratch.ids;
        double[] probs = scratch.probs;
        double max = logits[best] / temperature;
        double sum = 0.0;
        for (int i = 0, j = 0; i < vocab; i++) {
            float x = logits[i];
            if (x >= threshold && x != Float.NEGATIVE_INFINITY) {
                ids[j] = i;
                probs[j] = Math.exp(x / temperature - max);
                sum += probs[j];
                j++;
            }
        }
        for (int j = 0; j < count; j++) {
            probs[j] /= sum;
        }
        if (params.topP() >= 1.0) {
            return new Support(ids, probs, count);
        }
        return nucleus(ids, probs, count, params.topP(), scratch);
    }

    /**
     * Top-p over candidates whose probabilities sum to 1: pops candidates from a max-heap (probability
     * descending, id ascending) until the cumulative probability reaches {@code topP}.
     */
    private static Support nucleus(int[] ids, double[] probs, int count, double topP, Scratch scratch) {
        int[] heap = scratch.heap; // positions into ids/probs
        for (int j = 0; j < count; j++) {
            heap[j] = j;
        }
        for (int j = count / 2 - 1; j >= 0; j--) {
            siftDown(heap, j, count, ids, probs);
        }
        int[] keptIds = scratch.keptIds;
        double[] keptProbs = scratch.keptProbs;
        int kept = 0;
        int size = count;
        double cumulative = 0.0;
        while (size > 0 && (kept == 0 || cumulative < topP)) {
            int top = heap[0];
            heap[0] = heap[--size];
            siftDown(heap, 0, size, ids, probs);
            keptIds[kept] = ids[top];
            keptProbs[kept] = probs[top];
            cumulative += probs[top];
            kept++;
        }
        double mass = 0.0;
        for (int j = 0; j < kept; j++) {
            mass += keptProbs[j];
        }
        for (int j = 0; j < kept; j++) {
            keptProbs[j] /= mass;
        }
        return new Support(keptIds, keptProbs, kept);
    }

    /** True when candidate a ranks before candidate b: higher probability, then lower token id. */
    private static boolean ranksBefore(int a, int b, int[] ids, double[] probs) {
        return probs[a] > probs[b] || (probs[a] == probs[b] && ids[a] < ids[b]);
    }

    private static void siftDown(int[] heap, int at, int size, int[] ids, double[] probs) {
        int node = heap[at];
        while (true) {
            int child = 2 * at + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && ranksBefore(heap[child + 1], heap[child], ids, probs)) {
                child++;
            }
            if (!ranksBefore(heap[child], node, ids, probs)) {
                break;
            }
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = node;
    }

    /** The k-th largest value (counting duplicates), with a size-k min-heap: O(V log k). */
    static float kthLargest(float[] values, int k) {
        float[] heap = new float[k];
        int size = 0;
        for (float x : values) {
            if (size < k) {
                int at = size++;
                while (at > 0) { // sift up
                    int parent = (at - 1) >>> 1;
                    if (heap[parent] <= x) {
                        break;
                    }
                    heap[at] = heap[parent];
                    at = parent;
                }
                heap[at] = x;
            } else if (x > heap[0]) {
                int at = 0;
                while (true) { // sift down replacing the minimum
                    int child = 2 * at + 1;
                    if (child >= k) {
                        break;
                    }
                    if (child + 1 < k && heap[child + 1] < heap[child]) {
                        child++;
                    }
                    if (heap[child] >= x) {
                        break;
                    }
                    heap[at] = heap[child];
                    at = child;
                }
                heap[at] = x;
            }
        }
        return heap[0];
    }

    /** Kept token ids with their probabilities (first {@code size} entries are valid). */
    record Support(int[] ids, double[] probs, int size) {
    }
}
