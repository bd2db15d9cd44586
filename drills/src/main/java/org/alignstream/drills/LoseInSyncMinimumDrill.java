package org.alignstream.drills;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.StringSerializer;

/**
 * {@code lose_in_sync_minimum}: mid-run, two of the three brokers are SIGKILLed together, so that no partition can
 * have the two in-sync replicas {@code min.insync.replicas} asks for (and the controller quorum has one voter of
 * three); they stay down 10 s while prompts keep coming, then both start again on their data. Writes in between must
 * not be acknowledged: a probe write ({@code acks=all}, 8 s delivery timeout) to a replicated topic must fail, and the
 * clients' and the stages' writes block until the brokers are back. Nothing acknowledged may be lost: every prompt
 * must be answered once, as in the undisturbed run.
 */
final class LoseInSyncMinimumDrill implements Drill {
    static final String PROBE_TOPIC = "chaos-probe";
    private static final long DOWN_MS = 10_000;

    private final BrokerProcesses brokers;
    private final PromptLoad load;
    private final AnswerStalls stalls;

    LoseInSyncMinimumDrill(BrokerProcesses brokers, PromptLoad load, AnswerStalls stalls) {
        this.brokers = brokers;
        this.load = load;
        this.stalls = stalls;
    }

    @Override
    public String name() {
        return "lose_in_sync_minimum";
    }

    @Override
    public void run(DrillReport report) throws Exception {
        createProbeTopic();
        String[] refused = new String[1];
        try (KafkaProducer<String, String> probe = probeProducer()) {
            probe.send(new ProducerRecord<>(PROBE_TOPIC, "before", "all brokers up")).get(30, TimeUnit.SECONDS);
            BrokerDrills.run(name(), load, stalls, () -> {
                List<Integer> victims = brokers.ids().subList(0, 2);
                long t0 = System.nanoTime();
                for (int id : victims) {
                    brokers.kill(id);
                }
                System.out.printf("chaos: %s: SIGKILLed brokers %s; one of three runs%n", name(), victims);
                refused[0] = probeWrite(probe);
                System.out.printf("chaos: %s: a probe write with acks=all while they are down: %s%n", name(),
                        refused[0] == null ? "ACKNOWLEDGED" : "refused (" + refused[0] + ")");
                Thread.sleep(Math.max(0, DOWN_MS - (System.nanoTime() - t0) / 1_000_000));
                brokers.start(victims);
                System.out.printf("chaos: %s: brokers %s back after %.1f s, every replica in sync %.1f s later%n",
                        name(), victims, (System.nanoTime() - t0) / 1e9, brokers.awaitAllInSync());
            }, report);
        }
        report.check(refused[0] != null);
    }

    /** Null if the write was acknowledged, else what refused it. */
    private static String probeWrite(KafkaProducer<String, String> probe) throws InterruptedException {
        long t0 = System.nanoTime();
        try {
            probe.send(new ProducerRecord<>(PROBE_TOPIC, "during", "one broker of three")).get(30, TimeUnit.SECONDS);
            return null;
        } catch (ExecutionException e) {
            return String.format("%s after %.1f s", e.getCause().getClass().getSimpleName(),
                    (System.nanoTime() - t0) / 1e9);
        } catch (java.util.concurrent.TimeoutException e) {
            return "no answer within 30 s";
        }
    }

    private KafkaProducer<String, String> probeProducer() {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, brokers.bootstrapServers());
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 4000);
        c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 8000);
        c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 8000);
        return new KafkaProducer<>(c, new StringSerializer(), new StringSerializer());
    }

    private void createProbeTopic() throws Exception {
        try (Admin admin = brokers.admin()) {
            admin.createTopics(List.of(new NewTopic(PROBE_TOPIC, Optional.of(1), Optional.empty())))
                    .all().get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (!(e.getCause() instanceof TopicExistsException)) {
                throw e;
            }
        }
        Thread.sleep(Duration.ofMillis(500).toMillis());
    }
}
