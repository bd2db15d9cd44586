package org.alignstream.core.training;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.alignstream.core.training.TokenLevelRewardHead.LabelledSequence;
import org.alignstream.core.training.TokenLevelRewardHead.Options;
import org.alignstream.core.training.TokenLevelRewardHead.PreferencePair;
import org.alignstream.core.training.TokenLevelRewardHead.TargetSequence;
import org.alignstream.core.training.TokenLevelRewardHead.TrainingData;
import org.junit.jupiter.api.Test;

class TokenLevelRewardHeadTest {

    @Test
    void gradientMatchesCentralFiniteDifferences() {
        Random rnd = new Random(21);
        int d = 4;
        List<LabelledSequence> labelled = new ArrayList<>();
        for (int s = 0; s < 6; s++) {
            int length = s == 0 ? 0 : 1 + rnd.nextInt(7);
            int[] labels = new int[length];
            for (int t = 0; t < length; t++) {
                labels[t] = rnd.nextInt(3) - 1;
            }
            labelled.add(new LabelledSequence(LogisticRegressionTest.gaussian(rnd, length, d), labels));
        }
        List<PreferencePair> pairs = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            pairs.add(new PreferencePair(LogisticRegressionTest.gaussian(rnd, 1 + rnd.nextInt(6), d),
                    LogisticRegressionTest.gaussian(rnd, i, d)));
        }
        double[] params = {0.4, -0.9, 0.2, 1.3, -0.35};
        Options both = new Options(0.3, 0.7, 0.05);
        checkGradient(params, labelled, pairs, both);
        checkGradient(params, labelled, List.of(), new Options(0.3, 0.7, 0.05));
        checkGradient(params, List.of(), pairs, new Options(0, 2.0, 0.0));
        checkGradient(params, labelled, pairs, new Options(0, 0, 0.1));
    }

    @Test
    void gradientWithTargetsAndACentredPriorMatchesCentralFiniteDifferences() {
        Random rnd = new Random(22);
        int d = 3;
        List<TargetSequence> targets = new ArrayList<>();
        for (int s = 0; s < 5; s++) {
            int length = s == 0 ? 0 : 1 + rnd.nextInt(6);
            double[] y = new double[length];
            for (int t = 0; t < length; t++) {
                y[t] = rnd.nextGaussian();
            }
            targets.add(new TargetSequence(LogisticRegressionTest.gaussian(rnd, length, d), y));
        }
        List<PreferencePair> pairs = List.of(new PreferencePair(LogisticRegressionTest.gaussian(rnd, 3, d),
                LogisticRegressionTest.gaussian(rnd, 2, d)));
        List<LabelledSequence> labelled = List.of(new LabelledSequence(LogisticRegressionTest.gaussian(rnd, 2, d),
                new int[] {1, 0}));
        double[] params = {0.3, -0.7, 1.1, 0.25};
        double[] centre = {0.5, 0.5, -0.5, -1.0};
        for (TrainingData data : List.of(new TrainingData(null, null, targets), new TrainingData(labelled, pairs, targets))) {
            for (double[] c : java.util.Arrays.asList(null, centre)) {
                Options options = new Options(0.2, 0.6, 0.3, 1.7);
                double[] analytic = new double[params.length];
                TokenLevelRewardHead.lossAndGradient(params, data, c, options, analytic);
                double h = 1e-6;
                for (int k = 0; k < params.length; k++) {
                    double[] plus = params.clone();
                    double[] minus = params.clone();
                    plus[k] += h;
                    minus[k] -= h;
                    double numeric = (TokenLevelRewardHead.lossAndGradient(plus, data, c, options, null)
                            - TokenLevelRewardHead.lossAndGradient(minus, data, c, options, null)) / (2 * h);
                    assertThat(analytic[k]).as("dL/dparam[%d]", k).isCloseTo(numeric, within(1e-7));
                }
            }
        }
    }

    @Test
    void targetTermAndCentredPenaltyEqualBruteForce() {
        double[][] h = {{1, 2}, {-1, 0.5}, {0, 3}};
        double[] y = {0.5, -1, 2};
        double[] params = {0.2, -0.4, 0.3};
        double[] centre = {1, 0, -1};
        double mu = 2.5;
        double l2 = 0.1;
        double expected = 0;
        for (int t = 0; t < 3; t++) {
            double r = params[0] * h[t][0] + params[1] * h[t][1] + params[2];
            expected += mu / 3 * 0.5 * (r - y[t]) * (r - y[t]);
        }
        expected += 0.5 * l2 * ((0.2 - 1) * (0.2 - 1) + 0.4 * 0.4 + 1.3 * 1.3);
        TrainingData data = new TrainingData(List.of(), List.of(), List.of(new TargetSequence(h, y)));
        assertThat(TokenLevelRewardHead.lossAndGradient(params, data, centre, new Options(0, 1, l2, mu), null))
                .isCloseTo(expected, within(1e-12));
    }

    @Test
    void recoversKnownTokenRewardsFromTokenTargets() {
        Toy toy = new Toy(new Random(51), 25, 4);
        Random rnd = new Random(52);
        List<TargetSequence> targets = new ArrayList<>();
        for (int s = 0; s < 200; s++) {
            int[] tokens = toy.randomSequence(rnd, 2 + rnd.nextInt(8));
            double[] y = new double[tokens.length];
            for (int t = 0; t < tokens.length; t++) {
                y[t] = toy.reward[tokens[t]] + 0.1 * rnd.nextGaussian();
            }
            targets.add(new TargetSequence(toy.features(rnd, tokens), y));
        }
        TokenLevelRewardHead head = TokenLevelRewardHead.fit(new TrainingData(null, null, targets),
                new Options(0, 0, 1e-6, 1.0));
        assertThat(head.converged()).isTrue();
        assertThat(LogisticRegressionTest.cosine(head.weights(), toy.weights)).isGreaterThan(0.99);
        assertThat(head.bias()).isCloseTo(toy.bias, within(0.05));
    }

    @Test
    void fitAroundAPriorStaysAtThePriorWithoutDataAndStartsThere() {
        TokenLevelRewardHead prior = new TokenLevelRewardHead(new double[] {0.8, -0.6}, 0.4);
        // one pair whose feature difference is orthogonal to everything: the data say nothing about w_1, b
        double[][] chosen = {{1, 0}};
        double[][] rejected = {{0, 0}};
        TokenLevelRewardHead strong = TokenLevelRewardHead.fitAround(prior,
                new TrainingData(null, List.of(new PreferencePair(chosen, rejected)), null), new Options(0, 1, 1e3));
        assertThat(strong.weights()[0]).isCloseTo(0.8, within(1e-3));
        assertThat(strong.weights()[1]).isCloseTo(-0.6, within(1e-9));
        assertThat(strong.bias()).isCloseTo(0.4, within(1e-9));
        TokenLevelRewardHead weak = TokenLevelRewardHead.fitAround(prior,
                new TrainingData(null, List.of(new PreferencePair(chosen, rejected)), null), new Options(0, 1, 1e-2));
        assertThat(weak.weights()[0]).isGreaterThan(strong.weights()[0]); // the pair pushes w_0 up
        assertThat(weak.weights()[1]).isCloseTo(-0.6, within(1e-6));
        assertThat(weak.bias()).isCloseTo(0.4, within(1e-6));
        assertThatThrownBy(() -> TokenLevelRewardHead.fitAround(new TokenLevelRewardHead(new double[] {1}, 0),
                new TrainingData(null, List.of(new PreferencePair(chosen, rejected)), null), new Options(0, 1, 1)))
                .hasMessageContaining("prior centre has length 2, expected 3");
    }

    private static void checkGradient(double[] params, List<LabelledSequence> labelled, List<PreferencePair> pairs,
            Options options) {
        double[] analytic = new double[params.length];
        TokenLevelRewardHead.lossAndGradient(params, labelled, pairs, options, analytic);
        double h = 1e-6;
        for (int k = 0; k < params.length; k++) {
            double[] plus = params.clone();
            double[] minus = params.clone();
            plus[k] += h;
            minus[k] -= h;
            double numeric = (TokenLevelRewardHead.loss(plus, labelled, pairs, options)
                    - TokenLevelRewardHead.loss(minus, labelled, pairs, options)) / (2 * h);
            assertThat(analytic[k]).as("dL/dparam[%d] with %s", k, options).isCloseTo(numeric, within(1e-7));
        }
    }

    @Test
    void lossEqualsBruteForceFromTokenSums() {
        double[][] original = {{1, 0}, {0, 1}, {2, -1}};
        double[][] edited = {{1, 0}, {-1, 1}};
        List<LabelledSequence> labelled = List.of(new LabelledSequence(original, new int[] {0, -1, -1}),
                new LabelledSequence(edited, new int[] {0, 1}));
        List<PreferencePair> pairs = List.of(new PreferencePair(edited, original));
        double[] params = {0.5, -0.25, 0.1};
        double keptWeight = 0.4;
        double preferenceWeight = 1.5;
        double l2 = 0.2;

        double[] rOriginal = new double[3];
        for (int t = 0; t < 3; t++) {
            rOriginal[t] = params[0] * original[t][0] + params[1] * original[t][1] + params[2];
        }
        double[] rEdited = new double[2];
        for (int t = 0; t < 2; t++) {
            rEdited[t] = params[0] * edited[t][0] + params[1] * edited[t][1] + params[2];
        }
        // weighted mean over tokens: kept tokens (weight 0.4) squared loss, changed tokens -log sigma(y r)
        double tokenSum = keptWeight * 0.5 * rOriginal[0] * rOriginal[0]
                - Math.log(1 / (1 + Math.exp(rOriginal[1])))
                - Math.log(1 / (1 + Math.exp(rOriginal[2])))
                + keptWeight * 0.5 * rEdited[0] * rEdited[0]
                - Math.log(1 / (1 + Math.exp(-rEdited[1])));
        double tokenTerm = tokenSum / (keptWeight * 2 + 3);
        double sumEdited = rEdited[0] + rEdited[1];
        double sumOriginal = rOriginal[0] + rOriginal[1] + rOriginal[2];
        double pairTerm = -Math.log(1 / (1 + Math.exp(-(sumEdited - sumOriginal))));
        double penalty = 0.5 * l2 * (0.25 + 0.0625 + 0.01);
        double expected = tokenTerm + preferenceWeight * pairTerm + penalty;

        Options options = new Options(keptWeight, preferenceWeight, l2);
        assertThat(TokenLevelRewardHead.loss(params, labelled, pairs, options)).isCloseTo(expected, within(1e-12));
        assertThat(TokenLevelRewardHead.objective(labelled, pairs, options).valueAndGradient(params, new double[3]))
                .isCloseTo(expected, within(1e-12));
    }

    @Test
    void tokenRewardsSumToTheSequenceReward() {
        Random rnd = new Random(5);
        TokenLevelRewardHead head = new TokenLevelRewardHead(new double[] {0.7, -1.1, 0.05}, -0.3);
        for (int trial = 0; trial < 50; trial++) {
            int length = rnd.nextInt(12);
            double[][] features = LogisticRegressionTest.gaussian(rnd, length, 3);
            double[] r = head.tokenRewards(features);
            assertThat(r).hasSize(length);
            double sum = 0;
            double[] summedFeatures = new double[3];
            for (int t = 0; t < length; t++) {
                assertThat(r[t]).isCloseTo(0.7 * features[t][0] - 1.1 * features[t][1] + 0.05 * features[t][2] - 0.3,
                        within(1e-12));
                sum += r[t];
                for (int j = 0; j < 3; j++) {
                    summedFeatures[j] += features[t][j];
                }
            }
            assertThat(head.sequenceReward(features)).isEqualTo(sum);
            assertThat(head.sequenceReward(features))
                    .isCloseTo(Lbfgs.dot(head.weights(), summedFeatures) + length * head.bias(), within(1e-12));
        }
        assertThat(head.sequenceReward(new double[0][])).isZero();
        assertThat(head.parameters()).containsExactly(0.7, -1.1, 0.05, -0.3);
        double[][] a = {{1, 0, 0}};
        double[][] b = {{0, 1, 0}, {0, 0, 1}};
        assertThat(head.predict(a, b)).isCloseTo(Logistic.sigmoid(0.4 - (-1.4 - 0.25)), within(1e-12));
        assertThat(head.pairwiseAccuracy(List.of(new PreferencePair(a, b), new PreferencePair(b, a)))).isEqualTo(0.5);
    }

    @Test
    void recoversKnownTokenRewardsFromEditLabelsAndPreferences() {
        Toy toy = new Toy(new Random(31), 40, 5);
        Random rnd = new Random(32);
        List<LabelledSequence> labelled = new ArrayList<>();
        List<PreferencePair> pairs = new ArrayList<>();
        for (int s = 0; s < 300; s++) {
            // the policy writes neutral and bad tokens, never clearly good ones; the annotator removes or
            // replaces the clearly bad ones and sometimes inserts a clearly good one
            int[] original = toy.randomSequenceBelow(rnd, 6 + rnd.nextInt(10), 0.5);
            List<Integer> edited = new ArrayList<>();
            List<Integer> editedLabels = new ArrayList<>();
            int[] originalLabels = new int[original.length];
            for (int t = 0; t < original.length; t++) {
                int v = original[t];
                if (toy.reward[v] < -0.5) {
                    originalLabels[t] = -1;
                    if (rnd.nextBoolean()) {
                        edited.add(toy.randomGoodToken(rnd));
                        editedLabels.add(1);
                    }
                } else {
                    edited.add(v);
                    editedLabels.add(0);
                }
                if (rnd.nextInt(10) == 0) {
                    edited.add(toy.randomGoodToken(rnd));
                    editedLabels.add(1);
                }
            }
            double[][] hOriginal = toy.features(rnd, original);
            double[][] hEdited = toy.features(rnd, edited.stream().mapToInt(Integer::intValue).toArray());
            labelled.add(new LabelledSequence(hOriginal, originalLabels));
            labelled.add(new LabelledSequence(hEdited, editedLabels.stream().mapToInt(Integer::intValue).toArray()));
            pairs.add(new PreferencePair(hEdited, hOriginal));
        }
        TokenLevelRewardHead head = TokenLevelRewardHead.fit(labelled, pairs, new Options(0.1, 1.0, 1e-4));
        assertThat(head.converged()).isTrue();
        double[] history = head.lossHistory();
        for (int i = 1; i < history.length; i++) {
            assertThat(history[i]).isLessThanOrEqualTo(history[i - 1]);
        }
        double[] learned = toy.vocabularyRewards(head);
        for (int v = 0; v < toy.reward.length; v++) {
            if (Math.abs(toy.reward[v]) > 0.5) {
                assertThat(Math.signum(learned[v])).as("sign of token %d (true reward %s)", v, toy.reward[v])
                        .isEqualTo(Math.signum(toy.reward[v]));
            }
        }
        assertThat(spearman(learned, toy.reward)).isGreaterThan(0.95);
        assertThat(head.pairwiseAccuracy(pairs)).isGreaterThan(0.98);
    }

    @Test
    void preferencesAloneRankTheTokensByTheirTrueReward() {
        Toy toy = new Toy(new Random(41), 30, 4);
        Random rnd = new Random(42);
        List<PreferencePair> pairs = new ArrayList<>();
        for (int i = 0; i < 2000; i++) {
            int[] a = toy.randomSequence(rnd, 3 + rnd.nextInt(8));
            int[] b = toy.randomSequence(rnd, 3 + rnd.nextInt(8));
            double pA = Logistic.sigmoid(toy.sequenceReward(a) - toy.sequenceReward(b));
            boolean aWins = rnd.nextDouble() < pA;
            double[][] ha = toy.features(rnd, a);
            double[][] hb = toy.features(rnd, b);
            pairs.add(aWins ? new PreferencePair(ha, hb) : new PreferencePair(hb, ha));
        }
        TokenLevelRewardHead head = TokenLevelRewardHead.fit(List.of(), pairs, new Options(0, 1.0, 1e-6));
        assertThat(head.converged()).isTrue();
        double[] learned = toy.vocabularyRewards(head);
        assertThat(spearman(learned, toy.reward)).isGreaterThan(0.95);
        assertThat(LogisticRegressionTest.cosine(head.weights(), toy.weights)).isGreaterThan(0.98);
        assertThat(head.bias()).isCloseTo(toy.bias, within(0.15));
    }

    @Test
    void rejectsBadInput() {
        double[][] two = {{1, 2}, {3, 4}};
        Options options = new Options(0.1, 1, 0.01);
        assertThatThrownBy(() -> new LabelledSequence(two, new int[] {0}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 feature rows but 1 labels");
        assertThatThrownBy(() -> new LabelledSequence(two, new int[] {0, 2}))
                .hasMessageContaining("token label 1 is 2, not -1, 0 or +1");
        assertThatThrownBy(() -> new Options(-0.1, 1, 0)).hasMessageContaining("keptWeight must be finite and >= 0");
        assertThatThrownBy(() -> new Options(0, Double.NaN, 0)).hasMessageContaining("preferenceWeight must be finite");
        assertThatThrownBy(() -> new Options(0, 1, -1)).hasMessageContaining("L2 strength");
        assertThatThrownBy(() -> new Options(0, 1, 0, -1)).hasMessageContaining("targetWeight must be finite and >= 0");
        assertThatThrownBy(() -> new TargetSequence(two, new double[] {1}))
                .hasMessageContaining("2 feature rows but 1 targets");
        assertThatThrownBy(() -> new TargetSequence(two, new double[] {1, Double.NaN}))
                .hasMessageContaining("token target 1 is not finite");
        assertThatThrownBy(() -> TokenLevelRewardHead.fit(List.of(), List.of(), options))
                .hasMessageContaining("at least one labelled sequence, preference pair or target sequence");
        assertThatThrownBy(() -> TokenLevelRewardHead.fit(
                List.of(new LabelledSequence(new double[0][], new int[0])), List.of(), options))
                .hasMessageContaining("every sequence is empty");
        assertThatThrownBy(() -> TokenLevelRewardHead.fit(List.of(new LabelledSequence(two, new int[] {0, 1})),
                List.of(new PreferencePair(new double[][] {{1, 2, 3}}, two)), options))
                .hasMessageContaining("chosen of pair 0 token 0 has 3 features, expected 2");
        assertThatThrownBy(() -> TokenLevelRewardHead.fit(
                List.of(new LabelledSequence(new double[][] {{1, Double.NaN}}, new int[] {1})), List.of(), options))
                .hasMessageContaining("labelled sequence 0 token 0 feature 1 is not finite");
        assertThatThrownBy(() -> TokenLevelRewardHead.loss(new double[2], List.of(new LabelledSequence(two,
                new int[] {0, 1})), List.of(), options)).hasMessageContaining("params has length 2, expected 3");
        assertThatThrownBy(() -> new TokenLevelRewardHead(new double[] {1, 2}, 0).tokenReward(new double[] {1}))
                .hasMessageContaining("token features has length 1, expected 2");
    }

    /** A vocabulary with known embeddings and a known linear per-token reward. */
    static final class Toy {
        final double[][] embeddings;
        final double[] weights;
        final double bias = -0.2;
        final double[] reward;

        Toy(Random rnd, int vocabulary, int d) {
            embeddings = LogisticRegressionTest.gaussian(rnd, vocabulary, d);
            weights = LogisticRegressionTest.gaussian(rnd, 1, d)[0];
            reward = new double[vocabulary];
            for (int v = 0; v < vocabulary; v++) {
                reward[v] = Lbfgs.dot(weights, embeddings[v]) + bias;
            }
        }

        int[] randomSequence(Random rnd, int length) {
            int[] tokens = new int[length];
            for (int t = 0; t < length; t++) {
                tokens[t] = rnd.nextInt(reward.length);
            }
            return tokens;
        }

        int[] randomSequenceBelow(Random rnd, int length, double maxReward) {
            int[] tokens = new int[length];
            for (int t = 0; t < length; t++) {
                do {
                    tokens[t] = rnd.nextInt(reward.length);
                } while (reward[tokens[t]] > maxReward);
            }
            return tokens;
        }

        int randomGoodToken(Random rnd) {
            while (true) {
                int v = rnd.nextInt(reward.length);
                if (reward[v] > 0.5) {
                    return v;
                }
            }
        }

        double sequenceReward(int[] tokens) {
            return Arrays.stream(tokens).mapToDouble(v -> reward[v]).sum();
        }

        /** Contextual features: the token's embedding plus a little noise. */
        double[][] features(Random rnd, int[] tokens) {
            double[][] h = new double[tokens.length][];
            for (int t = 0; t < tokens.length; t++) {
                h[t] = embeddings[tokens[t]].clone();
                for (int j = 0; j < h[t].length; j++) {
                    h[t][j] += 0.05 * rnd.nextGaussian();
                }
            }
            return h;
        }

        double[] vocabularyRewards(TokenLevelRewardHead head) {
            return head.tokenRewards(embeddings);
        }
    }

    /** Spearman rank correlation (no ties among continuous values). */
    static double spearman(double[] a, double[] b) {
        double[] ra = ranks(a);
        double[] rb = ranks(b);
        double n = a.length;
        double sumSquared = 0;
        for (int i = 0; i < a.length; i++) {
            sumSquared += (ra[i] - rb[i]) * (ra[i] - rb[i]);
        }
        return 1 - 6 * sumSquared / (n * (n * n - 1));
    }

    private static double[] ranks(double[] x) {
        Integer[] order = new Integer[x.length];
        for (int i = 0; i < x.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (i, j) -> Double.compare(x[i], x[j]));
        double[] r = new double[x.length];
        for (int k = 0; k < order.length; k++) {
            r[order[k]] = k;
        }
        return r;
    }
}
