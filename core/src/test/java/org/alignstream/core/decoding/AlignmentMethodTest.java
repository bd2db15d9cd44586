package org.alignstream.core.decoding;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class AlignmentMethodTest {

    /** Valid values for every method: each test below breaks or varies some of them. */
    private static MethodParameters valid() {
        return new MethodParameters(4, 5, 0.5, 32, 8, 4, true, "direct", null);
    }

    private static MethodParameters with(int topK, double beta, int blockSize, int rolloutLength, String transfer,
                                         String baselineRewardModel) {
        MethodParameters v = valid();
        return new MethodParameters(v.n(), topK, beta, v.maxNewTokens(), blockSize, rolloutLength, v.greedy(),
                transfer, baselineRewardModel);
    }

    @ParameterizedTest
    @EnumSource(AlignmentMethod.class)
    void everyMethodIsFoundByItsWireNameAndTakesTheParameterThatCountsItsCandidates(AlignmentMethod method) {
        assertThat(AlignmentMethod.of(method.wireName())).contains(method);
        assertThat(method.parameters()).contains(method.candidateCount());
        assertThat(method.parameterProblems(valid(), 64)).isEmpty();
    }

    @Test
    void wireNamesAreTheSchemasInDeclarationOrderAndAnUnknownNameIsNoMethod() {
        assertThat(AlignmentMethod.wireNames())
                .containsExactly("best_of_n", "rbon_kl", "rbon_wd", "args", "pargs", "blockwise", "tq_star");
        assertThat(AlignmentMethod.of("mcts")).isEmpty();
        assertThat(AlignmentMethod.of(null)).isEmpty();
    }

    @Test
    void eachMethodTakesTheParametersTheReadmeListsForIt() {
        assertThat(AlignmentMethod.BEST_OF_N.parameters()).containsExactlyInAnyOrder(MethodParameter.N);
        assertThat(AlignmentMethod.RBON_KL.parameters()).containsExactlyInAnyOrder(MethodParameter.N, MethodParameter.BETA);
        assertThat(AlignmentMethod.RBON_WD.parameters()).containsExactlyInAnyOrder(MethodParameter.N, MethodParameter.BETA);
        assertThat(AlignmentMethod.ARGS.parameters()).containsExactlyInAnyOrder(MethodParameter.TOP_K,
                MethodParameter.BETA, MethodParameter.GREEDY);
        assertThat(AlignmentMethod.PARGS.parameters()).isEqualTo(AlignmentMethod.ARGS.parameters());
        assertThat(AlignmentMethod.BLOCKWISE.parameters()).containsExactlyInAnyOrder(MethodParameter.N,
                MethodParameter.BLOCK_SIZE, MethodParameter.BETA, MethodParameter.GREEDY);
        assertThat(AlignmentMethod.TQ_STAR.parameters()).containsExactlyInAnyOrder(MethodParameter.TOP_K,
                MethodParameter.ROLLOUT_LENGTH, MethodParameter.BETA, MethodParameter.TRANSFER,
                MethodParameter.BASELINE_REWARD_MODEL, MethodParameter.GREEDY);
        Set<MethodParameter> taken = new HashSet<>();
        for (AlignmentMethod m : AlignmentMethod.values()) {
            taken.addAll(m.parameters());
        }
        assertThat(taken).isEqualTo(EnumSet.allOf(MethodParameter.class));
    }

    @Test
    void defaultsAreTheSchemas() {
        assertThat(MethodParameter.N.defaultValue()).isEqualTo(1);
        assertThat(MethodParameter.TOP_K.defaultValue()).isEqualTo(0);
        assertThat(MethodParameter.BETA.defaultValue()).isEqualTo(0.0);
        assertThat(MethodParameter.BLOCK_SIZE.defaultValue()).isEqualTo(0);
        assertThat(MethodParameter.ROLLOUT_LENGTH.defaultValue()).isEqualTo(0);
        assertThat(MethodParameter.GREEDY.defaultValue()).isEqualTo(true);
        assertThat(MethodParameter.TRANSFER.defaultValue()).isEqualTo("direct");
        assertThat(MethodParameter.BASELINE_REWARD_MODEL.defaultValue()).isNull();
        assertThat(MethodParameters.DEFAULTS.maxNewTokens()).isEqualTo(32);
    }

    @Test
    void methodsWhoseParametersHaveRulesRejectTheDefaultsAndTheOthersAcceptThem() {
        assertThat(AlignmentMethod.BEST_OF_N.parameterProblems(MethodParameters.DEFAULTS, 64)).isEmpty();
        assertThat(AlignmentMethod.RBON_KL.parameterProblems(MethodParameters.DEFAULTS, 64)).isEmpty();
        assertThat(AlignmentMethod.RBON_WD.parameterProblems(MethodParameters.DEFAULTS, 64)).isEmpty();
        assertThat(AlignmentMethod.ARGS.parameterProblems(MethodParameters.DEFAULTS, 64))
                .containsExactly("args needs top_k >= 1 (the k next tokens scored per step), was 0");
        assertThat(AlignmentMethod.BLOCKWISE.parameterProblems(MethodParameters.DEFAULTS, 64))
                .containsExactly("blockwise needs block_size M between 1 and max_new_tokens (32), was 0");
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(MethodParameters.DEFAULTS, 64)).containsExactly(
                "tq_star needs top_k >= 1 (the k next tokens scored per step), was 0",
                "tq_star needs rollout_length L between 1 and 64, was 0");
    }

    @Test
    void validationReportsEveryBrokenRuleAtOnceInAFixedOrder() {
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(with(0, 0.0, 0, 65, "indirect", " "), 64)).containsExactly(
                "tq_star needs top_k >= 1 (the k next tokens scored per step), was 0",
                "tq_star needs rollout_length L between 1 and 64, was 65",
                "indirect transfer needs beta (alpha) > 0, was 0.0",
                "indirect transfer needs baseline_reward_model: the reward the baseline model was aligned to");
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(with(5, 0.5, 0, 0, "sideways", null), Integer.MAX_VALUE))
                .containsExactly("tq_star needs rollout_length L >= 1, was 0",
                        "transfer must be 'direct' or 'indirect', was 'sideways'");
        assertThat(AlignmentMethod.PARGS.parameterProblems(with(-1, -2.0, 0, 0, "sideways", null), 64))
                .containsExactly("pargs needs top_k >= 1 (the k next tokens scored per step), was -1");
        assertThat(AlignmentMethod.RBON_WD.parameterProblems(with(0, -0.5, 0, 0, "sideways", null), 64))
                .containsExactly("rbon_wd needs beta >= 0, was -0.5");
        assertThat(AlignmentMethod.BLOCKWISE.parameterProblems(with(0, -0.5, 33, 0, "sideways", null), 64))
                .containsExactly("blockwise needs block_size M between 1 and max_new_tokens (32), was 33");
    }

    @Test
    void directTransferNeedsNeitherAPositiveAlphaNorABaselineReward() {
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(with(5, 0.0, 0, 4, "direct", null), 64)).isEmpty();
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(with(5, 0.1, 0, 4, "indirect", "sentiment"), 64)).isEmpty();
    }

    @Test
    void roundsAreOneTokenAmongTopKABlockAmongNOrTheWholeResponseAmongN() {
        MethodParameters p = valid(); // n 4, top_k 5, max_new_tokens 32, block_size 8
        for (AlignmentMethod m : List.of(AlignmentMethod.ARGS, AlignmentMethod.PARGS, AlignmentMethod.TQ_STAR)) {
            assertThat(m.stepwise()).isTrue();
            assertThat(m.tokenwise()).isTrue();
            assertThat(m.candidateCount()).isEqualTo(MethodParameter.TOP_K);
            assertThat(m.candidatesPerRound(p)).isEqualTo(5);
            assertThat(m.tokensPerRound(p)).isEqualTo(1);
            assertThat(m.maxCandidateTokens(p, 31)).isEqualTo(1);
        }
        AlignmentMethod blockwise = AlignmentMethod.BLOCKWISE;
        assertThat(blockwise.stepwise()).isTrue();
        assertThat(blockwise.tokenwise()).isFalse();
        assertThat(blockwise.candidatesPerRound(p)).isEqualTo(4);
        assertThat(blockwise.tokensPerRound(p)).isEqualTo(8);
        assertThat(blockwise.maxCandidateTokens(p, 16)).isEqualTo(8);
        assertThat(blockwise.maxCandidateTokens(p, 27)).isEqualTo(5); // the last block stops at max_new_tokens
        for (AlignmentMethod m : List.of(AlignmentMethod.BEST_OF_N, AlignmentMethod.RBON_KL, AlignmentMethod.RBON_WD)) {
            assertThat(m.stepwise()).isFalse();
            assertThat(m.candidateCount()).isEqualTo(MethodParameter.N);
            assertThat(m.candidatesPerRound(p)).isEqualTo(4);
            assertThat(m.maxCandidateTokens(p, 0)).isEqualTo(32);
        }
    }

    @Test
    void onlyTqStarRollsOutAndOnlyIndirectTqStarNeedsBaselineRewards() {
        MethodParameters direct = with(5, 0.5, 0, 4, "direct", "sentiment");
        MethodParameters indirect = with(5, 0.5, 0, 4, "indirect", "sentiment");
        for (AlignmentMethod m : AlignmentMethod.values()) {
            boolean tq = m == AlignmentMethod.TQ_STAR;
            assertThat(m.needsBaselineModel()).isEqualTo(tq);
            assertThat(m.maxRolloutTokens(indirect)).isEqualTo(tq ? 4 : 0);
            assertThat(m.needsBaselineRewards(direct)).isFalse();
            assertThat(m.needsBaselineRewards(indirect)).isEqualTo(tq);
            assertThat(m.needsEmbeddings()).isEqualTo(m == AlignmentMethod.RBON_WD);
        }
        assertThat(AlignmentMethod.TQ_STAR.needsBaselineRewards(with(5, 0.5, 0, 4, "sideways", "sentiment"))).isFalse();
    }

    @Test
    void transferWireNamesAreDirectAndIndirect() {
        assertThat(Transfer.wireNames()).containsExactly("direct", "indirect");
        assertThat(Transfer.of("indirect")).contains(Transfer.INDIRECT);
        assertThat(Transfer.of("direct")).contains(Transfer.DIRECT);
        assertThat(Transfer.of("Direct")).isEmpty();
        assertThat(Transfer.of(null)).isEmpty();
        assertThat(valid().knownTransfer()).contains(Transfer.DIRECT);
    }
}
