package org.alignstream.feedback;

import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.avro.TrainingExample;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.TimeUnit;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.EditEvent;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.PreferenceEvent;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.testing.StageTestDriver;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.apache.kafka.streams.KeyValue;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.alignstream.common.models.ModelStore;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The feedback topology with a fake backbone whose features are (number of 'x', number of 'y', 1): feedback that
 * prefers texts with many 'x' must produce a version whose head rewards 'x' more than the serving one.
 */
class FeedbackTopologyTest {

    static final AvroSerde<FeedbackEvent> EVENTS = Pipeline.FEEDBACK.serde();
    static final AvroSerde<RewardModelVersion> VERSIONS = Pipeline.REWARD_MODELS.serde();

    /**
     * Features (count of 'x', count of 'y', 1); tokens are the whitespace-separated words, each with its own (count of
     * 'x', count of 'y', 1), its hash code as id, and uniform attention.
     */
    static final Featurizer LETTERS = new Featurizer() {
        @Override
        public float[][] features(List<String> texts) {
            float[][] out = new float[texts.size()][];
            for (int i = 0; i < out.length; i++) {
                out[i] = letters(texts.get(i));
            }
            return out;
        }

        @Override
        public String backbone() {
            return "letters";
        }

        @Override
        public boolean tokenLevel() {
            return true;
        }

        @Override
        public Encoded encode(List<String> texts, int tokenTexts) {
            List<Tokens> tokens = new ArrayList<>();
            for (String text : texts.subList(0, tokenTexts)) {
                String[] words = text.isBlank() ? new String[0] : text.trim().split("\\s+");
                int[] ids = new int[words.length];
                float[][] states = new float[words.length][];
                float[] attention = new float[words.length];
                for (int t = 0; t < words.length; t++) {
                    ids[t] = words[t].hashCode();
                    states[t] = letters(words[t]);
                    attention[t] = 1f / words.length;
                }
                tokens.add(new Tokens(ids, states, attention));
            }
            return new Encoded(features(texts), tokens);
        }

        private float[] letters(String t) {
            return new float[] {t.chars().filter(c -> c == 'x').count(), t.chars().filter(c -> c == 'y').count(), 1};
        }
    };

    /** Runs every task in the calling thread: training finishes within the tick that starts it. */
    static final class DirectExecutor extends AbstractExecutorService {
        @Override
        public void execute(Runnable command) {
            command.run();
        }

        @Override
        public void shutdown() {
        }

        @Override
        public List<Runnable> shutdownNow() {
            return List.of();
        }

        @Override
        public boolean isShutdown() {
            return false;
        }

        @Override
        public boolean isTerminated() {
            return false;
        }

        @Override
        public boolean awaitTermination(long timeout, TimeUnit unit) {
            return true;
        }
    }

    /** The serving heads: 'y' is good, 'x' a little bad. */
    static LinearHead head(String id, String kind) {
        return new LinearHead(new double[] {-0.2, 1.0, 0.0}, 0.5, new HeadMetadata(id, "1", kind, 3, "letters"));
    }

    /** The bundled head of each model id, of the kind its name says. */
    static LinearHead bundled(String id) {
        return head(id, id.endsWith("partial") ? "partial-sequence" : id.endsWith("token") ? "token-level"
                : "full-sequence");
    }

    private final StageMetrics metrics = new StageMetrics(FeedbackTopology.STAGE);
    private StageTestDriver driver;

    @BeforeEach
    void start() {
        driver = new StageTestDriver(FeedbackTopology.build(new ExampleBuilder(LETTERS, FeedbackService.TARGETS.keySet(),
                        200, 25), new RewardTrainer(0.01, 0.02, new RewardTrainer.TokenLevel(0.01, 1.0)),
                t -> FeedbackService.TARGETS.getOrDefault(t, List.of()),
                FeedbackTopologyTest::bundled, new DirectExecutor(), 20,
                60_000, metrics), FeedbackTopology.STAGE, Topics.FEEDBACK, Topics.REWARD_MODELS);
    }

    @AfterEach
    void close() {
        driver.close();
    }

    static FeedbackEvent preference(String id, String chosen, String rejected) {
        return FeedbackEvent.newBuilder().setId(id).setAnnotatorId("a1").setTimeMs(1L)
                .setEvent(PreferenceEvent.newBuilder().setPrompt("p").setChosen(chosen).setRejected(rejected).build())
                .build();
    }

    static FeedbackEvent edit(String id, String original, String edited) {
        return FeedbackEvent.newBuilder().setId(id)
                .setEvent(EditEvent.newBuilder().setPrompt("p").setOriginal(original).setEdited(edited).build()).build();
    }

    /** Events that prefer 'x' words: "x x x word" over "y y word". */
    static List<FeedbackEvent> preferX(String prefix, int n) {
        List<FeedbackEvent> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String chosen = "x ".repeat(1 + i % 4) + "we like w" + i;
            String rejected = "y ".repeat(1 + i % 3) + "we dislike w" + i;
            out.add(i % 5 == 4 ? edit(prefix + i, rejected, chosen) : preference(prefix + i, chosen, rejected));
        }
        return out;
    }

    private List<RewardModelVersion> published() {
        List<RewardModelVersion> out = new ArrayList<>();
        for (KeyValue<byte[], byte[]> kv : driver.output().readKeyValuesToList()) {
            RewardModelVersion v = VERSIONS.decode(kv.value);
            assertThat(new String(kv.key, StandardCharsets.UTF_8)).isEqualTo(v.getModelId() + "@" + v.getVersion());
            out.add(v);
        }
        return out;
    }

    @Test
    void feedbackThatPrefersXPublishesVersionsThatRewardXMore() {
        for (FeedbackEvent e : preferX("e", 19)) {
            driver.pipe(e.getId(), EVENTS.encode(e));
        }
        driver.advanceWallClockTime(Duration.ofMillis(500));
        assertThat(published()).as("19 examples are fewer than the 20 that trigger a retraining").isEmpty();

        FeedbackEvent last = preferX("e", 20).get(19);
        driver.pipe(last.getId(), EVENTS.encode(last));
        driver.pipe(last.getId(), EVENTS.encode(last)); // a duplicate changes nothing
        driver.advanceWallClockTime(Duration.ofMillis(250)); // starts and (direct executor) finishes the training
        driver.advanceWallClockTime(Duration.ofMillis(250)); // publishes
        List<RewardModelVersion> versions = published();
        assertThat(metrics.modelVersions("sentiment", "published")).isEqualTo(1);
        assertThat(versions).extracting(RewardModelVersion::getModelId)
                .containsExactlyInAnyOrder("sentiment", "sentiment-partial", "sentiment-token");
        for (RewardModelVersion v : versions) {
            assertThat(v.getVersion()).isEqualTo(2);
            assertThat(v.getParentVersion()).isEqualTo(1);
            assertThat(v.getBackbone()).isEqualTo("letters");
            assertThat(v.getFigures().get("examples")).isEqualTo(20.0);
            assertThat(v.getFigures().get("heldout_accuracy")).isGreaterThan(v.getFigures().get("serving_heldout_accuracy"));
            byte[] bytes = new byte[v.getHeadOnnx().remaining()];
            v.getHeadOnnx().get(bytes);
            LinearHead trained = RewardHeadOnnx.read(bytes, "v2");
            assertThat(trained.metadata().version()).isEqualTo("2");
            assertThat(trained.metadata().kind()).isEqualTo(v.getKind());
            // the serving head gave 'x' -0.2; the feedback taught it that 'x' is good and 'y' worse than 'x'
            assertThat(trained.weights()[0]).isGreaterThan(trained.weights()[1]);
        }
        assertThat(versions).filteredOn(v -> v.getModelId().equals("sentiment-partial"))
                .allSatisfy(v -> assertThat(v.getKind()).isEqualTo("partial-sequence")
                        .isNotNull());
        RewardModelVersion token = versions.stream().filter(v -> v.getModelId().equals("sentiment-token")).findFirst()
                .orElseThrow();
        assertThat(token.getKind()).isEqualTo("token-level");
        assertThat(token.getFigures().get("edit_sequences")).as("the edits' token labels").isPositive();
        assertThat(token.getFigures().get("target_sequences")).as("the preferences' dense-credit targets").isPositive();
        assertThat(versions.stream().filter(v -> v.getModelId().equals("sentiment-partial")).findFirst().orElseThrow()
                .getFigures().get("train_pairs"))
                .as("the partial model also trains on prefix pairs")
                .isGreaterThan(versions.stream().filter(v -> v.getModelId().equals("sentiment")).findFirst().orElseThrow()
                        .getFigures().get("train_pairs"));

        // the next retraining builds on the published version
        for (FeedbackEvent e : preferX("f", 20)) {
            driver.pipe(e.getId(), EVENTS.encode(e));
        }
        driver.advanceWallClockTime(Duration.ofMillis(250));
        driver.advanceWallClockTime(Duration.ofMillis(250));
        assertThat(published()).allSatisfy(v -> {
            assertThat(v.getVersion()).isEqualTo(3);
            assertThat(v.getParentVersion()).isEqualTo(2);
            assertThat(v.getFigures().get("examples")).isEqualTo(40.0);
        }).hasSize(3);
    }

    @Test
    void headsOverTheInlineLimitGoToTheModelStoreAndTheNextTrainingBuildsOnThem(@TempDir Path dir) throws Exception {
        ModelStore store = ModelStore.at(dir);
        driver.close();
        driver = new StageTestDriver(FeedbackTopology.build(new ExampleBuilder(LETTERS, FeedbackService.TARGETS.keySet(),
                        200, 25), new RewardTrainer(0.01, 0.02, new RewardTrainer.TokenLevel(0.01, 1.0)),
                t -> FeedbackService.TARGETS.getOrDefault(t, List.of()),
                FeedbackTopologyTest::bundled, new DirectExecutor(), 20,
                60_000, metrics, new HeadPayloads(store, 0, 1 << 20)), FeedbackTopology.STAGE, Topics.FEEDBACK,
                Topics.REWARD_MODELS);
        for (FeedbackEvent e : preferX("e", 20)) {
            driver.pipe(e.getId(), EVENTS.encode(e));
        }
        driver.advanceWallClockTime(Duration.ofMillis(250));
        driver.advanceWallClockTime(Duration.ofMillis(250));
        List<RewardModelVersion> v2 = published();
        assertThat(v2).hasSize(3).allSatisfy(v -> {
            assertThat(v.getHeadOnnx()).as("no inline bytes").isNull();
            assertThat(Path.of(java.net.URI.create(v.getUri())))
                    .isEqualTo(dir.toRealPath().resolve(v.getModelId() + "/2/" + ModelStore.FILE_NAME));
            LinearHead stored = RewardHeadOnnx.read(store.read(v.getUri(), 1 << 20), "stored");
            assertThat(stored.metadata().id()).isEqualTo(v.getModelId());
            assertThat(stored.metadata().version()).isEqualTo("2");
        });
        // the next training reads the serving head back from the store and builds on it
        for (FeedbackEvent e : preferX("f", 20)) {
            driver.pipe(e.getId(), EVENTS.encode(e));
        }
        driver.advanceWallClockTime(Duration.ofMillis(250));
        driver.advanceWallClockTime(Duration.ofMillis(250));
        assertThat(published()).hasSize(3).allSatisfy(v -> {
            assertThat(v.getVersion()).isEqualTo(3);
            assertThat(v.getParentVersion()).isEqualTo(2);
            assertThat(v.getUri()).endsWith("/3/" + ModelStore.FILE_NAME);
        });

        // the serving head vanishes from the store: no training starts (and nothing crashes) until it is back
        Files.delete(dir.toRealPath().resolve("sentiment/3/" + ModelStore.FILE_NAME));
        for (FeedbackEvent e : preferX("g", 20)) {
            driver.pipe(e.getId(), EVENTS.encode(e));
        }
        driver.advanceWallClockTime(Duration.ofMillis(250));
        driver.advanceWallClockTime(Duration.ofMillis(250));
        assertThat(published()).isEmpty();
        assertThat(metrics.modelVersions("sentiment", "failed")).isEqualTo(1);
    }

    @Test
    void aVersionWorseOnTheHeldOutFeedbackIsNotPublished() {
        // 30 events prefer 'x' (held-out ones included), then the serving head is already good at that? No: here the
        // training data says the opposite of the held-out data, so the new version must lose held-out accuracy.
        ExampleBuilder builder = new ExampleBuilder(LETTERS, FeedbackService.TARGETS.keySet(), 200, 25);
        List<FeedbackEvent> events = new ArrayList<>();
        for (int i = 0; events.size() < 40; i++) {
            String id = "g" + i;
            boolean held = builder.heldOut(id);
            // held-out events agree with the serving head ('y' good); training events say 'x' is good
            events.add(held ? preference(id, "y y y keep " + i, "x x drop " + i)
                    : preference(id, "x x x keep " + i, "y y drop " + i));
        }
        for (FeedbackEvent e : events.subList(0, 20)) {
            driver.pipe(e.getId(), EVENTS.encode(e));
        }
        driver.advanceWallClockTime(Duration.ofMillis(250));
        driver.advanceWallClockTime(Duration.ofMillis(250));
        assertThat(published()).as("a version worse on held-out feedback is rejected").isEmpty();
        assertThat(metrics.modelVersions("sentiment", "rejected")).isEqualTo(1);
        assertThat(metrics.modelVersions("sentiment-partial", "rejected")).isEqualTo(1);
        assertThat(metrics.modelVersions("sentiment-token", "rejected")).isEqualTo(1);
        assertThat(metrics.modelVersions("sentiment", "published")).isZero();
    }

    @Test
    void badFeedbackGoesToDeadLettersWithItsReason() {
        List<Object[]> bad = List.of(
                new Object[] {"empty", preference("empty", "", "something")},
                new Object[] {"same", preference("same", "the same", "the same ")},
                new Object[] {"long", preference("long", "x".repeat(201), "y")},
                new Object[] {"noop-edit", edit("noop-edit", "unchanged", "unchanged")},
                new Object[] {"model", FeedbackEvent.newBuilder(preference("model", "a", "b")).setRewardModel("gold").build()});
        for (Object[] b : bad) {
            byte[] value = EVENTS.encode((FeedbackEvent) b[1]);
            driver.pipe((String) b[0], value);
            DeadLetter dl = driver.readDeadLetter((String) b[0], value);
            assertThat(dl.getReason()).as((String) b[0]).startsWith("invalid FeedbackEvent: ");
        }
        byte[] garbage = "??".getBytes(StandardCharsets.UTF_8);
        driver.pipe("garbage", garbage);
        assertThat(driver.readDeadLetter("garbage", garbage).getReason()).contains("cannot decode FeedbackEvent");
        assertThat(metrics.deadLetters(SafeStage.INVALID)).isEqualTo(5);
        assertThat(driver.output(Topics.FEEDBACK_EXAMPLES).isEmpty()).isTrue();
    }

    @Test
    void trainingBuildsOnTheNewestVersionOnTheTopicEvenIfSomeoneElsePublishedIt() {
        // an operator rolled back by republishing a head as version 10 (see docs/OPERATIONS.md)
        LinearHead rolledBack = new LinearHead(new double[] {0.3, 0.3, 0.0}, 0.1,
                new HeadMetadata("sentiment", "10", "full-sequence", 3, "letters"));
        RewardModelVersion v10 = RewardModelVersion.newBuilder().setModelId("sentiment").setVersion(10)
                .setParentVersion(3L).setKind("full-sequence").setBackbone("letters").setFigures(Map.of())
                .setHeadOnnx(java.nio.ByteBuffer.wrap(RewardHeadOnnx.write(rolledBack))).build();
        driver.pipe(Topics.REWARD_MODELS, "sentiment@10", VERSIONS.encode(v10));
        for (FeedbackEvent e : preferX("r", 20)) {
            driver.pipe(e.getId(), EVENTS.encode(e));
        }
        driver.advanceWallClockTime(Duration.ofMillis(250));
        driver.advanceWallClockTime(Duration.ofMillis(250));
        List<RewardModelVersion> versions = published();
        RewardModelVersion full = versions.stream().filter(v -> v.getModelId().equals("sentiment")).findFirst()
                .orElseThrow();
        assertThat(full.getVersion()).isEqualTo(11);
        assertThat(full.getParentVersion()).isEqualTo(10);
        byte[] bytes = new byte[full.getHeadOnnx().remaining()];
        full.getHeadOnnx().get(bytes);
        assertThat(RewardHeadOnnx.read(bytes, "v11").bias()).as("built on the rolled-back head")
                .isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-6));
        // the partial model had no such version: it goes on from its own
        assertThat(versions).filteredOn(v -> v.getModelId().equals("sentiment-partial"))
                .extracting(RewardModelVersion::getVersion).containsExactly(2L);
    }

    static TrainingExample example(String id, java.util.function.Consumer<TrainingExample.Builder> change) {
        TrainingExample.Builder b = TrainingExample.newBuilder().setEventId(id).setRewardModel("sentiment")
                .setSource("preference").setHoldout(false).setChosen(List.of(3f, 0f, 1f)).setRejected(List.of(0f, 2f, 1f))
                .setPrefixChosen(List.of(List.of(1f, 0f, 1f))).setPrefixRejected(List.of(List.of(0f, 1f, 1f)));
        change.accept(b);
        return b.build();
    }

    /**
     * Examples written straight to feedback-examples (not by the first step) that would poison training for good: a
     * wrong feature size or a NaN makes every later retraining of the model fail or be refused. They are dead-lettered
     * and never stored; a good one written the same way is stored and trained on.
     */
    @Test
    void examplesThatAreNotAsTheFirstStepMakesThemAreDeadLetteredAndNeverStored() {
        AvroSerde<TrainingExample> examples = Pipeline.FEEDBACK_EXAMPLES.serde();
        Object[][] cases = {
            {"no-id", example(" ", b -> { }), "training example has no event id"},
            {"model", example("e1", b -> b.setRewardModel("gold")),
                "training example e1 is for reward model 'gold', which this service does not train"},
            {"source", example("e2", b -> b.setSource("rumour")), "training example e2 has source 'rumour'"},
            {"dimension", example("e3", b -> b.setChosen(List.of(1f, 2f))),
                "training example e3: chosen features have 2 values, the backbone's have 3"},
            {"nan", example("e4", b -> b.setRejected(List.of(0f, Float.NaN, 1f))),
                "training example e4: rejected features have the non-finite value NaN at 1"},
            {"prefix-pairs", example("e5", b -> b.setPrefixRejected(List.of())),
                "training example e5 has 1 chosen prefixes but 0 rejected ones"},
            {"prefix-count", example("e6", b -> {
                b.setPrefixChosen(java.util.Collections.nCopies(4, List.of(1f, 0f, 1f)));
                b.setPrefixRejected(java.util.Collections.nCopies(4, List.of(0f, 1f, 1f)));
            }), "training example e6 has 4 prefix pairs, at most 3 are made"},
            {"prefix-inf", example("e7", b -> b.setPrefixChosen(List.of(List.of(1f, Float.POSITIVE_INFINITY, 1f)))),
                "training example e7: chosen prefix 0 features have the non-finite value Infinity at 1"},
        };
        for (Object[] c : cases) {
            byte[] bytes = examples.encode((TrainingExample) c[1]);
            driver.pipe(Topics.FEEDBACK_EXAMPLES, (String) c[0], bytes);
            assertThat(driver.readDeadLetter(Topics.FEEDBACK_EXAMPLES, (String) c[0], bytes).getReason())
                    .as((String) c[0]).startsWith("invalid TrainingExample: ").contains((String) c[2]);
        }
        assertThat(metrics.deadLetters(SafeStage.INVALID)).isEqualTo(cases.length);
        byte[] good = examples.encode(example("e8", b -> { }));
        driver.pipe(Topics.FEEDBACK_EXAMPLES, "sentiment", good);
        assertThat(driver.deadLetters().isEmpty()).isTrue();
        assertThat(metrics.recordsIn()).isEqualTo(cases.length + 1);

        // none was stored: retraining works (stored, a 2-value or NaN example made every retraining of the model throw
        // "chosen row 16 has 2 features, expected 3" / "is not finite", for good)
        for (FeedbackEvent e : preferX("p", 19)) {
            driver.pipe(e.getId(), EVENTS.encode(e));
        }
        driver.advanceWallClockTime(Duration.ofMillis(250));
        driver.advanceWallClockTime(Duration.ofMillis(250));
        assertThat(published()).extracting(RewardModelVersion::getModelId)
                .containsExactlyInAnyOrderElementsOf(FeedbackService.TARGETS.get("sentiment").stream()
                        .map(TrainingLoop.Target::modelId).toList());
        assertThat(metrics.modelVersions("sentiment", "failed")).isZero();
        assertThat(driver.deadLetters().isEmpty()).isTrue();
    }
}
