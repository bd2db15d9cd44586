package org.alignstream.harness;

import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.clients.FeedbackClient;
import org.alignstream.clients.PromptClient;
import org.alignstream.clients.RewardModelTool;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.topics.Topics;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.harness.annotator.SeaOverTown;
import org.alignstream.scorer.RewardModelRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The feedback loop over a real broker with the real models: preference and edit events that favour texts about the
 * sea over texts about the town are streamed in; the feedback service retrains and publishes a new version; the scorer
 * hot-swaps it while prompts are being answered (none dropped, none answered twice, each stamped with the version that
 * scored it); the new version rewards sea texts more, relative to town texts, than the bundled one did. Then the
 * feedback service is stopped in the middle of a retraining and restarted: the next version was trained on every event
 * sent, none lost.
 */
class FeedbackLoopIT {
    private static final AvroSerde<RewardModelVersion> VERSIONS = Pipeline.REWARD_MODELS.serde();
    private static final List<String> SEA = SeaOverTown.SEA;
    private static final List<String> TOWN = SeaOverTown.TOWN;

    private static EmbeddedKafkaCluster kafka;
    private static LocalPipeline pipeline;

    @BeforeAll
    static void start() {
        kafka = EmbeddedKafkaCluster.start();
        pipeline = LocalPipeline.start(kafka.bootstrapServers(), "--http-port=-1");
        pipeline.startFeedback(List.of("--retrain-every-events=60", "--retrain-every-ms=600000",
                "--holdout-percent=25", "--prior-l2=0.001"));
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

    /** Events (ids prefix + i): a sea text preferred over a town text; every fifth an edit turning town into sea. */
    static List<FeedbackEvent> favourTheSea(String prefix, int from, int count) {
        return SeaOverTown.events(prefix, from, count);
    }

    /** mean r(sea texts) - mean r(town texts) on texts never used as feedback. */
    static double seaMinusTown(RewardModel model) {
        List<String> sea = new ArrayList<>();
        List<String> town = new ArrayList<>();
        for (int i = 0; i < SEA.size(); i++) {
            sea.add("In the end we went down to the " + SEA.get(i) + " together.");
            town.add("In the end we went down to the " + TOWN.get(i) + " together.");
        }
        double[] rs = model.score("", sea);
        double[] rt = model.score("", town);
        return java.util.Arrays.stream(rs).average().orElseThrow() - java.util.Arrays.stream(rt).average().orElseThrow();
    }

    private static List<RewardModelVersion> published(int atLeast) {
        List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readCommitted(kafka.clientConfig(),
                Topics.REWARD_MODELS, got -> got.size() >= atLeast, Duration.ofMillis(500), Duration.ofSeconds(90));
        return records.stream().map(r -> VERSIONS.decode(r.value())).toList();
    }

    @Test
    void feedbackGoesLiveWithoutDroppingOrDoubleScoringAndRaisesTheFavouredKind() throws Exception {
        RewardModelRegistry registry = pipeline.scorer().rewardModels();
        // the bundled versions (what the last retraining of each head gave it); feedback publishes parent + 1
        String bundled = RewardModels.bundledSentimentVersion();
        String first = Long.toString(Long.parseLong(bundled) + 1);
        String partialFirst = Long.toString(Long.parseLong(registry.newestVersion("sentiment-partial")) + 1);
        String tokenFirst = Long.toString(Long.parseLong(registry.newestVersion("sentiment-token")) + 1);
        assertThat(registry.newestVersion("sentiment")).isEqualTo(bundled);
        double before = seaMinusTown(registry.resolve("sentiment"));
        double tokenBefore = seaMinusTown(registry.resolve("sentiment-token"));

        List<PromptRequest> prompts = PipelineIT.requests("swap-", 24);
        try (PromptClient client = new PromptClient(kafka.clientConfig());
             FeedbackClient feedback = new FeedbackClient(kafka.clientConfig())) {
            // half the prompts, then the feedback that triggers a retraining, then the rest while it goes live
            prompts.subList(0, 12).forEach(client::send);
            client.flush();
            favourTheSea("sea-", 0, 60).forEach(feedback::send);
            feedback.flush();
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            int sent = 12;
            while (!first.equals(registry.newestVersion("sentiment")) && System.nanoTime() < deadline) {
                if (sent < prompts.size() - 6) { // keep the last 6 for after the swap
                    client.send(prompts.get(sent++));
                    client.flush();
                }
                Thread.sleep(250);
            }
            assertThat(registry.newestVersion("sentiment")).as("version %s is live in the scorer", first)
                    .isEqualTo(first);
            while (sent < prompts.size()) {
                client.send(prompts.get(sent++));
            }
            client.flush();
            List<AlignedResponse> got = client.await(prompts.stream().map(PromptRequest::getId).toList(),
                    Duration.ofSeconds(120));
            client.pollFor(Duration.ofMillis(1500));
            List<String> ids = client.received().stream().map(AlignedResponse::getId).toList();
            assertThat(ids).as("every prompt answered exactly once across the swap")
                    .containsExactlyInAnyOrderElementsOf(prompts.stream().map(PromptRequest::getId).toList());
            Set<String> versions = new HashSet<>();
            for (AlignedResponse r : got) {
                versions.add(r.getRewardModel().getVersion());
                // the reward is what the stamped version gives the chosen text (alone; int8 batch effects allowed)
                double alone = registry.resolve("sentiment", r.getRewardModel().getVersion()).score(r.getPrompt(), r.getText());
                assertThat(r.getReward()).as(r.getId()).isCloseTo(alone,
                        org.assertj.core.data.Offset.offset(AlignmentChecks.ALONE_TOLERANCE));
            }
            assertThat(versions).as("answers scored before and after the swap").contains(bundled, first);
            System.out.println("versions stamped on the answers: " + versions);
        }
        double after = seaMinusTown(registry.resolve("sentiment"));
        System.out.printf("sea - town reward: bundled %.3f, after feedback %.3f%n", before, after);
        assertThat(after).as("the new version rewards the favoured kind more").isGreaterThan(before + 0.1);

        List<RewardModelVersion> published = published(2);
        assertThat(published).extracting(RewardModelVersion::getModelId).contains("sentiment", "sentiment-partial");
        RewardModelVersion v2 = published.stream().filter(v -> v.getModelId().equals("sentiment")).findFirst().orElseThrow();
        assertThat(v2.getFigures().get("examples")).isEqualTo(60.0);
        assertThat(registry.newestVersion("sentiment-partial")).isEqualTo(partialFirst);
        // the token-level model learnt from the same feedback (edit token labels, dense credit of the serving reward)
        long tokenDeadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!tokenFirst.equals(registry.newestVersion("sentiment-token")) && System.nanoTime() < tokenDeadline) {
            Thread.sleep(250);
        }
        assertThat(registry.newestVersion("sentiment-token")).as("token-level version %s is live", tokenFirst)
                .isEqualTo(tokenFirst);
        double tokenAfter = seaMinusTown(registry.resolve("sentiment-token"));
        System.out.printf("sea - town token-level reward: bundled %.3f, after feedback %.3f%n", tokenBefore, tokenAfter);
        assertThat(tokenAfter).as("the token-level version rewards the favoured kind more").isGreaterThan(tokenBefore);

        // stop the feedback service right after a retraining was triggered, restart it: no event is lost
        try (FeedbackClient feedback = new FeedbackClient(kafka.clientConfig())) {
            favourTheSea("sea-", 60, 60).forEach(feedback::send);
            feedback.flush();
            Thread.sleep(1500); // examples stored, retraining under way or just done
            pipeline.stopFeedback();
            favourTheSea("sea-", 120, 60).forEach(feedback::send); // sent while it is down
            favourTheSea("sea-", 0, 10).forEach(feedback::send); // duplicates: ignored
            feedback.flush();
        }
        // restarted with a time trigger too, so the examples left after the last count trigger are trained on
        pipeline.startFeedback(List.of("--retrain-every-events=60", "--retrain-every-ms=3000",
                "--holdout-percent=25", "--prior-l2=0.001"));
        List<RewardModelVersion> all = published(4);
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (all.stream().noneMatch(v -> v.getModelId().equals("sentiment")
                && v.getFigures().getOrDefault("examples", 0.0) >= 180.0) && System.nanoTime() < deadline) {
            Thread.sleep(500);
            all = published(4);
        }
        double maxExamples = all.stream().filter(v -> v.getModelId().equals("sentiment"))
                .mapToDouble(v -> v.getFigures().get("examples")).max().orElseThrow();
        assertThat(maxExamples).as("the last version was trained on all 180 distinct events").isEqualTo(180.0);

        // roll back to the first feedback version with the tool: the scorer serves its head again, under a new number
        long newest = Long.parseLong(registry.newestVersion("sentiment"));
        int exit = RewardModelTool.commandLine(Map.of()).execute("--bootstrap-servers", kafka.bootstrapServers(),
                "rollback", "--model", "sentiment", "--to-version", first);
        assertThat(exit).isZero();
        long rolledBack = newest + 1;
        long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (Long.parseLong(registry.newestVersion("sentiment")) < rolledBack && System.nanoTime() < until) {
            Thread.sleep(200);
        }
        assertThat(registry.newestVersion("sentiment")).isEqualTo(Long.toString(rolledBack));
        assertThat(seaMinusTown(registry.resolve("sentiment"))).as("version %s's head again", first)
                .isCloseTo(after, org.assertj.core.data.Offset.offset(1e-6));
    }
}
