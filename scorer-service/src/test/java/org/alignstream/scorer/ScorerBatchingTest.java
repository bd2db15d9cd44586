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
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.stage.BatchingStage;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.testing.StageTestDriver;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.BatchInvariance;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.inference.reward.ScoredText;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;

/** Cross-request batching in the scorer topology (TopologyTestDriver: one task; wall clock advanced by hand). */
class ScorerBatchingTest {

    private static final String STORE = BatchingStage.storeName(ScorerTopology.STAGE, Topics.CANDIDATES);

    /**
     * Reward = length of the response + 0.5 x length of the prompt; one recorded call per {@link #scoreGroups}. A group
     * with the prompt "explode" makes the whole call fail, as a bad input to a real model would.
     */
    static final class MergingModel implements RewardModel {
        final List<List<Group>> calls = new ArrayList<>();
        int singleCalls;

        @Override
        public String id() {
            return "merging";
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
            singleCalls++;
            return rewards(prompt, responses);
        }

        private static double[] rewards(String prompt, List<String> responses) {
            if (prompt.equals("explode")) {
                throw new IllegalStateException("cannot score that");
            }
            return responses.stream().mapToDouble(r -> r.length() + 0.5 * prompt.length()).toArray();
        }

        @Override
        public List<Scores> scoreGroups(List<Group> groups) {
            calls.add(List.copyOf(groups));
            List<Scores> out = new ArrayList<>();
            for (Group g : groups) {
                out.add(new Scores(rewards(g.prompt(), g.responses()), null, null));
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

    private static List<CandidateSet> sets(int n) {
        List<CandidateSet> sets = new ArrayList<>();
        for (int r = 0; r < n; r++) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i <= r; i++) {
                texts.add("x".repeat(1 + i * r));
            }
            sets.add(candidateSet("req" + r, "prompt " + "p".repeat(r), texts));
        }
        return sets;
    }

    private static StageTestDriver driver(RewardModelRegistry models, StageMetrics metrics,
                                          ScorerConfig.Batching batching) {
        return new StageTestDriver(ScorerTopology.build(ScorerConfig.DEFAULT.withBatching(batching), models,
                metrics), ScorerTopology.STAGE, Topics.CANDIDATES,
                Topics.SCORED_CANDIDATES);
    }

    /** The scored sets without the stage timing (which differs between runs). */
    private static List<KeyValue<String, ScoredCandidateSet>> read(StageTestDriver driver) {
        List<KeyValue<String, ScoredCandidateSet>> out = new ArrayList<>();
        for (KeyValue<byte[], byte[]> kv : driver.output().readKeyValuesToList()) {
            ScoredCandidateSet s = SCORED.decode(kv.value);
            s.getTimingsMs().remove(ScorerTopology.STAGE);
            out.add(KeyValue.pair(new String(kv.key, java.nio.charset.StandardCharsets.UTF_8), s));
        }
        return out;
    }

    private static double batchSizeSum(StageMetrics metrics) {
        for (String line : metrics.scrapeText().split("\n")) {
            if (line.startsWith("alignstream_batch_size_sum")) {
                return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
            }
        }
        throw new AssertionError("no alignstream_batch_size_sum");
    }

    @Test
    void concurrentRequestsAreScoredInOneCallWithTheOutputsOfPerRecordScoring() {
        List<CandidateSet> sets = sets(5);
        MergingModel model = new MergingModel();
        StageMetrics metrics = new StageMetrics(ScorerTopology.STAGE);
        RewardModelRegistry models = new RewardModelRegistry(model);
        assertThat(models.batchInvariant(model)).as("a deterministic fake passes the probe").isTrue();
        model.calls.clear();
        model.singleCalls = 0;
        List<KeyValue<String, ScoredCandidateSet>> batched;
        try (StageTestDriver driver = driver(models, metrics, ScorerConfig.Batching.DEFAULT)) {
            for (CandidateSet set : sets) {
                driver.pipe(set.getRequest().getId(), CANDIDATES.encode(set));
            }
            assertThat(driver.output().isEmpty()).as("waiting for the punctuation").isTrue();
            KeyValueStore<Long, byte[]> buffer = driver.driver().getKeyValueStore(STORE);
            assertThat(buffer.approximateNumEntries()).isEqualTo(5);
            driver.advanceWallClockTime(Duration.ofMillis(1));
            batched = read(driver);
            assertThat(buffer.approximateNumEntries()).as("written records leave the buffer").isZero();
        }
        assertThat(model.calls).hasSize(1);
        assertThat(model.calls.get(0)).extracting(RewardModel.Group::prompt)
                .containsExactlyElementsOf(sets.stream().map(s -> s.getRequest().getPrompt().toString()).toList());
        assertThat(model.singleCalls).isZero();
        assertThat(metrics.inferences("merging")).isEqualTo(1);
        assertThat(metrics.batches()).isEqualTo(1);
        assertThat(batchSizeSum(metrics)).as("texts in the one call").isEqualTo(1 + 2 + 3 + 4 + 5);
        assertThat(metrics.batchInvariant("merging", "1")).isEqualTo(1.0);

        MergingModel perRecordModel = new MergingModel();
        List<KeyValue<String, ScoredCandidateSet>> perRecord;
        RewardModelRegistry perRecordModels = new RewardModelRegistry(perRecordModel);
        perRecordModel.calls.clear(); // the probe's
        try (StageTestDriver driver = driver(perRecordModels, new StageMetrics(ScorerTopology.STAGE),
                ScorerConfig.Batching.OFF)) {
            for (CandidateSet set : sets) {
                driver.pipe(set.getRequest().getId(), CANDIDATES.encode(set));
            }
            perRecord = read(driver);
        }
        assertThat(perRecordModel.calls).as("batching off: no merged call").isEmpty();
        assertThat(batched).extracting(kv -> kv.key).containsExactly("req0", "req1", "req2", "req3", "req4");
        assertThat(batched).isEqualTo(perRecord);
    }

    @Test
    void aBadRecordIsDeadLetteredWhileItsBatchMatesAreScored() {
        MergingModel model = new MergingModel();
        StageMetrics metrics = new StageMetrics(ScorerTopology.STAGE);
        RewardModelRegistry models = new RewardModelRegistry(model);
        model.calls.clear();
        model.singleCalls = 0;
        try (StageTestDriver driver = driver(models, metrics, ScorerConfig.Batching.DEFAULT)) {
            List<CandidateSet> sets = sets(3);
            byte[] invalid = CANDIDATES.encode(candidateSet("invalid", "p", List.of()));
            byte[] exploding = CANDIDATES.encode(candidateSet("boom", "explode", List.of("a", "b")));
            byte[] garbage = "not a candidate set".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            driver.pipe("req0", CANDIDATES.encode(sets.get(0)));
            driver.pipe("invalid", invalid);
            driver.pipe("boom", exploding);
            driver.pipe("garbage", garbage);
            driver.pipe("req1", CANDIDATES.encode(sets.get(1)));
            driver.pipe("req2", CANDIDATES.encode(sets.get(2)));
            // checks run before batching: those two are dead-lettered at once
            assertThat(driver.readDeadLetter("invalid", invalid).getReason())
                    .isEqualTo("invalid CandidateSet: candidate set for request invalid has no candidates");
            assertThat(driver.readDeadLetter("garbage", garbage).getReason()).contains("cannot decode CandidateSet");
            assertThat(driver.output().isEmpty()).isTrue();

            driver.advanceWallClockTime(Duration.ofMillis(1));
            // the merged call failed on "boom": each set was retried alone
            assertThat(driver.readDeadLetter("boom", exploding).getReason())
                    .isEqualTo("stage scorer failed on a CandidateSet: IllegalStateException: cannot score that");
            assertThat(driver.deadLetters().isEmpty()).isTrue();
            List<KeyValue<String, ScoredCandidateSet>> out = read(driver);
            assertThat(out).extracting(kv -> kv.key).containsExactly("req0", "req1", "req2");
            assertThat(out.get(2).value.getRewards()).containsExactly(1 + 4.5, 3 + 4.5, 5 + 4.5);
        }
        assertThat(model.calls).hasSize(1);
        assertThat(model.singleCalls).isEqualTo(4);
        assertThat(metrics.deadLetters(SafeStage.INVALID)).isEqualTo(1);
        assertThat(metrics.deadLetters(SafeStage.ERROR)).isEqualTo(1);
        assertThat(metrics.deadLetters(SafeStage.DECODE)).isEqualTo(1);
        assertThat(metrics.recordsIn()).isEqualTo(6);
        assertThat(metrics.recordsOut()).isEqualTo(3);
    }

    @Test
    void aFullBatchIsScoredWithoutWaitingAndTheRestAtThePunctuation() {
        MergingModel model = new MergingModel();
        StageMetrics metrics = new StageMetrics(ScorerTopology.STAGE);
        RewardModelRegistry models = new RewardModelRegistry(model);
        model.calls.clear();
        try (StageTestDriver driver = driver(models, metrics, new ScorerConfig.Batching(3, 1000))) {
            List<CandidateSet> sets = sets(5);
            for (CandidateSet set : sets) {
                driver.pipe(set.getRequest().getId(), CANDIDATES.encode(set));
            }
            assertThat(read(driver)).extracting(kv -> kv.key).containsExactly("req0", "req1", "req2");
            assertThat(model.calls).hasSize(1);
            driver.advanceWallClockTime(Duration.ofMillis(999));
            assertThat(driver.output().isEmpty()).isTrue();
            driver.advanceWallClockTime(Duration.ofMillis(1));
            assertThat(read(driver)).extracting(kv -> kv.key).containsExactly("req3", "req4");
            assertThat(model.calls).hasSize(2);
            assertThat(model.calls.get(1)).hasSize(2);
        }
    }

    @Test
    void aModelThatIsNotBatchInvariantGetsOneCallPerRecordAtOnce() {
        MergingModel model = new MergingModel();
        StageMetrics metrics = new StageMetrics(ScorerTopology.STAGE);
        RewardModelRegistry models = new RewardModelRegistry(model, RewardModelRegistry.DEFAULT_KEEP,
                m -> new BatchInvariance.Verdict(false, true, true, "quantises over the batch"));
        try (StageTestDriver driver = driver(models, metrics, ScorerConfig.Batching.DEFAULT)) {
            for (CandidateSet set : sets(3)) {
                driver.pipe(set.getRequest().getId(), CANDIDATES.encode(set));
                assertThat(driver.output().readKeyValue().key).isEqualTo(key(set.getRequest().getId().toString()));
            }
            assertThat(driver.driver().<Long, byte[]>getKeyValueStore(STORE).approximateNumEntries()).isZero();
        }
        assertThat(model.calls).isEmpty();
        assertThat(model.singleCalls).isEqualTo(3);
        assertThat(metrics.batchInvariant("merging", "1")).isZero();
    }

    /** A reward model "merging" of a given version (the length reward of ScorerTopologyTest). */
    static final class Version extends ScorerTopologyTest.LengthRewardModel {
        final String version;

        Version(String version) {
            this.version = version;
        }

        @Override
        public String id() {
            return "merging";
        }

        @Override
        public String version() {
            return version;
        }
    }

    /** Each version gets its verdict when it is published; versions that fall out are dropped from the metric. */
    @Test
    void verdictsFollowThePublishedVersions() {
        List<String> checked = new ArrayList<>();
        StageMetrics metrics = new StageMetrics(ScorerTopology.STAGE);
        RewardModelRegistry models = new RewardModelRegistry(new Version("1"), 3, m -> {
            checked.add(m.version());
            boolean invariant = !m.version().equals("3");
            return new BatchInvariance.Verdict(invariant, true, !invariant, "test");
        });
        models.reportTo(metrics);
        models.publish(new Version("2"));
        models.publish(new Version("3"));
        models.publish(new Version("4"));
        assertThat(checked).containsExactly("1", "2", "3", "4");
        assertThat(models.batchInvariant(models.resolve("merging", "3"))).isFalse();
        assertThat(models.batchInvariant(models.resolve("merging"))).isTrue();
        String scrape = metrics.scrapeText();
        assertThat(scrape).contains("alignstream_reward_model_batch_invariant{model=\"merging\",stage=\"scorer\",version=\"1\"} 1.0",
                "alignstream_reward_model_batch_invariant{model=\"merging\",stage=\"scorer\",version=\"3\"} 0.0",
                "alignstream_reward_model_batch_invariant{model=\"merging\",stage=\"scorer\",version=\"4\"} 1.0");
        assertThat(scrape).as("evicted").doesNotContain("version=\"2\"");
    }

    /** A real fp32 ONNX model (ops/reward-fixture's tiny classifier): merged scoring is bit-identical to per-record. */
    @Test
    void realFp32ModelMergedIsBitIdenticalToPerRecord() throws Exception {
        Path dir = Path.of("..", "inference", "src", "test", "resources", "reward-fixture", "tiny-classifier");
        List<CandidateSet> sets = new ArrayList<>();
        String[] words = {"good", "bad movie", "the food was really very good", "awful", "i love this book",
            "the weather was terrible and the service was so boring", "okay", "great film"};
        for (int r = 0; r < 6; r++) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i <= r % 4; i++) {
                texts.add(words[(r + i) % words.length] + " " + "very ".repeat(r * i));
            }
            sets.add(candidateSet("req" + r, "tell me about the day", texts));
        }
        List<KeyValue<String, ScoredCandidateSet>> batched;
        List<KeyValue<String, ScoredCandidateSet>> perRecord;
        StageMetrics metrics = new StageMetrics(ScorerTopology.STAGE);
        try (RewardModelRegistry models = new RewardModelRegistry(
                RewardModels.fromDirectory(dir, OnnxDevice.CPU, 1, ScoredText.PROMPT_AND_RESPONSE));
             StageTestDriver driver = driver(models, metrics, ScorerConfig.Batching.DEFAULT)) {
            assertThat(models.verdict(models.defaultModel()).invariant()).as(models.verdict(models.defaultModel())
                    .detail()).isTrue();
            for (CandidateSet set : sets) {
                driver.pipe(set.getRequest().getId(), CANDIDATES.encode(set));
            }
            driver.advanceWallClockTime(Duration.ofMillis(1));
            batched = read(driver);
            assertThat(metrics.inferences(models.defaultModel().id())).as("ONNX calls").isEqualTo(1);
            assertThat(metrics.batchInvariant(models.defaultModel().id(), models.defaultModel().version())).isEqualTo(1);
        }
        try (RewardModelRegistry models = new RewardModelRegistry(
                RewardModels.fromDirectory(dir, OnnxDevice.CPU, 1, ScoredText.PROMPT_AND_RESPONSE));
             StageTestDriver driver = driver(models, new StageMetrics(ScorerTopology.STAGE), ScorerConfig.Batching.OFF)) {
            for (CandidateSet set : sets) {
                driver.pipe(set.getRequest().getId(), CANDIDATES.encode(set));
            }
            perRecord = read(driver);
        }
        assertThat(batched).hasSize(6);
        assertThat(batched).isEqualTo(perRecord); // Avro equality: every reward as the same double
    }

    /** The shipped int8 MiniLM sentiment model is detected as not batch-invariant: one call per record. */
    @Test
    void int8MiniLmIsScoredPerRecord() {
        StageMetrics metrics = new StageMetrics(ScorerTopology.STAGE);
        try (RewardModelRegistry models = new RewardModelRegistry(RewardModels.defaultSentiment(OnnxDevice.CPU, 1, true));
             StageTestDriver driver = driver(models, metrics, ScorerConfig.Batching.DEFAULT)) {
            RewardModel m = models.defaultModel();
            assertThat(models.batchInvariant(m)).isFalse();
            assertThat(models.verdict(m).detail()).contains(BatchInvariance.DYNAMIC_QUANTIZE);
            assertThat(metrics.batchInvariant(m.id(), m.version())).isZero();
            assertThat(metrics.scrapeText()).contains("alignstream_reward_model_batch_invariant{model=\"sentiment\"");
            for (CandidateSet set : sets(3)) {
                driver.pipe(set.getRequest().getId(), CANDIDATES.encode(set));
                assertThat(driver.output().readKeyValue().key).isEqualTo(key(set.getRequest().getId().toString()));
            }
            assertThat(metrics.inferences(m.id())).isEqualTo(3);
        }
    }
}
