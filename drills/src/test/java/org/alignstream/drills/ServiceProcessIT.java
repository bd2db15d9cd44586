package org.alignstream.drills;

import org.alignstream.clients.PromptClient;
import org.alignstream.harness.AlignmentChecks;
import org.alignstream.harness.SamplePrompts;

import static org.alignstream.drills.ServiceProcesses.awaitReady;
import static org.alignstream.drills.ServiceProcesses.freePort;
import static org.alignstream.drills.ServiceProcesses.get;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.drills.ServiceProcesses.ServiceProcess;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The three services as separate OS processes, as a user runs them: each launched with {@code java} on the test
 * classpath, configured only through {@code ALIGNSTREAM_*} environment variables, without
 * {@code -Dorg.apache.avro.SERIALIZABLE_PACKAGES}, against a real in-process broker in this JVM. Checks the health and
 * metrics endpoints, answers to prompts, a clean close on SIGTERM (exit code, log), that a restarted generator resumes
 * from its committed offsets (nothing lost, nothing repeated), and that a bad option value stops a service at once.
 */
class ServiceProcessIT {
    /** The decoding stages, each run as its own process here (the feedback stage is not needed). */
    private static final List<StageSpec> PROCESS_STAGES = List.of(Pipeline.GENERATOR, Pipeline.SCORER,
            Pipeline.SELECTOR);
    /** What a JVM ended by SIGTERM exits with (128 + 15), even when its shutdown hooks ran cleanly. */
    private static final int SIGTERM_EXIT_CODE = 143;
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    /**
     * A restarted stage must run well before the consumer session timeout (45 s) of its predecessor expires: the
     * predecessor leaves the group on close, so the group rebalances at once.
     */
    private static final Duration RESTART_READY_TIMEOUT = Duration.ofSeconds(25);
    private static final Duration EXIT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);
    private static final Pattern ERROR_LINE = Pattern.compile("(^|\\s)ERROR\\s");

    private static EmbeddedKafkaCluster kafka;
    private static ServiceProcesses processes;

    /** The broker and the processes; logs printed on failure. */
    @RegisterExtension
    static final ProcessFixture FIXTURE = ProcessFixture.onEmbeddedBroker("service-process-it-", Map.of());

    @BeforeAll
    static void start() {
        kafka = FIXTURE.kafka();
        processes = FIXTURE.processes();
    }

    @Test
    void servicesRunAsProcessesConfiguredByEnvironmentAndCloseCleanlyOnSigterm() throws Exception {
        Map<StageSpec, Map<String, String>> env = new HashMap<>();
        Map<StageSpec, ServiceProcess> running = new HashMap<>();
        for (StageSpec s : PROCESS_STAGES) {
            env.put(s, processes.environment(s, freePort()));
            running.put(s, processes.launch(s.name() + "-1", s, env.get(s)));
        }
        for (StageSpec s : PROCESS_STAGES) {
            awaitReady(running.get(s), READY_TIMEOUT);
        }
        for (StageSpec s : PROCESS_STAGES) {
            ServiceProcess p = running.get(s);
            assertThat(get(p, "/health/live").statusCode()).as("%s /health/live", p.label).isEqualTo(200);
            HttpResponse<String> health = get(p, "/health");
            assertThat(health.statusCode()).as("%s /health", p.label).isEqualTo(200);
            assertThat(health.body()).as("%s /health", p.label)
                    .contains("\"stage\":\"" + s.name() + "\"", "\"ready\":true", "\"state\":\"RUNNING\"");
            String metrics = get(p, "/metrics").body();
            assertThat(metrics).as("%s /metrics", p.label).contains("alignstream_records_in_total", "kafka_streams_");
            assertThat(recordsIn(p, s)).as("%s records in before any prompt", p.label).isZero();
        }

        try (PromptClient client = new PromptClient(kafka.clientConfig())) {
            // 5 prompts through the three processes, exactly one answer each
            List<PromptRequest> first = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                first.add(request("proc-" + i, i));
            }
            Map<String, AlignedResponse> answers = AlignmentChecks.sendAndAwaitExactlyOnce(client, first,
                    ANSWER_TIMEOUT, Duration.ofMillis(1000));
            for (PromptRequest req : first) {
                AlignedResponse r = answers.get(req.getId());
                assertThat(r.getPrompt()).isEqualTo(req.getPrompt());
                assertThat(r.getN()).isEqualTo(2);
                assertThat(r.getCandidateRewards()).hasSize(2);
                assertThat(r.getReward()).isEqualTo(r.getCandidateRewards().get(r.getChosenIndex()));
                assertThat(r.getTokenIds()).isNotEmpty().hasSizeLessThanOrEqualTo(6);
            }
            for (StageSpec s : PROCESS_STAGES) {
                assertThat(recordsIn(running.get(s), s)).as("%s records in after 5 prompts", s.name()).isEqualTo(5);
            }

            // SIGTERM the generator; a prompt sent while it is down is answered after its restart, the first 5 are not
            // answered again (the restarted process resumes from the offsets committed on close)
            running.get(Pipeline.GENERATOR).process.destroy(); // SIGTERM on Linux
            assertClosedCleanly(running.get(Pipeline.GENERATOR));
            int before = client.received().size();
            PromptRequest whileDown = request("proc-while-down", 5);
            client.send(whileDown);
            client.flush();
            ServiceProcess generator2 = processes.launch("generator-2", Pipeline.GENERATOR, env.get(Pipeline.GENERATOR));
            running.put(Pipeline.GENERATOR, generator2);
            awaitReady(generator2, RESTART_READY_TIMEOUT);
            PromptRequest afterRestart = request("proc-after-restart", 6);
            client.send(afterRestart);
            client.flush();
            List<String> ids = List.of(whileDown.getId(), afterRestart.getId());
            client.await(ids, ANSWER_TIMEOUT);
            client.pollFor(Duration.ofMillis(1500));
            List<AlignedResponse> since = client.received().subList(before, client.received().size());
            assertThat(since.stream().map(AlignedResponse::getId).toList())
                    .as("after the generator's restart: one answer each for the prompts sent while it was down and"
                            + " after, nothing repeated")
                    .containsExactlyInAnyOrderElementsOf(ids);
            assertThat(recordsIn(generator2, Pipeline.GENERATOR)).as("prompts read by the restarted generator")
                    .isEqualTo(2);
            assertThat(recordsIn(running.get(Pipeline.SELECTOR), Pipeline.SELECTOR)).isEqualTo(7);
        }

        // SIGTERM all three at once, each closes cleanly
        for (StageSpec s : PROCESS_STAGES) {
            running.get(s).process.destroy();
        }
        for (StageSpec s : PROCESS_STAGES) {
            assertClosedCleanly(running.get(s));
        }
    }

    @Test
    void aBadOptionValueFromTheEnvironmentStopsTheServiceAtOnceNamingTheOption() throws Exception {
        Map<String, String> env = processes.environment(Pipeline.SELECTOR, -1);
        env.put("ALIGNSTREAM_PROCESSING_GUARANTEE", "bogus");
        ServiceProcess p = processes.launch("selector-bogus", Pipeline.SELECTOR, env);
        assertThat(p.process.waitFor(20, TimeUnit.SECONDS)).as("%s exits by itself", p.label).isTrue();
        assertThat(p.process.exitValue()).as("%s exit code", p.label).isEqualTo(1);
        assertThat(p.logText()).as("%s log", p.label)
                .contains("--processing-guarantee must be at_least_once or exactly_once_v2, was bogus");
    }

    // ------------------------------------------------------------------ helpers

    private static PromptRequest request(String id, int i) {
        List<String> prompts = SamplePrompts.load(null);
        return AlignmentChecks.request(id, prompts.get(i % prompts.size()), 2, 0.9, 0, 0.95, 6, 4200L + i);
    }

    /** The value of {@code alignstream_records_in_total{stage="..."}} on the process's {@code /metrics}. */
    private static long recordsIn(ServiceProcess p, StageSpec s) throws InterruptedException {
        String metrics = get(p, "/metrics").body();
        Matcher m = Pattern.compile("(?m)^alignstream_records_in_total\\{stage=\"" + s.name() + "\"} (\\S+)$")
                .matcher(metrics);
        assertThat(m.find()).as("%s /metrics has records in of stage %s:%n%s", p.label, s.name(), metrics).isTrue();
        double value = Double.parseDouble(m.group(1));
        assertThat(value).isEqualTo(Math.rint(value));
        return (long) value;
    }

    /**
     * Asserts that a process sent SIGTERM exits within {@link #EXIT_TIMEOUT} with {@link #SIGTERM_EXIT_CODE}, having
     * logged the stage's clean close and no error.
     */
    private static void assertClosedCleanly(ServiceProcess p) throws InterruptedException {
        assertThat(p.process.waitFor(EXIT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS))
                .as("%s exits within %s of SIGTERM", p.label, EXIT_TIMEOUT).isTrue();
        assertThat(p.process.exitValue()).as("%s exit code after SIGTERM", p.label).isEqualTo(SIGTERM_EXIT_CODE);
        String log = p.logText();
        String stage = p.label.substring(0, p.label.indexOf('-'));
        assertThat(log).as("%s log", p.label).contains("stage " + stage + ": closing", "stage " + stage + ": closed");
        assertThat(log.lines().filter(l -> ERROR_LINE.matcher(l).find()).toList())
                .as("%s log lines with ERROR", p.label).isEmpty();
    }
}
