package org.alignstream.core.selection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BestOfNTest {

    /** Brute force: compare every candidate against every other; the winner beats or ties all and is first among ties. */
    private static int bruteForce(double[] r) {
        for (int i = 0; i < r.length; i++) {
            boolean beatsAll = true;
            for (int j = 0; j < r.length; j++) {
                if (j < i ? !(r[i] > r[j]) : r[j] > r[i]) {
                    beatsAll = false;
                    break;
                }
            }
            if (beatsAll) {
                return i;
            }
        }
        throw new AssertionError("no winner");
    }

    @Test
    void matchesExhaustiveComparisonOnRandomRewardsWithTies() {
        Random rnd = new Random(7);
        for (int trial = 0; trial < 5_000; trial++) {
            int n = 1 + rnd.nextInt(16);
            double[] r = new double[n];
            for (int i = 0; i < n; i++) {
                r[i] = rnd.nextInt(5) - 2 + (rnd.nextBoolean() ? 0.0 : rnd.nextDouble()); // many ties
            }
            assertThat(BestOfN.select(r)).as("trial %d", trial).isEqualTo(bruteForce(r));
        }
    }

    @Test
    void nOfOneIsPlainSampling() {
        assertThat(BestOfN.select(new double[] {-3.0})).isZero();
    }

    @Test
    void nanNeverBeatsAFiniteReward() {
        assertThat(BestOfN.select(new double[] {Double.NaN, -1.0, Double.NaN, 0.5})).isEqualTo(3);
        assertThat(BestOfN.select(new double[] {Double.NaN, Double.NaN})).isZero();
    }

    @Test
    void rejectsEmpty() {
        assertThatThrownBy(() -> BestOfN.select(new double[0])).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void klEstimateOfBestOfN() {
        assertThat(BestOfN.klEstimate(1)).isEqualTo(0.0);
        assertThat(BestOfN.klEstimate(8)).isCloseTo(Math.log(8) - 7.0 / 8.0, org.assertj.core.data.Offset.offset(1e-12));
    }
}
