package org.alignstream.inference.reward;

/**
 * A linear reward head r(f) = w . f + b over encoder features, with its identity.
 */
public record LinearHead(double[] weights, double bias, HeadMetadata metadata) {

    public LinearHead {
        if (weights == null || weights.length != metadata.featureDim()) {
            throw new IllegalArgumentException("head has " + (weights == null ? 0 : weights.length)
                    + " weights but metadata says featureDim " + metadata.featureDim());
        }
        for (int i = 0; i < weights.length; i++) {
            if (!Double.isFinite(weights[i])) {
                throw new IllegalArgumentException("head weight " + i + " is not finite: " + weights[i]);
            }
        }
        if (!Double.isFinite(bias)) {
            throw new IllegalArgumentException("head bias is not finite: " + bias);
        }
        weights = weights.clone();
    }

    @Override
    public double[] weights() {
        return weights.clone();
    }

    /** w . f + b computed in double precision. */
    public double apply(float[] features) {
        if (features.length != weights.length) {
            throw new IllegalArgumentException("features have length " + features.length + ", head expects " + weights.length);
        }
        double sum = bias;
        for (int i = 0; i < weights.length; i++) {
            sum += weights[i] * features[i];
        }
        return sum;
    }
}
