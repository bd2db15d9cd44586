package org.alignstream.harness.annotator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;
import org.junit.jupiter.api.Test;

class AgreementSetTest {

    @Test
    void figuresSplitSentencesFromCandidateSetsAndScoreThePick() {
        // 3 sentences, then 2 sets of 3 candidates
        double[] gold = {1, 2, 3, /* set 0 */ 0, 5, 1, /* set 1 */ 2, 1, 0};
        double[] proxy = {1, 2, 3, /* set 0: picks index 0 (gold 0) */ 9, 1, 2, /* set 1: same order as gold */ 3, 2, 1};
        AgreementSet.Figures f = AgreementSet.figures(proxy, gold, 3, 3);
        assertThat(f.pairwiseSentences()).isEqualTo(1.0);
        // set 0: pairs (0,1) disagree, (0,2) disagree, (1,2) disagree -> 0; set 1: all agree -> 1
        assertThat(f.withinSet()).isEqualTo(0.5);
        assertThat(f.goldOfPick()).isEqualTo((0 + 2) / 2.0);
        assertThat(f.pairwise()).isBetween(0.0, 1.0);
        assertThat(f.spearman()).isBetween(-1.0, 1.0);
    }

    @Test
    void theSameRewardsAgreeFully() {
        double[] g = {0.1, -0.4, 2, 0.3, 0.2, -1, 0.5};
        AgreementSet.Figures f = AgreementSet.figures(g, g, 3, 2);
        assertThat(f.pairwise()).isEqualTo(1.0);
        assertThat(f.spearman()).isCloseTo(1.0, within(1e-12));
        assertThat(f.withinSet()).isEqualTo(1.0);
        assertThat(f.goldOfPick()).isEqualTo((0.3 + 0.5) / 2);
    }

    @Test
    void aHeadIsMeasuredOverTheStoredFeatures() {
        List<String> texts = List.of("s1", "s2", "c1", "c2");
        float[][] features = {{3, 0}, {0, 1}, {1, 1}, {-1, 0}};
        double[] gold = {2, 0, 1, -1};
        AgreementSet set = AgreementSet.build(List.of("s1", "s2"), List.of(List.of("c1", "c2")),
                t -> t.stream().mapToDouble(x -> gold[texts.indexOf(x)]).toArray(),
                t -> t.stream().map(x -> features[texts.indexOf(x)]).toArray(float[][]::new));
        HeadMetadata m = new HeadMetadata("sentiment", "2", "full-sequence", 2, "enc");
        assertThat(set.measure(new LinearHead(new double[] {1, 0}, 0, m)).pairwise()).isEqualTo(1.0);
        assertThat(set.measure(new LinearHead(new double[] {-1, 0}, 0, m)).withinSet()).isEqualTo(0.0);
        assertThat(set.size()).isEqualTo(4);
        assertThat(set.sets()).isEqualTo(1);
        assertThatThrownBy(() -> AgreementSet.build(List.of(), List.of(List.of("a", "b"), List.of("c")), t -> new double[t.size()],
                t -> new float[t.size()][1])).isInstanceOf(IllegalArgumentException.class);
    }
}
