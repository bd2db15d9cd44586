package org.alignstream.scorer;

import static org.alignstream.common.testing.StageTestDriver.key;
import static org.alignstream.scorer.ScorerTopologyTest.CANDIDATES;
import static org.alignstream.scorer.ScorerTopologyTest.SCORED;
import static org.alignstream.scorer.ScorerTopologyTest.candidateSet;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.Strategy;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.testing.StageTestDriver;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.inference.reward.ScoredText;
import org.junit.jupiter.api.Test;

/**
 * Tokenwise rounds scored by a model that shares prefixes ({@link RewardModel#sharesPrefix}): the stage and the
 * candidate scorer alone (as the bare loop calls it) both score such a set through
 * {@link RewardModel#scoreWithSharedPrefix}, alone, never merged with other sets; other sets keep their batching.
 */
class ScorerPrefixSharingTest {

    /** Reward = length of the response; records which call scored what. */
    static final class PrefixModel implements RewardModel {
        final List<List<String>> shared = new ArrayList<>();
        final List<List<String>> single = new ArrayList<>();
        final List<List<Group>> merged = new ArrayList<>();

        @Override
        public String id() {
            return "prefix";
        }

        @Override
        public String version() {
            return "1";
        }

        @Override
        public String kind() {
            return FULL_SEQUENCE;
        }

        @Override
        public double[] score(String prompt, List<String> responses) {
            single.add(List.copyOf(responses));
            return responses.stream().mapToDouble(String::length).toArray();
        }

        @Override
        public boolean sharesPrefix() {
            return true;
        }

        @Override
        public Scores scoreWithSharedPrefix(String prompt, List<String> responses, Outputs outputs) {
            shared.add(List.copyOf(responses));
            return new Scores(responses.stream().mapToDouble(String::length).toArray(), null, null);
        }

        @Override
        public List<Scores> scoreGroups(List<Group> groups) {
            merged.add(List.copyOf(groups));
            List<Scores> out = new ArrayList<>();
            for (Group g : groups) {
                out.add(new Scores(g.responses().stream().mapToDouble(String::length).toArray(), null, null));
            }
            return out;
        }

        @Override
        public boolean mergesGroups() {
            return true;
        }

        @Override
        public float[][] embed(List<String> texts) {
            throw new UnsupportedOperationException();
        }

        @Override
        public boolean hasEmbeddings() {
            return false;
        }

        @Override
        public void close() {
        }
    }

    /** An ARGS round: candidate i extends {@code response} by {@code endings[i]} (one token each). */
    static CandidateSet tokenwiseRound(String id, String prompt, String response, List<String> endings) {
        CandidateSet set = candidateSet(id, prompt, endings.stream().map(e -> response + e).toList());
        Strategy s = set.getRequest().getStrategy();
        s.setMethod("args");
        s.setTopK(endings.size());
        s.setMaxNewTokens(32);
        for (Candidate c : set.getCandidates()) {
            c.setTokenIds(List.of(7 + c.getIndex()));
            c.setLogprobs(List.of(-0.5f));
            c.setFinishReason("length");
        }
        set.setDecodeState(DecodeState.newBuilder().setRequest(set.getRequest()).setPromptTokenIds(List.of(1))
                .setTokenIds(List.of(3, 4)).setLogprobs(List.of(-1f, -1f)).setRound(2).build());
        return set;
    }

    private static StageTestDriver driver(RewardModelRegistry models, StageMetrics metrics) {
        return new StageTestDriver(ScorerTopology.build(ScorerConfig.DEFAULT, models, metrics), ScorerTopology.STAGE,
                Topics.CANDIDATES, Topics.SCORED_CANDIDATES);
    }

    @Test
    void tokenwiseRoundsAreScoredAloneWithTheSharedPrefixAndOtherSetsStillMerge() {
        PrefixModel model = new PrefixModel();
        RewardModelRegistry models = new RewardModelRegistry(model);
        assertThat(models.batchInvariant(model)).as("a deterministic fake passes the probe").isTrue();
        model.merged.clear();
        model.single.clear();
        List<CandidateSet> rounds = List.of(
                tokenwiseRound("t0", "p", "It was", List.of(" a", " the", "!")),
                tokenwiseRound("t1", "p", "She said", List.of(" no", ".")));
        try (StageTestDriver driver = driver(models, new StageMetrics(ScorerTopology.STAGE))) {
            for (CandidateSet round : rounds) {
                driver.pipe(round.getRequest().getId(), CANDIDATES.encode(round));
                ScoredCandidateSet scored = driver.readOutput(round.getRequest().getId().toString(), SCORED);
                assertThat(scored.getRewards()).as("scored at once, never waiting for batch mates")
                        .containsExactlyElementsOf(round.getCandidates().stream()
                                .map(c -> (double) c.getText().length()).toList());
            }
            // two whole-response sets still wait and are merged into one call
            driver.pipe("b0", CANDIDATES.encode(candidateSet("b0", "p", List.of("a", "bb"))));
            driver.pipe("b1", CANDIDATES.encode(candidateSet("b1", "p", List.of("ccc"))));
            assertThat(driver.output().isEmpty()).isTrue();
            driver.advanceWallClockTime(Duration.ofMillis(1));
            assertThat(driver.output().readKeyValue().key).isEqualTo(key("b0"));
            assertThat(driver.output().readKeyValue().key).isEqualTo(key("b1"));
        }
        assertThat(model.shared).containsExactly(List.of("It was a", "It was the", "It was!"),
                List.of("She said no", "She said."));
        assertThat(model.merged).hasSize(1);
        assertThat(model.merged.get(0)).extracting(g -> g.responses().size()).containsExactly(2, 1);
        assertThat(model.single).isEmpty();

        // the candidate scorer alone (the bare loop's call) takes the same path
        CandidateScorer alone = new CandidateScorer(models, ScorerConfig.Limits.DEFAULT,
                ScorerConfig.CreditOptions.DEFAULT, new StageMetrics(ScorerTopology.STAGE));
        model.shared.clear();
        alone.score(rounds.get(1));
        assertThat(model.shared).containsExactly(List.of("She said no", "She said."));
        assertThat(model.single).isEmpty();
    }

    /** The Llama-layout decoder reward fixture: the stage's rewards are the candidate scorer's, bit for bit. */
    @Test
    void aDecoderRewardModelScoresTokenwiseRoundsIdenticallyInTheStageAndAlone() throws Exception {
        Path dir = Path.of("..", "inference", "src", "test", "resources", "reward-decoder-fixtures", "llama-reward");
        String response = "My dear Mr. Bennet, said his lady to him one day, have you heard that Netherfield";
        List<CandidateSet> rounds = List.of(
                tokenwiseRound("t0", "p", response, List.of(" Park", " is", "s", "", ",")),
                tokenwiseRound("t1", "p", response + " Park", List.of(" is", " was", ".")),
                tokenwiseRound("t2", "p", "She was", List.of(" a", " the")));
        List<ScoredCandidateSet> staged = new ArrayList<>();
        try (RewardModelRegistry models = new RewardModelRegistry(
                RewardModels.fromDirectory(dir, OnnxDevice.CPU, 1, ScoredText.RESPONSE));
             StageTestDriver driver = driver(models, new StageMetrics(ScorerTopology.STAGE))) {
            for (CandidateSet round : rounds) {
                driver.pipe(round.getRequest().getId(), CANDIDATES.encode(round));
            }
            driver.advanceWallClockTime(Duration.ofMillis(1));
            for (CandidateSet round : rounds) {
                staged.add(driver.readOutput(round.getRequest().getId().toString(), SCORED));
            }
            CandidateScorer alone = new CandidateScorer(models, ScorerConfig.Limits.DEFAULT,
                    ScorerConfig.CreditOptions.DEFAULT, new StageMetrics(ScorerTopology.STAGE));
            RewardModel model = models.defaultModel();
            for (int r = 0; r < rounds.size(); r++) {
                CandidateSet round = rounds.get(r);
                List<String> texts = round.getCandidates().stream().map(c -> c.getText().toString()).toList();
                assertThat(staged.get(r).getRewards()).as("stage vs candidate scorer alone")
                        .isEqualTo(alone.score(round).getRewards());
                double[] expected = model.scoreWithSharedPrefix("p", texts, RewardModel.Outputs.REWARDS).rewards();
                for (int i = 0; i < texts.size(); i++) {
                    assertThat(staged.get(r).getRewards().get(i)).isEqualTo(expected[i]);
                }
            }
        }
    }

    /**
     * One request's rounds through the stage with the GPT-2-layout decoder fixture: from the second round on the shared
     * prefix comes from the registry's round cache (hits counted in {@code alignstream_reward_kv_cache_*}), the rewards
     * equal the uncached call's within 1e-5 (DecoderRoundCacheTest's tolerance), and the round in which every candidate
     * ends the response drops the request's entry.
     */
    @Test
    void aRequestsRoundsReuseThePrefixCacheAndItsLastRoundDropsIt() throws Exception {
        Path dir = Path.of("..", "inference", "src", "test", "resources", "reward-decoder-fixtures", "gpt2-reward");
        List<String> endings = List.of(" Park", " is", "s", "", ",", " was");
        int rounds = 5;
        StageMetrics metrics = new StageMetrics(ScorerTopology.STAGE);
        try (RewardModelRegistry models = new RewardModelRegistry(
                RewardModels.fromDirectory(dir, OnnxDevice.CPU, 1, ScoredText.RESPONSE));
             StageTestDriver driver = driver(models, metrics)) {
            RewardModel model = models.defaultModel();
            String response = "My dear Mr. Bennet, said his lady to him one day, have you heard that Netherfield";
            for (int r = 0; r < rounds; r++) {
                CandidateSet round = tokenwiseRound("req", "p", response, endings);
                List<Integer> sofar = new ArrayList<>();
                for (int t = 0; t < r; t++) {
                    sofar.add(5 + t);
                }
                round.getDecodeState().setTokenIds(sofar);
                round.getDecodeState().setLogprobs(sofar.stream().map(t -> -1f).toList());
                round.getDecodeState().setRound(r);
                round.getRequest().getStrategy().setMaxNewTokens(rounds); // every candidate of the last round ends it
                round.getDecodeState().setRequest(round.getRequest());
                driver.pipe("req", CANDIDATES.encode(round));
                ScoredCandidateSet scored = driver.readOutput("req", SCORED);
                List<String> texts = round.getCandidates().stream().map(c -> c.getText().toString()).toList();
                double[] uncached = model.scoreWithSharedPrefix("p", texts, RewardModel.Outputs.REWARDS).rewards();
                for (int i = 0; i < texts.size(); i++) {
                    assertThat(scored.getRewards().get(i)).as("round %d '%s'", r, texts.get(i))
                            .isCloseTo(uncached[i], org.assertj.core.api.Assertions.within(1e-5));
                }
                assertThat(models.roundCache().size()).as("after round %d", r).isEqualTo(r < rounds - 1 ? 1 : 0);
                response += endings.get(r % 2 == 0 ? 1 : 5);
            }
        }
        assertThat(metrics.rewardKvCacheHits()).isEqualTo(rounds - 1);
        assertThat(metrics.rewardKvCacheMisses()).isZero();
        assertThat(metrics.rewardKvCacheBytes()).isZero();
    }
}
