package org.alignstream.core.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DenseCreditTest {

    @Test
    void creditsSumToTheRewardAndFollowTheFormula() {
        Random rnd = new Random(17);
        double worstSumError = 0;
        double worstCreditError = 0;
        for (int trial = 0; trial < 2000; trial++) {
            int prompt = rnd.nextInt(5);
            int length = 1 + rnd.nextInt(60);
            double[] attention = new double[prompt + length];
            for (int t = 0; t < attention.length; t++) {
                attention[t] = rnd.nextInt(5) == 0 ? 0 : rnd.nextDouble();
            }
            attention[attention.length - 1] += 1e-3; // the response's weights sum to > 0
            double reward = (rnd.nextDouble() - 0.5) * 40;
            double beta = switch (trial % 4) {
                case 0 -> 0.0;
                case 1 -> 1.0;
                default -> rnd.nextDouble();
            };
            double[] credit = DenseCredit.redistribute(reward, attention, prompt, beta);
            assertThat(credit).hasSize(length);
            double sum = 0;
            for (double c : credit) {
                sum += c;
            }
            worstSumError = Math.max(worstSumError, Math.abs(sum - reward));
            double responseMass = Arrays.stream(attention, prompt, attention.length).sum();
            for (int t = 0; t < length; t++) {
                double expected = beta * attention[prompt + t] / responseMass * reward
                        + (t == length - 1 ? (1 - beta) * reward : 0);
                worstCreditError = Math.max(worstCreditError, Math.abs(credit[t] - expected));
            }
        }
        assertThat(worstSumError).as("largest |sum of credits - R|").isLessThanOrEqualTo(1e-12);
        assertThat(worstCreditError).as("largest |credit - formula|").isLessThanOrEqualTo(1e-12);
    }

    @Test
    void betaZeroPutsEverythingOnTheLastToken() {
        double[] credit = DenseCredit.redistribute(3.25, new double[] {0.5, 0.1, 0.3, 0.1}, 0.0);
        assertThat(credit).containsExactly(0.0, 0.0, 0.0, 3.25);
        // attention is not needed when nothing is shared
        assertThat(DenseCredit.redistribute(-2.0, new double[] {0, 0}, 0.0)).containsExactly(0.0, -2.0);
    }

    @Test
    void betaOneIsProportionalToAttention() {
        double[] attention = {0.9, 0.1, 0.4, 0.2, 0.4}; // prompt 0.9 and 0.1, response sums to 1.0
        double[] credit = DenseCredit.redistribute(-5.0, attention, 2, 1.0);
        assertThat(credit[0]).isCloseTo(-2.0, within(1e-12));
        assertThat(credit[1]).isCloseTo(-1.0, within(1e-12));
        assertThat(credit[2]).isCloseTo(-2.0, within(1e-12));
        Random rnd = new Random(3);
        double[] a = new double[30];
        for (int t = 0; t < a.length; t++) {
            a[t] = rnd.nextDouble();
        }
        double[] c = DenseCredit.redistribute(7.5, a, 1.0);
        for (int t = 0; t < a.length; t++) {
            assertThat(c[t] / c[0]).isCloseTo(a[t] / a[0], within(1e-12));
        }
    }

    @Test
    void renormalisesOverTheResponseSoThePromptIsIgnored() {
        double[] response = {0.2, 0.05, 0.25};
        double[] withPrompt = {0.3, 0.2, 0.2, 0.05, 0.25};
        double[] halfBeta = DenseCredit.redistribute(4.0, withPrompt, 2, 0.5);
        assertThat(halfBeta).containsExactly(DenseCredit.redistribute(4.0, response, 0.5));
        // 0.5 * (0.4, 0.1, 0.5) * 4 + (0, 0, 2)
        assertThat(halfBeta[0]).isCloseTo(0.8, within(1e-12));
        assertThat(halfBeta[1]).isCloseTo(0.2, within(1e-12));
        assertThat(halfBeta[2]).isCloseTo(3.0, within(1e-12));
    }

    @Test
    void meanOverHeadsAveragesEachPosition() {
        double[] mean = DenseCredit.meanOverHeads(new double[][] {{0.5, 0.5, 0}, {0.1, 0.2, 0.7}});
        assertThat(mean[0]).isCloseTo(0.3, within(1e-15));
        assertThat(mean[1]).isCloseTo(0.35, within(1e-15));
        assertThat(mean[2]).isCloseTo(0.35, within(1e-15));
        assertThatThrownBy(() -> DenseCredit.meanOverHeads(new double[][] {{1, 0}, {1}}))
                .hasMessageContaining("head 1 has 1 attention weights, expected 2");
        assertThatThrownBy(() -> DenseCredit.meanOverHeads(new double[0][]))
                .hasMessageContaining("at least one attention head");
    }

    @Test
    void rejectsBadInput() {
        double[] ok = {0.5, 0.5};
        assertThatThrownBy(() -> DenseCredit.redistribute(1, new double[] {0.5, -0.1}, 0.5))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("attention weight 1 is -0.1; weights must be finite and >= 0");
        assertThatThrownBy(() -> DenseCredit.redistribute(1, new double[] {Double.NaN, 1}, 0.5))
                .hasMessageContaining("attention weight 0 is NaN");
        assertThatThrownBy(() -> DenseCredit.redistribute(1, new double[] {Double.POSITIVE_INFINITY}, 0.5))
                .hasMessageContaining("attention weight 0 is Infinity");
        assertThatThrownBy(() -> DenseCredit.redistribute(1, ok, 1.01)).hasMessageContaining("beta must be in [0, 1]");
        assertThatThrownBy(() -> DenseCredit.redistribute(1, ok, -0.01)).hasMessageContaining("beta must be in [0, 1]");
        assertThatThrownBy(() -> DenseCredit.redistribute(1, ok, Double.NaN)).hasMessageContaining("beta must be in [0, 1]");
        assertThatThrownBy(() -> DenseCredit.redistribute(Double.NaN, ok, 0.5))
                .hasMessageContaining("sequence reward must be finite");
        assertThatThrownBy(() -> DenseCredit.redistribute(1, new double[0], 0.5))
                .hasMessageContaining("at least one token: it starts at 0 of 0");
        assertThatThrownBy(() -> DenseCredit.redistribute(1, ok, 2, 0.5))
                .hasMessageContaining("at least one token: it starts at 2 of 2");
        assertThatThrownBy(() -> DenseCredit.redistribute(1, new double[] {1, 0, 0}, 1, 0.5))
                .hasMessageContaining("attention over the 2 response tokens sums to 0.0");
    }
}
