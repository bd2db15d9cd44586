package org.alignstream.scorer;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.Strategy;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.DeadLetters;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.reward.RewardModel;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ScorerTopologyTest {

    static final AvroSerde<CandidateSet> CANDIDATES = AvroSerde.of(CandidateSet.class);
    static final AvroSerde<ScoredCandidateSet> SCORED = AvroSerde.of(ScoredCandidateSet.class);

    /**
     * Reward = length of the response text. Records every call (prompt and batch); throws for the prompt "explode" and
     * returns one reward too few for the prompt "short".
     */
    static final class LengthRewardModel implements RewardModel {
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
    private TopologyTestDriver driver;
    private TestInputTopic<byte[], byte[]> input;
    private TestOutputTopic<byte[], byte[]> output;
    private TestOutputTopic<byte[], byte[]> deadLetters;

    @BeforeEach
    void start() {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "scorer-topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(ScorerTopology.build(rewardModel, metrics), props);
        input = driver.createInputTopic(Topics.CANDIDATES, Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer());
        output = driver.createOutputTopic(Topics.SCORED_CANDIDATES, Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer());
        deadLetters = driver.createOutputTopic(Topics.DEAD_LETTERS, Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer());
    }

    @AfterEach
    void close() {
        driver.close();
    }

    static byte[] key(String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }

    /** A candidate set whose candidate i has text {@code texts[i]} and token ids {i, 100 + i}. */
    static CandidateSet candidateSet(String id, String prompt, List<String> texts) {
        List<Candidate> candidates = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            candidates.add(new Candidate(i, texts.get(i), List.of(i, 100 + i), List.of(-0.5f, -1.5f),
                    i % 2 == 0 ? "length" : "eos"));
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
        input.pipeInput(key("r1"), CANDIDATES.encode(set));

        KeyValue<byte[], byte[]> kv = output.readKeyValue();
        assertThat(output.isEmpty()).isTrue();
        assertThat(deadLetters.isEmpty()).isTrue();
        assertThat(kv.key).isEqualTo(key("r1"));
        ScoredCandidateSet scored = SCORED.decode(kv.value);
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
            input.pipeInput(key("k" + r), CANDIDATES.encode(candidateSet("k" + r, "prompt " + r, texts)));
        }
        List<KeyValue<byte[], byte[]>> out = output.readKeyValuesToList();
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

    private DeadLetter readDeadLetter(String expectedKey, byte[] expectedValue) {
        KeyValue<byte[], byte[]> kv = deadLetters.readKeyValue();
        assertThat(kv.key).isEqualTo(key(expectedKey));
        DeadLetter dl = DeadLetters.serde().decode(kv.value);
        assertThat(dl.getStage()).isEqualTo(ScorerTopology.STAGE);
        assertThat(dl.getSourceTopic()).isEqualTo(Topics.CANDIDATES);
        assertThat(DeadLetters.bytes(dl.getOriginalValue())).isEqualTo(expectedValue);
        return dl;
    }

    @Test
    void emptyCandidateListGoesToDeadLettersWithoutAModelCall() {
        byte[] empty = CANDIDATES.encode(candidateSet("empty", "She was", List.of()));
        input.pipeInput(key("empty"), empty);
        DeadLetter dl = readDeadLetter("empty", empty);
        assertThat(dl.getReason()).isEqualTo("invalid CandidateSet: candidate set for request empty has no candidates");
        assertThat(output.isEmpty()).isTrue();
        assertThat(rewardModel.batches).isEmpty();
        assertThat(metrics.deadLetters(SafeStage.INVALID)).isEqualTo(1);
    }

    @Test
    void failingRewardModelGoesToDeadLettersAndTheNextRecordIsStillScored() {
        byte[] exploding = CANDIDATES.encode(candidateSet("boom", "explode", List.of("a", "b")));
        byte[] tooFew = CANDIDATES.encode(candidateSet("few", "short", List.of("a", "bb", "ccc")));
        byte[] garbage = "not a candidate set".getBytes(StandardCharsets.UTF_8);
        input.pipeInput(key("boom"), exploding);
        input.pipeInput(key("few"), tooFew);
        input.pipeInput(key("garbage"), garbage);
        input.pipeInput(key("good"), CANDIDATES.encode(candidateSet("good", "She was", List.of("abc", "de"))));

        assertThat(readDeadLetter("boom", exploding).getReason())
                .isEqualTo("stage scorer failed on a CandidateSet: IllegalStateException: reward model session is closed");
        assertThat(readDeadLetter("few", tooFew).getReason())
                .contains("reward model returned 2 rewards for 3 candidates");
        assertThat(readDeadLetter("garbage", garbage).getReason()).contains("cannot decode CandidateSet");
        assertThat(deadLetters.isEmpty()).isTrue();

        KeyValue<byte[], byte[]> kv = output.readKeyValue();
        assertThat(kv.key).isEqualTo(key("good"));
        assertThat(SCORED.decode(kv.value).getRewards()).containsExactly(3.0, 2.0);
        assertThat(output.isEmpty()).isTrue();

        assertThat(metrics.recordsIn()).isEqualTo(4);
        assertThat(metrics.recordsOut()).isEqualTo(1);
        assertThat(metrics.deadLetters(SafeStage.ERROR)).isEqualTo(2);
        assertThat(metrics.deadLetters(SafeStage.DECODE)).isEqualTo(1);
    }
}
