package org.alignstream.harness.annotator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.alignstream.avro.TrainingExample;
import org.alignstream.feedback.RewardTrainer;
import org.alignstream.inference.reward.LinearHead;
import org.junit.jupiter.api.Test;

/**
 * The loop's learning, offline (no Kafka, no language model; a few seconds): the {@link SimulatedAnnotator} with the
 * default {@link GoldTaste} judges candidate sets drawn from the training sentences of the sentiment data, the proxy's
 * picks made by its current head; the feedback service's {@link RewardTrainer} retrains the proxy around the bundled
 * head after every 100 sets, as the service does; the proxy's agreement with the gold taste on the 84 held-out
 * sentences (never annotated) must rise.
 */
class FeedbackLearningTest {

    @Test
    void afewHundredAnnotatedPairsRaiseTheAgreementOnHeldOutSentences() {
        List<String> train = AgreementSet.trainingSentences();
        Map<String, Double> gold = new HashMap<>();
        Map<String, float[]> features = new HashMap<>();
        AgreementSet eval;
        try (FeedbackPhase.GoldModels models = new FeedbackPhase.GoldModels(GoldTaste.Kind.SENTIMENT_AND_FAMILY)) {
            AgreementSet all = AgreementSet.build(train, List.of(), models.taste(), models.proxyFeatures());
            double[] g = all.gold();
            for (int i = 0; i < train.size(); i++) {
                gold.put(train.get(i), g[i]);
                features.put(train.get(i), all.features()[i]);
            }
            eval = AgreementSet.build(AgreementSet.heldOutSentences(), List.of(), models.taste(), models.proxyFeatures());
        }
        SimulatedAnnotator annotator = new SimulatedAnnotator(
                texts -> texts.stream().mapToDouble(gold::get).toArray(), // the gold taste's rewards, looked up
                new SimulatedAnnotator.Options(0, List.of("good"), 0.05, 24, 7));
        LinearHead bundled = AgreementSet.bundledProxyHead();
        RewardTrainer trainer = new RewardTrainer(0.01, 1.0);
        LinearHead head = bundled;
        double before = eval.measure(bundled).pairwise();
        List<TrainingExample> examples = new ArrayList<>();
        SplittableRandom rng = new SplittableRandom(11);
        List<Double> curve = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            for (int k = 0; k < 100; k++) {
                List<String> set = new ArrayList<>();
                double[] proxy = new double[8];
                for (int c = 0; c < 8; c++) {
                    String t = train.get(rng.nextInt(train.size()));
                    set.add(t);
                    proxy[c] = head.apply(features.get(t));
                }
                String id = "r" + round + "-" + k;
                SimulatedAnnotator.Preference p = annotator.annotate(id, set, proxy).preference();
                if (p != null) {
                    examples.add(TrainingExample.newBuilder().setEventId(id).setRewardModel("sentiment")
                            .setSource("preference").setHoldout(k % 5 == 0)
                            .setChosen(floats(features.get(p.chosenText())))
                            .setRejected(floats(features.get(p.rejectedText())))
                            .setPrefixChosen(List.of()).setPrefixRejected(List.of()).setTimeMs(0).build());
                }
            }
            head = trainer.train(bundled, head, examples, false, round + 2).head();
            curve.add(eval.measure(head).pairwise());
        }
        System.out.printf(java.util.Locale.ROOT, "agreement on the held-out sentences %.3f -> %s after %d examples%n",
                before, curve, examples.size());
        assertThat(examples.size()).isGreaterThan(250);
        assertThat(curve.get(2)).as("agreement after 300 sets, from %.3f (curve %s)", before, curve)
                .isGreaterThan(before + 0.03);
    }

    static List<Float> floats(float[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (float f : v) {
            out.add(f);
        }
        return out;
    }
}
