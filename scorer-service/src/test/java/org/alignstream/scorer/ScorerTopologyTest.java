package org.alignstream.scorer;

import org.alignstream.common.pipeline.Pipeline;
import static org.alignstream.common.testing.StageTestDriver.key;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.Strategy;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.testing.StageTestDriver;
import org.alignstream.common.topics.Topics;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.TokenCredit;
import org.alignstream.inference.reward.ResponseCredit;
import org.alignstream.inference.reward.RewardModel;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ScorerTopologyTest {

    static final AvroSerde<CandidateSet> CANDIDATES = Pipeline.CANDIDATES.serde();
    static final AvroSerde<ScoredCandidateSet> SCORED = Pipeline.SCORED_CANDIDATES.serde();

    /**
     * Reward = length of the response text. Records every call (prompt and batch); throws for the prompt "explode" and
     * returns one reward too few for the prompt "short".
     */
    static class LengthRewardModel implements RewardModel {
        final List<String> prompts = new ArrayList<>();
        final List<List<String>> batches = new ArrayList<>();

        @Override
        public String id() {
            return "fake-length";
        }

        @Override
        public String version() {
            return "v3";
        }

        @Override
        public String kind() {
            return FULL_SEQUENCE;
        }

        @Override
        public double[] score(String prompt, List<String> responses) {
            prompts.add(prompt);
            batches.add(List.copyOf(responses));
            if (prompt.equals("explode")) {
                throw new IllegalStateException("reward model session is closed");
            }
            int n = prompt.equals("short") ? responses.size() - 1 : responses.size();
            double[] r = new double[n];
            for (int i = 0; i < n; i++) {
                r[i] = responses.get(i).length();
            }
            return r;
        }

        @Override
        public float[][] embed(List<String> texts) {
            throw new UnsupportedOperationException("no embeddings");
        }

        @Override
        public boolean hasEmbeddings() {
            return false;
        }

        @Override
        public void close() {
        }
    }

    private final StageMetrics metrics = new StageMetrics(ScorerTopology.STAGE);
    private final LengthRewardModel rewardModel = new LengthRewardModel();
    private StageTestDriver driver;

    @BeforeEach
    void start() {
        driver = new StageTestDriver(ScorerTopology.build(ScorerConfig.DEFAULT, new RewardModelRegistry(rewardModel),
                metrics), ScorerTopology.STAGE, Topics.CANDIDATES, Topics.SCORED_CANDIDATES);
    }

    @AfterEach
    void close() {
        driver.close();
    }

    /** A candidate set whose candidate i has text {@code texts[i]} and token ids {i, 100 + i}. */
    static CandidateSet candidateSet(String id, String prompt, List<String> texts) {
        List<Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            candidates.add(new Candidate(i, texts.get(i), List.of(i, 100 + i), List.of(-0.5f, -1.5f),
                    i % 2 == 0 ? "length" : "eos", List.of(), null, List.of(), List.of()));
        }
        PromptRequest request = PromptRequest.newBuilder().setId(id).setPrompt(prompt)
                .setStrategy(Strategy.newBuilder().setN(Math.max(1, texts.size())).setSeed(11).build())
                .setCreatedAtMs(1_700_000_000_123L).build();
        return CandidateSet.newBuilder()
                .setRequest(request)
                .setPromptTokenIds(List.of(4095, 17, 23))
                .setCandidates(candidates)
                .setGeneratorModel(new ModelRef("lm-austen", "0123456789ab"))
                .setTimingsMs(Map.of("generator", 12.5))
                .build();
    }

    @Test
    void rewardsAlignedWithCandidatesAndModelStamped() {
        CandidateSet set = candidateSet("r1", "She was", List.of("a", "bbbb", "cc"));
        driver.pipe("r1", CANDIDATES.encode(set));

        ScoredCandidateSet scored = driver.readOutput("r1", SCORED);
        assertThat(driver.output().isEmpty()).isTrue();
        assertThat(driver.deadLetters().isEmpty()).isTrue();
        assertThat(scored.getRewards()).containsExactly(1.0, 4.0, 2.0);
        assertThat(scored.getCandidates()).isEqualTo(set.getCandidates());
        assertThat(scored.getRequest()).isEqualTo(set.getRequest());
        assertThat(scored.getPromptTokenIds()).isEqualTo(set.getPromptTokenIds());
        assertThat(scored.getGeneratorModel()).isEqualTo(set.getGeneratorModel());
        assertThat(scored.getRewardModel()).isEqualTo(new ModelRef("fake-length", "v3"));
        assertThat(scored.getTimingsMs()).containsOnlyKeys("generator", ScorerTopology.STAGE)
                .containsEntry("generator", 12.5);
        assertThat(scored.getTimingsMs().get(ScorerTopology.STAGE)).isBetween(0.0, 5_000.0);

        assertThat(rewardModel.prompts).containsExactly("She was");
        assertThat(rewardModel.batches).containsExactly(List.of("a", "bbbb", "cc"));
        assertThat(metrics.inferences("fake-length")).isEqualTo(1);
        assertThat(metrics.batches()).isEqualTo(1);
    }

    @Test
    void oneScoreCallPerRecordWithAllItsTexts() {
        int records = 6;
        for (int r = 1; r <= records; r++) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < r; i++) {
                texts.add("x".repeat(i + r));
            }
            driver.pipe("k" + r, CANDIDATES.encode(candidateSet("k" + r, "prompt " + r, texts)));
        }
        List<KeyValue<byte[], byte[]>> out = driver.output().readKeyValuesToList();
        assertThat(out).hasSize(records);
        assertThat(rewardModel.batches).hasSize(records);
        assertThat(rewardModel.batches.stream().map(List::size).toList()).containsExactly(1, 2, 3, 4, 5, 6);
        assertThat(rewardModel.prompts).containsExactly("prompt 1", "prompt 2", "prompt 3", "prompt 4", "prompt 5",
                "prompt 6");
        for (int r = 1; r <= records; r++) {
            ScoredCandidateSet scored = SCORED.decode(out.get(r - 1).value);
            assertThat(out.get(r - 1).key).isEqualTo(key("k" + r));
            assertThat(scored.getRewards()).hasSize(r);
            for (int i = 0; i < r; i++) {
                assertThat(scored.getRewards().get(i)).isEqualTo(i + r);
            }
        }
        assertThat(metrics.inferences("fake-length")).isEqualTo(records);
        assertThat(metrics.batches()).isEqualTo(records);
        assertThat(metrics.recordsIn()).isEqualTo(records);
        assertThat(metrics.recordsOut()).isEqualTo(records);
    }

    @Test
    void emptyCandidateListGoesToDeadLettersWithoutAModelCall() {
        byte[] empty = CANDIDATES.encode(candidateSet("empty", "She was", List.of()));
        driver.pipe("empty", empty);
        DeadLetter dl = driver.readDeadLetter("empty", empty);
        assertThat(dl.getReason()).isEqualTo("invalid CandidateSet: candidate set for request empty has no candidates");
        assertThat(driver.output().isEmpty()).isTrue();
        assertThat(rewardModel.batches).isEmpty();
        assertThat(metrics.deadLetters(SafeStage.INVALID)).isEqualTo(1);
    }

    @Test
    void failingRewardModelGoesToDeadLettersAndTheNextRecordIsStillScored() {
        byte[] exploding = CANDIDATES.encode(candidateSet("boom", "explode", List.of("a", "b")));
        byte[] tooFew = CANDIDATES.encode(candidateSet("few", "short", List.of("a", "bb", "ccc")));
        byte[] garbage = "not a candidate set".getBytes(StandardCharsets.UTF_8);
        driver.pipe("boom", exploding);
        driver.pipe("few", tooFew);
        driver.pipe("garbage", garbage);
        driver.pipe("good", CANDIDATES.encode(candidateSet("good", "She was", List.of("abc", "de"))));

        assertThat(driver.readDeadLetter("boom", exploding).getReason())
                .isEqualTo("stage scorer failed on a CandidateSet: IllegalStateException: reward model session is closed");
        assertThat(driver.readDeadLetter("few", tooFew).getReason())
                .contains("reward model returned 2 rewards for 3 candidates");
        assertThat(driver.readDeadLetter("garbage", garbage).getReason()).contains("cannot decode CandidateSet");
        assertThat(driver.deadLetters().isEmpty()).isTrue();

        assertThat(driver.readOutput("good", SCORED).getRewards()).containsExactly(3.0, 2.0);
        assertThat(driver.output().isEmpty()).isTrue();

        assertThat(metrics.recordsIn()).isEqualTo(4);
        assertThat(metrics.recordsOut()).isEqualTo(1);
        assertThat(metrics.deadLetters(SafeStage.ERROR)).isEqualTo(2);
        assertThat(metrics.deadLetters(SafeStage.DECODE)).isEqualTo(1);
    }

    /** Sets the pipeline would never make, each dead-lettered with its reason and none ever reaching the model. */
    @Test
    void invalidSetsAreDeadLetteredBeforeAnyModelCall() {
        driver.close();
        driver = new StageTestDriver(ScorerTopology.build(
                ScorerConfig.DEFAULT.withLimits(new ScorerConfig.Limits(4, 50)), new RewardModelRegistry(rewardModel),
                metrics), ScorerTopology.STAGE, Topics.CANDIDATES,
                Topics.SCORED_CANDIDATES);
        java.util.function.Function<java.util.function.Consumer<CandidateSet>, CandidateSet> bad = change -> {
            CandidateSet set = candidateSet("b", "She was", List.of("a", "bb"));
            change.accept(set);
            return set;
        };
        DecodeState round0 = DecodeState.newBuilder().setRequest(candidateSet("b", "She was", List.of("a")).getRequest())
                .setPromptTokenIds(List.of(1)).setTokenIds(List.of()).setLogprobs(List.of()).build();
        Object[][] cases = {
            {"method", bad.apply(c -> c.getRequest().getStrategy().setMethod("mcts")), "unknown method 'mcts'"},
            {"beta", bad.apply(c -> c.getRequest().getStrategy().setBeta(Double.NaN)), "beta must be finite, was NaN"},
            {"top-p", bad.apply(c -> c.getRequest().getStrategy().setTopP(1.5)), "top_p must be in (0, 1], was 1.5"},
            {"n", bad.apply(c -> c.getRequest().getStrategy().setN(3)),
                "request b asks for 3 candidates (n) but the set has 2"},
            {"too-many", candidateSet("b", "She was", List.of("a", "b", "c", "d", "e")),
                "candidate set for request b has 5 candidates, the limit is 4"},
            {"long-text", bad.apply(c -> c.getCandidates().get(1).setText("x".repeat(51))),
                "request b: candidate 1 text has 51 characters, the limit is 50"},
            {"long-prompt", bad.apply(c -> c.getRequest().setPrompt("p".repeat(51))),
                "request b: prompt has 51 characters, the limit is 50"},
            {"index", bad.apply(c -> c.getCandidates().get(1).setIndex(7)), "request b: candidate 1 has index 7"},
            {"logprobs", bad.apply(c -> c.getCandidates().get(0).setLogprobs(List.of(-1f))),
                "request b: candidate 0 has 2 tokens but 1 log-probabilities"},
            {"nan-logprob", bad.apply(c -> c.getCandidates().get(0).setLogprobs(List.of(-1f, Float.NaN))),
                "request b: candidate 0 token 1 has log-probability NaN"},
            {"no-tokens", bad.apply(c -> {
                c.getCandidates().get(0).setTokenIds(List.of());
                c.getCandidates().get(0).setLogprobs(List.of());
            }), "request b: candidate 0 has 0 tokens, expected 1 to 32"},
            {"finish", bad.apply(c -> c.getCandidates().get(1).setFinishReason("tired")),
                "request b: candidate 1 has finish_reason 'tired'"},
            {"rollout", bad.apply(c -> c.getCandidates().get(1).setRolloutTokenIds(List.of(1))),
                "request b: candidate 1 has a rollout of 1 tokens, at most 0 allowed for best_of_n"},
            {"state-for-whole", bad.apply(c -> c.setDecodeState(round0)),
                "request b: best_of_n is a whole-response method but the set carries a decoding state"},
            {"no-state", bad.apply(c -> {
                c.getRequest().getStrategy().setMethod("args");
                c.getRequest().getStrategy().setTopK(2);
            }), "request b: args is a stepwise method and needs a decoding state (decode_state is null)"},
            {"finished-state", bad.apply(c -> {
                c.getRequest().getStrategy().setMethod("blockwise");
                c.getRequest().getStrategy().setBlockSize(2);
                c.setDecodeState(DecodeState.newBuilder().setRequest(c.getRequest()).setPromptTokenIds(List.of(1))
                        .setTokenIds(List.of()).setLogprobs(List.of()).setFinished(true).build());
            }), "request b: the decoding is already finished"},
            {"other-request", bad.apply(c -> {
                c.getRequest().getStrategy().setMethod("blockwise");
                c.getRequest().getStrategy().setBlockSize(2);
                c.setDecodeState(round0);
            }), "request b: the decoding state carries a different request"},
        };
        for (Object[] c : cases) {
            byte[] bytes = CANDIDATES.encode((CandidateSet) c[1]);
            driver.pipe((String) c[0], bytes);
            assertThat(driver.readDeadLetter((String) c[0], bytes).getReason()).as((String) c[0])
                    .startsWith("invalid CandidateSet: ").contains((String) c[2]);
        }
        assertThat(driver.output().isEmpty()).isTrue();
        assertThat(rewardModel.batches).as("model calls for invalid sets").isEmpty();
        assertThat(metrics.inferences("fake-length")).isZero();
        assertThat(metrics.deadLetters(SafeStage.INVALID)).isEqualTo(cases.length);

        // a valid blockwise round still goes through
        CandidateSet block = bad.apply(c -> {
            c.getRequest().getStrategy().setMethod("blockwise");
            c.getRequest().getStrategy().setBlockSize(2);
            c.setDecodeState(DecodeState.newBuilder().setRequest(c.getRequest()).setPromptTokenIds(List.of(1))
                    .setTokenIds(List.of()).setLogprobs(List.of()).build());
        });
        driver.pipe("block", CANDIDATES.encode(block));
        assertThat(driver.readOutput("block", SCORED).getRewards()).containsExactly(1.0, 2.0);
    }

    // ------------------------------------------------------------------ several reward models

    /** Reward = number of 'a's; kind partial-sequence; embeddings = (length, count of 'a'), from the same pass. */
    static class CountingModel implements RewardModel {
        final List<List<String>> batches = new ArrayList<>();

        @Override
        public String id() {
            return "count-a";
        }

        @Override
        public String version() {
            return "7";
        }

        @Override
        public String kind() {
            return "partial-sequence";
        }

        @Override
        public double[] score(String prompt, List<String> responses) {
            batches.add(List.copyOf(responses));
            return responses.stream().mapToDouble(r -> r.chars().filter(c -> c == 'a').count()).toArray();
        }

        @Override
        public RewardsAndEmbeddings scoreAndEmbed(String prompt, List<String> responses) {
            double[] rewards = score(prompt, responses);
            float[][] e = new float[responses.size()][];
            for (int i = 0; i < e.length; i++) {
                e[i] = new float[] {responses.get(i).length(), (float) rewards[i]};
            }
            return new RewardsAndEmbeddings(rewards, e);
        }

        @Override
        public float[][] embed(List<String> texts) {
            return scoreAndEmbed("", texts).embeddings();
        }

        @Override
        public boolean hasEmbeddings() {
            return true;
        }

        @Override
        public void close() {
        }
    }

    @Test
    void aRequestChoosesItsRewardModelAndGetsEmbeddingsOrBaselineRewardsWhenItsMethodNeedsThem() {
        CountingModel counting = new CountingModel();
        driver.close();
        driver = new StageTestDriver(ScorerTopology.build(ScorerConfig.DEFAULT,
                new RewardModelRegistry(rewardModel).add(counting), metrics),
                ScorerTopology.STAGE, Topics.CANDIDATES, Topics.SCORED_CANDIDATES);

        // default model for a request that names none
        driver.pipe("default", CANDIDATES.encode(candidateSet("default", "p", List.of("aa", "b"))));
        ScoredCandidateSet byDefault = driver.readOutput("default", SCORED);
        assertThat(byDefault.getRewardModel()).isEqualTo(new ModelRef("fake-length", "v3"));
        assertThat(byDefault.getRewardModelKind()).isEqualTo(RewardModel.FULL_SEQUENCE);
        assertThat(byDefault.getEmbeddings()).isEmpty();

        // rbon_wd with the counting model: its rewards, kind and embeddings from one call
        CandidateSet wd = candidateSet("wd", "p", List.of("aab", "b", "a"));
        wd.getRequest().getStrategy().setMethod("rbon_wd");
        wd.getRequest().getStrategy().setRewardModel("count-a");
        driver.pipe("wd", CANDIDATES.encode(wd));
        ScoredCandidateSet scoredWd = driver.readOutput("wd", SCORED);
        assertThat(scoredWd.getRewards()).containsExactly(2.0, 0.0, 1.0);
        assertThat(scoredWd.getRewardModelKind()).isEqualTo("partial-sequence");
        assertThat(scoredWd.getEmbeddings()).containsExactly(List.of(3f, 2f), List.of(1f, 0f), List.of(1f, 1f));
        assertThat(counting.batches).hasSize(1);

        // rbon_wd with a model without embeddings is the request's error
        CandidateSet wdNoEmbeddings = candidateSet("wd-no", "p", List.of("a", "b"));
        wdNoEmbeddings.getRequest().getStrategy().setMethod("rbon_wd");
        byte[] wdNoBytes = CANDIDATES.encode(wdNoEmbeddings);
        driver.pipe("wd-no", wdNoBytes);
        assertThat(driver.readDeadLetter("wd-no", wdNoBytes).getReason())
                .contains("rbon_wd needs sentence embeddings and reward model 'fake-length' has none");

        // indirect Transfer Q*: target rewards from count-a, baseline rewards from fake-length, state copied
        CandidateSet tq = candidateSet("tq", "p", List.of("aaa", "bb"));
        Strategy s = tq.getRequest().getStrategy();
        s.setMethod("tq_star");
        s.setTopK(2);
        s.setRolloutLength(3);
        s.setBeta(0.5);
        s.setTransfer("indirect");
        for (Candidate c : tq.getCandidates()) { // a tokenwise round: one token each, with its rollout
            c.setTokenIds(List.of(7 + c.getIndex()));
            c.setLogprobs(List.of(-0.5f));
            c.setRolloutTokenIds(List.of(1, 2, 3));
        }
        s.setRewardModel("count-a");
        s.setBaselineRewardModel("fake-length");
        tq.setDecodeState(org.alignstream.avro.DecodeState.newBuilder().setRequest(tq.getRequest())
                .setPromptTokenIds(List.of(1)).setTokenIds(List.of()).setLogprobs(List.of()).setRound(0).build());
        driver.pipe("tq", CANDIDATES.encode(tq));
        ScoredCandidateSet scoredTq = driver.readOutput("tq", SCORED);
        assertThat(scoredTq.getRewards()).containsExactly(3.0, 0.0);
        assertThat(scoredTq.getBaselineRewards()).containsExactly(3.0, 2.0);
        assertThat(scoredTq.getDecodeState()).isEqualTo(tq.getDecodeState());

        // an unknown reward model id is dead-lettered before any model call
        CandidateSet unknown = candidateSet("unknown", "p", List.of("a"));
        unknown.getRequest().getStrategy().setRewardModel("nope");
        byte[] unknownBytes = CANDIDATES.encode(unknown);
        int calls = counting.batches.size() + rewardModel.batches.size();
        driver.pipe("unknown", unknownBytes);
        assertThat(driver.readDeadLetter("unknown", unknownBytes).getReason())
                .isEqualTo("invalid CandidateSet: unknown reward model 'nope'; this scorer serves [fake-length, count-a]");
        assertThat(counting.batches.size() + rewardModel.batches.size()).isEqualTo(calls);
        assertThat(driver.output().isEmpty()).isTrue();
    }

    /** A tokenwise round of {@code method} over {@code texts}: one token each, with the decoding state. */
    private static CandidateSet round(String id, String method, List<String> texts) {
        CandidateSet set = candidateSet(id, "p", texts);
        Strategy s = set.getRequest().getStrategy();
        s.setMethod(method);
        s.setTopK(texts.size());
        for (Candidate c : set.getCandidates()) {
            c.setTokenIds(List.of(7 + c.getIndex()));
            c.setLogprobs(List.of(-0.5f));
            c.setFinishReason("length");
        }
        set.setDecodeState(org.alignstream.avro.DecodeState.newBuilder().setRequest(set.getRequest())
                .setPromptTokenIds(List.of(1)).setTokenIds(List.of()).setLogprobs(List.of()).setRound(0).build());
        return set;
    }

    @Test
    void pargsGetsAPartialSequenceModelAndRefusesAFullSequenceOneUnlessTheRequestSaysSo() {
        CountingModel partial = new CountingModel(); // kind partial-sequence; the default, fake-length, is full
        driver.close();
        driver = new StageTestDriver(ScorerTopology.build(ScorerConfig.DEFAULT,
                new RewardModelRegistry(rewardModel).add(partial), metrics),
                ScorerTopology.STAGE, Topics.CANDIDATES, Topics.SCORED_CANDIDATES);

        // a bare pargs request: the served partial-sequence model, not the full-sequence default
        driver.pipe("bare", CANDIDATES.encode(round("bare", "pargs", List.of("aa", "b"))));
        ScoredCandidateSet bare = driver.readOutput("bare", SCORED);
        assertThat(bare.getRewardModel().getId()).isEqualTo("count-a");
        assertThat(bare.getRewardModelKind()).isEqualTo("partial-sequence");

        // naming the full-sequence model: refused with the reason, before any model call
        CandidateSet full = round("full", "pargs", List.of("aa", "b"));
        full.getRequest().getStrategy().setRewardModel("fake-length");
        full.getDecodeState().setRequest(full.getRequest());
        byte[] fullBytes = CANDIDATES.encode(full);
        int calls = rewardModel.batches.size();
        driver.pipe("full", fullBytes);
        assertThat(driver.readDeadLetter("full", fullBytes).getReason()).isEqualTo("invalid CandidateSet: pargs expects"
                + " a partial-sequence reward model and 'fake-length' is full-sequence; set reward_model_kind to "
                + "'full-sequence' to use it anyway");
        assertThat(rewardModel.batches).hasSize(calls);

        // ... unless the request says so explicitly
        CandidateSet explicit = round("explicit", "pargs", List.of("aa", "b"));
        explicit.getRequest().getStrategy().setRewardModel("fake-length");
        explicit.getRequest().getStrategy().setRewardModelKind("full-sequence");
        explicit.getDecodeState().setRequest(explicit.getRequest());
        driver.pipe("explicit", CANDIDATES.encode(explicit));
        assertThat(driver.readOutput("explicit", SCORED).getRewardModel().getId()).isEqualTo("fake-length");

        // args takes any kind, the default included
        driver.pipe("args", CANDIDATES.encode(round("args", "args", List.of("aa", "b"))));
        assertThat(driver.readOutput("args", SCORED).getRewardModel().getId()).isEqualTo("fake-length");

        // a scorer without a partial-sequence model refuses a bare pargs request with the reason
        driver.close();
        driver = new StageTestDriver(ScorerTopology.build(ScorerConfig.DEFAULT, new RewardModelRegistry(rewardModel),
                metrics), ScorerTopology.STAGE, Topics.CANDIDATES, Topics.SCORED_CANDIDATES);
        byte[] noneBytes = CANDIDATES.encode(round("none", "pargs", List.of("aa", "b")));
        driver.pipe("none", noneBytes);
        assertThat(driver.readDeadLetter("none", noneBytes).getReason())
                .contains("pargs expects a partial-sequence reward model and this scorer serves none");
    }

    @Test
    void transferQStarsExtraRolloutsAreScoredInTheSameCallAndReturnedPerCandidate() {
        CountingModel counting = new CountingModel();
        driver.close();
        driver = new StageTestDriver(ScorerTopology.build(ScorerConfig.DEFAULT,
                new RewardModelRegistry(rewardModel).add(counting), metrics),
                ScorerTopology.STAGE, Topics.CANDIDATES, Topics.SCORED_CANDIDATES);
        CandidateSet tq = round("tq", "tq_star", List.of("aaa", "bb"));
        Strategy s = tq.getRequest().getStrategy();
        s.setRolloutLength(3);
        s.setRollouts(3);
        s.setTransfer("indirect");
        s.setRewardModel("count-a");
        s.setBaselineRewardModel("fake-length");
        tq.getDecodeState().setRequest(tq.getRequest());
        List<List<String>> extras = List.of(List.of("a", "aaaa"), List.of("bab", "bbbbb"));
        for (Candidate c : tq.getCandidates()) {
            c.setRolloutTokenIds(List.of(1, 2, 3));
            c.setExtraRolloutTokenIds(List.of(List.of(4, 5), List.of(6)));
            c.setExtraRolloutTexts(extras.get(c.getIndex()));
        }
        driver.pipe("tq", CANDIDATES.encode(tq));
        ScoredCandidateSet scored = driver.readOutput("tq", SCORED);
        assertThat(counting.batches).containsExactly(List.of("aaa", "bb", "a", "aaaa", "bab", "bbbbb"));
        assertThat(scored.getRewards()).containsExactly(3.0, 0.0);
        assertThat(scored.getExtraRolloutRewards()).containsExactly(List.of(1.0, 4.0), List.of(1.0, 0.0));
        assertThat(scored.getBaselineRewards()).containsExactly(3.0, 2.0);
        assertThat(scored.getExtraRolloutBaselineRewards()).containsExactly(List.of(1.0, 4.0), List.of(3.0, 5.0));
    }

    @Test
    void registryIdsAreUniqueAndItClosesEveryModel() {
        List<String> closed = new ArrayList<>();
        LengthRewardModel a = new LengthRewardModel() {
            @Override
            public void close() {
                closed.add("a");
            }
        };
        CountingModel b = new CountingModel() {
            @Override
            public void close() {
                closed.add("b");
            }
        };
        RewardModelRegistry registry = new RewardModelRegistry(a).add(b);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> registry.add(new CountingModel()))
                .hasMessageContaining("two reward models have the id 'count-a'");
        assertThat(registry.resolve(null)).isSameAs(a);
        assertThat(registry.resolve("count-a")).isSameAs(b);
        registry.close();
        assertThat(closed).containsExactly("a", "b");
    }

    // ------------------------------------------------------------------ per-token credit

    /**
     * Reward = number of characters; credit = each character its share (beta * 1 + the (1 - beta) rest on the last);
     * records what each call asked for.
     */
    static class CharCreditModel extends LengthRewardModel {
        final List<RewardModel.Outputs> asked = new ArrayList<>();

        @Override
        public String id() {
            return "chars";
        }

        @Override
        public boolean hasTokenCredit() {
            return true;
        }

        @Override
        public Scores score(String prompt, List<String> responses, Outputs outputs) {
            asked.add(outputs);
            double[] rewards = score(prompt, responses);
            if (!outputs.credit()) {
                return new Scores(rewards, null, null);
            }
            List<ResponseCredit> credits = new ArrayList<>();
            for (String r : responses) {
                double[] c = new double[r.length()];
                for (int t = 0; t < c.length; t++) {
                    c[t] = outputs.creditBeta() + (t == c.length - 1 ? (1 - outputs.creditBeta()) * c.length : 0);
                }
                credits.add(new ResponseCredit(r.chars().mapToObj(ch -> String.valueOf((char) ch)).toList(), c));
            }
            return new Scores(rewards, null, credits);
        }
    }

    private StageTestDriver creditDriver(RewardModel model, ScorerConfig.CreditOptions options) {
        driver.close();
        driver = new StageTestDriver(ScorerTopology.build(ScorerConfig.DEFAULT.withCredit(options),
                new RewardModelRegistry(model), metrics),
                ScorerTopology.STAGE, Topics.CANDIDATES, Topics.SCORED_CANDIDATES);
        return driver;
    }

    @Test
    void eachCandidatesCreditIsStampedAndSumsToItsReward() {
        CharCreditModel model = new CharCreditModel();
        creditDriver(model, new ScorerConfig.CreditOptions(true, 0.25));
        driver.pipe("c", CANDIDATES.encode(candidateSet("c", "p", List.of("ab", "xyz", ""))));
        ScoredCandidateSet scored = driver.readOutput("c", SCORED);
        assertThat(scored.getRewards()).containsExactly(2.0, 3.0, 0.0);
        assertThat(scored.getTokenCredits()).hasSize(3);
        assertThat(scored.getTokenCredits().get(0)).containsExactly(new TokenCredit("a", 0.25), new TokenCredit("b", 1.75));
        assertThat(scored.getTokenCredits().get(2)).isEmpty();
        for (int i = 0; i < 3; i++) {
            double sum = scored.getTokenCredits().get(i).stream().mapToDouble(TokenCredit::getCredit).sum();
            assertThat(sum).isCloseTo(scored.getRewards().get(i), org.assertj.core.data.Offset.offset(1e-9));
        }
        assertThat(model.asked).containsExactly(new RewardModel.Outputs(false, true, 0.25));
        assertThat(model.batches).hasSize(1); // one scoring pass gave rewards and credits
    }

    @Test
    void noCreditWhenSwitchedOffOrTheModelHasNone() {
        CharCreditModel model = new CharCreditModel();
        creditDriver(model, ScorerConfig.CreditOptions.OFF);
        driver.pipe("off", CANDIDATES.encode(candidateSet("off", "p", List.of("ab"))));
        assertThat(driver.readOutput("off", SCORED).getTokenCredits()).isEmpty();
        assertThat(model.asked).extracting(RewardModel.Outputs::credit).containsExactly(false);

        creditDriver(rewardModel, ScorerConfig.CreditOptions.DEFAULT); // LengthRewardModel has no credit
        driver.pipe("none", CANDIDATES.encode(candidateSet("none", "p", List.of("ab"))));
        ScoredCandidateSet scored = driver.readOutput("none", SCORED);
        assertThat(scored.getTokenCredits()).isEmpty();
        assertThat(scored.getRewards()).containsExactly(2.0);
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new ScorerConfig.CreditOptions(true, -0.1))
                .hasMessageContaining("credit beta must be in [0, 1]");
    }

    @Test
    void aStepwiseRoundGetsCreditOnlyIfOneOfItsCandidatesCanEndTheResponse() {
        CharCreditModel model = new CharCreditModel();
        creditDriver(model, ScorerConfig.CreditOptions.DEFAULT);
        // candidate i appends 2 tokens (ids i, 100 + i); finish reasons alternate length (even i) / eos (odd i)
        CandidateSet middle = stepwise("mid", List.of("ab"), 2, 10); // 2 + 2 < 10, "length": cannot end
        driver.pipe("mid", CANDIDATES.encode(middle));
        assertThat(driver.readOutput("mid", SCORED).getTokenCredits()).isEmpty();
        CandidateSet atLimit = stepwise("limit", List.of("ab"), 8, 10); // 8 + 2 >= 10
        driver.pipe("limit", CANDIDATES.encode(atLimit));
        assertThat(driver.readOutput("limit", SCORED).getTokenCredits()).hasSize(1);
        CandidateSet eos = stepwise("eos", List.of("ab", "cd"), 0, 10); // candidate 1 ends with eos
        driver.pipe("eos", CANDIDATES.encode(eos));
        assertThat(driver.readOutput("eos", SCORED).getTokenCredits()).hasSize(2);
        assertThat(model.asked).extracting(RewardModel.Outputs::credit).containsExactly(false, true, true);
    }

    private static CandidateSet stepwise(String id, List<String> texts, int responseTokens, int maxNewTokens) {
        CandidateSet set = candidateSet(id, "p", texts);
        Strategy s = set.getRequest().getStrategy();
        s.setMethod("blockwise"); // blocks of 2 tokens: candidate i appends (i, 100 + i)
        s.setBlockSize(2);
        s.setN(texts.size());
        s.setMaxNewTokens(maxNewTokens);
        List<Integer> tokens = new ArrayList<>();
        for (int t = 0; t < responseTokens; t++) {
            tokens.add(7);
        }
        set.setDecodeState(DecodeState.newBuilder().setRequest(set.getRequest()).setPromptTokenIds(List.of(1))
                .setTokenIds(tokens).setLogprobs(tokens.stream().map(t -> -1f).toList()).setRound(responseTokens / 2).build());
        return set;
    }
}
