package org.alignstream.feedback;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.TrainingExample;
import org.alignstream.core.feedback.ValidationGate;
import org.alignstream.core.training.BradleyTerry;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;

/**
 * Retrains a reward head from the feedback examples: Bradley-Terry on the full preferred/other pairs, or on their
 * equal-length prefix pairs and the full pairs (partial-sequence, Rashid et al. 2024), as an online refinement of the
 * serving head (a Gaussian prior centred on its weights, {@link BradleyTerry#fitAround}; the bias is kept, Bradley-Terry
 * does not identify it). The result goes through the {@link ValidationGate} on the held-out examples against the
 * serving head. No Kafka here.
 */
public final class RewardTrainer {

    /** What one retraining produced: the head (with its new version in its metadata), its figures and the verdict. */
    public record Outcome(LinearHead head, boolean partial, ValidationGate.Decision decision, Map<String, Double> figures) {
    }

    private final double l2;
    private final ValidationGate gate;

    /**
     * @param l2     strength of the prior around the serving weights
     * @param margin largest tolerated drop in held-out pairwise accuracy
     */
    public RewardTrainer(double l2, double margin) {
        if (!(l2 > 0) || !Double.isFinite(l2)) {
            throw new IllegalArgumentException("l2 must be finite and > 0, was " + l2);
        }
        this.l2 = l2;
        this.gate = new ValidationGate(margin);
    }

    /**
     * Trains the next version of {@code serving} on {@code examples}.
     *
     * @param partial train on prefix pairs as well (a partial-sequence model)
     * @param version the new version's number
     * @return the outcome, or {@code null} while there is no training or no held-out example yet
     */
    public Outcome train(LinearHead serving, List<TrainingExample> examples, boolean partial, long version) {
        List<double[]> trainChosen = new ArrayList<>();
        List<double[]> trainRejected = new ArrayList<>();
        List<double[]> heldChosen = new ArrayList<>();
        List<double[]> heldRejected = new ArrayList<>();
        for (TrainingExample e : examples) {
            List<double[]> c = e.getHoldout() ? heldChosen : trainChosen;
            List<double[]> r = e.getHoldout() ? heldRejected : trainRejected;
            c.add(toArray(e.getChosen()));
            r.add(toArray(e.getRejected()));
            if (partial) {
                for (int i = 0; i < e.getPrefixChosen().size(); i++) {
                    c.add(toArray(e.getPrefixChosen().get(i)));
                    r.add(toArray(e.getPrefixRejected().get(i)));
                }
            }
        }
        if (trainChosen.isEmpty() || heldChosen.isEmpty()) {
            return null; // nothing to learn from, or nothing to validate a new version on
        }
        long start = System.nanoTime();
        BradleyTerry fit = BradleyTerry.fitAround(serving.weights(), trainChosen.toArray(double[][]::new),
                trainRejected.toArray(double[][]::new), l2);
        double seconds = (System.nanoTime() - start) / 1e9;
        HeadMetadata m = serving.metadata();
        double[] w = fit.weights();
        Map<String, Double> figures = new LinkedHashMap<>();
        figures.put("train_pairs", (double) trainChosen.size());
        figures.put("heldout_pairs", (double) heldChosen.size());
        figures.put("examples", (double) examples.size());
        figures.put("train_accuracy", accuracy(w, trainChosen, trainRejected));
        figures.put("train_seconds", seconds);
        figures.put("converged", fit.converged() ? 1.0 : 0.0);
        boolean finite = java.util.Arrays.stream(w).allMatch(Double::isFinite);
        ValidationGate.Decision decision = !finite
                ? gate.decide(w, new ValidationGate.Accuracy(0, 1), null) // rejected for its parameters
                : gate.decide(w, rewards(w, serving.bias(), heldChosen), rewards(w, serving.bias(), heldRejected),
                        rewards(serving.weights(), serving.bias(), heldChosen),
                        rewards(serving.weights(), serving.bias(), heldRejected));
        figures.put("heldout_accuracy", decision.newAccuracy());
        figures.put("serving_heldout_accuracy", decision.servingAccuracy());
        LinearHead head = finite
                ? new LinearHead(w, serving.bias(), new HeadMetadata(m.id(), Long.toString(version), m.kind(),
                        m.featureDim(), m.encoder()))
                : null;
        return new Outcome(head, partial, decision, figures);
    }

    private static double accuracy(double[] w, List<double[]> chosen, List<double[]> rejected) {
        int correct = 0;
        for (int i = 0; i < chosen.size(); i++) {
            if (dot(w, chosen.get(i)) > dot(w, rejected.get(i))) {
                correct++;
            }
        }
        return chosen.isEmpty() ? Double.NaN : (double) correct / chosen.size();
    }

    private static double[] rewards(double[] w, double bias, List<double[]> features) {
        double[] out = new double[features.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = dot(w, features.get(i)) + bias;
        }
        return out;
    }

    private static double dot(double[] w, double[] x) {
        double s = 0;
        for (int j = 0; j < w.length; j++) {
            s += w[j] * x[j];
        }
        return s;
    }

    static double[] toArray(List<Float> values) {
        double[] out = new double[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
    }
}
