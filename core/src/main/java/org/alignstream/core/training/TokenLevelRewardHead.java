package org.alignstream.core.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A token-level reward head (Xu et al. 2024, "Aligning Large Language Models via Fine-grained
 * Supervision"): a linear reward per token over the reward model's per-token features h_t,
 * <pre>  r_t = w . h_t + b,        R(y) = sum_t r_t,</pre>
 * so the per-token rewards add up to the sequence reward. It learns from minimal edits: token labels
 * (−1 on original tokens the annotator deleted or replaced, +1 on tokens they inserted or wrote as a
 * replacement, 0 on kept tokens; see {@code org.alignstream.core.feedback.MinimalEditAlignment}) and
 * sequence-level preferences (the edit preferred over the original) under Bradley-Terry on the sums;
 * and from real-valued per-token targets y_t, e.g. a sequence reward spread over its tokens by
 * attention ({@code org.alignstream.core.feedback.DenseCredit}, Chan et al. 2024).
 *
 * <p>Objective over the labelled tokens t and the preference pairs (c_i &#8827; r_i), fitted by
 * {@link Lbfgs}, with theta = (w, b):
 * <pre>
 *   L(theta) = sum_t c_t l_t(r_t) / sum_t c_t                              (token term; 0 if sum_t c_t = 0)
 *            + preferenceWeight (1/P) sum_i softplus(-(R(c_i) - R(r_i)))   (Bradley-Terry term; 0 if P = 0)
 *            + targetWeight (1/N) sum_u (r_u - y_u)^2 / 2                  (target term, N target tokens; 0 if N = 0)
 *            + (l2 / 2) ||theta - theta_0||^2
 *   l_t(r) = softplus(-y_t r)  for y_t = +1 or -1   (logistic: the sign of r_t is the label)
 *   l_t(r) = r^2 / 2           for y_t = 0          (regression: a kept token is neither credited nor blamed)
 *   c_t    = 1 for y_t = +1 or -1,  keptWeight for y_t = 0
 * </pre>
 * As R(y) = w . sum_t h_t + T b, the Bradley-Terry term is {@link BradleyTerry} on the feature
 * differences (sum_t h_t, T) of chosen minus rejected, and that is how it is computed. The bias is the
 * reward of sequence length there, so the L2 penalty covers b as well as w. The penalty is centred on
 * theta_0 = 0 ({@link #fit}) or on a given head's parameters ({@link #fitAround}: a Gaussian prior around
 * the serving version, for online refinement; the fit then starts from theta_0).
 *
 * <p>Parameters are packed as {@code [w_0 .. w_{d-1}, b]} in {@link #loss} and {@link #lossAndGradient}.
 * Instances are immutable; the training records do not copy their arrays.
 */
public final class TokenLevelRewardHead {

    /**
     * A response's per-token features (one row of d features per token; no rows for an empty response)
     * and its token labels, -1, 0 or +1, one per row.
     */
    public record LabelledSequence(double[][] features, int[] labels) {
        public LabelledSequence {
            if (features == null || labels == null) {
                throw new IllegalArgumentException("a labelled sequence needs features and labels");
            }
            if (features.length != labels.length) {
                throw new IllegalArgumentException("a labelled sequence has " + features.length
                        + " feature rows but " + labels.length + " labels");
            }
            for (int t = 0; t < labels.length; t++) {
                if (labels[t] < -1 || labels[t] > 1) {
                    throw new IllegalArgumentException("token label " + t + " is " + labels[t] + ", not -1, 0 or +1");
                }
            }
        }
    }

    /** A preference: response {@code chosen} over {@code rejected}, each as per-token features (may be empty). */
    public record PreferencePair(double[][] chosen, double[][] rejected) {
        public PreferencePair {
            if (chosen == null || rejected == null) {
                throw new IllegalArgumentException("a preference pair needs chosen and rejected features");
            }
        }
    }

    /**
     * A response's per-token features and a real-valued target reward per token (e.g. its dense credit),
     * one per row; targets must be finite.
     */
    public record TargetSequence(double[][] features, double[] targets) {
        public TargetSequence {
            if (features == null || targets == null) {
                throw new IllegalArgumentException("a target sequence needs features and targets");
            }
            if (features.length != targets.length) {
                throw new IllegalArgumentException("a target sequence has " + features.length
                        + " feature rows but " + targets.length + " targets");
            }
            for (int t = 0; t < targets.length; t++) {
                if (!Double.isFinite(targets[t])) {
                    throw new IllegalArgumentException("token target " + t + " is not finite: " + targets[t]);
                }
            }
        }
    }

    /** Everything a fit learns from; null lists count as empty, but not all three may be empty. */
    public record TrainingData(List<LabelledSequence> labelled, List<PreferencePair> pairs,
            List<TargetSequence> targets) {
        public TrainingData {
            labelled = labelled == null ? List.of() : labelled;
            pairs = pairs == null ? List.of() : pairs;
            targets = targets == null ? List.of() : targets;
        }
    }

    /**
     * Loss weights: {@code keptWeight} c of a kept (label 0) token relative to a changed one, in [0, inf);
     * {@code preferenceWeight} of the Bradley-Terry term, in [0, inf); L2 strength {@code l2} on (w, b);
     * {@code targetWeight} of the target term, in [0, inf).
     */
    public record Options(double keptWeight, double preferenceWeight, double l2, double targetWeight) {
        public Options {
            requireWeight(keptWeight, "keptWeight");
            requireWeight(preferenceWeight, "preferenceWeight");
            Logistic.requireL2(l2);
            requireWeight(targetWeight, "targetWeight");
        }

        /** Target weight 1 (it matters only when there are target sequences). */
        public Options(double keptWeight, double preferenceWeight, double l2) {
            this(keptWeight, preferenceWeight, l2, 1.0);
        }

        private static void requireWeight(double value, String name) {
            if (!(value >= 0) || Double.isInfinite(value)) {
                throw new IllegalArgumentException(name + " must be finite and >= 0, got " + value);
            }
        }
    }

    private final double[] weights;
    private final double bias;
    private final double[] lossHistory;
    private final boolean converged;

    public TokenLevelRewardHead(double[] weights, double bias) {
        this(weights, bias, new double[0], true);
    }

    private TokenLevelRewardHead(double[] weights, double bias, double[] lossHistory, boolean converged) {
        if (weights.length == 0) {
            throw new IllegalArgumentException("weights must not be empty");
        }
        this.weights = weights.clone();
        this.bias = bias;
        this.lossHistory = lossHistory;
        this.converged = converged;
    }

    /** Fits with {@link Lbfgs#defaults()}, from a zero start. */
    public static TokenLevelRewardHead fit(List<LabelledSequence> labelled, List<PreferencePair> pairs, Options options) {
        return fit(labelled, pairs, options, Lbfgs.defaults());
    }

    public static TokenLevelRewardHead fit(List<LabelledSequence> labelled, List<PreferencePair> pairs, Options options,
            Lbfgs optimizer) {
        return fit(new TrainingData(labelled, pairs, List.of()), null, options, optimizer);
    }

    /** Fits on all three kinds of data with {@link Lbfgs#defaults()}, from a zero start, L2 centred on 0. */
    public static TokenLevelRewardHead fit(TrainingData data, Options options) {
        return fit(data, null, options, Lbfgs.defaults());
    }

    /**
     * Fits with the L2 penalty centred on {@code prior}'s parameters (a Gaussian prior around it) and
     * starting from them: online refinement of a serving head, which stays put where the data say nothing.
     */
    public static TokenLevelRewardHead fitAround(TokenLevelRewardHead prior, TrainingData data, Options options) {
        if (prior == null) {
            throw new IllegalArgumentException("fitAround needs the prior head");
        }
        return fit(data, prior.parameters(), options, Lbfgs.defaults());
    }

    private static TokenLevelRewardHead fit(TrainingData data, double[] centre, Options options, Lbfgs optimizer) {
        DifferentiableFunction f = objective(data, centre, options);
        double[] start = centre == null ? new double[f.dimension()] : centre.clone();
        Lbfgs.Result result = optimizer.minimize(f, start);
        double[] p = result.x();
        int d = p.length - 1;
        return new TokenLevelRewardHead(Arrays.copyOf(p, d), p[d], result.valueHistory(), result.converged());
    }

    /** The training objective as a function of packed parameters {@code [w, b]}. */
    public static DifferentiableFunction objective(List<LabelledSequence> labelled, List<PreferencePair> pairs,
            Options options) {
        return objective(new TrainingData(labelled, pairs, List.of()), null, options);
    }

    /**
     * The training objective as a function of packed parameters {@code [w, b]}, with the L2 penalty centred on
     * {@code centre} (packed the same way; null for 0).
     */
    public static DifferentiableFunction objective(TrainingData training, double[] centre, Options options) {
        Data data = Data.of(training, centre, options);
        return new DifferentiableFunction() {
            @Override
            public int dimension() {
                return data.dimension + 1;
            }

            @Override
            public double valueAndGradient(double[] params, double[] gradient) {
                return data.lossAndGradient(params, gradient);
            }
        };
    }

    /** Objective value at packed parameters {@code [w, b]}. */
    public static double loss(double[] params, List<LabelledSequence> labelled, List<PreferencePair> pairs,
            Options options) {
        return lossAndGradient(params, labelled, pairs, options, null);
    }

    /**
     * Objective value at packed parameters {@code [w, b]}; if {@code gradient} is not null it is
     * overwritten with the gradient (same packing).
     */
    public static double lossAndGradient(double[] params, List<LabelledSequence> labelled, List<PreferencePair> pairs,
            Options options, double[] gradient) {
        return lossAndGradient(params, new TrainingData(labelled, pairs, List.of()), null, options, gradient);
    }

    /**
     * As {@link #lossAndGradient(double[], List, List, Options, double[])} on all three kinds of data, the L2 penalty
     * centred on {@code centre} (null for 0).
     */
    public static double lossAndGradient(double[] params, TrainingData training, double[] centre, Options options,
            double[] gradient) {
        return Data.of(training, centre, options).lossAndGradient(params, gradient);
    }

    public double[] weights() {
        return weights.clone();
    }

    public double bias() {
        return bias;
    }

    /** {@code [w_0 .. w_{d-1}, b]}, the packing of {@link #loss}. */
    public double[] parameters() {
        double[] p = Arrays.copyOf(weights, weights.length + 1);
        p[weights.length] = bias;
        return p;
    }

    /** Number of features d per token. */
    public int dimension() {
        return weights.length;
    }

    /** Whether L-BFGS met its convergence test in the fit (true for heads built directly). */
    public boolean converged() {
        return converged;
    }

    /** Objective values after each L-BFGS iteration of the fit (empty for heads built directly). */
    public double[] lossHistory() {
        return lossHistory.clone();
    }

    /** r_t = w . h_t + b. */
    public double tokenReward(double[] features) {
        Logistic.requireLength(features, weights.length, "token features");
        return Lbfgs.dot(weights, features) + bias;
    }

    /** r_t for every token of a sequence. */
    public double[] tokenRewards(double[][] features) {
        double[] r = new double[features.length];
        for (int t = 0; t < features.length; t++) {
            r[t] = tokenReward(features[t]);
        }
        return r;
    }

    /** R(y) = sum_t r_t, summed in token order (so it equals the sum of {@link #tokenRewards}); 0 if empty. */
    public double sequenceReward(double[][] features) {
        double total = 0;
        for (double r : tokenRewards(features)) {
            total += r;
        }
        return total;
    }

    /** P(chosen &#8827; rejected) = sigma(R(chosen) - R(rejected)). */
    public double predict(double[][] chosen, double[][] rejected) {
        return Logistic.sigmoid(sequenceReward(chosen) - sequenceReward(rejected));
    }

    /** Fraction of pairs whose chosen response gets the higher sequence reward (ties count as wrong). */
    public double pairwiseAccuracy(List<PreferencePair> pairs) {
        if (pairs == null || pairs.isEmpty()) {
            throw new IllegalArgumentException("pairwise accuracy needs at least one pair");
        }
        int correct = 0;
        for (PreferencePair pair : pairs) {
            if (sequenceReward(pair.chosen()) > sequenceReward(pair.rejected())) {
                correct++;
            }
        }
        return (double) correct / pairs.size();
    }

    /** Validated training data, flattened: labelled tokens with their weights, and pair differences. */
    private static final class Data {
        final int dimension;
        final double[][] tokens;
        final int[] labels;
        final double[] tokenWeights;
        final double tokenWeightSum;
        final double[][] pairDeltas; // (sum_t h_t, T) of chosen minus rejected; empty if no pairs
        final double[][] targetRows;
        final double[] targets;
        final double[] centre;
        final Options options;

        private Data(int dimension, double[][] tokens, int[] labels, double[] tokenWeights, double[][] pairDeltas,
                double[][] targetRows, double[] targets, double[] centre, Options options) {
            this.dimension = dimension;
            this.tokens = tokens;
            this.labels = labels;
            this.tokenWeights = tokenWeights;
            double sum = 0;
            for (double c : tokenWeights) {
                sum += c;
            }
            this.tokenWeightSum = sum;
            this.pairDeltas = pairDeltas;
            this.targetRows = targetRows;
            this.targets = targets;
            this.centre = centre;
            this.options = options;
        }

        static Data of(TrainingData training, double[] centre, Options options) {
            if (options == null) {
                throw new IllegalArgumentException("options are required");
            }
            if (training == null) {
                throw new IllegalArgumentException("training data are required");
            }
            List<LabelledSequence> sequences = training.labelled();
            List<PreferencePair> preferences = training.pairs();
            List<TargetSequence> targeted = training.targets();
            if (sequences.isEmpty() && preferences.isEmpty() && targeted.isEmpty()) {
                throw new IllegalArgumentException("training needs at least one labelled sequence, preference pair or"
                        + " target sequence");
            }
            int d = inferDimension(sequences, preferences, targeted);
            List<double[]> tokenRows = new ArrayList<>();
            List<Integer> tokenLabels = new ArrayList<>();
            for (int s = 0; s < sequences.size(); s++) {
                LabelledSequence seq = sequences.get(s);
                if (seq == null) {
                    throw new IllegalArgumentException("labelled sequence " + s + " is null");
                }
                requireRows(seq.features(), d, "labelled sequence " + s);
                for (int t = 0; t < seq.labels().length; t++) {
                    tokenRows.add(seq.features()[t]);
                    tokenLabels.add(seq.labels()[t]);
                }
            }
            int[] labels = tokenLabels.stream().mapToInt(Integer::intValue).toArray();
            double[] c = new double[labels.length];
            for (int t = 0; t < labels.length; t++) {
                c[t] = labels[t] == 0 ? options.keptWeight() : 1.0;
            }
            double[][] deltas = new double[preferences.size()][];
            for (int i = 0; i < preferences.size(); i++) {
                PreferencePair pair = preferences.get(i);
                if (pair == null) {
                    throw new IllegalArgumentException("preference pair " + i + " is null");
                }
                requireRows(pair.chosen(), d, "chosen of pair " + i);
                requireRows(pair.rejected(), d, "rejected of pair " + i);
                double[] chosen = summed(pair.chosen(), d);
                double[] rejected = summed(pair.rejected(), d);
                deltas[i] = new double[d + 1];
                for (int j = 0; j <= d; j++) {
                    deltas[i][j] = chosen[j] - rejected[j];
                }
            }
            List<double[]> targetRows = new ArrayList<>();
            List<Double> targetValues = new ArrayList<>();
            for (int s = 0; s < targeted.size(); s++) {
                TargetSequence seq = targeted.get(s);
                if (seq == null) {
                    throw new IllegalArgumentException("target sequence " + s + " is null");
                }
                requireRows(seq.features(), d, "target sequence " + s);
                for (int t = 0; t < seq.targets().length; t++) {
                    targetRows.add(seq.features()[t]);
                    targetValues.add(seq.targets()[t]);
                }
            }
            double[] prior = new double[d + 1];
            if (centre != null) {
                Logistic.requireLength(centre, d + 1, "prior centre");
                for (int j = 0; j <= d; j++) {
                    if (!Double.isFinite(centre[j])) {
                        throw new IllegalArgumentException("prior centre " + j + " is not finite: " + centre[j]);
                    }
                }
                prior = centre.clone();
            }
            return new Data(d, tokenRows.toArray(new double[0][]), labels, c, deltas,
                    targetRows.toArray(new double[0][]), targetValues.stream().mapToDouble(Double::doubleValue).toArray(),
                    prior, options);
        }

        double lossAndGradient(double[] params, double[] gradient) {
            int d = dimension;
            Logistic.requireLength(params, d + 1, "params");
            if (gradient != null) {
                Logistic.requireLength(gradient, d + 1, "gradient");
                Arrays.fill(gradient, 0);
            }
            double b = params[d];
            double tokenTerm = 0;
            if (tokenWeightSum > 0) {
                for (int t = 0; t < tokens.length; t++) {
                    if (tokenWeights[t] == 0) {
                        continue;
                    }
                    double r = b;
                    for (int j = 0; j < d; j++) {
                        r += params[j] * tokens[t][j];
                    }
                    int y = labels[t];
                    double lossT;
                    double slope; // dl_t/dr
                    if (y == 0) {
                        lossT = 0.5 * r * r;
                        slope = r;
                    } else {
                        lossT = Logistic.softplus(-y * r);
                        slope = -y * Logistic.sigmoid(-y * r);
                    }
                    double c = tokenWeights[t] / tokenWeightSum;
                    tokenTerm += c * lossT;
                    if (gradient != null) {
                        double g = c * slope;
                        for (int j = 0; j < d; j++) {
                            gradient[j] += g * tokens[t][j];
                        }
                        gradient[d] += g;
                    }
                }
            }
            double pairTerm = 0;
            double lambda = options.preferenceWeight();
            if (pairDeltas.length > 0 && lambda > 0) {
                double[] pairGradient = gradient == null ? null : new double[d + 1];
                pairTerm = lambda * BradleyTerry.lossAndGradient(params, pairDeltas, 0, pairGradient);
                if (gradient != null) {
                    for (int j = 0; j <= d; j++) {
                        gradient[j] += lambda * pairGradient[j];
                    }
                }
            }
            double targetTerm = 0;
            double mu = options.targetWeight();
            if (targets.length > 0 && mu > 0) {
                double scale = mu / targets.length;
                for (int u = 0; u < targets.length; u++) {
                    double residual = b - targets[u];
                    for (int j = 0; j < d; j++) {
                        residual += params[j] * targetRows[u][j];
                    }
                    targetTerm += scale * 0.5 * residual * residual;
                    if (gradient != null) {
                        double g = scale * residual;
                        for (int j = 0; j < d; j++) {
                            gradient[j] += g * targetRows[u][j];
                        }
                        gradient[d] += g;
                    }
                }
            }
            double squaredNorm = 0;
            for (int j = 0; j <= d; j++) {
                double offset = params[j] - centre[j];
                squaredNorm += offset * offset;
                if (gradient != null) {
                    gradient[j] += options.l2() * offset;
                }
            }
            return tokenTerm + pairTerm + targetTerm + 0.5 * options.l2() * squaredNorm;
        }

        private static int inferDimension(List<LabelledSequence> sequences, List<PreferencePair> pairs,
                List<TargetSequence> targeted) {
            for (LabelledSequence s : sequences) {
                if (s != null && s.features().length > 0 && s.features()[0] != null) {
                    return requirePositive(s.features()[0].length);
                }
            }
            for (TargetSequence s : targeted) {
                if (s != null && s.features().length > 0 && s.features()[0] != null) {
                    return requirePositive(s.features()[0].length);
                }
            }
            for (PreferencePair p : pairs) {
                if (p != null) {
                    for (double[][] side : new double[][][] {p.chosen(), p.rejected()}) {
                        if (side.length > 0 && side[0] != null) {
                            return requirePositive(side[0].length);
                        }
                    }
                }
            }
            throw new IllegalArgumentException("no token features to train on: every sequence is empty");
        }

        private static int requirePositive(int d) {
            if (d == 0) {
                throw new IllegalArgumentException("token feature rows must have at least one feature");
            }
            return d;
        }

        private static void requireRows(double[][] rows, int d, String name) {
            for (int t = 0; t < rows.length; t++) {
                if (rows[t] == null || rows[t].length != d) {
                    throw new IllegalArgumentException(name + " token " + t + " has "
                            + (rows[t] == null ? "no" : String.valueOf(rows[t].length)) + " features, expected " + d);
                }
                for (int j = 0; j < d; j++) {
                    if (!Double.isFinite(rows[t][j])) {
                        throw new IllegalArgumentException(name + " token " + t + " feature " + j + " is not finite: "
                                + rows[t][j]);
                    }
                }
            }
        }

        /** (sum_t h_t, T). */
        private static double[] summed(double[][] rows, int d) {
            double[] s = new double[d + 1];
            for (double[] row : rows) {
                for (int j = 0; j < d; j++) {
                    s[j] += row[j];
                }
            }
            s[d] = rows.length;
            return s;
        }
    }
}
