package org.alignstream.drills;

import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.clients.FeedbackClient;
import org.alignstream.clients.PromptClient;
import org.alignstream.harness.AlignmentChecks;
import org.alignstream.harness.LocalPipeline;
import org.alignstream.harness.SamplePrompts;
import org.alignstream.harness.TopicReader;

import static org.assertj.core.api.Assertions.assertThat;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BooleanSupplier;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.runtime.RunningStage;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.DeadLetters;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.topics.Topics;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.drills.fuzz.BadModelVersions;
import org.alignstream.drills.fuzz.BadRecords;
import org.alignstream.drills.fuzz.BadRecords.BadRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Fuzzing the running pipeline: {@code -Dfuzz.records} (default 10,000) generated bad records per input topic
 * ({@link BadRecords}: prompts, decode-steps, candidates, scored-candidates, feedback, feedback-examples) with 30 good
 * prompts (whole-response and stepwise methods) and 20 good feedback events interleaved, all four stages on one
 * embedded broker. Checks that no stage crashes or stalls (every good prompt answered exactly once within the timeout,
 * every stage still RUNNING with no stream thread lost), that every bad record is in dead-letters exactly once, from
 * the stage that reads its topic, with its original key and bytes and the reason it was made to provoke, that nothing
 * else is dead-lettered and no bad record leaks downstream, that each stage's counts reconcile (in = out + dead-lettered,
 * plus the examples the feedback service stores), and that limits are enforced before any expensive work: the language
 * model, the reward models and the feedback backbone ran exactly as often as the good records need.
 *
 * <p>{@code -Dfuzz.seed} changes the records. Run alone with
 * {@code mvn -B -o -pl drills -am verify -Dit.test=FuzzIT -Dtest=NONE -Dsurefire.failIfNoSpecifiedTests=false}.
 */
class FuzzIT {
    static {
        // one WARN line per dead letter would be 60,000 lines here (has no effect if another test initialised logging)
        System.setProperty("org.slf4j.simpleLogger.log.org.alignstream.common.stage.SafeStage", "error");
    }

    static final int RECORDS = Integer.getInteger("fuzz.records", 10_000);
    static final long SEED = Long.getLong("fuzz.seed", 20_261_124L);
    static final Duration TIMEOUT = Duration.ofSeconds(Long.getLong("fuzz.timeout.seconds", 240));
    static final Set<String> SERVED = Set.of("sentiment", "sentiment-partial", "sentiment-token");
    /** The scorer's --max-model-bytes here: small enough that an oversized payload still fits the broker's limit. */
    static final int MAX_MODEL_BYTES = 256 * 1024;

    private static final AvroSerde<PromptRequest> PROMPT = Pipeline.PROMPTS.serde();
    private static final AvroSerde<FeedbackEvent> FEEDBACK = Pipeline.FEEDBACK.serde();

    private static EmbeddedKafkaCluster kafka;
    private static LocalPipeline pipeline;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafkaCluster.start();
        pipeline = LocalPipeline.start(kafka.bootstrapServers(), List.of("--http-port=-1"),
                List.of("--reward-models=" + String.join(",", SERVED)), List.of("--max-model-bytes=" + MAX_MODEL_BYTES));
        pipeline.startFeedback(List.of("--retrain-every-events=1000000", "--retrain-every-ms=3600000"));
    }

    @AfterAll
    static void stop() {
        if (pipeline != null) {
            pipeline.close();
        }
        if (kafka != null) {
            kafka.close();
        }
    }

    /** 30 good prompts: Best-of-N, RBoN and every stepwise method, small enough to be quick. */
    static List<PromptRequest> goodPrompts() {
        List<String> texts = SamplePrompts.load(null);
        List<PromptRequest> out = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            Strategy.Builder s = Strategy.newBuilder().setMethod("best_of_n").setN(2).setTopK(0).setBeta(0.5)
                    .setTemperature(0.9).setTopP(0.95).setMaxNewTokens(8).setSeed(1000L + i);
            switch (i % 10) {
                case 1 -> s.setMethod("rbon_kl").setN(3);
                case 3 -> s.setMethod("rbon_wd").setN(3);
                case 5 -> s.setMethod(i == 5 ? "args" : "pargs").setTopK(3).setMaxNewTokens(4).setRewardModel(
                        i == 5 ? null : "sentiment-partial");
                case 7 -> s.setMethod("blockwise").setN(2).setBlockSize(2).setMaxNewTokens(4);
                case 9 -> s.setMethod(i == 9 ? "tq_star" : "args").setTopK(2).setRolloutLength(2).setMaxNewTokens(3);
                default -> {
                }
            }
            out.add(PromptRequest.newBuilder().setId("good-prompt-" + i).setPrompt(texts.get(i % texts.size()))
                    .setStrategy(s.build()).setCreatedAtMs(System.currentTimeMillis()).build());
        }
        return out;
    }

    /** 20 good feedback events for the trained model: preferences and edits. */
    static List<FeedbackEvent> goodFeedback() {
        List<FeedbackEvent> out = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            String good = "She walked by the sea and was happy, day " + i + ".";
            String bad = "She walked by the road and was cross, day " + i + ".";
            out.add(i % 4 == 3 ? FeedbackClient.edit("good-feedback-" + i, "sentiment", "Tell me", bad, good)
                    : FeedbackClient.preference("good-feedback-" + i, "sentiment", "Tell me", good, bad));
        }
        return out;
    }

    private static BadRecords.Limits limits() {
        var g = pipeline.generator().limits();
        var lm = pipeline.generator().sampler().generator().model();
        var s = pipeline.scorer().limits();
        int featureDim = ((EncoderRewardModel) pipeline.scorer().rewardModel()).encoder().dimension();
        return new BadRecords.Limits(g.maxN(), g.maxNewTokens(), g.maxPromptChars(), g.maxTopK(), g.maxRolloutLength(),
                lm.vocabSize(), lm.config().maxPositions().orElseThrow(), s.maxCandidates(), s.maxTextChars(),
                pipeline.feedback().maxTextChars(), featureDim, SERVED, Set.of("sentiment"));
    }

    @Test
    void badRecordsOnEveryInputTopicAreDeadLetteredOnceWhileGoodOnesAreAnsweredAndNothingCrashesOrStalls()
            throws Exception {
        assertThat(Set.copyOf(pipeline.scorer().rewardModels().ids())).as("the generator's --reward-models")
                .isEqualTo(SERVED);
        BadRecords generator = new BadRecords(SEED, limits());
        List<PromptRequest> prompts = goodPrompts();
        List<FeedbackEvent> feedback = goodFeedback();
        Set<String> goodIds = new HashSet<>();
        prompts.forEach(p -> goodIds.add(p.getId()));

        Map<String, BadRecord> bad = new LinkedHashMap<>();
        Map<String, Integer> perKind = new TreeMap<>();
        long bytes = 0;
        long t0 = System.nanoTime();
        try (PromptClient client = new PromptClient(kafka.clientConfig());
             KafkaProducer<byte[], byte[]> producer = producer()) {
            int nextPrompt = 0;
            int nextFeedback = 0;
            for (int i = 0; i < RECORDS; i++) {
                for (String topic : BadRecords.TOPICS) {
                    BadRecord r = generator.record(topic, i);
                    bad.put(r.key(), r);
                    perKind.merge(topic + "/" + r.kind(), 1, Integer::sum);
                    bytes += r.value() == null ? 0 : r.value().length;
                    producer.send(new ProducerRecord<>(topic, utf8(r.key()), r.value()));
                }
                // good records spread evenly among the bad ones
                if (nextPrompt < prompts.size() && i >= (long) (nextPrompt + 1) * RECORDS / (prompts.size() + 1)) {
                    PromptRequest p = prompts.get(nextPrompt++);
                    producer.send(new ProducerRecord<>(Topics.PROMPTS, utf8(p.getId()), PROMPT.encode(p)));
                }
                if (nextFeedback < feedback.size() && i >= (long) (nextFeedback + 1) * RECORDS / (feedback.size() + 1)) {
                    FeedbackEvent e = feedback.get(nextFeedback++);
                    producer.send(new ProducerRecord<>(Topics.FEEDBACK, utf8(e.getId()), FEEDBACK.encode(e)));
                }
            }
            for (; nextPrompt < prompts.size(); nextPrompt++) {
                PromptRequest p = prompts.get(nextPrompt);
                producer.send(new ProducerRecord<>(Topics.PROMPTS, utf8(p.getId()), PROMPT.encode(p)));
            }
            for (; nextFeedback < feedback.size(); nextFeedback++) {
                FeedbackEvent e = feedback.get(nextFeedback);
                producer.send(new ProducerRecord<>(Topics.FEEDBACK, utf8(e.getId()), FEEDBACK.encode(e)));
            }
            producer.flush();
            long produced = System.nanoTime();
            System.out.printf("FuzzIT: produced %d bad records (%d per topic, %.1f MB) + %d good prompts + %d good "
                    + "feedback in %.1f s%n", bad.size(), RECORDS, bytes / 1e6, prompts.size(), feedback.size(),
                    (produced - t0) / 1e9);

            // every good prompt answered exactly once, and nothing else (no bad record answered)
            List<AlignedResponse> answers = client.await(goodIds, TIMEOUT);
            long answered = System.nanoTime();
            assertThat(answers).extracting(AlignedResponse::getId).as("good prompts answered within " + TIMEOUT)
                    .containsExactlyInAnyOrderElementsOf(goodIds);
            System.out.printf("FuzzIT: all %d good prompts answered %.1f s after the last record was produced%n",
                    goodIds.size(), (answered - produced) / 1e9);

            // the stages get through every record (no stall); then the counts must reconcile exactly
            int stepRounds = 0;
            for (AlignedResponse a : answers) {
                stepRounds += Math.max(0, a.getRounds() - 1); // decode-steps records of a stepwise request
            }
            int candidateSets = prompts.size() + stepRounds;
            int goodFeedback = feedback.size();
            Map<String, Long> expectedIn = Map.of(
                    "generator", 2L * RECORDS + prompts.size() + stepRounds,
                    "scorer", (long) RECORDS + candidateSets,
                    "selector", (long) RECORDS + candidateSets,
                    "feedback", 2L * RECORDS + 2L * goodFeedback);
            awaitTrue(() -> expectedIn.entrySet().stream()
                    .allMatch(e -> metrics(e.getKey()).recordsIn() >= e.getValue()), TIMEOUT,
                    () -> "records in per stage: " + inCounts() + ", expected " + expectedIn);
            long drained = System.nanoTime();
            System.out.printf("FuzzIT: every stage read all its input %.1f s after the last record was produced%n",
                    (drained - produced) / 1e9);
            client.pollFor(Duration.ofSeconds(3));
            assertThat(client.received()).extracting(AlignedResponse::getId)
                    .as("exactly one answer per good prompt, and none for a bad record")
                    .containsExactlyInAnyOrderElementsOf(goodIds);

            // dead letters: each bad record exactly once, from its stage, with its key, bytes and reason
            List<ConsumerRecord<byte[], byte[]>> letters = TopicReader.readCommitted(kafka.clientConfig(),
                    Topics.DEAD_LETTERS, got -> got.size() >= bad.size(), Duration.ofSeconds(3), TIMEOUT);
            Map<String, DeadLetter> byKey = new HashMap<>();
            List<String> duplicates = new ArrayList<>();
            for (ConsumerRecord<byte[], byte[]> r : letters) {
                DeadLetter d = DeadLetters.serde().decode(r.value());
                String key = AlignmentChecks.key(r);
                assertThat(DeadLetters.bytes(d.getOriginalKey())).as("dead letter keyed by the original key")
                        .isEqualTo(r.key());
                if (byKey.put(key, d) != null) {
                    duplicates.add(key);
                }
            }
            assertThat(duplicates).as("bad records dead-lettered more than once").isEmpty();
            Set<String> missing = new HashSet<>(bad.keySet());
            missing.removeAll(byKey.keySet());
            Set<String> extra = new HashSet<>(byKey.keySet());
            extra.removeAll(bad.keySet());
            assertThat(missing).as("bad records not dead-lettered").isEmpty();
            assertThat(extra).as("records dead-lettered that were not bad").isEmpty();
            Map<String, String> wrong = new TreeMap<>();
            Map<String, String> sampleReason = new TreeMap<>();
            for (BadRecord b : bad.values()) {
                DeadLetter d = byKey.get(b.key());
                if (!d.getStage().equals(b.stage()) || !d.getSourceTopic().equals(b.topic())
                        || !Arrays.equals(DeadLetters.bytes(d.getOriginalValue()), b.value())
                        || d.getReason().isBlank() || !d.getReason().contains(b.reasonPart())) {
                    wrong.put(b.key(), "expected " + b.stage() + "/" + b.topic() + " '" + b.reasonPart() + "', got "
                            + d.getStage() + "/" + d.getSourceTopic() + " '" + d.getReason() + "'");
                }
                sampleReason.putIfAbsent(b.topic() + "/" + b.kind(), d.getReason());
            }
            assertThat(wrong).as("dead letters with another stage, source topic, original bytes or reason").isEmpty();
            long lettered = System.nanoTime();

            // nothing from a bad record went downstream; the good ones went through each stage exactly as often
            Map<String, Integer> sets = goodKeys(Topics.CANDIDATES, goodIds, bad.keySet());
            Map<String, Integer> scoredSets = goodKeys(Topics.SCORED_CANDIDATES, goodIds, bad.keySet());
            Map<String, Integer> steps = goodKeys(Topics.DECODE_STEPS, goodIds, bad.keySet());
            assertThat(sum(sets)).as("candidate sets of good prompts").isEqualTo(candidateSets);
            assertThat(scoredSets).as("a scored set for each candidate set").isEqualTo(sets);
            assertThat(sum(steps)).as("decode-steps of good prompts").isEqualTo(stepRounds);
            List<ConsumerRecord<byte[], byte[]>> examples = TopicReader.readCommitted(kafka.clientConfig(),
                    Topics.FEEDBACK_EXAMPLES, got -> true, Duration.ofSeconds(1), TIMEOUT);
            long goodExamples = examples.stream().filter(r -> !bad.containsKey(AlignmentChecks.key(r))).count();
            assertThat(goodExamples).as("one training example per good feedback event").isEqualTo(goodFeedback);

            // counts reconcile per stage: in = out + dead-lettered (+ examples the feedback service stores)
            Map<String, Long> badPerStage = new HashMap<>();
            bad.values().forEach(b -> badPerStage.merge(b.stage(), 1L, Long::sum));
            Map<String, Long> expectedOut = Map.of("generator", (long) candidateSets, "scorer", (long) candidateSets,
                    "selector", (long) candidateSets, "feedback", (long) goodFeedback);
            Map<String, Long> absorbed = Map.of("generator", 0L, "scorer", 0L, "selector", 0L, "feedback", goodExamples);
            StringBuilder table = new StringBuilder();
            for (RunningStage stage : pipeline.stages()) {
                StageMetrics m = stage.metrics();
                Map<String, Double> byClass = deadLettersByClass(m);
                double dead = byClass.values().stream().mapToDouble(Double::doubleValue).sum();
                String name = stage.name();
                table.append(String.format("%n  %-9s in=%.0f out=%.0f dead-lettered=%.0f %s", name, m.recordsIn(),
                        m.recordsOut(), dead, byClass));
                assertThat(m.recordsIn()).as(name + ": in = out + dead-lettered + stored")
                        .isEqualTo(m.recordsOut() + dead + absorbed.get(name));
                assertThat(m.recordsIn()).as(name + " records in").isEqualTo((double) expectedIn.get(name));
                assertThat(m.recordsOut()).as(name + " records out").isEqualTo((double) expectedOut.get(name));
                assertThat(dead).as(name + " dead letters").isEqualTo((double) badPerStage.get(name));
                assertThat(byClass.keySet()).as(name + ": every dead letter from a check (decode, null input, invalid),"
                        + " none from a failure no check caught").isSubsetOf(SafeStage.NULL_INPUT, SafeStage.DECODE,
                        SafeStage.INVALID);
            }

            // limits before expensive work: each model ran exactly as often as the good records need
            StageMetrics gen = metrics("generator");
            String lm = pipeline.generator().sampler().model().getId();
            assertThat(gen.inferences(lm)).as("language model runs = candidate sets of good prompts")
                    .isEqualTo(candidateSets);
            StageMetrics sc = metrics("scorer");
            long rewardRuns = SERVED.stream().mapToLong(sc::inferences).sum();
            assertThat(rewardRuns).as("reward model runs = candidate sets of good prompts").isEqualTo(candidateSets);
            assertThat(metrics("feedback").inferences("feedback-features")).as("backbone runs = good feedback events")
                    .isEqualTo(goodFeedback);

            // reward-models (read by every scorer in the background, not a stage): bad versions are refused, the
            // served one stays, the reader lives on and swaps in the next good version
            StageMetrics scorerMetrics = metrics("scorer");
            String served = pipeline.scorer().rewardModels().newestVersion("sentiment");
            BadModelVersions models = new BadModelVersions(SEED, pipeline.scorer().updater().installer().maxModelBytes(),
                    ((EncoderRewardModel) pipeline.scorer().rewardModel()).encoder().name());
            int modelRecords = Math.max(BadModelVersions.KINDS.size(), RECORDS / 20);
            double refusedBefore = scorerMetrics.modelVersions("unknown", "refused");
            long refused = 0;
            for (int i = 0; i < modelRecords; i++) {
                BadModelVersions.Payload p = models.payload(i);
                refused += p.refused() ? 1 : 0;
                producer.send(new ProducerRecord<>(Topics.REWARD_MODELS, utf8(p.key()), p.value()));
            }
            producer.flush();
            long expectRefused = refused;
            awaitTrue(() -> scorerMetrics.modelVersions("unknown", "refused") >= refusedBefore + expectRefused, TIMEOUT,
                    () -> "refused reward-model versions: " + scorerMetrics.modelVersions("unknown", "refused")
                            + ", expected " + (refusedBefore + expectRefused));
            assertThat(pipeline.scorer().rewardModels().newestVersion("sentiment")).as("served after bad versions")
                    .isEqualTo(served);
            long next = Long.parseLong(served) + 1; // the bundled head's version is whatever its retraining gave it
            producer.send(new ProducerRecord<>(Topics.REWARD_MODELS, utf8("sentiment@" + next), models.good(next, 1.1)))
                    .get();
            awaitTrue(() -> Long.toString(next).equals(pipeline.scorer().rewardModels().newestVersion("sentiment")),
                    TIMEOUT,
                    () -> "the good version after the bad ones was not swapped in");
            assertThat(scorerMetrics.modelVersions("unknown", "refused")).as("refused reward-model versions")
                    .isEqualTo(refusedBefore + refused);
            assertThat(scorerMetrics.modelVersions("sentiment", "swapped")).isEqualTo(1);
            System.out.printf("FuzzIT: %d bad reward-model payloads (%d refused, the rest tombstones), served version "
                    + "kept, then the good one swapped in%n", modelRecords, refused);

            // nothing crashed: every stage RUNNING, no stream thread died or was replaced
            for (RunningStage stage : pipeline.stages()) {
                KafkaStreams streams = stage.streams();
                assertThat(streams.state()).as(stage.name() + " state").isEqualTo(KafkaStreams.State.RUNNING);
                assertThat(streams.metadataForLocalThreads()).as(stage.name() + " stream threads").hasSize(1);
                assertThat(failedStreamThreads(streams)).as(stage.name() + " failed stream threads").isZero();
            }
            long end = System.nanoTime();
            System.out.printf("FuzzIT: %d bad records dead-lettered exactly once (checked %.1f s after the last was "
                    + "produced); %d good prompts answered once (%d candidate sets, %d decode steps); %d good feedback "
                    + "events stored; total %.1f s; per stage:%s%n", bad.size(), (lettered - produced) / 1e9,
                    goodIds.size(), candidateSets, stepRounds, goodFeedback, (end - t0) / 1e9, table);
            System.out.println("FuzzIT: records per kind: " + perKind);
            sampleReason.forEach((kind, reason) -> System.out.printf("FuzzIT:   %-50s %s%n", kind,
                    reason.length() > 160 ? reason.substring(0, 160) + "..." : reason));
        }
    }

    private static KafkaProducer<byte[], byte[]> producer() {
        Map<String, Object> c = kafka.clientConfig();
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        c.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        c.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
        c.put(ProducerConfig.BUFFER_MEMORY_CONFIG, 128L * 1024 * 1024);
        return new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
    }

    private static StageMetrics metrics(String stage) {
        return pipeline.stages().stream().filter(s -> s.name().equals(stage)).findFirst().orElseThrow().metrics();
    }

    private static Map<String, Double> inCounts() {
        Map<String, Double> out = new TreeMap<>();
        pipeline.stages().forEach(s -> out.put(s.name(), s.metrics().recordsIn()));
        return out;
    }

    /** {@code alignstream_dead_letters_total} of a stage, by reason class (the classes with a count). */
    static Map<String, Double> deadLettersByClass(StageMetrics metrics) {
        Map<String, Double> out = new TreeMap<>();
        for (MetricSnapshot s : metrics.registry().scrape()) {
            if (s instanceof CounterSnapshot c && c.getMetadata().getName().equals("alignstream_dead_letters")) {
                c.getDataPoints().forEach(d -> {
                    if (d.getValue() > 0) {
                        out.merge(d.getLabels().get("reason_class"), d.getValue(), Double::sum);
                    }
                });
            }
        }
        return out;
    }

    /** Kafka Streams' count of stream threads that died (client metric {@code failed-stream-threads}). */
    static double failedStreamThreads(KafkaStreams streams) {
        for (Map.Entry<org.apache.kafka.common.MetricName, ? extends Metric> e : streams.metrics().entrySet()) {
            if (e.getKey().name().equals("failed-stream-threads")) {
                return ((Number) e.getValue().metricValue()).doubleValue();
            }
        }
        throw new AssertionError("no failed-stream-threads metric");
    }

    /** Records of {@code topic} per good key; asserts every other key is one of the bad records injected there. */
    private static Map<String, Integer> goodKeys(String topic, Set<String> good, Set<String> injected) {
        Map<String, Integer> out = new TreeMap<>();
        List<String> leaked = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : TopicReader.readCommitted(kafka.clientConfig(), topic, got -> true,
                Duration.ofSeconds(1), TIMEOUT)) {
            String key = AlignmentChecks.key(r);
            if (good.contains(key)) {
                out.merge(key, 1, Integer::sum);
            } else if (key == null || !injected.contains(key) || !key.startsWith("fuzz-" + topic + "-")) {
                leaked.add(key);
            }
        }
        assertThat(leaked).as("records on " + topic + " that come from neither a good prompt nor the injected bad ones")
                .isEmpty();
        return out;
    }

    private static int sum(Map<String, Integer> counts) {
        return counts.values().stream().mapToInt(Integer::intValue).sum();
    }

    private static void awaitTrue(BooleanSupplier condition, Duration timeout, java.util.function.Supplier<String> what)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("stalled: not done within " + timeout + ": " + what.get());
            }
            Thread.sleep(200);
        }
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
