package org.alignstream.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.stage.InvalidRecordException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

class RequestLimitsTest {

    /** Small limits so the boundaries are easy to hit: n ≤ 8, max_new_tokens ≤ 64, prompt ≤ 100 chars, top_k ≤ 50. */
    private static final RequestLimits LIMITS = new RequestLimits(8, 64, 100, 50);

    /** A request inside every limit; each case below breaks exactly one rule of it. */
    private static PromptRequest valid() {
        return PromptRequest.newBuilder()
                .setId("req-1")
                .setPrompt("It is a truth universally acknowledged")
                .setStrategy(Strategy.newBuilder()
                        .setMethod("best_of_n")
                        .setN(4)
                        .setMaxNewTokens(32)
                        .setTopK(10)
                        .setTemperature(0.8)
                        .setTopP(0.9)
                        .setBeta(0.5)
                        .setSeed(7)
                        .build())
                .setCreatedAtMs(1L)
                .build();
    }

    private static PromptRequest with(Consumer<PromptRequest> change) {
        PromptRequest r = valid();
        change.accept(r);
        return r;
    }

    private static PromptRequest withStrategy(Consumer<Strategy> change) {
        PromptRequest r = valid();
        change.accept(r.getStrategy());
        return r;
    }

    static Stream<Arguments> invalidRequests() {
        return Stream.of(
                Arguments.of("empty prompt", with(r -> r.setPrompt("")), "prompt is empty"),
                Arguments.of("blank prompt", with(r -> r.setPrompt(" \t\n")), "prompt is empty"),
                Arguments.of("empty id", with(r -> r.setId("")), "request id is empty"),
                Arguments.of("blank id", with(r -> r.setId("   ")), "request id is empty"),
                Arguments.of("too-long prompt", with(r -> r.setPrompt("x".repeat(101))),
                        "prompt has 101 characters, the limit is 100"),
                Arguments.of("missing strategy", with(r -> r.setStrategy(null)), "strategy is missing"),
                Arguments.of("unknown method", withStrategy(s -> s.setMethod("mcts")),
                        "unknown method 'mcts', expected one of [best_of_n, rbon_kl, rbon_wd, soft_bon, args, pargs, blockwise, tq_star, "
                                + "speculative_rejection]"),
                Arguments.of("blockwise with M > max_new_tokens", withStrategy(s -> {
                    s.setMethod("blockwise");
                    s.setBlockSize(33);
                }), "blockwise needs block_size M between 1 and max_new_tokens (32), was 33"),
                Arguments.of("tq_star rollout > max", withStrategy(s -> {
                    s.setMethod("tq_star");
                    s.setRolloutLength(65);
                }), "tq_star needs rollout_length L between 1 and 64, was 65"),
                Arguments.of("tq_star unknown transfer", withStrategy(s -> {
                    s.setMethod("tq_star");
                    s.setRolloutLength(4);
                    s.setTransfer("sideways");
                }), "transfer must be 'direct' or 'indirect', was 'sideways'"),
                Arguments.of("tq_star indirect without baseline reward", withStrategy(s -> {
                    s.setMethod("tq_star");
                    s.setRolloutLength(4);
                    s.setTransfer("indirect");
                }), "indirect transfer needs baseline_reward_model: the reward the baseline model was aligned to"),
                Arguments.of("tq_star indirect with baseline_beta 0", withStrategy(s -> {
                    s.setMethod("tq_star");
                    s.setRolloutLength(4);
                    s.setTransfer("indirect");
                    s.setBaselineRewardModel("sentiment");
                    s.setBaselineBeta(0.0);
                }), "indirect transfer needs baseline_beta (beta_BL of exp((r - r_BL) / beta_BL)) finite and > 0, was 0.0"),
                Arguments.of("tq_star with 17 rollouts", withStrategy(s -> {
                    s.setMethod("tq_star");
                    s.setRolloutLength(4);
                    s.setRollouts(17);
                }), "tq_star needs rollouts m between 1 and 16, was 17"),
                Arguments.of("tq_star with 4 greedy rollouts", withStrategy(s -> {
                    s.setMethod("tq_star");
                    s.setRolloutLength(4);
                    s.setRollouts(4);
                    s.setTemperature(0.0);
                }), "tq_star with temperature 0 rolls out greedily, so rollouts m = 4 would repeat one rollout: use "
                        + "rollouts 1 or a temperature > 0"),
                Arguments.of("pargs with an unknown reward model kind", withStrategy(s -> {
                    s.setMethod("pargs");
                    s.setRewardModelKind("prefix");
                }), "reward_model_kind must be one of [full-sequence, partial-sequence, token-level] or absent, was 'prefix'"),
                Arguments.of("rbon_kl with negative beta", withStrategy(s -> {
                    s.setMethod("rbon_kl");
                    s.setBeta(-1.0);
                }), "rbon_kl needs beta >= 0, was -1.0"),
                Arguments.of("args with beta NaN", withStrategy(s -> {
                    s.setMethod("args");
                    s.setBeta(Double.NaN);
                }), "beta must be finite, was NaN"),
                Arguments.of("n < 0", withStrategy(s -> s.setN(-3)), "n must be between 1 and 8, was -3"),
                Arguments.of("n > max", withStrategy(s -> s.setN(9)), "n must be between 1 and 8, was 9"),
                Arguments.of("max_new_tokens = 0", withStrategy(s -> s.setMaxNewTokens(0)),
                        "max_new_tokens must be between 1 and 64, was 0"),
                Arguments.of("max_new_tokens > max", withStrategy(s -> s.setMaxNewTokens(65)),
                        "max_new_tokens must be between 1 and 64, was 65"),
                Arguments.of("top_k < 0", withStrategy(s -> s.setTopK(-1)),
                        "top_k must be between 0 (off) and 50, was -1"),
                Arguments.of("top_k > max", withStrategy(s -> s.setTopK(51)),
                        "top_k must be between 0 (off) and 50, was 51"),
                Arguments.of("temperature NaN", withStrategy(s -> s.setTemperature(Double.NaN)),
                        "temperature must be finite and >= 0 (0 = greedy), was NaN"),
                Arguments.of("temperature negative", withStrategy(s -> s.setTemperature(-0.1)),
                        "temperature must be finite and >= 0 (0 = greedy), was -0.1"),
                Arguments.of("temperature infinite", withStrategy(s -> s.setTemperature(Double.POSITIVE_INFINITY)),
                        "temperature must be finite and >= 0 (0 = greedy), was Infinity"),
                Arguments.of("top_p 0", withStrategy(s -> s.setTopP(0.0)), "top_p must be in (0, 1], was 0.0"),
                Arguments.of("top_p negative", withStrategy(s -> s.setTopP(-0.5)), "top_p must be in (0, 1], was -0.5"),
                Arguments.of("top_p > 1", withStrategy(s -> s.setTopP(1.0001)), "top_p must be in (0, 1], was 1.0001"),
                Arguments.of("top_p NaN", withStrategy(s -> s.setTopP(Double.NaN)), "top_p must be in (0, 1], was NaN"),
                Arguments.of("beta +infinite", withStrategy(s -> s.setBeta(Double.POSITIVE_INFINITY)),
                        "beta must be finite, was Infinity"),
                Arguments.of("beta -infinite", withStrategy(s -> s.setBeta(Double.NEGATIVE_INFINITY)),
                        "beta must be finite, was -Infinity"),
                Arguments.of("beta NaN", withStrategy(s -> s.setBeta(Double.NaN)), "beta must be finite, was NaN"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidRequests")
    void rejectsWithAMessageNamingTheField(String rule, PromptRequest request, String expectedMessage) {
        assertThatThrownBy(() -> LIMITS.validate(request))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessage(expectedMessage);
    }

    @Test
    void validRequestPasses() {
        assertThatCode(() -> LIMITS.validate(valid())).doesNotThrowAnyException();
    }

    static Stream<Arguments> boundaryRequests() {
        return Stream.of(
                Arguments.of("prompt of exactly the limit", with(r -> r.setPrompt("y".repeat(100)))),
                Arguments.of("n = 1", withStrategy(s -> s.setN(1))),
                Arguments.of("n = max", withStrategy(s -> s.setN(8))),
                Arguments.of("max_new_tokens = 1", withStrategy(s -> s.setMaxNewTokens(1))),
                Arguments.of("max_new_tokens = max", withStrategy(s -> s.setMaxNewTokens(64))),
                Arguments.of("top_k = 0 (off)", withStrategy(s -> s.setTopK(0))),
                Arguments.of("top_k = max", withStrategy(s -> s.setTopK(50))),
                Arguments.of("temperature 0 (greedy)", withStrategy(s -> s.setTemperature(0.0))),
                Arguments.of("top_p = 1 (off)", withStrategy(s -> s.setTopP(1.0))),
                Arguments.of("tiny top_p", withStrategy(s -> s.setTopP(Double.MIN_VALUE))),
                Arguments.of("negative beta", withStrategy(s -> s.setBeta(-2.0))),
                Arguments.of("every method by name", withStrategy(s -> s.setMethod("rbon_wd"))),
                Arguments.of("args k = 1", withStrategy(s -> {
                    s.setMethod("args");
                    s.setTopK(1);
                })),
                Arguments.of("blockwise M = max_new_tokens (Best-of-N)", withStrategy(s -> {
                    s.setMethod("blockwise");
                    s.setBlockSize(32);
                })),
                Arguments.of("blockwise M = 1 (tokenwise)", withStrategy(s -> {
                    s.setMethod("blockwise");
                    s.setBlockSize(1);
                })),
                Arguments.of("tq_star L = max, indirect", withStrategy(s -> {
                    s.setMethod("tq_star");
                    s.setRolloutLength(64);
                    s.setTransfer("indirect");
                    s.setBaselineRewardModel("sentiment");
                })));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("boundaryRequests")
    void valuesOnTheBoundaryPass(String rule, PromptRequest request) {
        assertThatCode(() -> LIMITS.validate(request)).doesNotThrowAnyException();
    }

    @ParameterizedTest
    @ValueSource(strings = {"best_of_n", "rbon_kl", "rbon_wd", "soft_bon", "args", "pargs", "blockwise", "tq_star",
            "speculative_rejection"})
    void aRequestThatLeavesTheMethodsParametersOutGetsTheMethodsDefaultsWrittenIn(String method) {
        PromptRequest r = PromptRequest.newBuilder().setId("d").setPrompt("She was")
                .setStrategy(Strategy.newBuilder().setMethod(method).setMaxNewTokens(16).build()).build();
        assertThatCode(() -> new RequestLimits(64, 64, 100, 50).validate(r)).doesNotThrowAnyException();
        Strategy s = r.getStrategy();
        org.alignstream.core.decoding.AlignmentMethod m =
                org.alignstream.core.decoding.AlignmentMethod.of(method).orElseThrow();
        assertThat(s.getBeta()).as("beta").isEqualTo(m.defaultBeta());
        assertThat(m.candidatesPerRound(org.alignstream.common.validation.StrategyParameters.of(s))).isPositive();
        assertThat(s.getN()).as("n").isEqualTo(m.defaultN());
    }

    @Test
    void namesEveryViolatedRuleAtOnce() {
        PromptRequest twoFaults = withStrategy(s -> {
            s.setN(-1);
            s.setTopP(0.0);
        });
        assertThatThrownBy(() -> LIMITS.validate(twoFaults)).hasMessage("2 problems: n must be between 1 and 8, was -1; "
                + "top_p must be in (0, 1], was 0.0");
    }

    @Test
    void limitsComeFromTheRecordComponents() {
        RequestLimits wide = new RequestLimits(10_000, 64, 100, 50);
        PromptRequest big = withStrategy(s -> s.setN(10_000));
        assertThatCode(() -> wide.validate(big)).doesNotThrowAnyException();
        assertThatThrownBy(() -> LIMITS.validate(big)).hasMessage("n must be between 1 and 8, was 10000");
    }

    @Test
    void defaults() {
        assertThat(RequestLimits.defaults()).isEqualTo(new RequestLimits(64, 256, 4000, 1000));
        assertThat(RequestLimits.METHODS)
                .containsExactly("best_of_n", "rbon_kl", "rbon_wd", "soft_bon", "args", "pargs", "blockwise", "tq_star",
                        "speculative_rejection");
    }

    private static DecodeState state(Consumer<DecodeState> change) {
        PromptRequest request = withStrategy(s -> {
            s.setMethod("args");
            s.setMaxNewTokens(4);
        });
        DecodeState state = DecodeState.newBuilder().setRequest(request).setPromptTokenIds(List.of(4095, 7))
                .setTokenIds(List.of(1, 2)).setLogprobs(List.of(-0.5f, -0.25f)).setRound(2).build();
        change.accept(state);
        return state;
    }

    @Test
    void decodingStatesAreChecked() {
        assertThatCode(() -> LIMITS.validate(state(s -> { }))).doesNotThrowAnyException();
        assertThatThrownBy(() -> LIMITS.validate(state(s -> s.setFinished(true))))
                .isInstanceOf(InvalidRecordException.class).hasMessage("request req-1: the decoding is already finished");
        assertThatThrownBy(() -> LIMITS.validate(state(s -> {
            s.setTokenIds(List.of(1, 2, 3, 4));
            s.setLogprobs(List.of(-1f, -1f, -1f, -1f));
        }))).hasMessage("request req-1: decoding state already has 4 tokens, max_new_tokens is 4");
        assertThatThrownBy(() -> LIMITS.validate(state(s -> s.setLogprobs(List.of(-1f)))))
                .hasMessage("request req-1: decoding state has 2 tokens but 1 log-probabilities");
        assertThatThrownBy(() -> LIMITS.validate(state(s -> s.setPromptTokenIds(List.of()))))
                .hasMessage("request req-1: decoding state has no prompt tokens");
        assertThatThrownBy(() -> LIMITS.validate(state(s -> s.setRound(-1))))
                .hasMessage("request req-1: round must be >= 0, was -1");
        assertThatThrownBy(() -> LIMITS.validate(state(s -> s.getRequest().getStrategy().setMethod("best_of_n"))))
                .hasMessage("request req-1: best_of_n is not a stepwise method");
        assertThatThrownBy(() -> LIMITS.validate(state(s -> s.getRequest().getStrategy().setTopK(-1))))
                .hasMessageContaining("top_k must be between 0 (off) and 50, was -1");
    }

    @Test
    void inconsistentDecodingStatesAreCheckedBeforeAnyModelWork() {
        assertThatThrownBy(() -> LIMITS.validate(state(s -> s.setRound(1))))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessage("request req-1: decoding state is at round 1 but has 2 response tokens (args adds 1 per round)");
        assertThatThrownBy(() -> LIMITS.validate(state(s -> {
            s.getRequest().getStrategy().setMethod("blockwise");
            s.getRequest().getStrategy().setBlockSize(2);
        }))).hasMessage("request req-1: decoding state is at round 2 but has 2 response tokens (blockwise adds 2 per round)");
        assertThatCode(() -> LIMITS.validate(state(s -> {
            s.getRequest().getStrategy().setMethod("blockwise");
            s.getRequest().getStrategy().setBlockSize(2);
            s.setRound(1);
        }))).doesNotThrowAnyException();
        assertThatThrownBy(() -> LIMITS.validate(state(s -> s.setTokenIds(List.of(1, -2)))))
                .hasMessage("request req-1: response token 1 has the negative id -2");
        assertThatThrownBy(() -> LIMITS.validate(state(s -> s.setPromptTokenIds(List.of(-1)))))
                .hasMessage("request req-1: prompt token 0 has the negative id -1");
        for (float bad : new float[] {Float.NaN, Float.NEGATIVE_INFINITY, Float.POSITIVE_INFINITY, 0.5f}) {
            assertThatThrownBy(() -> LIMITS.validate(state(s -> s.setLogprobs(List.of(-1f, bad)))))
                    .hasMessage("request req-1: response token 1 has log-probability " + bad
                            + ", a log-probability is finite and <= 0");
        }
        assertThatThrownBy(() -> LIMITS.validate(state(s -> s.setRewardCalls(-1))))
                .hasMessage("request req-1: reward_calls must be >= 0, was -1");
    }

    @Test
    void rewardModelIdsAreCheckedWhenTheServedOnesAreConfigured() {
        RequestLimits known = LIMITS.withRewardModels(java.util.Set.of("sentiment", "sentiment-partial"));
        assertThatCode(() -> known.validate(valid())).doesNotThrowAnyException();
        assertThatCode(() -> known.validate(withStrategy(s -> s.setRewardModel("sentiment-partial"))))
                .doesNotThrowAnyException();
        assertThatThrownBy(() -> known.validate(withStrategy(s -> s.setRewardModel("gold"))))
                .isInstanceOf(InvalidRecordException.class)
                .hasMessage("unknown reward model 'gold' (reward_model); the scorers serve [sentiment, sentiment-partial]");
        PromptRequest indirect = withStrategy(s -> {
            s.setMethod("tq_star");
            s.setRolloutLength(4);
            s.setTransfer("indirect");
            s.setBaselineRewardModel("gold");
        });
        assertThatThrownBy(() -> known.validate(indirect))
                .hasMessage("unknown reward model 'gold' (baseline_reward_model); the scorers serve "
                        + "[sentiment, sentiment-partial]");
        // not configured: any id passes here (the scorer is the one to refuse it)
        assertThatCode(() -> LIMITS.validate(withStrategy(s -> s.setRewardModel("gold")))).doesNotThrowAnyException();
        assertThatCode(() -> LIMITS.validate(indirect)).doesNotThrowAnyException();
    }
}
