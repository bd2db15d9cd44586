package org.alignstream.drills;

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
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Launches alignstream services as separate JVMs, as a user runs them, against one broker: each with {@code java} on
 * this JVM's classpath, configured only through {@code ALIGNSTREAM_*} environment variables. Owns a work directory
 * (logs and state directories), the broker's bootstrap servers and every process it launched; {@link #close()} (and a
 * shutdown hook, if this JVM is killed) ends them all.
 */
final class ServiceProcesses implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

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

    private final Path workDir;
    private final String bootstrapServers;
    private final List<ServiceProcess> launched = new CopyOnWriteArrayList<>();
    private final Thread killOnExit;

    /**
     * Uses a new temporary directory named {@code <prefix>...} under the module's {@code target} directory and
     * registers a shutdown hook that kills every launched process if this JVM exits first.
     */
    ServiceProcesses(String prefix, String bootstrapServers) throws IOException {
        this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Path target = Path.of(System.getProperty("basedir", "."), "target");
        Files.createDirectories(target);
        this.workDir = Files.createTempDirectory(target, prefix);
        this.killOnExit = new Thread(this::killAll, prefix + "kill");
        Runtime.getRuntime().addShutdownHook(killOnExit); // if this JVM is killed, do not leave services behind
    }

    Path workDir() {
        return workDir;
    }

    /** Every process launched so far, in launch order. */
    List<ServiceProcess> launched() {
        return List.copyOf(launched);
    }

    /** Prints every launched process's log (e.g. when a test fails). */
    void printLogs() {
        for (ServiceProcess p : launched) {
            System.out.println("===== " + p.label + " (" + p.log + ") =====");
            System.out.println(p.logText());
        }
    }

    /** The environment that configures a service: broker, HTTP port and its own state directory. */
    Map<String, String> environment(Service s, int httpPort) throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("ALIGNSTREAM_BOOTSTRAP_SERVERS", bootstrapServers);
        env.put("ALIGNSTREAM_HTTP_PORT", Integer.toString(httpPort));
        env.put("ALIGNSTREAM_STATE_DIR", Files.createTempDirectory(workDir, s.stage + "-state-").toString());
        return env;
    }

    /**
     * Starts {@code java -cp <this JVM's classpath> <main class>} with only {@code -Dai.djl.offline=true} (and a heap
     * limit), {@code OPT_OUT_TRACKING=true} and the given variables; no {@code ALIGNSTREAM_*} variable or JVM option is
     * inherited from this JVM. Output (stdout and stderr) goes to {@code <label>.log} in the work directory.
     */
    ServiceProcess launch(String label, Service s, Map<String, String> env) throws IOException {
        return launch(label, s, env, List.of("-Xmx512m"));
    }

    /**
     * {@link #launch(String, Service, Map)} with the given JVM options (e.g. a smaller heap, {@code -Xmx256m}) in place
     * of the default {@code -Xmx512m}.
     */
    ServiceProcess launch(String label, Service s, Map<String, String> env, List<String> jvmOptions)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Dai.djl.offline=true"));
        command.addAll(jvmOptions);
        command.addAll(List.of("-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), s.mainClass));
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
        launched.add(p);
        return p;
    }

    /**
     * Starts exactly {@code java -cp <classpath> <main class>}, as a container's entrypoint does: no JVM option on the
     * command line and an environment of exactly {@code env} (JVM flags only through its {@code JAVA_TOOL_OPTIONS}),
     * plus only {@code PATH}, {@code HOME}, {@code LANG} and {@code TMPDIR} of this JVM if set, which a container has
     * its own of. Nothing else is inherited (no {@code ALIGNSTREAM_*}, {@code OPT_OUT_TRACKING}, ...). The HTTP port is
     * {@code ALIGNSTREAM_HTTP_PORT} of {@code env} (-1 without one, e.g. for a one-shot command). Output goes to
     * {@code <label>.log} in the work directory.
     */
    ServiceProcess launchExactly(String label, String classpath, String mainClass, Map<String, String> env)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-cp", classpath, mainClass);
        Path log = workDir.resolve(label + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> childEnv = pb.environment();
        Map<String, String> kept = new HashMap<>();
        for (String k : List.of("PATH", "HOME", "LANG", "TMPDIR")) {
            if (childEnv.containsKey(k)) {
                kept.put(k, childEnv.get(k));
            }
        }
        childEnv.clear();
        childEnv.putAll(kept);
        childEnv.putAll(env);
        int port = env.containsKey("ALIGNSTREAM_HTTP_PORT") ? Integer.parseInt(env.get("ALIGNSTREAM_HTTP_PORT")) : -1;
        ServiceProcess p = new ServiceProcess(label, pb.start(), log, port);
        launched.add(p);
        return p;
    }

    /** Polls {@code /health/ready} until it answers 200; fails at once if the process dies. */
    static void awaitReady(ServiceProcess p, Duration timeout) throws InterruptedException {
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

    static HttpResponse<String> get(ServiceProcess p, String path) throws InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(p.uri(path)).timeout(Duration.ofSeconds(5)).GET().build();
        try {
            return HTTP.send(request, HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** SIGTERM to every process still alive, then SIGKILL to any that has not exited within 10 s. */
    void killAll() {
        launched.stream().map(p -> p.process).filter(Process::isAlive).forEach(Process::destroy);
        for (ServiceProcess p : launched) {
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

    /** {@link #killAll()}, then removes the shutdown hook. */
    @Override
    public void close() {
        try {
            killAll();
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(killOnExit);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running
            }
        }
    }

    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
