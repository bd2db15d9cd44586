package org.alignstream.harness;

import org.alignstream.clients.PromptClient;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The whole pipeline on a real in-process KRaft broker with the real ONNX models: 50 prompts with
 * N = 1, 4, 8 and several sampling settings are answered exactly once each, and every answer agrees
 * with the reward model loaded here and with the scored candidate set it was chosen from.
 */
class PipelineIT {
    /** temperature, top_k, top_p. */
    private static final double[][] SAMPLING = {{0.9, 0, 0.95}, {0.7, 40, 1.0}, {1.0, 0, 1.0}, {0.0, 0, 1.0}, {1.3, 10, 0.8}};
    private static final int[] NS = {1, 4, 8};
    private static final int[] MAX_NEW_TOKENS = {8, 12, 16};

    private static PipelineFixture fixture;
    private static EncoderRewardModel rewardModel;

    @BeforeAll
    static void start() {
        fixture = PipelineFixture.start();
        rewardModel = RewardModels.defaultSentiment(OnnxDevice.CPU, 1);
    }

    @AfterAll
    static void stop() {
        if (rewardModel != null) {
            rewardModel.close();
        }
        if (fixture != null) {
            fixture.close();
        }
    }

    static List<PromptRequest> requests(String prefix, int count) {
        List<String> prompts = SamplePrompts.load(null);
        List<PromptRequest> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            double[] s = SAMPLING[i % SAMPLING.length];
            out.add(AlignmentChecks.request(prefix + i, prompts.get(i % prompts.size()), NS[i % NS.length], s[0],
                    (int) s[1], s[2], MAX_NEW_TOKENS[i % MAX_NEW_TOKENS.length], 1000L + i));
        }
        return out;
    }

    @Test
    void fiftyPromptsAreAnsweredExactlyOnceWithTheRewardModelsScores() {
        List<PromptRequest> requests = requests("p-", 50);
        // (d) the same requests again (same prompt, strategy and seed) under new ids: N = 1, 4, 8 and greedy
        List<PromptRequest> again = requests.subList(0, 9).stream()
                .map(r -> PromptRequest.newBuilder(r).setId("again-" + r.getId()).build()).toList();
        Map<String, AlignedResponse> responses;
        Map<String, AlignedResponse> repeated;
        try (PromptClient client = new PromptClient(fixture.clientConfig())) {
            responses = AlignmentChecks.sendAndAwaitExactlyOnce(client, requests, Duration.ofSeconds(120),
                    Duration.ofMillis(2500));
            repeated = AlignmentChecks.sendAndAwaitExactlyOnce(client, again, Duration.ofSeconds(60),
                    Duration.ofMillis(1000));
        }
        assertThat(responses).hasSize(50);
        List<PromptRequest> all = Stream.concat(requests.stream(), again.stream()).toList();
        Map<String, ScoredCandidateSet> sets = AlignmentChecks.scoredSets(fixture.clientConfig(),
                all.stream().map(PromptRequest::getId).toList());

        double maxAloneDiff = 0;
        double sumAloneDiff = 0;
        for (PromptRequest req : requests) {
            double diff = AlignmentChecks.check(req, responses.get(req.getId()), sets.get(req.getId()), rewardModel);
            maxAloneDiff = Math.max(maxAloneDiff, diff);
            sumAloneDiff += diff;
        }
        double meanAloneDiff = sumAloneDiff / requests.size();
        assertThat(meanAloneDiff).as("mean |batch reward − chosen text scored alone|")
                .isLessThan(AlignmentChecks.MEAN_ALONE_TOLERANCE);
        for (PromptRequest req : again) {
            AlignedResponse second = repeated.get(req.getId());
            AlignmentChecks.check(req, second, sets.get(req.getId()), rewardModel);
            AlignedResponse first = responses.get(req.getId().substring("again-".length()));
            assertThat(second.getText()).as("same request, same seed: same text").isEqualTo(first.getText());
            assertThat(second.getReward()).as("same request, same seed: same reward").isEqualTo(first.getReward());
            assertThat(second.getChosenIndex()).isEqualTo(first.getChosenIndex());
            assertThat(second.getCandidateRewards()).isEqualTo(first.getCandidateRewards());
            assertThat(sets.get(req.getId()).getCandidates())
                    .as("same request, same seed: same candidate set")
                    .isEqualTo(sets.get(first.getId()).getCandidates());
        }
        // the mix really exercised Best-of-N: some N > 1 answer is not candidate 0 and N=8 beats N=1 on average
        assertThat(responses.values()).anyMatch(r -> r.getN() > 1 && r.getChosenIndex() > 0);
        double meanN1 = responses.values().stream().filter(r -> r.getN() == 1)
                .collect(Collectors.averagingDouble(AlignedResponse::getReward));
        double meanN8 = responses.values().stream().filter(r -> r.getN() == 8)
                .collect(Collectors.averagingDouble(AlignedResponse::getReward));
        System.out.printf(Locale.ROOT, "PipelineIT: 50 responses; mean reward N=1 %.4f, N=8 %.4f; "
                + "|batch reward - chosen text scored alone|: largest %.5f, mean %.5f%n", meanN1, meanN8, maxAloneDiff,
                meanAloneDiff);
        assertThat(meanN8).as("Best-of-8 mean reward above N=1's").isGreaterThan(meanN1);
    }
}
