package org.alignstream.drills;

import java.util.Map;
import java.util.TreeMap;
import org.alignstream.common.pipeline.Pipeline;

/**
 * {@code kill_transaction_coordinator}: mid-run, the broker that coordinates the scorer's exactly-once transactions
 * (the leader of its transactional id's {@code __transaction_state} partition, asked with
 * {@code Admin.describeTransactions}) is SIGKILLed; the coordinator moves with that partition's leadership and the
 * scorer's open transaction is aborted or completed there. Once the coordinator has moved the broker is started again
 * on its data and the drill waits until every replica is back in sync. Every prompt must be answered once, as undisturbed.
 */
final class KillTransactionCoordinatorDrill implements Drill {
    private final BrokerProcesses brokers;
    private final PromptLoad load;
    private final AnswerStalls stalls;

    KillTransactionCoordinatorDrill(BrokerProcesses brokers, PromptLoad load, AnswerStalls stalls) {
        this.brokers = brokers;
        this.load = load;
        this.stalls = stalls;
    }

    @Override
    public String name() {
        return "kill_transaction_coordinator";
    }

    @Override
    public void run(DrillReport report) throws Exception {
        String prefix = Pipeline.SCORER.applicationId() + "-";
        BrokerDrills.run(name(), load, stalls, () -> {
            Map<String, Integer> coordinators = brokers.transactionCoordinators(prefix);
            if (coordinators.isEmpty()) {
                throw new IllegalStateException("no transaction of the scorer (transactional ids " + prefix
                        + "...) is known to the cluster");
            }
            Map<Integer, Integer> perBroker = new TreeMap<>();
            coordinators.values().forEach(b -> perBroker.merge(b, 1, Integer::sum));
            int victim = perBroker.entrySet().stream().max(Map.Entry.comparingByValue()).orElseThrow().getKey();
            brokers.kill(victim);
            System.out.printf("chaos: %s: SIGKILLed broker %d, transaction coordinator of the scorer's producers %s%n",
                    name(), victim, coordinators);
            System.out.printf("chaos: %s: the coordinator moved %.1f s after the kill%n", name(),
                    brokers.awaitCoordinatorMoved(victim, prefix));
            brokers.start(victim);
            double inSync = brokers.awaitAllInSync();
            System.out.printf("chaos: %s: broker %d back, every replica in sync %.1f s later; coordinators now %s%n",
                    name(), victim, inSync, brokers.transactionCoordinators(prefix));
        }, report);
    }
}
