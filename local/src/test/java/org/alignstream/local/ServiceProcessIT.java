package org.alignstream.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.extension.TestWatcher;

/**
 * The three services as separate OS processes, as a user runs them: each launched with {@code java} on the test
 * classpath, configured only through {@code ALIGNSTREAM_*} environment variables, without
 * {@code -Dorg.apache.avro.SERIALIZABLE_PACKAGES}, against a real in-process broker in this JVM. Checks the health and
 * metrics endpoints, answers to prompts, a clean close on SIGTERM (exit code, log), that a restarted generator resumes
 * from its committed offsets (nothing lost, nothing repeated), and that a bad option value stops a service at once.
 */
class ServiceProcessIT {
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

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final List<ServiceProcess> LAUNCHED = new CopyOnWriteArrayList<>();
    private static final Thread KILL_ON_EXIT = new Thread(ServiceProcessIT::killAll, "service-process-it-kill");

    private static EmbeddedKafkaCluster kafka;
    private static Path workDir;

    /** Prints every launched process's log when a test fails. */
    @RegisterExtension
    static final TestWatcher PRINT_LOGS_ON_FAILURE = new TestWatcher() {
        @Override
        public void testFailed(ExtensionContext context, Throwable cause) {
            for (ServiceProcess p : LAUNCHED) {
                System.out.println("===== " + p.label + " (" + p.log + ") =====");
                System.out.println(p.logText());
            }
        }
    };

    /** A service's main class and stage name. */
    enum Service {
        GENERATOR("generator", "org.alignstream.generator.GeneratorService"),
        SCORER("scorer", "org.alignstream.scorer.ScorerService"),
        SELECTOR("selector", "org.alignstream.selector.SelectorService");

        final String stage;
        final String mainClass;

        Service(String stage, String mainClass) {
            this.stage = stage;
            this.mainClass = mainClass;
        }
    }

    /** One launched JVM: its process, the file its stdout and stderr go to, and its HTTP port (-1 if off). */
    static final class ServiceProcess {
        final String label;
        final Process process;
        final Path log;
        final int port;

        ServiceProcess(String label, Process process, Path log, int port) {
            this.label = label;
            this.process = process;
            this.log = log;
            this.port = port;
        }

        String logText() {
            try {
                return Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "(no log)";
            } catch (IOException e) {
                return "(cannot read " + log + ": " + e + ")";
            }
        }

        URI uri(String path) {
            return URI.create("http://localhost:" + port + path);
        }
    }

    @BeforeAll
    static void startBroker() throws IOException {
        Runtime.getRuntime().addShutdownHook(KILL_ON_EXIT); // if this JVM is killed, do not leave services behind
        Path target = Path.of(System.getProperty("basedir", "."), "target");
        Files.createDirectories(target);
        workDir = Files.createTempDirectory(target, "service-process-it-");
        kafka = EmbeddedKafkaCluster.start();
    }

    @AfterAll
    static void stopAll() {
        try {
            killAll();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(KILL_ON_EXIT);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running
            }
            if (kafka != null) {
                kafka.close();
            }
        }
    }

    /** SIGTERM to every process still alive, then SIGKILL to any that has not exited within 10 s. */
    private static void killAll() {
        LAUNCHED.stream().map(p -> p.process).filter(Process::isAlive).forEach(Process::destroy);
        for (ServiceProcess p : LAUNCHED) {
            try {
                if (!p.process.waitFor(10, TimeUnit.SECONDS)) {
                    p.process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                }
            } catch (InterruptedException e) {
                p.process.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    @Test
    void servicesRunAsProcessesConfiguredByEnvironmentAndCloseCleanlyOnSigterm() throws Exception {
        Map<Service, Map<String, String>> env = new HashMap<>();
        Map<Service, ServiceProcess> running = new HashMap<>();
        for (Service s : Service.values()) {
            env.put(s, environment(s, freePort()));
            running.put(s, launch(s.stage + "-1", s, env.get(s)));
        }
        for (Service s : Service.values()) {
            awaitReady(running.get(s), READY_TIMEOUT);
        }
        for (Service s : Service.values()) {
            ServiceProcess p = running.get(s);
            assertThat(get(p, "/health/live").statusCode()).as("%s /health/live", p.label).isEqualTo(200);
            HttpResponse<String> health = get(p, "/health");
            assertThat(health.statusCode()).as("%s /health", p.label).isEqualTo(200);
            assertThat(health.body()).as("%s /health", p.label)
                    .contains("\"stage\":\"" + s.stage + "\"", "\"ready\":true", "\"state\":\"RUNNING\"");
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
            for (Service s : Service.values()) {
                assertThat(recordsIn(running.get(s), s)).as("%s records in after 5 prompts", s.stage).isEqualTo(5);
            }

            // SIGTERM the generator; a prompt sent while it is down is answered after its restart, the first 5 are not
            // answered again (the restarted process resumes from the offsets committed on close)
            running.get(Service.GENERATOR).process.destroy(); // SIGTERM on Linux
            assertClosedCleanly(running.get(Service.GENERATOR));
            int before = client.received().size();
            PromptRequest whileDown = request("proc-while-down", 5);
            client.send(whileDown);
            client.flush();
            ServiceProcess generator2 = launch("generator-2", Service.GENERATOR, env.get(Service.GENERATOR));
            running.put(Service.GENERATOR, generator2);
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
            assertThat(recordsIn(generator2, Service.GENERATOR)).as("prompts read by the restarted generator")
                    .isEqualTo(2);
            assertThat(recordsIn(running.get(Service.SELECTOR), Service.SELECTOR)).isEqualTo(7);
        }

        // SIGTERM all three at once, each closes cleanly
        for (Service s : Service.values()) {
            running.get(s).process.destroy();
        }
        for (Service s : Service.values()) {
            assertClosedCleanly(running.get(s));
        }
    }

    @Test
    void aBadOptionValueFromTheEnvironmentStopsTheServiceAtOnceNamingTheOption() throws Exception {
        Map<String, String> env = environment(Service.SELECTOR, -1);
        env.put("ALIGNSTREAM_PROCESSING_GUARANTEE", "bogus");
        ServiceProcess p = launch("selector-bogus", Service.SELECTOR, env);
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

    /** The environment that configures a service: broker, HTTP port and its own state directory. */
    private static Map<String, String> environment(Service s, int httpPort) throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("ALIGNSTREAM_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("ALIGNSTREAM_HTTP_PORT", Integer.toString(httpPort));
        env.put("ALIGNSTREAM_STATE_DIR", Files.createTempDirectory(workDir, s.stage + "-state-").toString());
        return env;
    }

    /**
     * Starts {@code java -cp <this JVM's classpath> <main class>} with only {@code -Dai.djl.offline=true} (and a heap
     * limit), {@code OPT_OUT_TRACKING=true} and the given variables; no {@code ALIGNSTREAM_*} variable or JVM option is
     * inherited from this JVM. Output (stdout and stderr) goes to {@code <label>.log} in the work directory.
     */
    private static ServiceProcess launch(String label, Service s, Map<String, String> env) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Dai.djl.offline=true", "-Xmx512m", "-XX:+UseSerialGC",
                "-cp", System.getProperty("java.class.path"), s.mainClass);
        Path log = workDir.resolve(label + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> childEnv = pb.environment();
        childEnv.keySet().removeIf(k -> k.startsWith("ALIGNSTREAM_"));
        childEnv.remove("JAVA_TOOL_OPTIONS");
        childEnv.remove("JDK_JAVA_OPTIONS");
        childEnv.put("OPT_OUT_TRACKING", "true");
        childEnv.putAll(env);
        int port = Integer.parseInt(env.get("ALIGNSTREAM_HTTP_PORT"));
        ServiceProcess p = new ServiceProcess(label, pb.start(), log, port);
        LAUNCHED.add(p);
        return p;
    }

    /** Polls {@code /health/ready} until it answers 200; fails at once if the process dies. */
    private static void awaitReady(ServiceProcess p, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!p.process.isAlive()) {
                fail("%s exited with %d before it was ready", p.label, p.process.exitValue());
            }
            try {
                HttpResponse<String> r = get(p, "/health/ready");
                if (r.statusCode() == 200) {
                    assertThat(r.body()).startsWith("READY RUNNING");
                    return;
                }
                last = r.statusCode() + " " + r.body().strip();
            } catch (UncheckedIOException notListeningYet) {
                last = notListeningYet.getCause().toString();
            }
            Thread.sleep(200);
        }
        fail("%s not ready within %s; last /health/ready: %s", p.label, timeout, last);
    }

    private static HttpResponse<String> get(ServiceProcess p, String path) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(p.uri(path)).timeout(Duration.ofSeconds(5)).GET().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The value of {@code alignstream_records_in_total{stage="..."}} on the process's {@code /metrics}. */
    private static long recordsIn(ServiceProcess p, Service s) throws InterruptedException {
        String metrics = get(p, "/metrics").body();
        Matcher m = Pattern.compile("(?m)^alignstream_records_in_total\\{stage=\"" + s.stage + "\"} (\\S+)$")
                .matcher(metrics);
        assertThat(m.find()).as("%s /metrics has records in of stage %s:%n%s", p.label, s.stage, metrics).isTrue();
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

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
