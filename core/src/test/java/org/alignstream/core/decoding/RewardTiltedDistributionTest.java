package org.alignstream.core.decoding;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class RewardTiltedDistributionTest {

    @Test
    void greedyConsumesNoRandomnessAndSamplingConsumesExactlyOneDraw() {
        double[] lp = {-1, -2, -0.5};
        double[] r = {0.1, 2, -1};
        Candidates.Counting rng = new Candidates.Counting();
        Args.choose(lp, r, 1, true, rng);
        Pargs.choose(lp, r, 1, true, rng);
        TransferQStar.choose(lp, r, 1, true, rng);
        BlockwiseBestOfK.choose(r, 1, true, rng);
        assertThat(rng.draws).isZero();
        Args.choose(lp, r, 1, false, rng);
        assertThat(rng.draws).isEqualTo(1);
        Pargs.choose(lp, r, 1, false, rng);
        assertThat(rng.draws).isEqualTo(2);
        TransferQStar.choose(lp, r, 1, false, rng);
        assertThat(rng.draws).isEqualTo(3);
        BlockwiseBestOfK.choose(r, 1, false, rng);
        assertThat(rng.draws).isEqualTo(4);
        Pargs.choose(new double[] {-1}, new double[] {0}, 1, false, rng); // even with a single candidate
        assertThat(rng.draws).isEqualTo(5);
    }

    @Test
    void logSoftmaxIsStableAndNormalised() {
        double[] scores = {1000, 1001, 999, Double.NEGATIVE_INFINITY};
        double z = Math.exp(0) + Math.exp(1) + Math.exp(-1);
        assertThat(RewardTiltedDistribution.logSoftmax(scores)).containsExactly(
                new double[] {-Math.log(z), 1 - Math.log(z), -1 - Math.log(z), Double.NEGATIVE_INFINITY}, within(1e-12));
        double[] p = RewardTiltedDistribution.softmax(new double[] {-1e4, -1e4 - 1});
        assertThat(Arrays.stream(p).sum()).isCloseTo(1.0, within(1e-15)); // exp(-1e4) alone underflows to 0
        assertThatThrownBy(() -> RewardTiltedDistribution.logSoftmax(new double[] {0, Double.NaN}))
                .hasMessageContaining("scores[1] is NaN");
        assertThatThrownBy(() -> RewardTiltedDistribution.logSoftmax(new double[] {Double.NEGATIVE_INFINITY}))
                .hasMessageContaining("all 1 scores are -Infinity");
    }

    @Test
    void sampleIsTheInverseCdfAndSkipsZeroProbabilities() {
        double[] p = {0.0, 0.25, 0.0, 0.75, 0.0};
        assertThat(RewardTiltedDistribution.sample(p, 0.0)).isEqualTo(1);
        assertThat(RewardTiltedDistribution.sample(p, 0.2499)).isEqualTo(1);
        assertThat(RewardTiltedDistribution.sample(p, 0.25)).isEqualTo(3);
        assertThat(RewardTiltedDistribution.sample(p, Math.nextDown(1.0))).isEqualTo(3);
        assertThat(RewardTiltedDistribution.sample(new double[] {0.5, 0.5 - 1e-15, 0}, Math.nextDown(1.0))).isEqualTo(1);
        assertThatThrownBy(() -> RewardTiltedDistribution.sample(new double[] {0, 0}, 0.5))
                .hasMessageContaining("no candidate with positive probability");
    }

    @Test
    void argmaxTiesGoToTheLowestIndex() {
        assertThat(RewardTiltedDistribution.argmax(new double[] {1, 3, 3, 2})).isEqualTo(1);
        assertThat(RewardTiltedDistribution.argmax(new double[] {Double.NEGATIVE_INFINITY, -5})).isEqualTo(1);
    }

    @Test
    void chooseChecksTheReferenceLength() {
        assertThatThrownBy(() -> RewardTiltedDistribution.choose(new double[] {0, 1}, new double[] {-1}, true, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("2 scores but 1 reference");
    }

    @Test
    void sameGeneratorStateGivesTheSameChoice() {
        SplittableRandom rnd = new SplittableRandom(89);
        double[] lp = Candidates.topKLogProbs(rnd, 8);
        double[] r = Candidates.gaussians(rnd, 8, 1.0);
        for (int round = 0; round < 100; round++) {
            long seed = org.alignstream.core.sampling.Seeds.forRound(42, round);
            assertThat(Pargs.choose(lp, r, 2, false, new SplittableRandom(seed)))
                    .isEqualTo(Pargs.choose(lp, r, 2, false, new SplittableRandom(seed)));
        }
    }
}
