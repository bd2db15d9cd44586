package org.alignstream.core.sampling;

import java.util.Arrays;
import java.util.Comparator;

/** Brute-force reference for {@link TokenSampler#samplingDistribution}: full sort, no cleverness. */
final class NaiveSampling {

    private NaiveSampling() {
    }

    static double[] distribution(float[] logits, SamplingParams p) {
        int v = logits.length;
        double[] out = new double[v];
        Integer[] order = new Integer[v];
        for (int i = 0; i < v; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparingInt(i -> i));
        if (p.temperature() == 0.0) {
            out[order[0]] = 1.0;
            return out;
        }
        double[] z = new double[v];
        for (int i = 0; i < v; i++) {
            z[i] = logits[i] / p.temperature();
        }
        boolean[] keep = new boolean[v];
        double threshold = p.topK() > 0 && p.topK() < v ? z[order[p.topK() - 1]] : Double.NEGATIVE_INFINITY;
        for (int i = 0; i < v; i++) {
            keep[i] = z[i] >= threshold && z[i] != Double.NEGATIVE_INFINITY;
        }
        double max = z[order[0]];
        double sum = 0.0;
        for (int i = 0; i < v; i++) {
            if (keep[i]) {
                sum += Math.exp(z[i] - max);
            }
        }
        double[] probs = new double[v];
        for (int i = 0; i < v; i++) {
            probs[i] = keep[i] ? Math.exp(z[i] - max) / sum : 0.0;
        }
        if (p.topP() < 1.0) {
            double cumulative = 0.0;
            int kept = 0;
            for (int r = 0; r < v; r++) {
                int i = order[r];
                if (!keep[i]) {
                    continue;
                }
                if (kept > 0 && cumulative >= p.topP()) {
                    keep[i] = false;
                } else {
                    cumulative += probs[i];
                    kept++;
                }
            }
        }
        double mass = 0.0;
        for (int i = 0; i < v; i++) {
            if (keep[i]) {
                mass += probs[i];
            }
        }
        for (int i = 0; i < v; i++) {
            out[i] = keep[i] ? probs[i] / mass : 0.0;
        }
        return out;
    }
}
