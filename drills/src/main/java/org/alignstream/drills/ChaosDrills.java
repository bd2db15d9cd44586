package org.alignstream.drills;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.alignstream.clients.FeedbackClient;
import org.alignstream.clients.PromptClient;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.embedded.KRaftBrokerProperties;
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
 *
 * <p>With {@code --brokers=3}: three brokers, each its own process ({@link BrokerProcesses}: one KRaft quorum, every
 * topic at replication factor 3 and {@code min.insync.replicas=2}), the serving stages as separate JVMs at that
 * replication factor, and the three-broker drills instead: {@code kill_partition_leader}
 * ({@link KillPartitionLeaderDrill}), {@code kill_transaction_coordinator} ({@link KillTransactionCoordinatorDrill}),
 * {@code roll_brokers} ({@link RollBrokersDrill}) and {@code lose_in_sync_minimum} ({@link LoseInSyncMinimumDrill}).
 * Each drill line is followed by {@code stall NAME longest_s=S}: the longest time without an answer while it ran
 * ({@link AnswerStalls}).
 */
public final class ChaosDrills {

    /**
     * {@code --prompts=N} (prompts per drill), {@code --interval-ms=N} (pause between sends outside the burst),
     * {@code --brokers=N} (1: one broker in this JVM and the single-broker drills; 3: three broker processes and the
     * three-broker drills) and {@code --drills=a,b} (only these drills, by name; all by default).
     */
    record Options(int prompts, int intervalMs, int brokers, List<String> drills) {
        static final List<String> SINGLE_BROKER_DRILLS = List.of("kill_generator", "kill_scorer", "kill_selector",
                "restart_broker", "hot_swap_reward_model", "kill_feedback");
        static final List<String> THREE_BROKER_DRILLS = List.of("kill_partition_leader",
                "kill_transaction_coordinator", "roll_brokers", "lose_in_sync_minimum");

        Options {
            if (prompts < 20) {
                throw new IllegalArgumentException("--prompts must be >= 20, was " + prompts);
            }
            if (intervalMs < 0) {
                throw new IllegalArgumentException("--interval-ms must be >= 0, was " + intervalMs);
            }
            if (brokers != 1 && brokers != 3) {
                throw new IllegalArgumentException("--brokers must be 1 or 3, was " + brokers);
            }
            List<String> known = brokers == 1 ? SINGLE_BROKER_DRILLS : THREE_BROKER_DRILLS;
            for (String d : drills) {
                if (!known.contains(d)) {
                    throw new IllegalArgumentException("unknown drill '" + d + "' for --brokers=" + brokers
                            + "; known: " + known);
                }
            }
            drills = List.copyOf(drills);
        }

        Options(int prompts, int intervalMs) {
            this(prompts, intervalMs, 1, List.of());
        }

        static Options parse(String[] args) {
            int prompts = 1000;
            int interval = 25;
            int brokers = 1;
            List<String> drills = List.of();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                if (a.equals("--brokers") && i + 1 < args.length) {
                    a = "--brokers=" + args[++i]; // ops/chaos.sh --brokers 3
                }
                if (a.startsWith("--prompts=")) {
                    prompts = Integer.parseInt(a.substring("--prompts=".length()));
                } else if (a.startsWith("--interval-ms=")) {
                    interval = Integer.parseInt(a.substring("--interval-ms=".length()));
                } else if (a.startsWith("--brokers=")) {
                    brokers = Integer.parseInt(a.substring("--brokers=".length()));
                } else if (a.startsWith("--drills=")) {
                    drills = List.of(a.substring("--drills=".length()).split(","));
                } else {
                    throw new IllegalArgumentException("unknown argument '" + a + "'; usage: ChaosDrills "
                            + "[--prompts=N (default 1000)] [--interval-ms=MS (default 25)] [--brokers=1|3 (default 1)]"
                            + " [--drills=NAME,... (default all)]");
                }
            }
            return new Options(prompts, interval, brokers, drills);
        }

        /** The index of the first prompt of the burst after which the breakage starts. */
        int breakAt() {
            return Math.max(5, prompts / 6);
        }

        /** Whether drill {@code name} is to run. */
        boolean runs(String name) {
            return drills.isEmpty() || drills.contains(name);
        }
    }

    private ChaosDrills() {
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Path workDir = Files.createTempDirectory("alignstream-chaos-");
        System.out.println("chaos: work directory (service logs) " + workDir);
        int code;
        if (options.brokers() == 1) {
            try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start(BrokerProcesses.BROKER_PROPERTIES);
                 ServiceProcesses processes = new ServiceProcesses(workDir, kafka.bootstrapServers())) {
                code = run(kafka, new DrillStages(processes), options);
            }
        } else {
            List<EmbeddedKafkaCluster.Node> nodes = BrokerProcesses.layOut(workDir.resolve("kafka"),
                    options.brokers());
            try (ServiceProcesses processes = new ServiceProcesses(workDir, BrokerProcesses.bootstrapServers(nodes))) {
                long t0 = System.nanoTime();
                BrokerProcesses brokers = BrokerProcesses.startAll(processes, nodes);
                System.out.printf("chaos: %d brokers (one process each, KRaft quorum of %d, replication factor %d, "
                        + "min.insync.replicas %d) up in %.1f s on %s%n", nodes.size(), nodes.size(),
                        KRaftBrokerProperties.replicationFactor(nodes.size()),
                        KRaftBrokerProperties.minInsyncReplicas(nodes.size()), (System.nanoTime() - t0) / 1e9,
                        brokers.bootstrapServers());
                code = runOnBrokers(brokers, new DrillStages(processes,
                        KRaftBrokerProperties.replicationFactor(nodes.size())), options);
            }
        }
        System.exit(code);
    }

    /**
     * The three-broker drills: the serving stages (generator, scorer, selector) with every topic replicated three
     * times, the reference run, then each drill; prints the report with the longest stall of each.
     */
    private static int runOnBrokers(BrokerProcesses brokers, DrillStages stages, Options options) throws Exception {
        stages.startAll(List.of(Pipeline.GENERATOR, Pipeline.SCORER, Pipeline.SELECTOR));
        System.out.printf("chaos: %d prompts per drill, a send every %d ms outside the burst%n", options.prompts(),
                options.intervalMs());
        Map<String, Object> clientConfig = Map.of("bootstrap.servers", brokers.bootstrapServers());
        CommittedRecords deadLetters = new CommittedRecords(clientConfig, Pipeline.DEAD_LETTERS);
        DrillReport report;
        try (PromptClient client = new PromptClient(clientConfig);
             AnswerStalls stalls = new AnswerStalls(clientConfig)) {
            PromptLoad load = new PromptLoad(client, options, deadLetters, new LostPrompts(clientConfig));
            ReferenceAnswers references = new ReferenceAnswers(load);
            int mark = stalls.mark();
            references.add(ReferenceAnswers.BUNDLED_VERSION, load.run("undisturbed", null, null, false));
            System.out.printf(java.util.Locale.ROOT, "chaos: undisturbed: longest stall %.1f s%n",
                    stalls.longestStallSince(mark));
            report = new DrillReport(references);
            List<Drill> drills = List.of(
                    new KillPartitionLeaderDrill(brokers, load, stalls),
                    new KillTransactionCoordinatorDrill(brokers, load, stalls),
                    new RollBrokersDrill(brokers, load, stalls),
                    new LoseInSyncMinimumDrill(brokers, load, stalls));
            for (Drill drill : drills) {
                if (options.runs(drill.name())) {
                    drill.run(report);
                }
            }
        }
        report.print(System.out);
        return report.exitCode();
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
            PromptLoad load = new PromptLoad(client, options, deadLetters, new LostPrompts(clientConfig));
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
                if (options.runs(drill.name())) {
                    drill.run(report);
                }
            }
        }
        report.print(System.out);
        return report.exitCode();
    }
}
