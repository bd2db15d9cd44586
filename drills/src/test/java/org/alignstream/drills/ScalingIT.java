package org.alignstream.drills;

import org.alignstream.clients.PromptClient;
import org.alignstream.harness.AlignmentChecks;
import org.alignstream.harness.SamplePrompts;

import static org.alignstream.drills.ServiceProcesses.awaitReady;
import static org.alignstream.drills.ServiceProcesses.freePort;
import static org.alignstream.drills.ServiceProcesses.get;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.drills.ServiceProcesses.ServiceProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two instances of each stage (generator, scorer, selector), each its own JVM with one stream thread and the stage's
 * default application id, over topics of 6 partitions: the work is spread over both instances of every stage, and when
 * one instance of each stage is SIGKILLed while prompts are being sent, its partitions move to the other instance and
 * every prompt is still answered exactly once (none lost, none doubled); afterwards the survivors alone answer
 * everything.
 */
class ScalingIT {
    /** The decoding stages, each run as its own process here (the feedback stage is not needed). */
    private static final List<StageSpec> PROCESS_STAGES = List.of(Pipeline.GENERATOR, Pipeline.SCORER,
            Pipeline.SELECTOR);
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration SETTLE = Duration.ofMillis(2000);
    private static final int PARTITIONS = 6;
    /** Prompts in the first batch (both instances of every stage up) and in the one the kill falls in. */
    private static final int BATCH = 40;
    /** Prompts after the survivors took over. */
    private static final int AFTER = 12;
    /**
     * A SIGKILLed member stays in its group until its session times out (6 s, the broker's minimum); its open
     * transaction blocks read-committed readers until it times out (5 s) and the broker's check (lowered to 1 s)
     * aborts it. As in {@link SelectorRestartIT}.
     */
    private static final String KILLABLE_CONFIG = "consumer.session.timeout.ms=6000,consumer.heartbeat.interval.ms=1000,"
            + "producer.transaction.timeout.ms=5000";
    /** Six JVMs and the broker on two cores: a small heap each, C1 only (faster start-up, less compile CPU). */
    private static final List<String> JVM_OPTIONS = List.of("-Xmx256m", "-XX:TieredStopAtLevel=1");

    private static EmbeddedKafkaCluster kafka;
    private static ServiceProcesses processes;

    /** The broker (its check for timed-out transactions lowered to 1 s) and the processes; logs printed on failure. */
    @RegisterExtension
    static final ProcessFixture FIXTURE = ProcessFixture.onEmbeddedBroker("scaling-it-",
            Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"));

    @BeforeAll
    static void start() {
        kafka = FIXTURE.kafka();
        processes = FIXTURE.processes();
    }

    @Test
    void twoInstancesPerStageShareTheWorkAndTheSurvivorsTakeOverAKilledInstancesPartitions() throws Exception {
        long t0 = System.nanoTime();
        Map<StageSpec, ServiceProcess> a = new LinkedHashMap<>();
        Map<StageSpec, ServiceProcess> b = new LinkedHashMap<>();
        for (StageSpec s : PROCESS_STAGES) {
            a.put(s, launch(s, "a"));
            b.put(s, launch(s, "b"));
        }
        for (StageSpec s : PROCESS_STAGES) {
            awaitReady(a.get(s), READY_TIMEOUT);
            awaitReady(b.get(s), READY_TIMEOUT);
        }
        System.out.printf("six instances ready after %.1f s%n", (System.nanoTime() - t0) / 1e9);

        try (PromptClient client = new PromptClient(kafka.clientConfig())) {
            // 1. both instances of every stage up: all answered exactly once, each instance did some of the work
            long t1 = System.nanoTime();
            AlignmentChecks.sendAndAwaitExactlyOnce(client, requests("scale-", BATCH, 0), ANSWER_TIMEOUT, SETTLE);
            System.out.printf("%d prompts through 2+2+2 instances in %.1f s%n", BATCH, (System.nanoTime() - t1) / 1e9);
            Map<StageSpec, Long> bBefore = new LinkedHashMap<>();
            for (StageSpec s : PROCESS_STAGES) {
                long inA = recordsIn(a.get(s), s);
                long inB = recordsIn(b.get(s), s);
                System.out.printf("%s records in: a=%d b=%d%n", s.name(), inA, inB);
                assertThat(inA).as("%s-a records in", s.name()).isPositive();
                assertThat(inB).as("%s-b records in", s.name()).isPositive();
                assertThat(inA + inB).as("%s records in over both instances (one per prompt)", s.name())
                        .isEqualTo(BATCH);
                bBefore.put(s, inB);
            }

            // 2. a quarter of the prompts at a steady pace, then half at once and right after them instance a of
            // every stage is SIGKILLed (those prompts are in flight), then the last quarter while the group rebalances
            List<PromptRequest> during = requests("kill-", BATCH, BATCH);
            int before = client.received().size();
            long t2 = System.nanoTime();
            int burstFrom = during.size() / 4;
            int burstTo = 3 * during.size() / 4;
            for (int i = 0; i < during.size(); i++) {
                client.send(during.get(i));
                if (i >= burstFrom && i < burstTo - 1) {
                    continue;
                }
                client.flush();
                if (i == burstTo - 1) {
                    client.pollFor(Duration.ofMillis(1));
                    int answered = client.received().size() - before;
                    for (StageSpec s : PROCESS_STAGES) {
                        a.get(s).process.destroyForcibly(); // SIGKILL: no commit, no leaving the group
                    }
                    System.out.printf("instance a of every stage SIGKILLed after %d of %d sent, %d answered%n",
                            i + 1, during.size(), answered);
                    assertThat(answered).as("prompts answered when the instances were killed").isLessThan(i + 1);
                    for (StageSpec s : PROCESS_STAGES) {
                        assertThat(a.get(s).process.waitFor(10, TimeUnit.SECONDS)).as("%s-a is dead", s.name())
                                .isTrue();
                    }
                }
                client.pollFor(Duration.ofMillis(100));
            }
            List<String> ids = during.stream().map(PromptRequest::getId).toList();
            client.await(ids, ANSWER_TIMEOUT);
            client.pollFor(SETTLE);
            assertThat(client.received().subList(before, client.received().size()).stream()
                    .map(r -> r.getId()).toList())
                    .as("exactly one answer per prompt sent around the kill, nothing else")
                    .containsExactlyInAnyOrderElementsOf(ids);
            System.out.printf("%d prompts around the kill answered exactly once %.1f s after the first was sent%n",
                    during.size(), (System.nanoTime() - t2) / 1e9);
            Map<StageSpec, Long> bAfterKill = new LinkedHashMap<>();
            for (StageSpec s : PROCESS_STAGES) {
                long in = recordsIn(b.get(s), s);
                assertThat(in).as("%s-b records in after the kill", s.name()).isGreaterThan(bBefore.get(s));
                bAfterKill.put(s, in);
            }

            // 3. the survivors own every partition: they alone read every further prompt, once
            long t3 = System.nanoTime();
            AlignmentChecks.sendAndAwaitExactlyOnce(client, requests("after-", AFTER, 2 * BATCH), ANSWER_TIMEOUT,
                    SETTLE);
            System.out.printf("%d prompts through the survivors in %.1f s%n", AFTER, (System.nanoTime() - t3) / 1e9);
            for (StageSpec s : PROCESS_STAGES) {
                assertThat(recordsIn(b.get(s), s) - bAfterKill.get(s)).as("%s-b records in after the takeover",
                        s.name()).isEqualTo(AFTER);
            }
        }
        System.out.printf("ScalingIT total %.1f s%n", (System.nanoTime() - t0) / 1e9);
    }

    // ------------------------------------------------------------------ helpers

    private static ServiceProcess launch(StageSpec s, String instance) throws IOException {
        Map<String, String> env = processes.environment(s, freePort()); // its own state directory
        env.put("ALIGNSTREAM_NUM_STREAM_THREADS", "1");
        env.put("ALIGNSTREAM_TOPIC_PARTITIONS", Integer.toString(PARTITIONS));
        env.put("ALIGNSTREAM_CONFIG", KILLABLE_CONFIG);
        return processes.launch(s.name() + "-" + instance, s, env, JVM_OPTIONS);
    }

    /** Best-of-N, N = 2 or 3, at most 4 new tokens. */
    private static List<PromptRequest> requests(String prefix, int count, int offset) {
        List<String> prompts = SamplePrompts.load(null);
        List<PromptRequest> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            int k = offset + i;
            out.add(AlignmentChecks.request(prefix + i, prompts.get(k % prompts.size()), 2 + k % 2, 0.9, 0, 0.95, 4,
                    5300L + k));
        }
        return out;
    }

    /** The value of {@code alignstream_records_in_total{stage="..."}} on the process's {@code /metrics}. */
    private static long recordsIn(ServiceProcess p, StageSpec s) throws InterruptedException {
        String metrics = get(p, "/metrics").body();
        Matcher m = Pattern.compile("(?m)^alignstream_records_in_total\\{stage=\"" + s.name() + "\"} (\\S+)$")
                .matcher(metrics);
        assertThat(m.find()).as("%s /metrics has records in of stage %s", p.label, s.name()).isTrue();
        return (long) Double.parseDouble(m.group(1));
    }
}
