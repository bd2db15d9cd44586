package org.alignstream.common.validation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.core.decoding.AlignmentMethod;
import org.junit.jupiter.api.Test;

class RecordChecksTest {

    private static PromptRequest tq(int rollouts, double temperature, String kind) {
        Strategy s = Strategy.newBuilder().setMethod("tq_star").setTopK(2).setRolloutLength(3).setRollouts(rollouts)
                .setTemperature(temperature).setRewardModelKind(kind).build();
        return PromptRequest.newBuilder().setId("r").setPrompt("She was").setStrategy(s).build();
    }

    private static Candidate candidate(int index, int extras) {
        List<List<Integer>> ids = new ArrayList<>();
        List<String> texts = new ArrayList<>();
        for (int j = 0; j < extras; j++) {
            ids.add(List.of(7, 8));
            texts.add("She was glad " + j);
        }
        return Candidate.newBuilder().setIndex(index).setText("She was glad").setTokenIds(List.of(5))
                .setLogprobs(List.of(-0.5f)).setFinishReason("length").setRolloutTokenIds(List.of(7, 8, 9))
                .setExtraRolloutTokenIds(ids).setExtraRolloutTexts(texts).build();
    }

    private static DecodeState state(PromptRequest request) {
        return DecodeState.newBuilder().setRequest(request).setPromptTokenIds(List.of(1, 2)).setTokenIds(List.of())
                .setLogprobs(List.of()).build();
    }

    @Test
    void tqStarRequestsAreCheckedForTheirRollouts() {
        assertThatCode(() -> RecordChecks.checkRequest(tq(4, 1.0, null), RecordChecks.Bounds.NONE))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> RecordChecks.checkRequest(tq(4, 0.0, null), RecordChecks.Bounds.NONE))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("would repeat one rollout");
        assertThatThrownBy(() -> RecordChecks.checkRequest(tq(1, 1.0, "prefix"), RecordChecks.Bounds.NONE))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("reward_model_kind must be one of");
    }

    @Test
    void requestProblemsListsEveryBrokenRuleInCheckOrderAndCheckRequestThrowsThemAll() {
        Strategy s = Strategy.newBuilder().setMethod("tq_star").setN(-1).setMaxNewTokens(300).setTopK(-1).setTopP(0)
                .setTemperature(-1).setRolloutLength(-1).build();
        PromptRequest r = PromptRequest.newBuilder().setId("r").setPrompt(" ").setStrategy(s).build();
        RecordChecks.Bounds bounds = new RecordChecks.Bounds(64, 256, 4000, 1000, 64);
        List<String> problems = RecordChecks.requestProblems(r, bounds);
        assertThat(problems).hasSizeGreaterThanOrEqualTo(7);
        assertThat(problems.subList(0, 6)).containsExactly("prompt is empty", "n must be between 1 and 64, was -1",
                "max_new_tokens must be between 1 and 256, was 300", "top_k must be between 0 (off) and 1000, was -1",
                "temperature must be finite and >= 0 (0 = greedy), was -1.0", "top_p must be in (0, 1], was 0.0");
        assertThat(problems).anyMatch(p -> p.startsWith("tq_star needs top_k >= 1"))
                .anyMatch(p -> p.contains("rollout_length"));
        assertThatThrownBy(() -> RecordChecks.checkRequest(r, bounds))
                .hasMessage(problems.size() + " problems: " + String.join("; ", problems));
        PromptRequest leftOut = PromptRequest.newBuilder().setId("d").setPrompt("She was")
                .setStrategy(Strategy.newBuilder().setMethod("tq_star").build()).build();
        assertThat(RecordChecks.requestProblems(leftOut, bounds)).as("n, top_k, rollout_length left at 0: the "
                + "method's defaults").isEmpty();
        PromptRequest unknown = PromptRequest.newBuilder(r).setPrompt("ok")
                .setStrategy(Strategy.newBuilder().setMethod("nope").build()).build();
        assertThat(RecordChecks.requestProblems(unknown, bounds)).singleElement().asString()
                .startsWith("unknown method 'nope'");
        assertThat(RecordChecks.requestProblems(tq(4, 1.0, null), bounds)).isEmpty();
    }

    @Test
    void candidatesCarryNoneOrMMinusOneExtraRolloutsEachWithItsText() {
        PromptRequest request = tq(3, 1.0, null);
        DecodeState state = state(request);
        assertThatCode(() -> RecordChecks.checkCandidates(request, AlignmentMethod.TQ_STAR, state,
                List.of(candidate(0, 2), candidate(1, 2)), 100, 1000)).doesNotThrowAnyException();
        assertThatCode(() -> RecordChecks.checkCandidates(request, AlignmentMethod.TQ_STAR, state,
                List.of(candidate(0, 0), candidate(1, 0)), 100, 1000)).doesNotThrowAnyException();
        assertThatThrownBy(() -> RecordChecks.checkCandidates(request, AlignmentMethod.TQ_STAR, state,
                List.of(candidate(0, 2), candidate(1, 1)), 100, 1000))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("candidate 1 has 1 extra rollouts, expected 0 or 2");
        Candidate textless = Candidate.newBuilder(candidate(1, 2)).setExtraRolloutTexts(List.of("x")).build();
        assertThatThrownBy(() -> RecordChecks.checkCandidates(request, AlignmentMethod.TQ_STAR, state,
                List.of(candidate(0, 2), textless), 100, 1000))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("2 extra rollouts but 1 extra rollout texts");
        // no room to roll out: an empty first rollout with empty extras is fine, an extra rollout without a first is not
        Candidate noRoom = Candidate.newBuilder(candidate(1, 2)).setRolloutTokenIds(List.of())
                .setExtraRolloutTokenIds(List.of(List.of(), List.of())).build();
        assertThatCode(() -> RecordChecks.checkCandidates(request, AlignmentMethod.TQ_STAR, state,
                List.of(candidate(0, 2), noRoom), 100, 1000)).doesNotThrowAnyException();
        Candidate orphan = Candidate.newBuilder(noRoom).setExtraRolloutTokenIds(List.of(List.of(), List.of(7))).build();
        assertThatThrownBy(() -> RecordChecks.checkCandidates(request, AlignmentMethod.TQ_STAR, state,
                List.of(candidate(0, 2), orphan), 100, 1000))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("an extra rollout but no first rollout");
        Candidate tooLong = Candidate.newBuilder(candidate(1, 2))
                .setExtraRolloutTokenIds(List.of(List.of(1, 2), List.of(1, 2, 3, 4))).build();
        assertThatThrownBy(() -> RecordChecks.checkCandidates(request, AlignmentMethod.TQ_STAR, state,
                List.of(candidate(0, 2), tooLong), 100, 1000))
                .isInstanceOf(InvalidRecordException.class).hasMessageContaining("extra rollout of 4 tokens, at most 3");
    }
}
