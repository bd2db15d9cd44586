package org.alignstream.drills;

/**
 * {@code roll_brokers}: a rolling restart under load, as an upgrade does: each broker in turn is stopped with a
 * controlled shutdown (SIGTERM: its leaderships move first), started again on its data, and the next one waits until
 * every replica is back in sync (so that two are never out at once). Every prompt must be answered once, as
 * undisturbed.
 */
final class RollBrokersDrill implements Drill {
    private final BrokerProcesses brokers;
    private final PromptLoad load;
    private final AnswerStalls stalls;

    RollBrokersDrill(BrokerProcesses brokers, PromptLoad load, AnswerStalls stalls) {
        this.brokers = brokers;
        this.load = load;
        this.stalls = stalls;
    }

    @Override
    public String name() {
        return "roll_brokers";
    }

    @Override
    public void run(DrillReport report) throws Exception {
        BrokerDrills.run(name(), load, stalls, () -> {
            for (int id : brokers.ids()) {
                long t0 = System.nanoTime();
                brokers.stop(id);
                double down = (System.nanoTime() - t0) / 1e9;
                brokers.start(id);
                System.out.printf("chaos: %s: broker %d shut down in %.1f s, restarted, every replica in sync %.1f s "
                        + "later%n", name(), id, down, brokers.awaitAllInSync());
            }
        }, report);
    }
}
