package org.alignstream.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.alignstream.avro.TrainingExample;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;
import org.junit.jupiter.api.Test;

/** Retraining around a fixed anchor (the bundled head) rather than the last version: no example counted twice. */
class RewardTrainerTest {

    static final int DIM = 12;

    static LinearHead head(double[] w, String version) {
        return new LinearHead(w, 0.25, new HeadMetadata("sentiment", version, "full-sequence", DIM, "test"));
    }

    /** Pairs ordered by a hidden linear taste on random features (noiseless, nearly separable), a fifth held out. */
    static List<TrainingExample> examples(int n, long seed) {
        SplittableRandom rng = new SplittableRandom(seed);
        double[] taste = new double[DIM];
        for (int j = 0; j < DIM; j++) {
            taste[j] = rng.nextGaussian();
        }
        List<TrainingExample> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            List<Float> a = new ArrayList<>();
            List<Float> b = new ArrayList<>();
            double da = 0;
            double db = 0;
            for (int j = 0; j < DIM; j++) {
                float x = (float) rng.nextGaussian();
                float y = (float) rng.nextGaussian();
                a.add(x);
                b.add(y);
                da += taste[j] * x;
                db += taste[j] * y;
            }
            boolean aWins = da > db;
            out.add(TrainingExample.newBuilder().setEventId("e" + i).setRewardModel("sentiment").setSource("preference")
                    .setHoldout(i % 5 == 0).setChosen(aWins ? a : b).setRejected(aWins ? b : a)
                    .setPrefixChosen(List.of()).setPrefixRejected(List.of()).setTimeMs(0).build());
        }
        return out;
    }

    static double norm(double[] w) {
        double s = 0;
        for (double v : w) {
            s += v * v;
        }
        return Math.sqrt(s);
    }

    @Test
    void retrainingTheSameExamplesAroundTheAnchorGivesTheSameHead() {
        LinearHead bundled = head(new double[DIM], "1");
        List<TrainingExample> ex = examples(60, 3);
        RewardTrainer trainer = new RewardTrainer(0.01, 1.0);
        LinearHead v2 = trainer.train(bundled, bundled, ex, false, 2).head();
        LinearHead v3 = trainer.train(bundled, v2, ex, false, 3).head();
        assertThat(v3.weights()).containsExactly(v2.weights(), org.assertj.core.data.Offset.offset(1e-4));
        assertThat(v3.metadata().version()).isEqualTo("3");
        assertThat(v3.bias()).isEqualTo(v2.bias());
    }

    @Test
    void centringOnTheLastVersionInsteadCountsTheExamplesAgainAndTheWeightsKeepGrowing() {
        LinearHead bundled = head(new double[DIM], "1");
        List<TrainingExample> ex = examples(60, 3);
        RewardTrainer trainer = new RewardTrainer(0.01, 1.0);
        LinearHead anchored = bundled;
        LinearHead chained = bundled;
        for (int v = 2; v <= 6; v++) {
            anchored = trainer.train(bundled, anchored, ex, false, v).head();
            chained = trainer.train(chained, chained, ex, false, v).head(); // the old rule: prior on the serving head
        }
        assertThat(norm(chained.weights())).isGreaterThan(1.5 * norm(anchored.weights()));
    }

    @Test
    void anchorMustMatchTheServingHead() {
        LinearHead bundled = head(new double[DIM], "1");
        LinearHead other = new LinearHead(new double[3], 0, new HeadMetadata("x", "1", "full-sequence", 3, "test"));
        assertThatThrownBy(() -> new RewardTrainer(0.01, 1.0).train(other, bundled, examples(10, 1), false, 2))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
