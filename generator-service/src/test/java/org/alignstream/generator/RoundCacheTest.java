package org.alignstream.generator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.observability.StageMetrics;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The round cache is an optimisation only: on the REAL bundled models, stepwise decodings with the cache on, with it
 * off, and continued mid-way by a fresh instance (another replica after a SIGKILL or a rebalance) choose the same
 * tokens.
 */
class RoundCacheTest {

    /** Bound on |cached - recomputed| log-probabilities (see CandidateGenerator#context and docs/OPERATIONS.md). */
    private static final double LOGPROB_TOLERANCE = 2e-4;

    private static LmCandidateSampler cached;
    private static LmCandidateSampler uncached;
    private static final StageMetrics metrics = new StageMetrics("generator");

    @BeforeAll
    static void load() {
        cached = withBaseline(LmCandidateSampler.load(null, 1, true));
        uncached = withBaseline(LmCandidateSampler.load(null, 1, true, 0));
        cached.kvCache().listener(new KvCacheMetrics(metrics));
    }

    private static LmCandidateSampler withBaseline(LmCandidateSampler sampler) {
        return LmCandidateSampler.bundledBaselineAvailable() ? sampler.loadBaseline(null, 1)
                : sampler.loadBaseline(java.nio.file.Path.of("../models/lm-austen"), 1);
    }

    @AfterAll
    static void close() {
        cached.close();
        uncached.close();
    }

    private static PromptRequest request(String id, String method, boolean greedy) {
        Strategy s = Strategy.newBuilder().setMethod(method).setN(4).setTopK(5).setMaxNewTokens(24).setTemperature(1.0)
                .setTopP(0.95).setSeed(id.hashCode()).setBlockSize(4).setRolloutLength(4).setGreedy(greedy).build();
        return PromptRequest.newBuilder().setId(id).setPrompt("It is a truth universally acknowledged").setStrategy(s)
                .build();
    }

    /** A decoding as the pipeline runs it, with a stand-in selector: the most likely candidate, or a seeded pick. */
    private record Decoding(List<Integer> tokens, List<Float> logprobs, DecodeState last) {
    }

    private static Decoding decode(LmCandidateSampler first, LmCandidateSampler then, int switchAtRound,
                                   PromptRequest request) {
        DecodeState state = first.start(request);
        SplittableRandom pick = new SplittableRandom(request.getStrategy().getSeed());
        for (int round = 0; ; round++) {
            List<Candidate> candidates = (round < switchAtRound ? first : then).propose(state);
            Candidate chosen = request.getStrategy().getGreedy() ? mostLikely(candidates)
                    : candidates.get(pick.nextInt(candidates.size()));
            List<Integer> tokens = new ArrayList<>(state.getTokenIds());
            tokens.addAll(chosen.getTokenIds());
            List<Float> logprobs = new ArrayList<>(state.getLogprobs());
            logprobs.addAll(chosen.getLogprobs());
            state = DecodeState.newBuilder(state).setTokenIds(tokens).setLogprobs(logprobs).setRound(round + 1).build();
            if ("eos".equals(chosen.getFinishReason()) || tokens.size() >= request.getStrategy().getMaxNewTokens()) {
                return new Decoding(tokens, logprobs, state);
            }
        }
    }

    private static Candidate mostLikely(List<Candidate> candidates) {
        Candidate best = candidates.get(0);
        for (Candidate c : candidates) {
            if (sum(c.getLogprobs()) > sum(best.getLogprobs())) {
                best = c;
            }
        }
        return best;
    }

    private static double sum(List<Float> values) {
        return values.stream().mapToDouble(Float::doubleValue).sum();
    }

    private static void assertSame(String id, Decoding got, Decoding want) {
        assertThat(got.tokens()).as(id).isEqualTo(want.tokens());
        for (int i = 0; i < got.logprobs().size(); i++) {
            assertThat((double) got.logprobs().get(i)).as(id + " logprob " + i)
                    .isCloseTo(want.logprobs().get(i), org.assertj.core.data.Offset.offset(LOGPROB_TOLERANCE));
        }
    }

    private static List<PromptRequest> requests(String suffix) {
        return List.of(request("args-greedy" + suffix, "args", true), request("args-sampled" + suffix, "args", false),
                request("blockwise" + suffix, "blockwise", false), request("tq" + suffix, "tq_star", true),
                request("tq-sampled" + suffix, "tq_star", false));
    }

    @Test
    void cacheOnAndCacheOffChooseTheSameTokens() {
        double hitsBefore = metrics.kvCacheHits();
        for (PromptRequest request : requests("-onoff")) {
            Decoding on = decode(cached, cached, Integer.MAX_VALUE, request);
            Decoding off = decode(uncached, uncached, Integer.MAX_VALUE, request);
            assertThat(on.tokens()).as(request.getId()).hasSizeGreaterThan(4);
            assertSame(request.getId(), on, off);
        }
        assertThat(metrics.kvCacheHits()).isGreaterThan(hitsBefore);
        assertThat(uncached.kvCache().hits() + uncached.kvCache().misses()).isZero();
    }

    @Test
    void aFreshInstanceContinuesARequestMidWayWithTheSameTokens() {
        for (PromptRequest request : requests("-moved")) {
            Decoding whole = decode(cached, cached, Integer.MAX_VALUE, request);
            // a new instance (empty cache) takes the request over at round 3, as after a SIGKILL or a rebalance
            try (LmCandidateSampler other = withBaseline(LmCandidateSampler.load(null, 1, true))) {
                Decoding moved = decode(cached, other, 3, request);
                assertSame(request.getId(), moved, whole);
                assertThat(other.kvCache().misses()).as(request.getId()).isPositive(); // the take-over round
                if (whole.tokens().size() > 8) {
                    assertThat(other.kvCache().hits()).as(request.getId()).isPositive(); // its later rounds
                }
            }
        }
    }

    @Test
    void aRequestThatRanToMaxNewTokensLeavesNothingBehind() {
        PromptRequest request = request("to-the-end", "args", false);
        String key = cached.model().getId() + "@" + cached.model().getVersion();
        DecodeState state = cached.start(request);
        for (int round = 0; state.getTokenIds().size() < request.getStrategy().getMaxNewTokens(); round++) {
            Candidate chosen = cached.propose(state).stream().filter(c -> !"eos".equals(c.getFinishReason()))
                    .findFirst().orElseThrow();
            List<Integer> tokens = new ArrayList<>(state.getTokenIds());
            tokens.addAll(chosen.getTokenIds());
            state = DecodeState.newBuilder(state).setTokenIds(tokens).setRound(round + 1).build();
            boolean more = tokens.size() < request.getStrategy().getMaxNewTokens();
            assertThat(cached.kvCache().contains(key, request.getId())).as("round %d", round).isEqualTo(more);
        }
        assertThat(cached.kvCache().bytesHeld()).isLessThanOrEqualTo(cached.kvCache().maxBytes());
        assertThat(metrics.kvCacheBytes()).isEqualTo(cached.kvCache().bytesHeld());
    }
}
