package org.alignstream.drills;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.alignstream.clients.FeedbackClient;
import org.alignstream.clients.PromptClient;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.harness.annotator.SeaOverTown;

/**
 * Chaos drills ({@code ops/chaos.sh}): the four stages as separate JVMs ({@link DrillStages}) against an embedded
 * broker in this JVM. First an undisturbed run of a fixed set of seeded prompts, Best-of-N and (one in four)
 * tokenwise ARGS ({@code --prompts}, 1,000 by default; {@link PromptLoad}); then, per drill, the same prompts under
 * new ids while something is broken mid-run:
 * <ul>
 *   <li>{@code kill_generator}, {@code kill_scorer}, {@code kill_selector}: the stage SIGKILLed and restarted
 *       ({@link KillStageDrill});</li>
 *   <li>{@code restart_broker}: the broker stopped and restarted ({@link RestartBrokerDrill});</li>
 *   <li>{@code hot_swap_reward_model}: feedback events sent mid-run make the feedback service train and publish a new
 *       version of the serving reward model, which the scorer swaps in while prompts stream through
 *       ({@link HotSwapRewardModelDrill});</li>
 *   <li>{@code kill_feedback}: the feedback service SIGKILLed while it retrains, more events (and duplicates) sent
 *       while it is down, then restarted; here the "prompts" are feedback events: lost = distinct events the next
 *       version was not trained on ({@link KillFeedbackDrill}).</li>
 * </ul>
 * Per drill: prompts not answered (lost), extra answers (duplicated), records on dead-letters during the drill, and
 * answers that differ from an undisturbed run with the same seeds (seeded sampling is deterministic), compared per
 * reward-model version: an answer stamped with version V is compared with a reference run pinned to V
 * ({@link ReferenceAnswers}). Ends with one line per drill: {@code drill NAME lost=L duplicated=D dead_lettered=X}
 * ({@link DrillReport}). Exit code 0 only if all are 0 and nothing differs.
 */
public final class ChaosDrills {

    /** {@code --prompts=N} (prompts per drill) and {@code --interval-ms=N} (pause between sends outside the burst). */
    record Options(int prompts, int intervalMs) {
        Options {
            if (prompts < 20) {
                throw new IllegalArgumentException("--prompts must be >= 20, was " + prompts);
            }
            if (intervalMs < 0) {
                throw new IllegalArgumentException("--interval-ms must be >= 0, was " + intervalMs);
            }
        }

        static Options parse(String[] args) {
            int prompts = 1000;
            int interval = 25;
            for (String a : args) {
                if (a.startsWith("--prompts=")) {
                    prompts = Integer.parseInt(a.substring("--prompts=".length()));
                } else if (a.startsWith("--interval-ms=")) {
                    interval = Integer.parseInt(a.substring("--interval-ms=".length()));
                } else {
                    throw new IllegalArgumentException("unknown argument '" + a + "'; usage: ChaosDrills "
                            + "[--prompts=N (default 1000)] [--interval-ms=MS (default 25)]");
                }
            }
            return new Options(prompts, interval);
        }

        /** The index of the first prompt of the burst after which the breakage starts. */
        int breakAt() {
            return Math.max(5, prompts / 6);
        }
    }

    private ChaosDrills() {
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Path workDir = Files.createTempDirectory("alignstream-chaos-");
        System.out.println("chaos: work directory (service logs) " + workDir);
        int code;
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start(
                Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"));
             ServiceProcesses processes = new ServiceProcesses(workDir, kafka.bootstrapServers())) {
            code = run(kafka, new DrillStages(processes), options);
        }
        System.exit(code);
    }

    /** Starts the stages, runs the reference and every drill in turn, prints the report; returns the exit code. */
    private static int run(EmbeddedKafkaCluster kafka, DrillStages stages, Options options) throws Exception {
        stages.startAll();
        System.out.printf("chaos: %d prompts per drill, a send every %d ms outside the burst%n", options.prompts(),
                options.intervalMs());
        Map<String, Object> clientConfig = kafka.clientConfig();
        CommittedRecords deadLetters = new CommittedRecords(clientConfig, Pipeline.DEAD_LETTERS);
        RewardModelVersions versions = new RewardModelVersions(clientConfig, SeaOverTown.MODEL);
        DrillReport report;
        try (PromptClient client = new PromptClient(clientConfig);
             FeedbackClient feedback = new FeedbackClient(clientConfig)) {
            PromptLoad load = new PromptLoad(client, options, deadLetters);
            ReferenceAnswers references = new ReferenceAnswers(load);
            references.add(ReferenceAnswers.BUNDLED_VERSION, load.run("undisturbed", null, null, false));
            report = new DrillReport(references);
            List<Drill> drills = List.of(
                    new KillStageDrill(Pipeline.GENERATOR, stages, load),
                    new KillStageDrill(Pipeline.SCORER, stages, load),
                    new KillStageDrill(Pipeline.SELECTOR, stages, load),
                    new RestartBrokerDrill(kafka, load),
                    new HotSwapRewardModelDrill(load, feedback, versions),
                    new KillFeedbackDrill(stages, feedback, versions, deadLetters));
            for (Drill drill : drills) {
                drill.run(report);
            }
        }
        report.print(System.out);
        return report.exitCode();
    }
}
