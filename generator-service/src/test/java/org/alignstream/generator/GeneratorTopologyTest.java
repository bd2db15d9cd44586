package org.alignstream.generator;

import org.alignstream.common.pipeline.Pipeline;
import static org.alignstream.common.testing.StageTestDriver.key;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.DeadLetters;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.testing.StageTestDriver;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class GeneratorTopologyTest {

    private static final AvroSerde<PromptRequest> PROMPTS = Pipeline.PROMPTS.serde();
    private static final AvroSerde<CandidateSet> CANDIDATES = Pipeline.CANDIDATES.serde();
    private static final RequestLimits LIMITS = new RequestLimits(16, 64, 200, 100);

    /**
     * A sampler whose output is a known function of the request: candidate i of prompt p is "p #i" with token ids
     * {i, i + 1, ..., i + len - 1} (len = min(3, max_new_tokens)), each token with logprob -(t + 1) / 4. The prompt's
     * "token ids" are its first characters' code points. It sleeps 3 ms per call so the stage timing is measurable, and
     * throws for the prompt "explode".
     */
    static final class FakeSampler implements CandidateSampler {
        static final ModelRef MODEL = new ModelRef("fake-lm", "abc123");
        final List<String> prompts = new ArrayList<>();
        final List<Strategy> strategies = new ArrayList<>();

        @Override
        public Sampled sample(String prompt, Strategy strategy) {
            prompts.add(prompt);
            strategies.add(strategy);
            if (prompt.equals("explode")) {
                throw new IllegalStateException("out of GPU memory");
            }
            try {
                Thread.sleep(3);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return expected(prompt, strategy);
        }

        static Sampled expected(String prompt, Strategy strategy) {
            List<Candidate> candidates = new ArrayList<>();
            int len = Math.min(3, strategy.getMaxNewTokens());
            for (int i = 0; i < strategy.getN(); i++) {
                List<Integer> ids = new ArrayList<>();
                List<Float> logprobs = new ArrayList<>();
                for (int t = 0; t < len; t++) {
                    ids.add(i + t);
                    logprobs.add(-(t + 1) / 4f);
                }
                candidates.add(new Candidate(i, prompt + " #" + i, ids, logprobs, "length", List.of(), null, List.of(), List.of()));
            }
            List<Integer> promptIds = prompt.codePoints().limit(4).boxed().toList();
            return new Sampled(promptIds, candidates);
        }

        @Override
        public ModelRef model() {
            return MODEL;
        }
    }

    /**
     * A proposer whose round-r candidates are tokens {100 r + i} for i < top_k, each with logprob -(i + 1), text
     * "round r token i"; the prompt's token ids are {4095, prompt length}.
     */
    static final class FakeProposer implements StepProposer {
        static final ModelRef MODEL = new ModelRef("fake-lm", "abc123");
        final List<DecodeState> proposed = new ArrayList<>();

        @Override
        public DecodeState start(PromptRequest request) {
            return DecodeState.newBuilder().setRequest(request)
                    .setPromptTokenIds(List.of(4095, request.getPrompt().length()))
                    .setTokenIds(new ArrayList<>()).setLogprobs(new ArrayList<>()).setGeneratorModel(MODEL).build();
        }

        @Override
        public List<Candidate> propose(DecodeState state) {
            proposed.add(state);
            List<Candidate> out = new ArrayList<>();
            for (int i = 0; i < state.getRequest().getStrategy().getTopK(); i++) {
                out.add(Candidate.newBuilder().setIndex(i).setText("round " + state.getRound() + " token " + i)
                        .setTokenIds(List.of(100 * state.getRound() + i)).setLogprobs(List.of(-(i + 1f)))
                        .setFinishReason("length").build());
            }
            return out;
        }

        @Override
        public ModelRef model() {
            return MODEL;
        }

        @Override
        public ModelRef baselineModel() {
            return null;
        }
    }

    private static final StepProposer NO_STEPS = new FakeProposer();
    private static final AvroSerde<DecodeState> STATES = Pipeline.DECODE_STEPS.serde();

    private final StageMetrics metrics = new StageMetrics(GeneratorTopology.STAGE);
    private final FakeSampler sampler = new FakeSampler();
    private StageTestDriver driver;

    @BeforeEach
    void start() {
        driver = new StageTestDriver(GeneratorTopology.build(LIMITS, sampler, NO_STEPS, metrics), GeneratorTopology.STAGE,
                Topics.PROMPTS, Topics.CANDIDATES);
    }

    @AfterEach
    void close() {
        driver.close();
    }

    private static PromptRequest request(String id, String prompt, int n) {
        return PromptRequest.newBuilder()
                .setId(id)
                .setPrompt(prompt)
                .setStrategy(Strategy.newBuilder().setMethod("best_of_n").setN(n).setMaxNewTokens(16)
                        .setTemperature(0.7).setTopK(20).setTopP(0.95).setSeed(99).build())
                .setCreatedAtMs(1_700_000_000_000L)
                .build();
    }

    private static PromptRequest request(String id, Consumer<Strategy> change) {
        PromptRequest r = request(id, "She was", 2);
        change.accept(r.getStrategy());
        return r;
    }

    @Test
    void goodRequestGivesOneCandidateSetWithTheSameKey() {
        PromptRequest request = request("r1", "It is a truth universally acknowledged", 5);
        driver.pipe("r1", PROMPTS.encode(request));

        CandidateSet set = driver.readOutput("r1", CANDIDATES);
        assertThat(driver.output().isEmpty()).isTrue();
        assertThat(driver.deadLetters().isEmpty()).isTrue();
        PromptRequest expected = RequestLimits.fillDefaults(PromptRequest.newBuilder(request).build());
        expected.setReceivedAtMs(set.getRequest().getReceivedAtMs());
        assertThat(set.getRequest()).as("the request with the method's defaults written in").isEqualTo(expected);
        assertThat(set.getRequest().getReceivedAtMs()).as("stamped when the generator read it")
                .isBetween(System.currentTimeMillis() - 60_000, System.currentTimeMillis());
        assertThat(set.getRequest().getStrategy().getBeta()).isEqualTo(0.0);
        assertThat(set.getCandidates()).hasSize(5)
                .isEqualTo(FakeSampler.expected(request.getPrompt(), request.getStrategy()).candidates());
        assertThat(set.getCandidates()).extracting(Candidate::getIndex).containsExactly(0, 1, 2, 3, 4);
        assertThat(set.getPromptTokenIds()).containsExactly((int) 'I', (int) 't', (int) ' ', (int) 'i');
        assertThat(set.getGeneratorModel()).isEqualTo(new ModelRef("fake-lm", "abc123"));
        assertThat(set.getTimingsMs()).containsOnlyKeys(GeneratorTopology.STAGE);
        // the fake sleeps 3 ms; the timing must cover the sampler call, and not be absurdly large
        assertThat(set.getTimingsMs().get(GeneratorTopology.STAGE)).isBetween(2.5, 5_000.0);

        assertThat(sampler.prompts).containsExactly(request.getPrompt());
        assertThat(sampler.strategies).containsExactly(set.getRequest().getStrategy());
        assertThat(metrics.recordsIn()).isEqualTo(1);
        assertThat(metrics.recordsOut()).isEqualTo(1);
        assertThat(metrics.inferences("fake-lm")).isEqualTo(1);
        assertThat(metrics.inferenceSeconds("fake-lm")).isGreaterThanOrEqualTo(0.0025);
        assertThat(metrics.batches()).isEqualTo(1);
    }

    private record Bad(String key, byte[] value, String reasonClass, String reasonFragment) {
    }

    @Test
    void badRecordsGoToDeadLettersWithTheirReasonAndBytesAndGoodOnesStillPass() {
        byte[] good = PROMPTS.encode(request("ok-1", "She was", 3));
        byte[] truncated = Arrays.copyOf(good, good.length - 4);
        byte[] otherType = CANDIDATES.encode(CandidateSet.newBuilder()
                .setRequest(request("c", "x", 1)).setPromptTokenIds(List.of(1)).setCandidates(List.of())
                .setGeneratorModel(new ModelRef("m", "1")).build());
        List<Bad> bad = List.of(
                new Bad("garbage", "definitely not avro".getBytes(StandardCharsets.UTF_8), SafeStage.DECODE,
                        "not Avro single-object encoding"),
                new Bad("truncated", truncated, SafeStage.DECODE, "truncated or corrupt"),
                new Bad("other-type", otherType, SafeStage.DECODE,
                        "wrong record type, the bytes hold a org.alignstream.avro.CandidateSet"),
                new Bad("empty-prompt", PROMPTS.encode(request("empty-prompt", "", 2)), SafeStage.INVALID,
                        "prompt is empty"),
                new Bad("n0", PROMPTS.encode(request("n0", s -> s.setN(-1))), SafeStage.INVALID,
                        "n must be between 1 and 16, was -1"),
                new Bad("n10000", PROMPTS.encode(request("n10000", s -> s.setN(10_000))), SafeStage.INVALID,
                        "n must be between 1 and 16, was 10000"),
                new Bad("method", PROMPTS.encode(request("method", s -> s.setMethod("mcts"))), SafeStage.INVALID,
                        "unknown method 'mcts'"),
                new Bad("nan-temp", PROMPTS.encode(request("nan-temp", s -> s.setTemperature(Double.NaN))),
                        SafeStage.INVALID, "temperature must be finite and >= 0 (0 = greedy), was NaN"),
                new Bad("explode", PROMPTS.encode(request("explode", "explode", 2)), SafeStage.ERROR,
                        "IllegalStateException: out of GPU memory"));

        long offset = 0;
        Map<String, DeadLetter> byKey = new HashMap<>();
        for (Bad b : bad) {
            driver.pipe(b.key(), b.value());
            assertThat(driver.output().isEmpty()).as(b.key()).isTrue();
            DeadLetter dl = driver.readDeadLetter(b.key(), b.value());
            assertThat(driver.deadLetters().isEmpty()).as(b.key()).isTrue();
            assertThat(dl.getReason()).as(b.key()).contains(b.reasonFragment());
            assertThat(dl.getSourceOffset()).isEqualTo(offset++);
            assertThat(DeadLetters.bytes(dl.getOriginalKey())).isEqualTo(key(b.key()));
            byKey.put(b.key(), dl);
        }
        assertThat(byKey.get("n0").getReason()).isEqualTo("invalid PromptRequest: n must be between 1 and 16, was -1");
        assertThat(byKey.get("explode").getReason()).startsWith("stage generator failed on a PromptRequest");
        assertThat(byKey.get("explode").getErrorClass()).isEqualTo(IllegalStateException.class.getName());

        driver.pipe("ok-1", good);
        assertThat(driver.readOutput("ok-1", CANDIDATES).getCandidates()).hasSize(3);
        assertThat(driver.deadLetters().isEmpty()).isTrue();

        // invalid requests never reach the model; the throwing one and the good one do
        assertThat(sampler.prompts).containsExactly("explode", "She was");
        assertThat(metrics.recordsIn()).isEqualTo(bad.size() + 1);
        assertThat(metrics.recordsOut()).isEqualTo(1);
        assertThat(metrics.deadLetters(SafeStage.DECODE)).isEqualTo(3);
        assertThat(metrics.deadLetters(SafeStage.INVALID)).isEqualTo(5);
        assertThat(metrics.deadLetters(SafeStage.ERROR)).isEqualTo(1);
        assertThat(metrics.inferences("fake-lm")).isEqualTo(1);
    }

    @Test
    void stepwiseRequestStartsItsFirstRoundAndDecodeStepsContinue() {
        FakeProposer proposer = new FakeProposer();
        driver.close();
        driver = new StageTestDriver(GeneratorTopology.build(LIMITS, sampler, proposer, metrics),
                GeneratorTopology.STAGE, Topics.PROMPTS, Topics.CANDIDATES);
        PromptRequest request = request("s1", s -> {
            s.setMethod("args");
            s.setTopK(3);
            s.setMaxNewTokens(4);
        });
        driver.pipe("s1", PROMPTS.encode(request));
        CandidateSet first = driver.readOutput("s1", CANDIDATES);
        assertThat(first.getDecodeState()).isNotNull();
        assertThat(first.getDecodeState().getRound()).isZero();
        assertThat(first.getDecodeState().getTokenIds()).isEmpty();
        assertThat(first.getPromptTokenIds()).containsExactly(4095, 7);
        assertThat(first.getCandidates()).extracting(Candidate::getTokenIds)
                .containsExactly(List.of(0), List.of(1), List.of(2));
        assertThat(sampler.prompts).isEmpty(); // stepwise requests never sample whole responses

        DecodeState next = DecodeState.newBuilder(first.getDecodeState()).setTokenIds(List.of(1))
                .setLogprobs(List.of(-2f)).setRound(1).build();
        driver.pipe(Topics.DECODE_STEPS, "s1", STATES.encode(next));
        CandidateSet second = driver.readOutput("s1", CANDIDATES);
        assertThat(second.getDecodeState()).isEqualTo(next);
        assertThat(second.getCandidates()).extracting(Candidate::getTokenIds)
                .containsExactly(List.of(100), List.of(101), List.of(102));
        assertThat(proposer.proposed).hasSize(2);

        // a finished, overfull or unreadable state is dead-lettered with the decode-steps topic as its source
        byte[] finished = STATES.encode(DecodeState.newBuilder(next).setFinished(true).build());
        driver.pipe(Topics.DECODE_STEPS, "s1", finished);
        assertThat(driver.readDeadLetter(Topics.DECODE_STEPS, "s1", finished).getReason())
                .isEqualTo("invalid DecodeState: request s1: the decoding is already finished");
        byte[] full = STATES.encode(DecodeState.newBuilder(next).setTokenIds(List.of(1, 2, 3, 4))
                .setLogprobs(List.of(-1f, -1f, -1f, -1f)).build());
        driver.pipe(Topics.DECODE_STEPS, "s1", full);
        assertThat(driver.readDeadLetter(Topics.DECODE_STEPS, "s1", full).getReason())
                .contains("already has 4 tokens, max_new_tokens is 4");
        byte[] garbage = "not a state".getBytes(StandardCharsets.UTF_8);
        driver.pipe(Topics.DECODE_STEPS, "s1", garbage);
        assertThat(driver.readDeadLetter(Topics.DECODE_STEPS, "s1", garbage).getReason())
                .contains("not Avro single-object encoding");
        assertThat(driver.output().isEmpty()).isTrue();
        assertThat(proposer.proposed).hasSize(2);
    }

    @Test
    void tombstoneGoesToDeadLetters() {
        driver.pipe("gone", null);
        DeadLetter dl = DeadLetters.serde().decode(driver.deadLetters().readValue());
        assertThat(dl.getReason()).contains("null").contains("PromptRequest");
        assertThat(dl.getOriginalValue()).isNull();
        assertThat(driver.output().isEmpty()).isTrue();
        assertThat(metrics.deadLetters(SafeStage.NULL_INPUT)).isEqualTo(1);
    }

    @Test
    void manyRequestsKeepTheirKeysAndOrder() {
        for (int i = 1; i <= 6; i++) {
            driver.pipe("k" + i, PROMPTS.encode(request("k" + i, "prompt " + i, i)));
        }
        List<KeyValue<byte[], byte[]>> out = driver.output().readKeyValuesToList();
        assertThat(out).hasSize(6);
        for (int i = 1; i <= 6; i++) {
            KeyValue<byte[], byte[]> kv = out.get(i - 1);
            assertThat(new String(kv.key, StandardCharsets.UTF_8)).isEqualTo("k" + i);
            CandidateSet set = CANDIDATES.decode(kv.value);
            String prompt = "prompt " + i;
            assertThat(set.getRequest().getId()).isEqualTo("k" + i);
            assertThat(set.getCandidates()).hasSize(i)
                    .allSatisfy(c -> assertThat(c.getText()).startsWith(prompt + " #"));
        }
        assertThat(metrics.recordsOut()).isEqualTo(6);
        assertThat(metrics.batches()).isEqualTo(6);
    }
}
