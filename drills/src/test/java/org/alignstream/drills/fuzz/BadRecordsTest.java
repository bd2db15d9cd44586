package org.alignstream.drills.fuzz;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.stage.DeadLetters;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.topics.Topics;
import org.alignstream.feedback.FeedbackTopologies;
import org.alignstream.generator.CandidateSampler;
import org.alignstream.generator.GeneratorTopology;
import org.alignstream.generator.LmCandidateSampler;
import org.alignstream.generator.RequestLimits;
import org.alignstream.generator.StepProposer;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.drills.fuzz.BadRecords.BadRecord;
import org.alignstream.scorer.RewardModelRegistry;
import org.alignstream.scorer.ScorerConfig;
import org.alignstream.scorer.ScorerTopology;
import org.alignstream.selector.SelectorTopology;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.test.TestRecord;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The bad-record generator: deterministic, unique keys, every kind in turn; and, without a broker, every record it makes
 * is dead-lettered by the real topology of the stage that reads it (with the real language model for the generator,
 * so the vocabulary and context checks are the real ones) for the reason the generator says, before any model work:
 * the models here count or refuse every call.
 */
class BadRecordsTest {

    /** Records per topic (each topic's kinds cycle, so every kind is made several times). */
    static final int PER_TOPIC = Integer.getInteger("fuzz.unit.records", 600);

    private static LmCandidateSampler lm;
    private static BadRecords.Limits limits;

    @BeforeAll
    static void loadModel() {
        lm = LmCandidateSampler.load(null, 1, true);
        lm.loadBaseline(null, 1);
        BadRecords.Limits d = BadRecords.Limits.defaults();
        limits = new BadRecords.Limits(d.maxN(), d.maxNewTokens(), d.maxPromptChars(), d.maxTopK(), d.maxRolloutLength(),
                lm.generator().model().vocabSize(), lm.generator().model().config().maxPositions().orElseThrow(),
                d.maxCandidates(), d.maxTextChars(), d.maxFeedbackChars(), d.featureDim(), d.rewardModels(),
                d.trainedModels());
    }

    @AfterAll
    static void close() {
        if (lm != null) {
            lm.close();
        }
    }

    @Test
    void recordsAreAPureFunctionOfSeedTopicAndIndexWithUniqueKeysAndEveryKindInTurn() {
        BadRecords a = new BadRecords(11, limits);
        BadRecords b = new BadRecords(11, limits);
        BadRecords other = new BadRecords(12, limits);
        Set<String> keys = new HashSet<>();
        int differ = 0;
        for (String topic : BadRecords.TOPICS) {
            List<String> kinds = a.kinds(topic);
            assertThat(kinds).as(topic + " kinds").doesNotHaveDuplicates().hasSizeGreaterThanOrEqualTo(15)
                    .contains("random-bytes", "truncated", "other-type", "garbage-body", "tombstone", "length-bomb");
            for (int i = 0; i < 3 * kinds.size(); i++) {
                BadRecord x = a.record(topic, i);
                BadRecord y = b.record(topic, i);
                assertThat(y.value()).as(x.key()).isEqualTo(x.value());
                assertThat(y.key()).isEqualTo(x.key());
                assertThat(x.kind()).isEqualTo(kinds.get(i % kinds.size()));
                assertThat(x.key()).contains(topic).endsWith(x.kind());
                assertThat(x.stage()).isEqualTo(BadRecords.STAGES.get(topic));
                assertThat(x.reasonPart()).as(x.key()).isNotBlank();
                assertThat(keys.add(x.key())).as("unique key " + x.key()).isTrue();
                if (!java.util.Arrays.equals(x.value(), other.record(topic, i).value())) {
                    differ++;
                }
            }
            // out of order: record i does not depend on the ones made before it
            BadRecord late = a.record(topic, 5 * kinds.size() + 3);
            assertThat(new BadRecords(11, limits).record(topic, 5 * kinds.size() + 3).value()).isEqualTo(late.value());
        }
        assertThat(differ).as("another seed gives other records").isGreaterThan(100);
        assertThat(a.kinds(Topics.PROMPTS)).contains("huge-prompt", "unknown-method", "n-out-of-range",
                "temperature-invalid", "top-p-invalid", "beta-non-finite", "max-new-tokens-out-of-range",
                "block-size-out-of-range", "rollout-length-out-of-range", "unknown-transfer", "unknown-reward-model");
        assertThat(a.kinds(Topics.DECODE_STEPS)).contains("state-finished", "state-overfull", "state-round-mismatch",
                "state-token-outside-vocabulary", "state-longer-than-the-context");
        assertThat(a.kinds(Topics.CANDIDATES)).contains("candidate-count-mismatch", "too-many-candidates",
                "huge-candidate-text", "unknown-reward-model", "stepwise-without-state");
        assertThat(a.kinds(Topics.SCORED_CANDIDATES)).contains("reward-count-mismatch", "embedding-count-mismatch",
                "ragged-embeddings", "baseline-reward-count-mismatch");
        assertThat(a.kinds(Topics.FEEDBACK)).contains("empty-response", "oversized-response", "identical-pair",
                "unknown-reward-model");
        assertThat(a.kinds(Topics.FEEDBACK_EXAMPLES)).contains("wrong-feature-size", "non-finite-features");
    }

    /** Counts the language model's work; sampling or starting a decoding for a bad record fails the test. */
    static final class CountingLm implements CandidateSampler, StepProposer {
        final LmCandidateSampler real;
        final AtomicInteger proposals = new AtomicInteger();

        CountingLm(LmCandidateSampler real) {
            this.real = real;
        }

        @Override
        public Sampled sample(String prompt, Strategy strategy) {
            throw new AssertionError("sampled for a bad prompt: " + prompt);
        }

        @Override
        public DecodeState start(PromptRequest request) {
            throw new AssertionError("started a decoding for a bad prompt: " + request.getId());
        }

        @Override
        public List<Candidate> propose(DecodeState state) {
            List<Candidate> out = real.propose(state); // checks the state against the model, then runs it
            proposals.incrementAndGet();
            return out;
        }

        @Override
        public ModelRef model() {
            return real.model();
        }

        @Override
        public ModelRef baselineModel() {
            return real.baselineModel();
        }
    }

    /** A reward model that must never be called. */
    static RewardModel uncallable(String id) {
        return new RewardModel() {
            @Override
            public String id() {
                return id;
            }

            @Override
            public String version() {
                return "1";
            }

            @Override
            public String kind() {
                return id.endsWith("partial") ? PARTIAL_SEQUENCE : FULL_SEQUENCE;
            }

            @Override
            public double[] score(String prompt, List<String> responses) {
                throw new AssertionError("reward model " + id + " called for a bad set");
            }

            @Override
            public float[][] embed(List<String> texts) {
                throw new AssertionError("reward model " + id + " embedded for a bad set");
            }

            @Override
            public boolean hasEmbeddings() {
                return true;
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void everyBadRecordIsDeadLetteredByItsStageForItsReasonBeforeAnyModelWork() throws Exception {
        BadRecords bad = new BadRecords(20_240_611L, limits);
        Map<String, Integer> perKind = new TreeMap<>();

        StageMetrics generator = new StageMetrics("generator");
        CountingLm counting = new CountingLm(lm);
        RequestLimits requestLimits = new RequestLimits(limits.maxN(), limits.maxNewTokens(), limits.maxPromptChars(),
                limits.maxTopK(), limits.maxRolloutLength(), limits.rewardModels());
        check(GeneratorTopology.build(requestLimits, counting, counting, generator), generator,
                List.of(Topics.PROMPTS, Topics.DECODE_STEPS), bad, perKind);
        assertThat(counting.proposals.get()).as("decoding rounds run for bad states").isZero();

        StageMetrics scorer = new StageMetrics("scorer");
        RewardModelRegistry models = new RewardModelRegistry(uncallable("sentiment"));
        models.add(uncallable("sentiment-partial"));
        check(ScorerTopology.build(ScorerConfig.DEFAULT.withLimits(
                new ScorerConfig.Limits(limits.maxCandidates(), limits.maxTextChars())), models, scorer), scorer, List.of(Topics.CANDIDATES), bad, perKind);

        StageMetrics selector = new StageMetrics("selector");
        check(SelectorTopology.build(selector), selector, List.of(Topics.SCORED_CANDIDATES), bad, perKind);

        StageMetrics feedback = new StageMetrics("feedback");
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            check(FeedbackTopologies.withUncallableBackbone(limits.featureDim(), limits.maxFeedbackChars(), executor,
                    feedback), feedback, List.of(Topics.FEEDBACK, Topics.FEEDBACK_EXAMPLES), bad, perKind);
        } finally {
            executor.shutdownNow();
        }
        System.out.printf("BadRecordsTest: %d bad records per topic, all dead-lettered for their reason; per kind: %s%n",
                PER_TOPIC, perKind);
    }

    @Test
    void everyBadRewardModelPayloadIsRefusedAndTheServedVersionStays() {
        StageMetrics metrics = new StageMetrics("scorer");
        var base = org.alignstream.inference.reward.RewardModels.defaultSentiment(
                org.alignstream.inference.onnx.OnnxDevice.CPU, 1);
        try (RewardModelRegistry registry = new RewardModelRegistry(base)) {
            var installer = new org.alignstream.scorer.RewardModelInstaller(registry,
                    new org.alignstream.inference.onnx.OrtSessions(org.alignstream.inference.onnx.OnnxDevice.CPU, 1),
                    64 * 1024, metrics);
            BadModelVersions bad = new BadModelVersions(5, installer.maxModelBytes(), base.encoder().name());
            String served = registry.newestVersion("sentiment");
            int refused = 0;
            for (int i = 0; i < 3 * BadModelVersions.KINDS.size(); i++) {
                BadModelVersions.Payload p = bad.payload(i);
                assertThat(installer.apply(p.value(), p.key())).as(p.key()).isFalse();
                refused += p.refused() ? 1 : 0;
                assertThat(metrics.modelVersions("unknown", "refused")).as(p.key()).isEqualTo(refused);
            }
            assertThat(registry.newestVersion("sentiment")).isEqualTo(served);
            long next = Long.parseLong(served) + 1; // the bundled head's version is whatever its retraining gave it
            assertThat(installer.apply(bad.good(next, 1.1), "good")).isTrue();
            assertThat(registry.newestVersion("sentiment")).isEqualTo(Long.toString(next));
        }
    }

    private static void check(Topology topology, StageMetrics metrics, List<String> topics, BadRecords bad,
                              Map<String, Integer> perKind) {
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "bad-records-" + metrics.stage());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        props.put(StreamsConfig.STATE_DIR_CONFIG, System.getProperty("java.io.tmpdir") + "/bad-records-"
                + metrics.stage() + "-" + System.nanoTime());
        try (TopologyTestDriver driver = new TopologyTestDriver(topology, props)) {
            Map<String, BadRecord> sent = new HashMap<>();
            for (String topic : topics) {
                var input = driver.createInputTopic(topic, new ByteArraySerializer(), new ByteArraySerializer());
                for (BadRecord r : bad.records(topic, PER_TOPIC)) {
                    input.pipeInput(r.key().getBytes(StandardCharsets.UTF_8), r.value());
                    sent.put(r.key(), r);
                    perKind.merge(topic + "/" + r.kind(), 1, Integer::sum);
                }
            }
            var letters = driver.createOutputTopic(Topics.DEAD_LETTERS, new ByteArrayDeserializer(),
                    new ByteArrayDeserializer());
            Map<String, DeadLetter> byKey = new HashMap<>();
            List<String> wrong = new ArrayList<>();
            for (TestRecord<byte[], byte[]> rec : letters.readRecordsToList()) {
                String key = new String(rec.key(), StandardCharsets.UTF_8);
                assertThat(byKey.put(key, DeadLetters.serde().decode(rec.value()))).as("one dead letter for " + key)
                        .isNull();
            }
            assertThat(byKey.keySet()).as(metrics.stage() + ": dead letters = bad records in")
                    .containsExactlyInAnyOrderElementsOf(sent.keySet());
            for (BadRecord r : sent.values()) {
                DeadLetter d = byKey.get(r.key());
                if (!d.getReason().contains(r.reasonPart()) || !d.getStage().equals(r.stage())
                        || !d.getSourceTopic().equals(r.topic())
                        || !java.util.Arrays.equals(DeadLetters.bytes(d.getOriginalValue()), r.value())) {
                    wrong.add(r.key() + ": expected " + r.stage() + "/" + r.topic() + " '" + r.reasonPart() + "', got "
                            + d.getStage() + "/" + d.getSourceTopic() + " '" + d.getReason() + "'");
                }
            }
            assertThat(wrong).as(metrics.stage() + ": dead letters with another stage, topic, bytes or reason")
                    .isEmpty();
            for (String out : List.of(Topics.CANDIDATES, Topics.SCORED_CANDIDATES, Topics.ALIGNED_RESPONSES,
                    Topics.DECODE_STEPS, Topics.FEEDBACK_EXAMPLES, Topics.REWARD_MODELS)) {
                if (!topics.contains(out)) {
                    assertThat(driver.createOutputTopic(out, new ByteArrayDeserializer(), new ByteArrayDeserializer())
                            .isEmpty()).as(metrics.stage() + " wrote to " + out + " for bad records").isTrue();
                }
            }
            assertThat(metrics.recordsOut()).isZero();
            assertThat(metrics.recordsIn()).isEqualTo(sent.size());
            for (String leak : List.of(SafeStage.ERROR, SafeStage.NULL_OUTPUT, SafeStage.ENCODE)) {
                assertThat(metrics.deadLetters(leak)).as(metrics.stage() + " dead letters of class " + leak
                        + " (a failure no check caught)").isZero();
            }
        }
    }
}
