package org.alignstream.harness;

import org.alignstream.clients.PromptClient;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.runtime.RunningStage;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.scorer.ScorerTopology;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cross-request batching in the scorer through the real broker: the scorer serves a batch-invariant fp32 reward model
 * (ops/reward-fixture's tiny classifier), so the candidate sets of concurrent requests are merged into shared calls;
 * every answer must still equal the bare loop's (one call per set) token for token, with the same rewards.
 */
class BatchedScoringIT {

    private static final Path TINY = Path.of("..", "inference", "src", "test", "resources", "reward-fixture",
            "tiny-classifier");

    private static EmbeddedKafkaCluster kafka;
    private static LocalPipeline pipeline;

    @BeforeAll
    static void start() {
        assertThat(Files.isDirectory(TINY)).as(TINY.toAbsolutePath().toString()).isTrue();
        kafka = EmbeddedKafkaCluster.start();
        pipeline = LocalPipeline.start(kafka.bootstrapServers(), List.of("--http-port=-1"), List.of(),
                List.of("--reward-model-dir=" + TINY.toAbsolutePath(), "--bundled-extras=false"));
    }

    @AfterAll
    static void stop() {
        try {
            if (pipeline != null) {
                pipeline.close();
            }
        } finally {
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    private static PromptRequest request(String id, String prompt, Consumer<Strategy> strategy) {
        return StepwiseDecodingIT.request(id, prompt, 8, strategy);
    }

    @Test
    void mergedScoringGivesTheBareLoopsAnswers() {
        RewardModel model = pipeline.scorer().rewardModel();
        assertThat(pipeline.scorer().rewardModels().batchInvariant(model)).as("fp32 tiny classifier").isTrue();
        String[] prompts = {"She was", "It is a truth", "My dear", "He said", "The weather", "Her sister"};
        List<PromptRequest> requests = new ArrayList<>();
        for (int i = 0; i < 12; i++) {
            String prompt = prompts[i % prompts.length];
            requests.add(switch (i % 4) {
                case 0 -> request("bon-" + i, prompt, s -> s.setMethod("best_of_n"));
                case 1 -> request("args-" + i, prompt, s -> s.setMethod("args"));
                case 2 -> request("args-sampled-" + i, prompt, s -> {
                    s.setMethod("args");
                    s.setGreedy(false);
                });
                default -> request("blockwise-" + i, prompt, s -> {
                    s.setMethod("blockwise");
                    s.setBlockSize(4);
                    s.setGreedy(false);
                });
            });
        }
        Map<String, AlignedResponse> answers;
        try (PromptClient client = new PromptClient(kafka.clientConfig())) {
            answers = AlignmentChecks.sendAndAwaitExactlyOnce(client, requests, Duration.ofSeconds(180),
                    Duration.ofMillis(500));
        }
        StageMetrics scorer = pipeline.stages().stream().filter(s -> s.name().equals(ScorerTopology.STAGE))
                .findFirst().map(RunningStage::metrics).orElseThrow();
        long calls = scorer.inferences(model.id());
        double sets = scorer.recordsOut();
        System.out.printf("scorer: %.0f candidate sets in %d model calls, %.1f texts per call%n", sets, calls,
                scorer.batchItems() / scorer.batches());
        assertThat(calls).as("model calls for %s scored sets: some sets shared a call", sets).isLessThan((long) sets);

        BareDecodingLoop bare = pipeline.bareLoop();
        for (PromptRequest request : requests) {
            AlignedResponse piped = answers.get(request.getId());
            AlignedResponse expected = bare.run(request);
            String id = request.getId();
            AlignmentChecks.assertSameDecoding(id, piped, expected);
        }
    }
}
