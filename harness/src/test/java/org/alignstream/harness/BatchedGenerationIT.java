package org.alignstream.harness;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.clients.PromptClient;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.runtime.RunningStage;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.generator.GeneratorBatching;
import org.alignstream.generator.GeneratorTopology;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Cross-request batching in the generator through the real broker, with its default
 * {@code --generator-batching=invariant}: the bundled lm-austen is probed at load and the LM calls of concurrent
 * requests whose rows it shows bit-identical merged and alone share one padded call per step; every answer must
 * still equal the bare loop's (one request at a time) token for token, and merged calls must have happened.
 */
class BatchedGenerationIT {

    private static EmbeddedKafkaCluster kafka;
    private static LocalPipeline pipeline;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafkaCluster.start();
        pipeline = LocalPipeline.start(kafka.bootstrapServers(), List.of("--http-port=-1"), List.of(), List.of());
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
    void mergedGenerationGivesTheBareLoopsAnswers() {
        assertThat(pipeline.generator().sampler().batching()).isEqualTo(GeneratorBatching.INVARIANT);
        assertThat(pipeline.generator().sampler().merges())
                .as(pipeline.generator().sampler().batchInvariance().detail()).isTrue();
        // every prompt several times: one length, so one class of the probe's, whatever alignment it found
        String[] prompts = {"She was", "It is a truth", "My dear", "He said"};
        List<PromptRequest> requests = new ArrayList<>();
        for (int i = 0; i < 24; i++) {
            String prompt = prompts[i % prompts.length];
            requests.add(switch ((i / prompts.length) % 6) {
                case 0, 1 -> request("bon-" + i, prompt, s -> s.setMethod("best_of_n"));
                case 2 -> request("args-" + i, prompt, s -> s.setMethod("args"));
                case 3 -> request("args-sampled-" + i, prompt, s -> {
                    s.setMethod("args");
                    s.setGreedy(false);
                });
                case 4 -> request("blockwise-" + i, prompt, s -> {
                    s.setMethod("blockwise");
                    s.setBlockSize(4);
                    s.setGreedy(false);
                });
                default -> request("tq-" + i, prompt, s -> {
                    s.setMethod("tq_star");
                    s.setRolloutLength(3);
                });
            });
        }
        Map<String, AlignedResponse> answers;
        try (PromptClient client = new PromptClient(kafka.clientConfig())) {
            answers = AlignmentChecks.sendAndAwaitExactlyOnce(client, requests, Duration.ofSeconds(180),
                    Duration.ofMillis(500));
        }
        StageMetrics generator = pipeline.stages().stream().filter(s -> s.name().equals(GeneratorTopology.STAGE))
                .findFirst().map(RunningStage::metrics).orElseThrow();
        long merged = generator.mergedBatches();
        System.out.printf("generator: %d merged LM decodings/readings, %d by the sampler's count%n", merged,
                pipeline.generator().sampler().mergedCalls());
        assertThat(merged).as("merged LM calls across requests").isPositive();

        BareDecodingLoop bare = pipeline.bareLoop();
        for (PromptRequest request : requests) {
            AlignmentChecks.assertSameDecoding(request.getId(), answers.get(request.getId()), bare.run(request));
        }
    }
}
