package org.alignstream.harness;

import org.alignstream.clients.PromptClient;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.junit.jupiter.Container;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.kafka.KafkaContainer;

/**
 * The happy path of {@link PipelineIT} against a real Apache Kafka broker in Docker. Skipped (not
 * failed) where no Docker engine runs, as on the build machine.
 */
@Testcontainers(disabledWithoutDocker = true)
class PipelineTestcontainersIT {
    @Container
    static final KafkaContainer KAFKA = new KafkaContainer("apache/kafka:4.1.0");

    private static LocalPipeline pipeline;
    private static EncoderRewardModel rewardModel;

    @BeforeAll
    static void start() {
        pipeline = LocalPipeline.start(KAFKA.getBootstrapServers(), "--http-port=-1");
        rewardModel = RewardModels.defaultSentiment(OnnxDevice.CPU, 1);
    }

    @AfterAll
    static void stop() {
        if (rewardModel != null) {
            rewardModel.close();
        }
        if (pipeline != null) {
            pipeline.close();
        }
    }

    @Test
    void fivePromptsAreAnsweredExactlyOnceWithTheRewardModelsScores() {
        Map<String, Object> clientConfig = Map.of("bootstrap.servers", KAFKA.getBootstrapServers());
        List<PromptRequest> requests = PipelineIT.requests("tc-", 5);
        Map<String, AlignedResponse> responses;
        try (PromptClient client = new PromptClient(clientConfig)) {
            responses = AlignmentChecks.sendAndAwaitExactlyOnce(client, requests, Duration.ofSeconds(120),
                    Duration.ofMillis(2500));
        }
        Map<String, ScoredCandidateSet> sets = AlignmentChecks.scoredSets(clientConfig,
                requests.stream().map(PromptRequest::getId).toList());
        for (PromptRequest req : requests) {
            AlignmentChecks.check(req, responses.get(req.getId()), sets.get(req.getId()), rewardModel);
        }
        assertThat(responses).hasSize(5);
    }
}
