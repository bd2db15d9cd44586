package org.alignstream.drills;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * Runs the entrypoint script of a Kafka service of {@code docker-compose.yml} ({@code ops/kafka/start.sh}, the script
 * mounted at the path its {@code entrypoint} runs with bash) with exactly the service's environment and stand-ins for
 * the image's {@code kafka-storage.sh} and {@code kafka-server-start.sh} that record their arguments, and returns what
 * the script rendered and passed on: the broker's {@code server.properties}, the arguments of
 * {@code kafka-storage.sh format}, and the super user's client settings it wrote for the healthcheck.
 */
final class KafkaEntrypoint {

    /**
     * What the script left.
     *
     * @param environment     the service's environment it ran with
     * @param serverProperties the rendered {@code server.properties}, as a map
     * @param formatArguments the arguments after {@code format --cluster-id <CLUSTER_ID> --config <file>}
     *                        ({@code --add-scram} and the super user's credential)
     * @param adminClient     the super user's client settings ({@code admin-client.properties})
     */
    record Rendered(Map<String, String> environment, Map<String, String> serverProperties, List<String> formatArguments,
                    Properties adminClient) {
    }

    private KafkaEntrypoint() {
    }

    /** Runs the entrypoint of {@code service} in {@code dir} (created if absent). */
    static Rendered run(ComposeFile compose, String service, Path dir) throws Exception {
        Map<String, Object> s = compose.service(service);
        Map<String, String> env = ComposeFile.environment(s);
        List<String> entrypoint = List.of(ComposeFile.commandText(s.get("entrypoint")).split("\n"));
        assertThat(entrypoint).as("the broker's entrypoint").hasSize(2).first().isEqualTo("/bin/bash");
        Path script = ComposeFile.mounts(s).stream().filter(m -> m.target().equals(entrypoint.get(1)))
                .map(m -> compose.hostPath(m.source())).findFirst()
                .orElseThrow(() -> new AssertionError("the entrypoint script " + entrypoint.get(1) + " is not mounted"));

        // stand-ins for the image's commands: record the arguments (NUL-separated)
        Path home = dir.resolve("kafka-home");
        Files.createDirectories(home.resolve("bin"));
        for (String tool : List.of("kafka-storage.sh", "kafka-server-start.sh")) {
            Path stub = home.resolve("bin").resolve(tool);
            Files.writeString(stub, "#!/usr/bin/env bash\nprintf '%s\\0' \"$@\" > \"$(dirname \"$0\")/../" + tool
                    + ".args\"\n");
            assertThat(stub.toFile().setExecutable(true)).isTrue();
        }
        ProcessBuilder pb = new ProcessBuilder("bash", script.toString()).redirectErrorStream(true)
                .redirectOutput(dir.resolve("start.sh.log").toFile());
        pb.environment().clear();
        pb.environment().putAll(env);
        pb.environment().put("KAFKA_HOME", home.toString());
        pb.environment().put("PATH", System.getenv().getOrDefault("PATH", "/usr/bin:/bin"));
        Process p = pb.start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("ops/kafka/start.sh finishes").isTrue();
        assertThat(p.exitValue()).as("ops/kafka/start.sh: %s", Files.readString(dir.resolve("start.sh.log"))).isZero();

        Path rendered = home.resolve("config/server.properties");
        List<String> format = args(home.resolve("kafka-storage.sh.args"));
        List<String> start = args(home.resolve("kafka-server-start.sh.args"));
        assertThat(start).as("kafka-server-start.sh runs the rendered file").containsExactly(rendered.toString());
        assertThat(format.subList(0, 5)).as("kafka-storage.sh format").containsExactly("format", "--cluster-id",
                env.get("CLUSTER_ID"), "--config", rendered.toString());
        List<String> extraFormat = format.subList(5, format.size());
        assertThat(extraFormat).as("the admin's bootstrap credential").hasSize(2).first().isEqualTo("--add-scram");

        Properties server = load(rendered);
        Map<String, String> props = new LinkedHashMap<>();
        server.stringPropertyNames().forEach(k -> props.put(k, server.getProperty(k)));
        return new Rendered(env, props, List.copyOf(extraFormat), load(home.resolve("config/admin-client.properties")));
    }

    private static Properties load(Path file) throws IOException {
        Properties p = new Properties();
        try (var in = Files.newInputStream(file)) {
            p.load(in);
        }
        return p;
    }

    private static List<String> args(Path file) throws IOException {
        assertThat(file).as("the stand-in was called").isRegularFile();
        String text = Files.readString(file);
        return text.isEmpty() ? List.of() : List.of(text.substring(0, text.length() - 1).split("\0", -1));
    }
}
