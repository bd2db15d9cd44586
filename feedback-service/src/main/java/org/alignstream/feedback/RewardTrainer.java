package org.alignstream.feedback;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.TokenSequence;
import org.alignstream.avro.TrainingExample;
import org.alignstream.core.feedback.DenseCredit;
import org.alignstream.core.feedback.ValidationGate;
import org.alignstream.core.training.BradleyTerry;
import org.alignstream.core.training.TokenLevelRewardHead;
import org.alignstream.core.training.TokenLevelRewardHead.LabelledSequence;
import org.alignstream.core.training.TokenLevelRewardHead.PreferencePair;
import org.alignstream.core.training.TokenLevelRewardHead.TargetSequence;
import org.alignstream.core.training.TokenLevelRewardHead.TrainingData;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.RewardModel;

/**
 * Retrains a reward head from the feedback examples: Bradley-Terry on the full preferred/other pairs, or on their
 * equal-length prefix pairs and the full pairs (partial-sequence, Rashid et al. 2024), as an online refinement of the
 * model's bundled head (a Gaussian prior centred on the bundled weights, {@link BradleyTerry#fitAround}; the bias of the
 * serving head is kept, Bradley-Terry does not identify it). Every retraining fits all examples so far around that fixed
 * anchor, not around the last published version: a version already carries the evidence of the examples it was trained
 * on, so fitting the same examples again around it counts them twice, and after k retrainings the prior has roughly
 * 1/k of its strength (the weights grow and the head overfits the feedback pairs; {@code ops/eval.sh --section
 * feedback-replay} compares the two anchors). The result goes through the {@link ValidationGate} on the held-out examples against the
 * serving head. No Kafka here.
 *
 * <p>A token-level model ({@link #trainTokenLevel}, Xu et al. 2024) is a {@link TokenLevelRewardHead} over the
 * backbone's token states, refined around its serving version ({@link TokenLevelRewardHead#fitAround}) from: the
 * token labels of edits and the pair edited ≻ original; and for preferences, the pair chosen ≻ rejected and per-token
 * targets, each text's serving sequence reward spread over its tokens by attention ({@link DenseCredit}, Chan et al.
 * 2024, with {@link TokenLevel#creditBeta()}), so that where the feedback says nothing about single tokens the head learns to
 * share the serving reward as the reward model's attention does. Its gate compares held-out pairwise accuracy of the
 * sequence sums.
 */
public final class RewardTrainer {

    /** Weight of a kept token's label (0) relative to a changed one's in the token-level loss. */
    static final double KEPT_WEIGHT = 0.1;

    /**
     * Token-level training settings: the strength {@code l2} of the prior (its loss terms are means over tokens and
     * pairs, a different scale from the sequence heads'), and the share {@code creditBeta} of a preference's serving
     * reward its token targets spread by attention, the rest on the last token.
     */
    public record TokenLevel(double l2, double creditBeta) {
        /**
         * The bundled {@code sentiment-token}'s cross-validated choice (models/reward-sentiment-token/MODEL_CARD.md):
         * l2 10, beta 1 (0.5 was within 0.001 of it).
         */
        public static final TokenLevel DEFAULT = new TokenLevel(10, 1.0);

        public TokenLevel {
            if (!(l2 > 0) || !Double.isFinite(l2)) {
                throw new IllegalArgumentException("token-level l2 must be finite and > 0, was " + l2);
            }
            if (!(creditBeta >= 0 && creditBeta <= 1)) {
                throw new IllegalArgumentException("credit beta must be in [0, 1], was " + creditBeta);
            }
        }
    }

    /** What one retraining produced: the head (with its new version in its metadata), its figures and the verdict. */
    public record Outcome(LinearHead head, boolean partial, ValidationGate.Decision decision, Map<String, Double> figures) {
    }

    private final double l2;
    private final ValidationGate gate;
    private final TokenLevel tokenLevel;

    /**
     * @param l2     strength of the prior around the anchor (the bundled head)
     * @param margin largest tolerated drop in held-out pairwise accuracy
     */
    public RewardTrainer(double l2, double margin) {
        this(l2, margin, TokenLevel.DEFAULT);
    }

    /** @param tokenLevel the token-level model's prior strength and credit share */
    public RewardTrainer(double l2, double margin, TokenLevel tokenLevel) {
        if (!(l2 > 0) || !Double.isFinite(l2)) {
            throw new IllegalArgumentException("l2 must be finite and > 0, was " + l2);
        }
        this.l2 = l2;
        this.gate = new ValidationGate(margin);
        this.tokenLevel = java.util.Objects.requireNonNull(tokenLevel, "tokenLevel");
    }

    /**
     * Trains the next version of {@code serving} on {@code examples}, with the prior centred on {@code serving} itself
     * (right for a first retraining, when the serving head is the bundled one; see
     * {@link #train(LinearHead, LinearHead, List, boolean, long)} for later ones).
     */
    public Outcome train(LinearHead serving, List<TrainingExample> examples, boolean partial, long version) {
        return train(serving, serving, examples, partial, version);
    }

    /**
     * Trains the next version of {@code serving} on {@code examples} (all examples so far), its prior centred on
     * {@code anchor} (the bundled head, the same for every retraining, so that no example is counted twice); the
     * gate compares the result with {@code serving} and the new head keeps {@code serving}'s bias and identity.
     *
     * @param anchor  the weights the prior is centred on (same feature dimension as {@code serving})
     * @param partial train on prefix pairs as well (a partial-sequence model)
     * @param version the new version's number
     * @return the outcome, or {@code null} while there is no training or no held-out example yet
     */
    public Outcome train(LinearHead anchor, LinearHead serving, List<TrainingExample> examples, boolean partial,
                         long version) {
        if (anchor.weights().length != serving.weights().length) {
            throw new IllegalArgumentException("anchor has " + anchor.weights().length + " weights, serving head "
                    + serving.weights().length);
        }
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
        BradleyTerry fit = BradleyTerry.fitAround(anchor.weights(), trainChosen.toArray(double[][]::new),
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

    /**
     * Trains the next version of the token-level model {@code serving} on the examples that carry tokens.
     *
     * @param serving      the serving token-level head (kind {@value RewardModel#TOKEN_LEVEL}); null for a first
     *                     version, fitted from zero and published by the first-version rule
     * @param creditReward the serving sequence reward whose dense credit gives a preference's token targets
     * @param metadata     the new version's identity (its version is replaced by {@code version})
     * @return the outcome, or {@code null} while there is no training or no held-out example with tokens yet
     */
    public Outcome trainTokenLevel(LinearHead serving, LinearHead creditReward, HeadMetadata metadata,
            List<TrainingExample> examples, long version) {
        return trainTokenLevel(serving, serving, creditReward, metadata, examples, version);
    }

    /**
     * {@link #trainTokenLevel(LinearHead, LinearHead, HeadMetadata, List, long)} with the prior centred on
     * {@code anchor} (the bundled token head, the same for every retraining on all examples, as for the sequence
     * models: no example counted twice); the gate compares the result with {@code serving}. Null anchor: no prior
     * centre (a first training from scratch).
     */
    public Outcome trainTokenLevel(LinearHead anchor, LinearHead serving, LinearHead creditReward,
            HeadMetadata metadata, List<TrainingExample> examples, long version) {
        TokenData train = new TokenData();
        TokenData held = new TokenData();
        int used = 0;
        for (TrainingExample e : examples) {
            if (e.getChosenTokens() == null || e.getRejectedTokens() == null) {
                continue; // written before token-level training, or by a backbone without tokens
            }
            used++;
            (e.getHoldout() ? held : train).add(e, creditReward, tokenLevel.creditBeta());
        }
        if (train.pairs.isEmpty() || held.pairs.isEmpty()) {
            return null;
        }
        TokenLevelRewardHead.Options options = new TokenLevelRewardHead.Options(KEPT_WEIGHT, 1.0, tokenLevel.l2(), 1.0);
        TrainingData data = new TrainingData(train.labelled, train.pairs, train.targets);
        long start = System.nanoTime();
        TokenLevelRewardHead fit = anchor == null ? TokenLevelRewardHead.fit(data, options)
                : TokenLevelRewardHead.fitAround(new TokenLevelRewardHead(anchor.weights(), anchor.bias()), data,
                        options);
        double seconds = (System.nanoTime() - start) / 1e9;
        Map<String, Double> figures = new LinkedHashMap<>();
        figures.put("train_pairs", (double) train.pairs.size());
        figures.put("heldout_pairs", (double) held.pairs.size());
        figures.put("examples", (double) examples.size());
        figures.put("examples_with_tokens", (double) used);
        figures.put("edit_sequences", (double) train.labelled.size());
        figures.put("target_sequences", (double) train.targets.size());
        figures.put("credit_beta", tokenLevel.creditBeta());
        figures.put("l2", tokenLevel.l2());
        figures.put("train_accuracy", fit.pairwiseAccuracy(train.pairs));
        figures.put("train_seconds", seconds);
        figures.put("converged", fit.converged() ? 1.0 : 0.0);
        double[] p = fit.parameters();
        boolean finite = java.util.Arrays.stream(p).allMatch(Double::isFinite);
        ValidationGate.Decision decision;
        if (!finite) {
            decision = gate.decide(p, new ValidationGate.Accuracy(0, 1), null);
        } else {
            TokenLevelRewardHead old = serving == null ? null : new TokenLevelRewardHead(serving.weights(), serving.bias());
            decision = gate.decide(p, held.sums(fit, true), held.sums(fit, false),
                    old == null ? null : held.sums(old, true), old == null ? null : held.sums(old, false));
        }
        figures.put("heldout_accuracy", decision.newAccuracy());
        figures.put("serving_heldout_accuracy", decision.servingAccuracy());
        LinearHead head = finite ? new LinearHead(fit.weights(), fit.bias(), new HeadMetadata(metadata.id(),
                Long.toString(version), RewardModel.TOKEN_LEVEL, metadata.featureDim(), metadata.encoder())) : null;
        return new Outcome(head, false, decision, figures);
    }

    /** Token-level training data of some examples: edit labels, preference targets, pairs (chosen first). */
    private static final class TokenData {
        final List<LabelledSequence> labelled = new ArrayList<>();
        final List<TargetSequence> targets = new ArrayList<>();
        final List<PreferencePair> pairs = new ArrayList<>();

        void add(TrainingExample e, LinearHead creditReward, double beta) {
            double[][] chosen = states(e.getChosenTokens());
            double[][] rejected = states(e.getRejectedTokens());
            pairs.add(new PreferencePair(chosen, rejected));
            if ("edit".equals(e.getSource())) {
                labelled.add(new LabelledSequence(rejected, labels(e.getRejectedTokens())));
                labelled.add(new LabelledSequence(chosen, labels(e.getChosenTokens())));
            } else {
                addTargets(chosen, e.getChosenTokens(), creditReward.apply(floats(e.getChosen())), beta);
                addTargets(rejected, e.getRejectedTokens(), creditReward.apply(floats(e.getRejected())), beta);
            }
        }

        private void addTargets(double[][] states, TokenSequence tokens, double reward, double beta) {
            double[] credit = tokenTargets(reward, tokens, beta);
            if (credit != null) {
                targets.add(new TargetSequence(states, credit));
            }
        }

        double[] sums(TokenLevelRewardHead head, boolean chosen) {
            double[] out = new double[pairs.size()];
            for (int i = 0; i < out.length; i++) {
                out[i] = head.sequenceReward(chosen ? pairs.get(i).chosen() : pairs.get(i).rejected());
            }
            return out;
        }
    }

    /**
     * A text's token targets: its sequence reward spread over its tokens by their attention ({@link DenseCredit}); null
     * for a text with no tokens or no attention.
     */
    static double[] tokenTargets(double reward, TokenSequence tokens, double beta) {
        if (tokens.getTokenIds().isEmpty() || tokens.getAttention().size() != tokens.getTokenIds().size()) {
            return null;
        }
        return DenseCredit.redistribute(reward, toArray(tokens.getAttention()), beta);
    }

    static double[][] states(TokenSequence tokens) {
        double[][] rows = new double[tokens.getStates().size()][];
        for (int t = 0; t < rows.length; t++) {
            rows[t] = toArray(tokens.getStates().get(t));
        }
        return rows;
    }

    private static int[] labels(TokenSequence tokens) {
        if (tokens.getLabels().size() != tokens.getTokenIds().size()) {
            throw new IllegalArgumentException("an edit's token sequence has " + tokens.getLabels().size() + " labels for "
                    + tokens.getTokenIds().size() + " tokens");
        }
        return tokens.getLabels().stream().mapToInt(Integer::intValue).toArray();
    }

    private static float[] floats(List<Float> values) {
        float[] out = new float[values.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = values.get(i);
        }
        return out;
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
