package org.alignstream.harness;

import org.alignstream.clients.PromptClient;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every alignment method through the real broker and the real models, against the same computation in a bare
 * in-process loop ({@link BareDecodingLoop} on the very models the stages loaded): each answer must equal the bare
 * loop's token for token, with the same reward, KL estimate, rounds and reward-model calls.
 */
class StepwiseDecodingIT {

    private static PipelineFixture fixture;

    @BeforeAll
    static void start() {
        fixture = PipelineFixture.start();
    }

    @AfterAll
    static void stop() {
        if (fixture != null) {
            fixture.close();
        }
    }

    private static PromptRequest request(String id, String prompt, Consumer<Strategy> strategy) {
        return request(id, prompt, 10, strategy);
    }

    /** A request with small defaults (N 4, top-k 5, β 1, seed from the id), changed by {@code strategy}. */
    static PromptRequest request(String id, String prompt, int maxNewTokens, Consumer<Strategy> strategy) {
        Strategy s = Strategy.newBuilder().setN(4).setTopK(5).setBeta(1.0).setTemperature(1.0).setTopP(1.0)
                .setMaxNewTokens(maxNewTokens).setSeed(id.hashCode()).build();
        strategy.accept(s);
        return PromptRequest.newBuilder().setId(id).setPrompt(prompt).setStrategy(s)
                .setCreatedAtMs(System.currentTimeMillis()).build();
    }

    static List<PromptRequest> everyMethod() {
        List<PromptRequest> out = new ArrayList<>();
        out.add(request("bon", "She was", s -> s.setMethod("best_of_n")));
        out.add(request("rbon-kl", "It is a truth", s -> s.setMethod("rbon_kl")));
        out.add(request("rbon-wd", "My dear", s -> s.setMethod("rbon_wd")));
        out.add(request("soft-bon", "The letter", s -> {
            s.setMethod("soft_bon");
            s.setBeta(0.5);
        }));
        out.add(request("args-greedy", "She was", s -> s.setMethod("args")));
        out.add(request("args-sampled", "He said", s -> {
            s.setMethod("args");
            s.setGreedy(false);
        }));
        out.add(request("pargs", "The weather", s -> {
            s.setMethod("pargs");
            s.setGreedy(false);
            s.setRewardModel(fixture.pipeline.scorer().rewardModels().ids().contains("sentiment-partial")
                    ? "sentiment-partial" : null);
        }));
        out.add(request("blockwise", "Her sister", s -> {
            s.setMethod("blockwise");
            s.setBlockSize(4);
            s.setGreedy(false);
        }));
        out.add(request("tq-direct", "I am", s -> {
            s.setMethod("tq_star");
            s.setTopK(4);
            s.setRolloutLength(4);
        }));
        out.add(request("tq-indirect", "It was", s -> {
            s.setMethod("tq_star");
            s.setTopK(4);
            s.setRolloutLength(3);
            s.setTransfer("indirect");
            s.setBaselineRewardModel("sentiment");
            s.setGreedy(false);
        }));
        // eight candidates, a checkpoint every 3 tokens, half stopped at each: 8 -> 4 -> 2 -> 1 kept
        out.add(request("specrej", "The morning", 12, s -> {
            s.setMethod("speculative_rejection");
            s.setN(8);
            s.setBlockSize(3);
            s.setRejectionRate(0.5);
            s.setRewardModel(fixture.pipeline.scorer().rewardModels().ids().contains("sentiment-partial")
                    ? "sentiment-partial" : null);
            s.setRewardModelKind(fixture.pipeline.scorer().rewardModels().ids().contains("sentiment-partial")
                    ? null : "full-sequence");
        }));
        return out;
    }

    @Test
    void everyMethodThroughTheBrokerEqualsTheBareLoopTokenForToken() {
        List<PromptRequest> requests = everyMethod();
        Map<String, AlignedResponse> answers;
        try (PromptClient client = new PromptClient(fixture.clientConfig())) {
            answers = AlignmentChecks.sendAndAwaitExactlyOnce(client, requests, Duration.ofSeconds(120),
                    Duration.ofMillis(500));
        }
        BareDecodingLoop bare = fixture.pipeline.bareLoop();
        for (PromptRequest request : requests) {
            AlignedResponse piped = answers.get(request.getId());
            AlignedResponse expected = bare.run(request);
            String id = request.getId();
            AlignmentChecks.assertSameDecoding(id, piped, expected);
            assertThat(piped.getKlKind()).as(id).isEqualTo(expected.getKlKind());
            assertThat(piped.getRewardModelKind()).as(id).isEqualTo(expected.getRewardModelKind());
            // the last round's chosen candidate's per-token credit, adding up to the reward (speculative_rejection's
            // choice may have ended, and been scored, before the last round: then it has none)
            boolean prunes = request.getStrategy().getMethod().equals("speculative_rejection");
            assertThat(piped.getTokenCredit()).as(id).isEqualTo(expected.getTokenCredit());
            if (!prunes || !piped.getTokenCredit().isEmpty()) {
                assertThat(piped.getTokenCredit()).as(id).isNotEmpty();
                assertThat(piped.getTokenCredit().stream().mapToDouble(org.alignstream.avro.TokenCredit::getCredit).sum())
                        .as(id).isCloseTo(piped.getReward(), org.assertj.core.data.Offset.offset(1e-9));
            }
            assertThat(piped.getGeneratedTokens()).as(id).isPositive();
            assertThat(piped.getMethod()).as(id).isEqualTo(request.getStrategy().getMethod());
            assertThat(piped.getTokenIds()).as(id).isNotEmpty()
                    .hasSizeLessThanOrEqualTo(request.getStrategy().getMaxNewTokens());
            if (!prunes) {
                assertThat(piped.getKeptPerCheckpoint()).as(id).isEmpty();
            }
            boolean stepwise = !List.of("best_of_n", "rbon_kl", "rbon_wd", "soft_bon")
                    .contains(request.getStrategy().getMethod());
            if (stepwise) {
                assertThat(piped.getRounds()).as(id).isPositive();
                assertThat(piped.getKl()).as(id).isNotNull().isGreaterThanOrEqualTo(0.0);
            } else {
                assertThat(piped.getRounds()).as(id).isZero();
            }
            System.out.printf("%-13s rounds=%2d reward=%7.3f kl=%6.3f calls=%3d  %s%n", id, piped.getRounds(),
                    piped.getReward(), piped.getKl(), piped.getRewardCalls(), piped.getText().replace('\n', ' '));
        }
        assertThat(answers.get("tq-direct").getBaselineModel()).isNotNull();
        // soft_bon at lambda 0.5 over four sampled candidates: its exact KL from the uniform choice, at most log 4
        assertThat(answers.get("soft-bon").getKlKind()).isEqualTo("one_sample_upper_bound");
        assertThat(answers.get("soft-bon").getKl()).isLessThanOrEqualTo(Math.log(4));
        // speculative rejection: a checkpoint per round, never more kept than ranked, and fewer tokens than Best-of-8
        AlignedResponse specrej = answers.get("specrej");
        assertThat(specrej.getKeptPerCheckpoint()).hasSize(specrej.getRounds()).first().isEqualTo(4);
        assertThat(specrej.getN()).isEqualTo(8);
        assertThat(specrej.getChosenIndex()).isBetween(0, 7);
        assertThat(specrej.getGeneratedTokens()).isLessThan(8L * 12);
        assertThat(specrej.getKlKind()).isEqualTo("upper_bound");
        assertThat(specrej.getKl()).isEqualTo(Math.log(8));
    }
}
