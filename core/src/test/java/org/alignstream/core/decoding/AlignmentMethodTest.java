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
        return new MethodParameters(4, 5, 0.5, 32, 8, 4, true, "direct", null, 1.0, 2.0, 1, null, 0.5);
    }

    private static MethodParameters with(int topK, double beta, int blockSize, int rolloutLength, String transfer,
                                         String baselineRewardModel) {
        MethodParameters v = valid();
        return new MethodParameters(v.n(), topK, beta, v.maxNewTokens(), blockSize, rolloutLength, v.greedy(),
                transfer, baselineRewardModel, v.temperature(), v.baselineBeta(), v.rollouts(), v.rewardModelKind(),
                v.rejectionRate());
    }

    private static MethodParameters tq(double temperature, double baselineBeta, int rollouts, Boolean greedy,
                                       String kind) {
        MethodParameters v = valid();
        return new MethodParameters(v.n(), v.topK(), v.beta(), v.maxNewTokens(), v.blockSize(), v.rolloutLength(),
                greedy, "indirect", "sentiment", temperature, baselineBeta, rollouts, kind, v.rejectionRate());
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
                .containsExactly("best_of_n", "rbon_kl", "rbon_wd", "soft_bon", "args", "pargs", "blockwise", "tq_star",
                        "speculative_rejection");
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
        assertThat(AlignmentMethod.PARGS.parameters()).containsExactlyInAnyOrder(MethodParameter.TOP_K,
                MethodParameter.BETA, MethodParameter.GREEDY, MethodParameter.REWARD_MODEL_KIND);
        assertThat(AlignmentMethod.BLOCKWISE.parameters()).containsExactlyInAnyOrder(MethodParameter.N,
                MethodParameter.BLOCK_SIZE, MethodParameter.BETA, MethodParameter.GREEDY);
        assertThat(AlignmentMethod.TQ_STAR.parameters()).containsExactlyInAnyOrder(MethodParameter.TOP_K,
                MethodParameter.ROLLOUT_LENGTH, MethodParameter.ROLLOUTS, MethodParameter.BETA,
                MethodParameter.TRANSFER, MethodParameter.BASELINE_REWARD_MODEL, MethodParameter.BASELINE_BETA,
                MethodParameter.GREEDY);
        assertThat(AlignmentMethod.SPECULATIVE_REJECTION.parameters()).containsExactlyInAnyOrder(MethodParameter.N,
                MethodParameter.BLOCK_SIZE, MethodParameter.REJECTION_RATE, MethodParameter.REWARD_MODEL_KIND);
        Set<MethodParameter> taken = new HashSet<>();
        for (AlignmentMethod m : AlignmentMethod.values()) {
            taken.addAll(m.parameters());
        }
        assertThat(taken).isEqualTo(EnumSet.allOf(MethodParameter.class));
    }

    @Test
    void defaultsAreTheSchemas() {
        assertThat(MethodParameter.N.defaultValue()).isEqualTo(0); // the method's default
        assertThat(MethodParameter.TOP_K.defaultValue()).isEqualTo(0);
        assertThat(MethodParameter.BETA.defaultValue()).isEqualTo(0.0);
        assertThat(MethodParameter.BLOCK_SIZE.defaultValue()).isEqualTo(0);
        assertThat(MethodParameter.ROLLOUT_LENGTH.defaultValue()).isEqualTo(0);
        assertThat(MethodParameter.GREEDY.defaultValue()).isNull(); // the method's default
        assertThat(MethodParameter.BASELINE_BETA.defaultValue()).isEqualTo(2.0);
        assertThat(MethodParameter.ROLLOUTS.defaultValue()).isEqualTo(1);
        assertThat(MethodParameter.REWARD_MODEL_KIND.defaultValue()).isNull();
        assertThat(MethodParameter.TRANSFER.defaultValue()).isEqualTo("direct");
        assertThat(MethodParameter.BASELINE_REWARD_MODEL.defaultValue()).isNull();
        assertThat(MethodParameter.REJECTION_RATE.defaultValue()).isEqualTo(0.5);
        assertThat(MethodParameters.DEFAULTS.maxNewTokens()).isEqualTo(32);
    }

    @Test
    void everyMethodAcceptsARequestThatLeavesEverythingToItsDefaults() {
        for (AlignmentMethod m : AlignmentMethod.values()) {
            MethodParameters p = m.withDefaults(MethodParameters.DEFAULTS);
            assertThat(m.parameterProblems(p, 64)).as(m.wireName()).isEmpty();
            assertThat(p.n()).as(m.wireName()).isPositive();
            assertThat(m.candidatesPerRound(p)).as(m.wireName()).isPositive();
            assertThat(m.defaultBeta()).as(m.wireName()).isNotNegative();
        }
    }

    @Test
    void theMethodsDefaultsAreThoseTheSchemaDocuments() {
        MethodParameters d = MethodParameters.DEFAULTS;
        assertThat(AlignmentMethod.BEST_OF_N.withDefaults(d).n()).isEqualTo(8);
        assertThat(AlignmentMethod.BEST_OF_N.withDefaults(d).topK()).as("no top-k filter").isZero();
        assertThat(AlignmentMethod.ARGS.withDefaults(d).topK()).isEqualTo(10);
        assertThat(AlignmentMethod.BLOCKWISE.withDefaults(d).n()).isEqualTo(4);
        assertThat(AlignmentMethod.BLOCKWISE.withDefaults(d).blockSize()).isEqualTo(4);
        assertThat(AlignmentMethod.SPECULATIVE_REJECTION.withDefaults(d).n()).isEqualTo(32);
        assertThat(AlignmentMethod.TQ_STAR.withDefaults(d).rolloutLength()).isEqualTo(8);
        assertThat(AlignmentMethod.RBON_KL.defaultBeta()).isEqualTo(0.02);
        assertThat(AlignmentMethod.RBON_WD.defaultBeta()).isEqualTo(10.0);
        assertThat(AlignmentMethod.SOFT_BON.defaultBeta()).isEqualTo(0.5);
        assertThat(AlignmentMethod.ARGS.defaultBeta()).isEqualTo(1.0);
    }

    @Test
    void aBlockNeverOutgrowsTheResponseAndExplicitValuesAreKept() {
        MethodParameters shortResponse = new MethodParameters(0, 0, 0.0, 2, 0, 0, null, "direct", null, 1.0, 2.0, 1,
                null, 0.5);
        assertThat(AlignmentMethod.BLOCKWISE.withDefaults(shortResponse).blockSize()).isEqualTo(2);
        MethodParameters explicit = new MethodParameters(3, 5, 0.0, 32, 7, 9, null, "direct", null, 1.0, 2.0, 1, null,
                0.5);
        assertThat(AlignmentMethod.TQ_STAR.withDefaults(explicit)).isEqualTo(explicit);
        assertThat(AlignmentMethod.BLOCKWISE.withDefaults(explicit)).isEqualTo(explicit);
    }

    @Test
    void methodsWhoseParametersHaveRulesRejectTheDefaultsAndTheOthersAcceptThem() {
        assertThat(AlignmentMethod.BEST_OF_N.parameterProblems(MethodParameters.DEFAULTS, 64)).isEmpty();
        assertThat(AlignmentMethod.RBON_KL.parameterProblems(MethodParameters.DEFAULTS, 64)).isEmpty();
        assertThat(AlignmentMethod.RBON_WD.parameterProblems(MethodParameters.DEFAULTS, 64)).isEmpty();
        assertThat(AlignmentMethod.SOFT_BON.parameterProblems(MethodParameters.DEFAULTS, 64)).isEmpty();
        assertThat(AlignmentMethod.ARGS.parameterProblems(MethodParameters.DEFAULTS, 64))
                .containsExactly("args needs top_k >= 1 (the k next tokens scored per step), was 0");
        assertThat(AlignmentMethod.BLOCKWISE.parameterProblems(MethodParameters.DEFAULTS, 64))
                .containsExactly("blockwise needs block_size M between 1 and max_new_tokens (32), was 0");
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(MethodParameters.DEFAULTS, 64)).containsExactly(
                "tq_star needs top_k >= 1 (the k next tokens scored per step), was 0",
                "tq_star needs rollout_length L between 1 and 64, was 0");
        assertThat(AlignmentMethod.SPECULATIVE_REJECTION.parameterProblems(MethodParameters.DEFAULTS, 64))
                .containsExactly("speculative_rejection needs block_size (tokens between checkpoints) between 1 and "
                        + "max_new_tokens (32), was 0");
    }

    private static MethodParameters speculative(int blockSize, double rate) {
        MethodParameters v = valid();
        return new MethodParameters(v.n(), v.topK(), v.beta(), v.maxNewTokens(), blockSize, v.rolloutLength(),
                v.greedy(), v.transfer(), v.baselineRewardModel(), v.temperature(), v.baselineBeta(), v.rollouts(),
                v.rewardModelKind(), rate);
    }

    @Test
    void speculativeRejectionReportsBothBrokenRulesAtOnceAndExpectsAPartialSequenceModel() {
        AlignmentMethod m = AlignmentMethod.SPECULATIVE_REJECTION;
        assertThat(m.parameterProblems(speculative(33, 1.0), 64)).containsExactly(
                "speculative_rejection needs block_size (tokens between checkpoints) between 1 and max_new_tokens "
                        + "(32), was 33",
                "speculative_rejection needs rejection_rate in [0, 1) (the fraction stopped at each checkpoint), "
                        + "was 1.0");
        assertThat(m.parameterProblems(speculative(0, Double.NaN), 64)).hasSize(2);
        assertThat(m.parameterProblems(speculative(32, -0.01), 64)).hasSize(1);
        assertThat(m.parameterProblems(speculative(1, 0.0), 64)).isEmpty();
        assertThat(m.parameterProblems(speculative(4, 0.99), 64)).isEmpty();
        assertThat(m.expectedRewardModelKind(MethodParameters.DEFAULTS)).contains(RewardModelKind.PARTIAL_SEQUENCE);
        assertThat(m.klKind(MethodParameters.DEFAULTS)).isEqualTo(KlKind.UPPER_BOUND);
        MethodParameters p = speculative(8, 0.5); // n 4, max_new_tokens 32
        assertThat(m.stepwise()).isTrue();
        assertThat(m.tokenwise()).isFalse();
        assertThat(m.prunes()).isTrue();
        assertThat(m.candidatesPerRound(p)).isEqualTo(4);
        assertThat(m.tokensPerRound(p)).isEqualTo(8);
        assertThat(m.maxCandidateTokens(p, 27)).isEqualTo(5);
        for (AlignmentMethod other : AlignmentMethod.values()) {
            assertThat(other.prunes()).isEqualTo(other == m);
        }
    }

    @Test
    void validationReportsEveryBrokenRuleAtOnceInAFixedOrder() {
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(with(0, 0.0, 0, 65, "indirect", " "), 64)).containsExactly(
                "tq_star needs top_k >= 1 (the k next tokens scored per step), was 0",
                "tq_star needs rollout_length L between 1 and 64, was 65",
                "indirect transfer needs baseline_reward_model: the reward the baseline model was aligned to");
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(with(5, 0.5, 0, 0, "sideways", null), Integer.MAX_VALUE))
                .containsExactly("tq_star needs rollout_length L >= 1, was 0",
                        "transfer must be 'direct' or 'indirect', was 'sideways'");
        assertThat(AlignmentMethod.PARGS.parameterProblems(with(-1, -2.0, 0, 0, "sideways", null), 64))
                .containsExactly("pargs needs top_k >= 1 (the k next tokens scored per step), was -1");
        assertThat(AlignmentMethod.RBON_WD.parameterProblems(with(0, -0.5, 0, 0, "sideways", null), 64))
                .containsExactly("rbon_wd needs beta >= 0, was -0.5");
        assertThat(AlignmentMethod.SOFT_BON.parameterProblems(with(0, -0.5, 0, 0, "sideways", null), 64))
                .containsExactly("soft_bon needs beta >= 0, was -0.5");
        assertThat(AlignmentMethod.BLOCKWISE.parameterProblems(with(0, -0.5, 33, 0, "sideways", null), 64))
                .containsExactly("blockwise needs block_size M between 1 and max_new_tokens (32), was 33");
    }

    @Test
    void indirectTransferTakesItsOwnBaselineBetaAndAlphaMayBeZero() {
        // alpha (beta) 0 is decoding from pi_ref; the importance ratio's strength is baseline_beta, not alpha
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(with(5, 0.0, 0, 4, "indirect", "sentiment"), 64)).isEmpty();
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(tq(1.0, 0.0, 1, null, null), 64)).containsExactly(
                "indirect transfer needs baseline_beta (beta_BL of exp((r - r_BL) / beta_BL)) finite and > 0, was 0.0");
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(tq(1.0, Double.POSITIVE_INFINITY, 1, null, null), 64))
                .hasSize(1);
    }

    @Test
    void rolloutsAreBetweenOneAndTheLimitAndMoreThanOneNeedsSampledRollouts() {
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(tq(1.0, 2.0, 4, null, null), 64)).isEmpty();
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(tq(0.0, 2.0, 1, null, null), 64)).isEmpty();
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(tq(1.0, 2.0, 0, null, null), 64))
                .containsExactly("tq_star needs rollouts m between 1 and 16, was 0");
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(tq(1.0, 2.0, 17, null, null), 64))
                .containsExactly("tq_star needs rollouts m between 1 and 16, was 17");
        assertThat(AlignmentMethod.TQ_STAR.parameterProblems(tq(0.0, 2.0, 4, null, null), 64)).containsExactly(
                "tq_star with temperature 0 rolls out greedily, so rollouts m = 4 would repeat one rollout: use "
                        + "rollouts 1 or a temperature > 0");
        assertThat(AlignmentMethod.TQ_STAR.rolloutsPerCandidate(tq(1.0, 2.0, 4, null, null))).isEqualTo(4);
        assertThat(AlignmentMethod.ARGS.rolloutsPerCandidate(tq(1.0, 2.0, 4, null, null))).isZero();
    }

    @Test
    void pargsSamplesAndExpectsAPartialSequenceModelUnlessTheRequestSaysOtherwise() {
        MethodParameters bare = MethodParameters.DEFAULTS;
        assertThat(AlignmentMethod.PARGS.greedy(bare)).isFalse();
        assertThat(AlignmentMethod.ARGS.greedy(bare)).isTrue();
        assertThat(AlignmentMethod.BLOCKWISE.greedy(bare)).isTrue();
        assertThat(AlignmentMethod.TQ_STAR.greedy(bare)).isTrue();
        assertThat(AlignmentMethod.PARGS.greedy(tq(1.0, 2.0, 1, true, null))).isTrue();
        assertThat(AlignmentMethod.ARGS.greedy(tq(1.0, 2.0, 1, false, null))).isFalse();
        assertThat(AlignmentMethod.PARGS.expectedRewardModelKind(bare)).contains(RewardModelKind.PARTIAL_SEQUENCE);
        assertThat(AlignmentMethod.PARGS.expectedRewardModelKind(tq(1.0, 2.0, 1, null, "full-sequence")))
                .contains(RewardModelKind.FULL_SEQUENCE);
        assertThat(AlignmentMethod.ARGS.expectedRewardModelKind(bare)).isEmpty();
        assertThat(AlignmentMethod.ARGS.parameterProblems(tq(1.0, 2.0, 1, null, "whole"), 64)).containsExactly(
                "reward_model_kind must be one of [full-sequence, partial-sequence, token-level] or absent, was 'whole'");
    }

    @Test
    void eachFigureOfKlIsLabelledWithWhatItIs() {
        MethodParameters sampled = tq(1.0, 2.0, 1, false, null);
        MethodParameters greedy = tq(1.0, 2.0, 1, true, null);
        MethodParameters greedyRollouts = tq(0.0, 2.0, 1, true, null);
        assertThat(AlignmentMethod.BEST_OF_N.klKind(sampled)).isEqualTo(KlKind.EXACT_OVER_CANDIDATES);
        assertThat(AlignmentMethod.RBON_KL.klKind(sampled)).isEqualTo(KlKind.EXACT_OVER_CANDIDATES);
        assertThat(AlignmentMethod.RBON_WD.klKind(sampled)).isEqualTo(KlKind.UPPER_BOUND);
        assertThat(AlignmentMethod.SOFT_BON.klKind(with(0, 0.0, 0, 0, "direct", null)))
                .isEqualTo(KlKind.EXACT_OVER_CANDIDATES); // lambda 0 is Best-of-N
        assertThat(AlignmentMethod.SOFT_BON.klKind(with(0, 0.5, 0, 0, "direct", null)))
                .isEqualTo(KlKind.ONE_SAMPLE_UPPER_BOUND);
        assertThat(AlignmentMethod.ARGS.klKind(greedy)).isEqualTo(KlKind.EXACT);
        assertThat(AlignmentMethod.ARGS.klKind(sampled)).isEqualTo(KlKind.ONE_SAMPLE_ESTIMATE);
        assertThat(AlignmentMethod.PARGS.klKind(MethodParameters.DEFAULTS)).isEqualTo(KlKind.ONE_SAMPLE_ESTIMATE);
        assertThat(AlignmentMethod.BLOCKWISE.klKind(greedy)).isEqualTo(KlKind.UPPER_BOUND);
        assertThat(AlignmentMethod.BLOCKWISE.klKind(sampled)).isEqualTo(KlKind.ONE_SAMPLE_UPPER_BOUND);
        assertThat(AlignmentMethod.TQ_STAR.klKind(greedyRollouts)).isEqualTo(KlKind.EXACT);
        assertThat(AlignmentMethod.TQ_STAR.klKind(greedy)).isEqualTo(KlKind.ONE_SAMPLE_UPPER_BOUND);
        assertThat(KlKind.wireNames()).containsExactly("exact", "exact_over_candidates", "upper_bound",
                "one_sample_estimate", "one_sample_upper_bound");
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
        for (AlignmentMethod m : List.of(AlignmentMethod.BEST_OF_N, AlignmentMethod.RBON_KL, AlignmentMethod.RBON_WD,
                AlignmentMethod.SOFT_BON)) {
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
