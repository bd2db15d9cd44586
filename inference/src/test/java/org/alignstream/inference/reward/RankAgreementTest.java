package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class RankAgreementTest {

    @Test
    void spearmanUsesAverageRanksForTies() {
        assertThat(RankAgreement.ranks(new double[] {10, 20, 20, 5})).containsExactly(2, 3.5, 3.5, 1);
        assertThat(RankAgreement.spearman(new double[] {1, 2, 3, 4}, new double[] {10, 20, 30, 400})).isEqualTo(1.0);
        assertThat(RankAgreement.spearman(new double[] {1, 2, 3, 4}, new double[] {4, 3, 2, 1})).isEqualTo(-1.0);
        // ranks (1,2,3,4,5) vs (2,1,4,3,5): 1 - 6*4/(5*24) = 0.8
        assertThat(RankAgreement.spearman(new double[] {1, 2, 3, 4, 5}, new double[] {2, 1, 4, 3, 5})).isCloseTo(0.8, within(1e-12));
    }

    @Test
    void pairwiseAndSignAgreement() {
        double[] a = {1, 2, 3, 4, 5};
        double[] b = {2, 1, 4, 3, 5}; // 2 of the 10 pairs swapped
        assertThat(RankAgreement.pairwiseAgreement(a, b)).isCloseTo(0.8, within(1e-12));
        assertThat(RankAgreement.pairwiseAgreement(a, new double[] {1, 1, 1, 1, 1})).isZero();
        assertThat(RankAgreement.signAgreement(new double[] {-1, 0, 2, -3}, new double[] {-0.5, 1, -2, -1})).isEqualTo(0.75);
    }
}
