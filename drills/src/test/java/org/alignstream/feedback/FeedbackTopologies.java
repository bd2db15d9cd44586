package org.alignstream.feedback;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;
import org.apache.kafka.streams.Topology;

/**
 * The feedback service's topology with its real checks and training loop but a backbone of the given feature size
 * that must never be called (for tests outside this package that feed it only records it must refuse).
 */
public final class FeedbackTopologies {

    private FeedbackTopologies() {
    }

    /** Like {@link FeedbackService}: trains sentiment (and sentiment-partial) from "sentiment" feedback. */
    public static Topology withUncallableBackbone(int featureDim, int maxTextChars, ExecutorService executor,
                                                  StageMetrics metrics) {
        Featurizer never = new Featurizer() {
            @Override
            public float[][] features(List<String> texts) {
                throw new AssertionError("the backbone was called for " + texts);
            }

            @Override
            public String backbone() {
                return "uncallable";
            }
        };
        Map<String, List<TrainingLoop.Target>> targets = Map.of("sentiment", List.of(
                TrainingLoop.Target.fullSequence("sentiment"), TrainingLoop.Target.partialSequence("sentiment-partial")));
        return FeedbackTopology.build(new ExampleBuilder(never, Set.of("sentiment"), maxTextChars, 20),
                new RewardTrainer(0.01, 0.02), t -> targets.getOrDefault(t, List.of()),
                id -> new LinearHead(new double[featureDim], 0.0, new HeadMetadata(id, "1",
                        id.endsWith("partial") ? "partial-sequence" : "full-sequence", featureDim, "uncallable")),
                executor, 1_000_000, 3_600_000L, metrics);
    }
}
