package org.alignstream.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.common.validation.RecordChecks;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.sampling.SamplingParams;
import org.alignstream.core.sampling.Seeds;
import org.alignstream.core.sampling.TokenSampler;
import org.alignstream.inference.lm.CandidateGenerator;
import org.alignstream.inference.lm.CausalLm;
import org.alignstream.inference.lm.ForwardResult;
import org.alignstream.inference.lm.GeneratedSequence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The candidates of stepwise decoding rounds, on the REAL bundled language model. */
class StepProposalsTest {

    private static final String PROMPT = "She was";
    private static LmCandidateSampler sampler;

    @BeforeAll
    static void load() {
        // the baseline here is lm-austen itself: what matters is how rollouts are made, not which model makes them
        sampler = LmCandidateSampler.load(null, 1, true).loadBaseline(Path.of("../models/lm-austen"), 1);
    }

    @AfterAll
    static void close() {
        if (sampler != null) {
            sampler.close();
        }
    }

    private static PromptRequest request(String method, int k, int maxNewTokens) {
        return PromptRequest.newBuilder().setId("r").setPrompt(PROMPT)
                .setStrategy(Strategy.newBuilder().setMethod(method).setN(k).setTopK(k).setMaxNewTokens(maxNewTokens)
                        .setTemperature(1.0).setTopP(1.0).setSeed(77).setBlockSize(maxNewTokens).setRolloutLength(5)
                        .build())
                .build();
    }

    private static int[] ints(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    /** Brute force: the k highest log-softmax entries of one full forward pass over the context. */
    private static int[] bruteForceTopK(int[] context, int k) throws OrtException {
        long[][] ids = {Arrays.stream(context).asLongStream().toArray()};
        float[] logits;
        try (ForwardResult r = sampler.generator().model().forward(ids, null, null, null)) {
            logits = r.lastLogits()[0];
        }
        return IntStream.range(0, logits.length).boxed()
                .sorted(Comparator.<Integer>comparingDouble(i -> -logits[i]).thenComparing(i -> i))
                .limit(k).mapToInt(Integer::intValue).toArray();
    }

    @Test
    void argsRoundProposesTheTopKNextTokensWithTheirRawLogprobs() throws OrtException {
        DecodeState state = sampler.start(request("args", 6, 8));
        assertThat(state.getPromptTokenIds()).isEqualTo(Arrays.stream(sampler.promptIds(PROMPT)).boxed().toList());
        // continue from a two-token response
        state.setTokenIds(new ArrayList<>(List.of(262, 318)));
        state.setLogprobs(new ArrayList<>(List.of(-1f, -1f)));
        state.setRound(2);
        int[] context = IntStream.concat(Arrays.stream(ints(state.getPromptTokenIds())), IntStream.of(262, 318)).toArray();

        List<Candidate> candidates = sampler.propose(state);

        int[] expected = bruteForceTopK(context, 6);
        assertThat(candidates).hasSize(6);
        double[] logSoftmax;
        try (ForwardResult r = sampler.generator().model().forward(
                new long[][] {Arrays.stream(context).asLongStream().toArray()}, null, null, null)) {
            logSoftmax = TokenSampler.logSoftmax(r.lastLogits()[0]);
        }
        for (int i = 0; i < 6; i++) {
            Candidate c = candidates.get(i);
            assertThat(c.getIndex()).isEqualTo(i);
            assertThat(c.getTokenIds()).containsExactly(expected[i]);
            assertThat((double) c.getLogprobs().get(0)).isCloseTo(logSoftmax[expected[i]], org.assertj.core.data.Offset.offset(1e-5));
            assertThat(c.getText()).isEqualTo(sampler.tokenizer().decode(new int[] {262, 318, expected[i]}, true));
            assertThat(c.getRolloutTokenIds()).isEmpty();
            assertThat(c.getResponseText()).isNull();
        }
        // the same state always gives the same candidates
        assertThat(sampler.propose(state)).isEqualTo(candidates);
    }

    @Test
    void blockwiseWithMEqualToMaxNewTokensProposesExactlyTheBestOfNCandidates() {
        PromptRequest request = request("blockwise", 4, 10);
        request.getStrategy().setTopK(0);
        List<Candidate> blocks = sampler.propose(sampler.start(request));
        Strategy bon = Strategy.newBuilder(request.getStrategy()).setMethod("best_of_n").setTopK(0).build();
        List<Candidate> bestOfN = sampler.sample(PROMPT, bon).candidates();
        assertThat(blocks).isEqualTo(bestOfN);
    }

    @Test
    void blockwiseInBlocksDrawsTheSameRandomnessPerResponsePosition() throws OrtException {
        // following candidate 0 block after block reproduces row 0 of the one-pass sample (same stream, same positions)
        PromptRequest request = request("blockwise", 3, 12);
        request.getStrategy().setBlockSize(4);
        request.getStrategy().setTopK(0);
        DecodeState state = sampler.start(request);
        List<Integer> followed = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
            List<Candidate> blocks = sampler.propose(state);
            assertThat(blocks).hasSize(3).allSatisfy(c -> assertThat(c.getTokenIds().size()).isLessThanOrEqualTo(4));
            Candidate first = blocks.get(0);
            followed.addAll(first.getTokenIds());
            if ("eos".equals(first.getFinishReason())) {
                break;
            }
            List<Float> lp = new ArrayList<>(state.getLogprobs());
            lp.addAll(first.getLogprobs());
            state = DecodeState.newBuilder(state).setTokenIds(new ArrayList<>(followed)).setLogprobs(lp)
                    .setRound(round + 1).build();
        }
        GeneratedSequence onePass = sampler.generator().sample(sampler.promptIds(PROMPT), new int[] {0},
                new SamplingParams(1.0, 0, 1.0), 12, 77L).get(0);
        assertThat(ints(followed)).isEqualTo(onePass.tokenIds());
    }

    @Test
    void transferQStarRollsOutExactlyKContinuationsOfLTokensWithTheBaseline() throws Exception {
        PromptRequest request = request("tq_star", 5, 16);
        DecodeState state = sampler.start(request);
        List<Candidate> candidates = sampler.propose(state);

        int[] context = ints(state.getPromptTokenIds());
        int[] top = bruteForceTopK(context, 5);
        List<GeneratedSequence> rollouts;
        try (CausalLm baseline = CausalLm.load(Path.of("../models/lm-austen"), 1)) {
            rollouts = new CandidateGenerator(baseline).rollouts(context, top, new SamplingParams(1.0, 0, 1.0), 5,
                    Seeds.forRound(77L, 0));
        }
        assertThat(rollouts).hasSize(5);
        int eos = sampler.generator().eosTokenId();
        assertThat(candidates).hasSize(5);
        for (int i = 0; i < 5; i++) {
            Candidate c = candidates.get(i);
            assertThat(c.getTokenIds()).containsExactly(top[i]);
            List<Integer> rollout = c.getRolloutTokenIds();
            if (top[i] != eos) {
                // L tokens, unless the rollout itself ended the text
                assertThat(rollout.size() == 5 || rollout.get(rollout.size() - 1) == eos).as("rollout %s", rollout).isTrue();
            }
            assertThat(ints(rollout)).isEqualTo(rollouts.get(i).tokenIds());
            int[] scored = IntStream.concat(IntStream.of(top[i]), rollout.stream().mapToInt(Integer::intValue)).toArray();
            assertThat(c.getText()).isEqualTo(sampler.tokenizer().decode(scored, true));
            assertThat(c.getResponseText()).isEqualTo(rollout.isEmpty() ? null
                    : sampler.tokenizer().decode(new int[] {top[i]}, true));
        }
    }

    @Test
    void transferQStarWithMRolloutsRollsOutEachTokenMTimesInOneBatchAndTheFirstIsTheSingleRollout() throws Exception {
        PromptRequest single = request("tq_star", 3, 16);
        PromptRequest request = request("tq_star", 3, 16);
        request.getStrategy().setRollouts(3);
        List<Candidate> one = sampler.propose(sampler.start(single));
        DecodeState state = sampler.start(request);
        List<Candidate> candidates = sampler.propose(state);

        int[] context = ints(state.getPromptTokenIds());
        int[] top = bruteForceTopK(context, 3);
        int[] firstTokens = new int[9];
        for (int r = 0; r < 9; r++) {
            firstTokens[r] = top[r % 3];
        }
        List<GeneratedSequence> rollouts;
        try (CausalLm baseline = CausalLm.load(Path.of("../models/lm-austen"), 1)) {
            rollouts = new CandidateGenerator(baseline).rollouts(context, firstTokens, new SamplingParams(1.0, 0, 1.0),
                    5, Seeds.forRound(77L, 0));
        }
        for (int i = 0; i < 3; i++) {
            Candidate c = candidates.get(i);
            assertThat(c.getRolloutTokenIds()).isEqualTo(one.get(i).getRolloutTokenIds());
            assertThat(c.getText()).isEqualTo(one.get(i).getText());
            assertThat(c.getExtraRolloutTokenIds()).hasSize(2);
            assertThat(c.getExtraRolloutTexts()).hasSize(2);
            for (int j = 1; j < 3; j++) {
                int[] extra = rollouts.get(j * 3 + i).tokenIds();
                assertThat(ints(c.getExtraRolloutTokenIds().get(j - 1))).isEqualTo(extra);
                int[] scored = IntStream.concat(IntStream.of(top[i]), IntStream.of(extra)).toArray();
                assertThat(c.getExtraRolloutTexts().get(j - 1)).isEqualTo(sampler.tokenizer().decode(scored, true));
            }
        }
        // sampled rollouts differ between the m draws of at least one token
        assertThat(candidates.stream().anyMatch(c -> !c.getExtraRolloutTokenIds().get(0).equals(c.getRolloutTokenIds())))
                .isTrue();
    }

    @Test
    void transferQStarShortensTheRolloutToTheRoomLeft() {
        PromptRequest request = request("tq_star", 3, 4);
        DecodeState state = sampler.start(request);
        state.setTokenIds(new ArrayList<>(List.of(262, 318, 340)));
        state.setLogprobs(new ArrayList<>(List.of(-1f, -1f, -1f)));
        // one token left: the chosen token is the last one, so nothing is rolled out and the reward is exact
        assertThat(sampler.propose(state)).allSatisfy(c -> {
            assertThat(c.getRolloutTokenIds()).isEmpty();
            assertThat(c.getResponseText()).isNull();
        });
    }

    @Test
    void transferQStarWithMRolloutsAtTheLastTokenRollsNothingOutAndPassesTheRecordChecks() {
        PromptRequest request = request("tq_star", 3, 4);
        request.getStrategy().setRollouts(4);
        DecodeState state = sampler.start(request);
        state.setTokenIds(new ArrayList<>(List.of(262, 318, 340)));
        state.setLogprobs(new ArrayList<>(List.of(-1f, -1f, -1f)));
        // the last token max_new_tokens allows: no rollout for any candidate, so no extras either
        List<Candidate> candidates = sampler.propose(state);
        assertThat(candidates).hasSize(3).allSatisfy(c -> {
            assertThat(c.getRolloutTokenIds()).isEmpty();
            assertThat(c.getExtraRolloutTokenIds()).isEmpty();
        });
        RecordChecks.checkCandidates(request, AlignmentMethod.TQ_STAR, state, candidates, 100, 32000);
    }

    @Test
    void aRequestThatCannotFitTheContextIsInvalid() {
        PromptRequest request = request("args", 3, 200);
        assertThatThrownBy(() -> sampler.start(request)).isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("positions");
    }
}
