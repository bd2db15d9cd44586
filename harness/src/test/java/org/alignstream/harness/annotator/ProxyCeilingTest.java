package org.alignstream.harness.annotator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.alignstream.inference.reward.HeadMetadata;
import org.junit.jupiter.api.Test;

class ProxyCeilingTest {

    @Test
    void ridgeRecoversALinearTaste() {
        SplittableRandom rng = new SplittableRandom(5);
        float[][] x = new float[200][4];
        double[] y = new double[200];
        for (int i = 0; i < 200; i++) {
            for (int j = 0; j < 4; j++) {
                x[i][j] = (float) rng.nextGaussian();
            }
            y[i] = 3 + 2 * x[i][0] - x[i][2];
        }
        double[] w = ProxyCeiling.ridge(x, y, 1e-6);
        assertThat(w).containsExactly(new double[] {2, 0, -1, 0}, org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void aTasteInTheProxyClassHasACeilingOfFullAgreement() {
        SplittableRandom rng = new SplittableRandom(9);
        int sets = 20;
        int n = 4;
        List<String> texts = new ArrayList<>();
        float[][] x = new float[sets * n][3];
        double[] gold = new double[sets * n];
        for (int i = 0; i < sets * n; i++) {
            texts.add("t" + i);
            for (int j = 0; j < 3; j++) {
                x[i][j] = (float) rng.nextGaussian();
            }
            gold[i] = x[i][0] + 0.5 * x[i][1];
        }
        AgreementSet fit = new AgreementSet(texts.subList(0, 40), 0, n, java.util.Arrays.copyOf(gold, 40),
                java.util.Arrays.copyOf(x, 40));
        AgreementSet eval = new AgreementSet(texts.subList(40, 80), 0, n, java.util.Arrays.copyOfRange(gold, 40, 80),
                java.util.Arrays.copyOfRange(x, 40, 80));
        ProxyCeiling.Result r = ProxyCeiling.measure(fit, eval, new HeadMetadata("sentiment", "1", "full-sequence", 3, "t"));
        assertThat(r.figures().pairwise()).isGreaterThan(0.97);
        assertThat(r.texts()).isEqualTo(40);
        assertThat(r.lambda()).isIn(0.1, 1.0, 10.0);
    }
}
