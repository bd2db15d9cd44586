package org.alignstream.core.sampling;

/**
 * Parameters of ancestral sampling from a softmax over logits, applied in the Hugging Face
 * {@code generate()} order: temperature, then top-k, then top-p (nucleus).
 *
 * @param temperature {@code > 0} divides the logits before the softmax; {@code 0} means greedy decoding
 *                    (the distribution is a point mass on the arg-max, lowest index on ties). Must be finite.
 * @param topK        keep only the tokens whose scaled logit is {@code >=} the k-th largest one
 *                    (Hugging Face semantics: ties with the k-th value are kept); {@code 0} switches top-k off
 * @param topP        nucleus sampling: keep the smallest set of most probable tokens whose cumulative
 *                    probability is {@code >= topP} (always at least one token); {@code 1} switches it off.
 *                    Must lie in {@code (0, 1]}.
 */
public record SamplingParams(double temperature, int topK, double topP) {

    /** Plain sampling from the model's distribution: temperature 1, no top-k, no top-p. */
    public static final SamplingParams UNMODIFIED = new SamplingParams(1.0, 0, 1.0);

    /** Greedy decoding (temperature 0). */
    public static final SamplingParams GREEDY = new SamplingParams(0.0, 0, 1.0);

    public SamplingParams {
        if (!(temperature >= 0.0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException(
                    "temperature must be a finite number >= 0 (0 means greedy), got " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 (0 switches top-k off), got " + topK);
        }
        if (!(topP > 0.0 && topP <= 1.0)) {
            throw new IllegalArgumentException("topP must lie in (0, 1] (1 switches top-p off), got " + topP);
        }
    }

    /** Temperature-only sampling without truncation. */
    public static SamplingParams ofTemperature(double temperature) {
        return new SamplingParams(temperature, 0, 1.0);
    }

    /** True when the distribution is a point mass on the arg-max. */
    public boolean isGreedy() {
        return temperature == 0.0;
    }
}
