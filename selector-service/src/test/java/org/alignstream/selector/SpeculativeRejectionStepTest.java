package org.alignstream.selector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.SpeculativeCandidate;
import org.alignstream.avro.Strategy;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.common.stage.StageOutput;
import org.alignstream.common.topics.Topics;
import org.junit.jupiter.api.Test;

class SpeculativeRejectionStepTest {
    private static final ModelRef LM = new ModelRef("lm-austen", "0123456789ab");
    private static final ModelRef RM = new ModelRef("sentiment-partial", "feedbeef0001");

    private static PromptRequest request() {
        return PromptRequest.newBuilder().setId("sr").setPrompt("She was")
                .setStrategy(Strategy.newBuilder().setMethod("speculative_rejection").setN(4).setBlockSize(3)
                        .setMaxNewTokens(9).setRejectionRate(0.5).build())
                .setCreatedAtMs(0).build();
    }

    /** Block i: tokens {100 s + t}, text "s<stream> r<round>". */
    private static Candidate block(int index, int stream, int round, String finish) {
        List<Integer> tokens = new ArrayList<>();
        for (int t = 0; t < 3; t++) {
            tokens.add(100 * stream + 3 * round + t);
        }
        return new Candidate(index, "s" + stream + " r" + round, tokens, List.of(-0.5f, -0.5f, -0.5f), finish,
                List.of(), null, List.of(), List.of());
    }

    private static ScoredCandidateSet set(DecodeState state, List<Candidate> blocks, List<Double> rewards) {
        return ScoredCandidateSet.newBuilder().setRequest(state.getRequest()).setPromptTokenIds(List.of(4095, 5))
                .setCandidates(blocks).setRewards(rewards).setGeneratorModel(LM).setRewardModel(RM)
                .setRewardModelKind("partial-sequence").setTimingsMs(Map.of("generator", 2.0)).setDecodeState(state)
                .build();
    }

    @Test
    void aCheckpointKeepsTheBestAndTheAnswerIsTheBestEndedCandidate() {
        DecodeState start = DecodeState.newBuilder().setRequest(request()).setPromptTokenIds(List.of(4095, 5))
                .setTokenIds(List.of()).setLogprobs(List.of()).setGeneratorModel(LM).build();
        // round 0: stream 2 ends; ranked 1 (0.9), 2 (0.5, ended), 0 (0.1), 3 (-0.2); round(0.5 * 4) = 2 kept
        List<Candidate> first = List.of(block(0, 0, 0, "length"), block(1, 1, 0, "length"), block(2, 2, 0, "eos"),
                block(3, 3, 0, "length"));
        List<StageOutput> out = SelectorTopology.route(set(start, first, List.of(0.1, 0.9, 0.5, -0.2)), 10);
        assertThat(out).singleElement().extracting(StageOutput::topic).isEqualTo(Topics.DECODE_STEPS);
        DecodeState after = (DecodeState) out.get(0).value();
        assertThat(after.getSpeculativeCandidates()).extracting(SpeculativeCandidate::getStream).containsExactly(1, 2);
        assertThat(after.getSpeculativeCandidates()).extracting(SpeculativeCandidate::getEnded)
                .containsExactly(false, true);
        assertThat(after.getSpeculativeCandidates().get(0).getTokenIds()).containsExactly(100, 101, 102);
        assertThat(after.getKeptPerCheckpoint()).containsExactly(2);
        assertThat(after.getGeneratedTokens()).isEqualTo(12);
        assertThat(after.getRewardCalls()).isEqualTo(4);
        assertThat(after.getRound()).isEqualTo(1);
        assertThat(after.getTokenIds()).isEmpty();
        assertThat(after.getFinished()).isFalse();

        // round 1: stream 1 goes on (0.3); ranked 2 (0.5, ended), 1 (0.3); round(0.5 * 2) = 1 kept: stream 2, ended
        ScoredCandidateSet second = set(after, List.of(block(0, 1, 1, "length")), List.of(0.3));
        out = SelectorTopology.route(second, 20);
        assertThat(out).singleElement().extracting(StageOutput::topic).isEqualTo(Topics.ALIGNED_RESPONSES);
        AlignedResponse answer = (AlignedResponse) out.get(0).value();
        assertThat(answer.getChosenIndex()).isEqualTo(2);
        assertThat(answer.getN()).isEqualTo(4);
        assertThat(answer.getText()).isEqualTo("s2 r0");
        assertThat(answer.getTokenIds()).containsExactly(200, 201, 202);
        assertThat(answer.getReward()).isEqualTo(0.5);
        assertThat(answer.getKeptPerCheckpoint()).containsExactly(2, 1);
        assertThat(answer.getGeneratedTokens()).isEqualTo(15);
        assertThat(answer.getRewardCalls()).isEqualTo(5);
        assertThat(answer.getRounds()).isEqualTo(2);
        assertThat(answer.getKl()).isEqualTo(Math.log(4));
        assertThat(answer.getKlKind()).isEqualTo("upper_bound");
        assertThat(answer.getTokenCredit()).isEmpty(); // its text was scored in round 0, not in this set
    }

    @Test
    void aRoundWhoseSetDoesNotMatchTheCandidatesStillGoingIsRefused() {
        DecodeState start = DecodeState.newBuilder().setRequest(request()).setPromptTokenIds(List.of(4095, 5))
                .setTokenIds(List.of()).setLogprobs(List.of()).setGeneratorModel(LM).build();
        List<Candidate> first = List.of(block(0, 0, 0, "length"), block(1, 1, 0, "length"), block(2, 2, 0, "length"),
                block(3, 3, 0, "length"));
        DecodeState after = (DecodeState) SelectorTopology.route(set(start, first, List.of(0.1, 0.9, 0.5, -0.2)), 10)
                .get(0).value();
        // two candidates go on (streams 1 and 2); a set of one is not their round
        assertThatThrownBy(() -> SelectorTopology.route(set(after, List.of(block(0, 1, 1, "length")),
                List.of(0.3)), 20)).isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("asks for 2 candidates (the candidates still going) but the set has 1");
        // a state whose candidate still going has the wrong length is refused
        DecodeState bad = DecodeState.newBuilder(after).setSpeculativeCandidates(List.of(
                SpeculativeCandidate.newBuilder(after.getSpeculativeCandidates().get(0)).setTokenIds(List.of(1, 2))
                        .setLogprobs(List.of(-1f, -1f)).build(), after.getSpeculativeCandidates().get(1))).build();
        assertThatThrownBy(() -> SelectorTopology.route(set(bad, List.of(block(0, 1, 1, "length"),
                block(1, 2, 1, "length")), List.of(0.3, 0.2)), 20)).isInstanceOf(InvalidRecordException.class)
                .hasMessageContaining("has 2 tokens at round 1, expected 3");
    }
}
