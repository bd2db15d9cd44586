package org.alignstream.drills;

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
import org.alignstream.common.pipeline.StageSpec;

/**
 * Launches alignstream stages as separate JVMs, as a user runs them, against a Kafka cluster: each with {@code java} on
 * this JVM's classpath, configured only through {@code ALIGNSTREAM_*} environment variables. Owns a work directory
 * (logs and state directories), the broker's bootstrap servers and every process it launched; {@link #close()} (and a
 * shutdown hook, if this JVM is killed) ends them all. Used by the chaos drills and by the integration tests that run
 * stages as processes.
 */
final class ServiceProcesses implements AutoCloseable {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

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

        /** Bytes written to the log so far (where {@link #awaitLogLine} can start looking). */
        long logSize() throws IOException {
            return Files.size(log);
        }

        /** Waits until the log, from byte {@code from} on, contains {@code needle}; false if not within the timeout. */
        boolean awaitLogLine(long from, String needle, Duration timeout) throws IOException, InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (System.nanoTime() < deadline) {
                byte[] all = Files.readAllBytes(log);
                if (all.length > from && new String(all, (int) from, all.length - (int) from, StandardCharsets.UTF_8)
                        .contains(needle)) {
                    return true;
                }
                Thread.sleep(20);
            }
            return false;
        }

        /** SIGKILL (no shutdown hook runs, nothing is committed), then waits up to 10 s for the process to end. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
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
     * Uses {@code workDir} (which must exist) and registers a shutdown hook that kills every launched process if this
     * JVM exits first.
     */
    ServiceProcesses(Path workDir, String bootstrapServers) {
        this.workDir = Objects.requireNonNull(workDir, "workDir");
        this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        this.killOnExit = new Thread(this::killAll, "kill-" + workDir.getFileName());
        Runtime.getRuntime().addShutdownHook(killOnExit); // if this JVM is killed, do not leave services behind
    }

    /** On a new temporary directory named {@code <prefix>...} under the module's {@code target} directory. */
    static ServiceProcesses underTarget(String prefix, String bootstrapServers) throws IOException {
        Path target = Path.of(System.getProperty("basedir", "."), "target");
        Files.createDirectories(target);
        return new ServiceProcesses(Files.createTempDirectory(target, prefix), bootstrapServers);
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

    /** The environment that configures a stage: broker, HTTP port and a new state directory of its own. */
    Map<String, String> environment(StageSpec s, int httpPort) throws IOException {
        Map<String, String> env = new HashMap<>();
        env.put("ALIGNSTREAM_BOOTSTRAP_SERVERS", bootstrapServers);
        env.put("ALIGNSTREAM_HTTP_PORT", Integer.toString(httpPort));
        env.put("ALIGNSTREAM_STATE_DIR", Files.createTempDirectory(workDir, s.name() + "-state-").toString());
        return env;
    }

    /**
     * Starts {@code java -cp <this JVM's classpath> <main class>} of the stage with only {@code -Dai.djl.offline=true},
     * {@code -Xmx512m} and the serial collector, {@code OPT_OUT_TRACKING=true} and the given variables (see
     * {@link #onThisClasspath}). Output (stdout and stderr) goes to {@code <label>.log} in the work directory.
     */
    ServiceProcess launch(String label, StageSpec s, Map<String, String> env) throws IOException {
        return launch(label, s, env, List.of("-Xmx512m"));
    }

    /**
     * {@link #launch(String, StageSpec, Map)} with the given JVM options (e.g. a smaller heap, {@code -Xmx256m}) in
     * place of the default {@code -Xmx512m}.
     */
    ServiceProcess launch(String label, StageSpec s, Map<String, String> env, List<String> jvmOptions)
            throws IOException {
        List<String> options = new ArrayList<>(List.of("-Dai.djl.offline=true"));
        options.addAll(jvmOptions);
        options.add("-XX:+UseSerialGC");
        Path log = workDir.resolve(label + ".log");
        ProcessBuilder pb = onThisClasspath(options, s.mainClass(), List.of(), log);
        pb.environment().putAll(env);
        return track(label, pb, log, env);
    }

    /**
     * Starts {@code java <jvmOptions> -cp <this JVM's classpath> <mainClass> <args>} (no HTTP port) as a process this
     * object owns, e.g. a Kafka node ({@link BrokerProcesses}); output goes to {@code <label>.log} in the work
     * directory.
     */
    ServiceProcess launchMain(String label, String mainClass, List<String> args, List<String> jvmOptions)
            throws IOException {
        Path log = workDir.resolve(label + ".log");
        return track(label, onThisClasspath(jvmOptions, mainClass, args, log), log, Map.of());
    }

    /**
     * {@code java <jvmOptions> -cp <this JVM's classpath> <mainClass> <args>} with stdout and stderr to {@code log},
     * in the environment of this JVM without any {@code ALIGNSTREAM_*} variable, {@code JAVA_TOOL_OPTIONS} or
     * {@code JDK_JAVA_OPTIONS}, and with {@code OPT_OUT_TRACKING=true}: the caller adds its own variables and starts it.
     */
    static ProcessBuilder onThisClasspath(List<String> jvmOptions, String mainClass, List<String> args, Path log) {
        List<String> command = new ArrayList<>(List.of(java()));
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), mainClass));
        command.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("ALIGNSTREAM_"));
        env.remove("JAVA_TOOL_OPTIONS");
        env.remove("JDK_JAVA_OPTIONS");
        env.put("OPT_OUT_TRACKING", "true");
        return pb;
    }

    /**
     * Starts exactly {@code java -cp <classpath> <main class>}, as a container's entrypoint does: no JVM option on the
     * command line and an environment of exactly {@code env} (JVM flags only through its {@code JAVA_TOOL_OPTIONS}),
     * plus only {@code PATH}, {@code HOME}, {@code LANG} and {@code TMPDIR} of this JVM if set, which a container has
     * its own of. Nothing else is inherited (no {@code ALIGNSTREAM_*}, {@code OPT_OUT_TRACKING}, ...). Output goes to
     * {@code <label>.log} in the work directory.
     */
    ServiceProcess launchExactly(String label, String classpath, String mainClass, Map<String, String> env)
            throws IOException {
        Path log = workDir.resolve(label + ".log");
        ProcessBuilder pb = new ProcessBuilder(java(), "-cp", classpath, mainClass).redirectErrorStream(true)
                .redirectOutput(log.toFile());
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
        return track(label, pb, log, env);
    }

    /** Starts {@code pb}; the HTTP port is {@code ALIGNSTREAM_HTTP_PORT} of {@code env}, -1 without one. */
    private ServiceProcess track(String label, ProcessBuilder pb, Path log, Map<String, String> env)
            throws IOException {
        int port = env.containsKey("ALIGNSTREAM_HTTP_PORT") ? Integer.parseInt(env.get("ALIGNSTREAM_HTTP_PORT")) : -1;
        ServiceProcess p = new ServiceProcess(label, pb.start(), log, port);
        launched.add(p);
        return p;
    }

    private static String java() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /**
     * Polls {@code /health/ready} until it answers 200 ({@code READY RUNNING}).
     *
     * @throws IllegalStateException at once if the process dies, or when the timeout passes
     */
    static void awaitReady(ServiceProcess p, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        String last = "no answer";
        while (System.nanoTime() < deadline) {
            if (!p.process.isAlive()) {
                throw new IllegalStateException(p.label + " exited with " + p.process.exitValue()
                        + " before it was ready; see " + p.log);
            }
            try {
                HttpResponse<String> r = get(p, "/health/ready");
                if (r.statusCode() == 200) {
                    if (!r.body().startsWith("READY RUNNING")) {
                        throw new IllegalStateException(p.label + " answered 200 to /health/ready with " + r.body());
                    }
                    return;
                }
                last = r.statusCode() + " " + r.body().strip();
            } catch (UncheckedIOException notListeningYet) {
                last = notListeningYet.getCause().toString();
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(p.label + " not ready within " + timeout + "; last /health/ready: " + last
                + "; see " + p.log);
    }

    /** GET {@code path} on the process's HTTP port (5 s timeout); an I/O failure as {@link UncheckedIOException}. */
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

    /** A port free at the time of the call (for {@code ALIGNSTREAM_HTTP_PORT}). */
    static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }
}
