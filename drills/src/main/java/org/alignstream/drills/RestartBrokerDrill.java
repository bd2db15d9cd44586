package org.alignstream.drills;

import org.alignstream.embedded.EmbeddedKafkaCluster;

/**
 * {@code restart_broker}: the broker stopped and restarted mid-run (same port, same log directory). Every prompt must
 * be answered once, as in the undisturbed run.
 */
final class RestartBrokerDrill implements Drill {
    private final EmbeddedKafkaCluster kafka;
    private final PromptLoad load;

    RestartBrokerDrill(EmbeddedKafkaCluster kafka, PromptLoad load) {
        this.kafka = kafka;
        this.load = load;
    }

    @Override
    public String name() {
        return "restart_broker";
    }

    @Override
    public void run(DrillReport report) throws Exception {
        report.answers(name(), load.run(name(), null, kafka::restart, false));
    }
}
