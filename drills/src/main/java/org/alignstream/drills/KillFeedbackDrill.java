package org.alignstream.drills;

import java.time.Duration;
import java.util.Map;
import org.alignstream.clients.FeedbackClient;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.drills.ServiceProcesses.ServiceProcess;
import org.alignstream.harness.annotator.SeaOverTown;
import org.apache.kafka.common.TopicPartition;

/**
 * {@code kill_feedback}: the feedback service SIGKILLed while it retrains ({@link DrillStages#RETRAIN_EVERY} new events
 * sent, killed as soon as its log says the retraining began), more events and a few duplicates sent while it is down,
 * then restarted. Here the "prompts" are feedback events: lost = distinct events the newest version was not trained on
 * (its {@code examples} figure), duplicated = examples beyond the distinct events sent. Runs after
 * {@link HotSwapRewardModelDrill}, whose events the model was trained on already.
 */
final class KillFeedbackDrill implements Drill {
    private static final int SENT_WHILE_DOWN = 30;
    private static final int DUPLICATES = 10;

    private final DrillStages stages;
    private final FeedbackClient feedback;
    private final RewardModelVersions versions;
    private final CommittedRecords deadLetters;

    KillFeedbackDrill(DrillStages stages, FeedbackClient feedback, RewardModelVersions versions,
            CommittedRecords deadLetters) {
        this.stages = stages;
        this.feedback = feedback;
        this.versions = versions;
        this.deadLetters = deadLetters;
    }

    @Override
    public String name() {
        return "kill_feedback";
    }

    @Override
    public void run(DrillReport report) throws Exception {
        Map<TopicPartition, Long> dlqStart = deadLetters.ends();
        int distinct = DrillStages.RETRAIN_EVERY; // the hot-swap drill's events
        long t0 = System.nanoTime();
        ServiceProcess service = stages.current(Pipeline.FEEDBACK_STAGE);
        long logFrom = service.logSize();
        int before = DrillStages.RETRAIN_EVERY;
        SeaOverTown.events("kill-feedback-", 0, before).forEach(feedback::send);
        feedback.flush();
        distinct += before;
        boolean midTraining = service.awaitLogLine(logFrom, "retraining from " + distinct + " feedback examples",
                Duration.ofSeconds(60));
        stages.kill(Pipeline.FEEDBACK_STAGE);
        System.out.printf("chaos: %s: SIGKILLed %s%n", name(), midTraining ? "as its retraining on " + distinct
                + " examples began" : "(no retraining seen in its log within 60 s)");
        SeaOverTown.events("kill-feedback-", before, SENT_WHILE_DOWN).forEach(feedback::send);
        SeaOverTown.events("kill-feedback-", 0, DUPLICATES).forEach(feedback::send); // must change nothing
        feedback.flush();
        distinct += SENT_WHILE_DOWN;
        Thread.sleep(2000);
        stages.start(Pipeline.FEEDBACK_STAGE);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        while (System.nanoTime() < deadline && versions.maxExamples() < distinct) {
            Thread.sleep(500);
        }
        Thread.sleep(1000);
        double trainedOn = versions.maxExamples();
        long lost = Math.max(0, distinct - Math.round(trainedOn));
        long duplicated = Math.max(0, Math.round(trainedOn) - distinct);
        long deadLettered = deadLetters.since(dlqStart).size();
        System.out.printf("chaos: %s: %d distinct feedback events sent (%d while it was down, plus %d duplicates); the "
                + "newest version was trained on %.0f examples, %.1f s%n", name(), distinct, SENT_WHILE_DOWN,
                DUPLICATES, trainedOn, (System.nanoTime() - t0) / 1e9);
        report.counts(name(), lost, duplicated, deadLettered, midTraining);
    }
}
