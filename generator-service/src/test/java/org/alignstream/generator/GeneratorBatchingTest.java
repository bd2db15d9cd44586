package org.alignstream.generator;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.stage.InvalidRecordException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Batching across requests on the REAL bundled models: Best-of-N samplings and stepwise rounds (args, blockwise,
 * tq_star; greedy and sampled) of concurrent requests handled together with {@code --generator-batching=invariant}
 * give the very candidates (tokens and log-probabilities, bit for bit) each request gets alone with batching off,
 * and some of them did share LM calls.
 */
class GeneratorBatchingTest {

    private static LmCandidateSampler batched;
    private static LmCandidateSampler single;

    @BeforeAll
    static void load() {
        batched = withBaseline(LmCandidateSampler.load(null, 1, true)).batching(GeneratorBatching.INVARIANT);
        single = withBaseline(LmCandidateSampler.load(null, 1, true)).batching(GeneratorBatching.OFF);
    }

    private static LmCandidateSampler withBaseline(LmCandidateSampler sampler) {
        return LmCandidateSampler.bundledBaselineAvailable() ? sampler.loadBaseline(null, 1)
                : sampler.loadBaseline(java.nio.file.Path.of("../models/lm-austen"), 1);
    }

    @AfterAll
    static void close() {
        batched.close();
        single.close();
    }

    private static final String[] PROMPTS = {"It is a truth universally acknowledged", "She was", "My dear Mr. Bennet",
            "The weather was fine and"};

    private static PromptRequest request(String id, String prompt, String method, boolean greedy, long seed) {
        Strategy s = Strategy.newBuilder().setMethod(method).setN(4).setTopK(5).setMaxNewTokens(12).setTemperature(1.0)
                .setTopP(0.95).setSeed(seed).setBlockSize(4).setRolloutLength(3).setGreedy(greedy).build();
        return PromptRequest.newBuilder().setId(id).setPrompt(prompt).setStrategy(s).build();
    }

    @Test
    void theBundledModelIsProbedAndMerges() {
        assertThat(batched.batchInvariance()).isNotNull();
        assertThat(batched.merges()).as(batched.batchInvariance().detail()).isTrue();
        assertThat(single.merges()).isFalse();
    }

    @Test
    void bestOfNSamplingsMergedAreThoseSampledAlone() {
        List<LmCandidateSampler.Prompt> prompts = new ArrayList<>();
        for (int i = 0; i < 12; i++) { // every prompt twice (one length, so one class): some rows must merge
            Strategy s = request("bon-" + i, PROMPTS[i % PROMPTS.length], "best_of_n", false, 1000 + i).getStrategy();
            prompts.add(new LmCandidateSampler.Prompt(PROMPTS[i % PROMPTS.length], s));
        }
        long before = batched.mergedCalls();
        List<LmCandidateSampler.Result<CandidateSampler.Sampled>> got = batched.sampleAll(prompts);
        assertThat(batched.mergedCalls()).isGreaterThan(before);
        for (int i = 0; i < prompts.size(); i++) {
            CandidateSampler.Sampled want = single.sample(prompts.get(i).prompt(), prompts.get(i).strategy());
            assertThat(got.get(i).orThrow()).as("request %d", i).isEqualTo(want);
        }
    }

    @Test
    void stepwiseRoundsMergedAreThoseProposedAlone() {
        List<PromptRequest> requests = new ArrayList<>();
        int id = 0;
        for (String prompt : new String[] {PROMPTS[0], PROMPTS[1]}) {
            for (int copy = 0; copy < 2; copy++) {
                requests.add(request("args-" + id++, prompt, "args", true, 7 + id));
                requests.add(request("args-sampled-" + id++, prompt, "args", false, 7 + id));
                requests.add(request("blockwise-" + id++, prompt, "blockwise", false, 7 + id));
                requests.add(request("tq-" + id++, prompt, "tq_star", true, 7 + id));
                requests.add(request("tq-sampled-" + id++, prompt, "tq_star", false, 7 + id));
            }
        }
        List<DecodeState> states = new ArrayList<>();
        List<SplittableRandom> picks = new ArrayList<>();
        for (PromptRequest r : requests) {
            states.add(batched.start(r));
            picks.add(new SplittableRandom(r.getStrategy().getSeed()));
        }
        long before = batched.mergedCalls();
        int rounds = 0;
        while (!states.isEmpty()) {
            List<LmCandidateSampler.Result<List<Candidate>>> got = batched.proposeAll(states);
            List<DecodeState> next = new ArrayList<>();
            List<SplittableRandom> nextPicks = new ArrayList<>();
            for (int i = 0; i < states.size(); i++) {
                DecodeState state = states.get(i);
                List<Candidate> candidates = got.get(i).orThrow();
                assertThat(candidates).as("%s round %d", state.getRequest().getId(), state.getRound())
                        .isEqualTo(single.propose(state));
                Candidate chosen = state.getRequest().getStrategy().getGreedy() ? candidates.get(0)
                        : candidates.get(picks.get(i).nextInt(candidates.size()));
                List<Integer> tokens = new ArrayList<>(state.getTokenIds());
                tokens.addAll(chosen.getTokenIds());
                List<Float> logprobs = new ArrayList<>(state.getLogprobs());
                logprobs.addAll(chosen.getLogprobs());
                if (!"eos".equals(chosen.getFinishReason())
                        && tokens.size() < state.getRequest().getStrategy().getMaxNewTokens()) {
                    next.add(DecodeState.newBuilder(state).setTokenIds(tokens).setLogprobs(logprobs)
                            .setRound(state.getRound() + 1).build());
                    nextPicks.add(picks.get(i));
                }
            }
            states = next;
            picks = nextPicks;
            rounds++;
        }
        assertThat(rounds).isGreaterThan(3);
        assertThat(batched.mergedCalls()).as("merged readings and decodings").isGreaterThan(before + rounds);
        assertThat(batched.kvCache().size()).as("finished requests leave nothing cached").isZero();
    }

    @Test
    void anInvalidStateFailsAloneInItsBatch() {
        DecodeState good = batched.start(request("good", PROMPTS[0], "args", true, 1));
        DecodeState bad = DecodeState.newBuilder(batched.start(request("bad", PROMPTS[0], "args", true, 2)))
                .setTokenIds(new ArrayList<>(List.of(1_000_000))).setLogprobs(new ArrayList<>(List.of(0f))).build();
        List<LmCandidateSampler.Result<List<Candidate>>> got = batched.proposeAll(List.of(good, bad));
        assertThat(got.get(0).failure()).isNull();
        assertThat(got.get(0).value()).isEqualTo(single.propose(good));
        assertThat(got.get(1).failure()).isInstanceOf(InvalidRecordException.class);
        batched.kvCache().remove("good");
    }

    @Test
    void batchingModesParse() {
        assertThat(GeneratorBatching.parse("Always")).isEqualTo(GeneratorBatching.ALWAYS);
        assertThat(GeneratorBatching.parse("off")).isEqualTo(GeneratorBatching.OFF);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> GeneratorBatching.parse("sometimes"))
                .hasMessageContaining("off, invariant or always");
    }
}
