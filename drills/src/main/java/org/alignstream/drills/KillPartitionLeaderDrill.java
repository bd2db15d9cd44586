package org.alignstream.drills;

import java.util.List;
import java.util.Map;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.Topic;

/**
 * {@code kill_partition_leader}: mid-run, the broker that leads most partitions of the serving stages' input topics
 * (prompts, decode-steps, candidates, scored-candidates) is SIGKILLed; the controller fences it when its session
 * expires and moves those leaderships to the in-sync followers; once they have moved it is started again on its data
 * and the drill waits until every replica is back in sync. Every prompt must be answered once, as in the undisturbed run.
 */
final class KillPartitionLeaderDrill implements Drill {
    static final List<String> INPUT_TOPICS = List.of(Pipeline.PROMPTS, Pipeline.DECODE_STEPS, Pipeline.CANDIDATES,
            Pipeline.SCORED_CANDIDATES).stream().map(Topic::name).toList();

    private final BrokerProcesses brokers;
    private final PromptLoad load;
    private final AnswerStalls stalls;

    KillPartitionLeaderDrill(BrokerProcesses brokers, PromptLoad load, AnswerStalls stalls) {
        this.brokers = brokers;
        this.load = load;
        this.stalls = stalls;
    }

    @Override
    public String name() {
        return "kill_partition_leader";
    }

    @Override
    public void run(DrillReport report) throws Exception {
        BrokerDrills.run(name(), load, stalls, () -> {
            Map<Integer, Integer> led = brokers.leaderships(INPUT_TOPICS);
            int victim = led.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            brokers.kill(victim);
            System.out.printf("chaos: %s: SIGKILLed broker %d, leader of %d of the input partitions (leaders %s)%n",
                    name(), victim, led.get(victim), led);
            double moved = brokers.awaitLeadershipsMoved(victim, INPUT_TOPICS);
            System.out.printf("chaos: %s: its leaderships moved %.1f s after the kill: leaders %s%n", name(), moved,
                    brokers.leaderships(INPUT_TOPICS));
            brokers.start(victim);
            System.out.printf("chaos: %s: broker %d back, every replica in sync %.1f s later%n", name(), victim,
                    brokers.awaitAllInSync());
        }, report);
    }
}
