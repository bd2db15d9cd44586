package org.alignstream.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;

/**
 * The parts of {@code docker-compose.yml} the deployment checks and the parity test need, read with SnakeYAML (anchors
 * and {@code <<} merge keys resolved as Compose resolves them; a repeated key is an error, as in Compose).
 */
final class ComposeFile {

    /** Name of the compose file at the repository root. */
    static final String FILE_NAME = "docker-compose.yml";
    /** Build argument that picks a stage's main class in {@code ops/docker/Dockerfile}. */
    static final String MAIN_CLASS_ARG = "MAIN_CLASS";

    final Path root;
    final Map<String, Object> document;

    private ComposeFile(Path root, Map<String, Object> document) {
        this.root = root;
        this.document = document;
    }

    /** Reads {@code root/docker-compose.yml}. */
    static ComposeFile load(Path root) {
        Path r = root.toAbsolutePath().normalize();
        return new ComposeFile(r, map(parseYaml(read(r.resolve(FILE_NAME))), FILE_NAME));
    }

    /** The repository root: the parent of the {@code local} module directory Maven runs the tests in. */
    static Path repositoryRoot() {
        Path module = Path.of(System.getProperty("basedir", ".")).toAbsolutePath().normalize();
        Path root = Files.exists(module.resolve(FILE_NAME)) ? module : module.getParent();
        if (root == null || !Files.exists(root.resolve(FILE_NAME))) {
            throw new IllegalStateException("no " + FILE_NAME + " in " + module + " or its parent");
        }
        return root;
    }

    static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Parses YAML safely (no arbitrary types), rejecting repeated keys. */
    static Object parseYaml(String text) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(false);
        options.setMaxAliasesForCollections(200);
        return new Yaml(new SafeConstructor(options)).load(text);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> map(Object value, String what) {
        if (value == null) {
            return new LinkedHashMap<>();
        }
        if (!(value instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException(what + " is not a mapping: " + value);
        }
        Map<String, Object> out = new LinkedHashMap<>();
        ((Map<Object, Object>) m).forEach((k, v) -> out.put(String.valueOf(k), v));
        return out;
    }

    static List<Object> list(Object value, String what) {
        if (value == null) {
            return List.of();
        }
        if (!(value instanceof List<?> l)) {
            throw new IllegalArgumentException(what + " is not a list: " + value);
        }
        return new ArrayList<>(l);
    }

    /** Every service by name, in file order. */
    Map<String, Map<String, Object>> services() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        map(document.get("services"), "services").forEach((name, s) -> out.put(name, map(s, "service " + name)));
        return out;
    }

    Map<String, Object> service(String name) {
        Map<String, Object> s = services().get(name);
        if (s == null) {
            throw new IllegalArgumentException("no service " + name + " in " + FILE_NAME);
        }
        return s;
    }

    /** A service's environment, from the mapping or the {@code KEY=VALUE} list form; values as strings. */
    static Map<String, String> environment(Map<String, Object> service) {
        return keyValues(service.get("environment"), "environment");
    }

    private static Map<String, String> keyValues(Object raw, String what) {
        Map<String, String> out = new LinkedHashMap<>();
        if (raw instanceof List<?> l) {
            for (Object o : l) {
                String s = String.valueOf(o);
                int eq = s.indexOf('=');
                out.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? "" : s.substring(eq + 1));
            }
        } else {
            map(raw, what).forEach((k, v) -> out.put(k, v == null ? "" : String.valueOf(v)));
        }
        return out;
    }

    /** The service's {@code build} section (the short form {@code build: DIR} as a context), or an empty map. */
    static Map<String, Object> build(Map<String, Object> service) {
        Object b = service.get("build");
        if (b instanceof String context) {
            Map<String, Object> out = new LinkedHashMap<>();
            out.put("context", context);
            return out;
        }
        return map(b, "build");
    }

    /** The {@value #MAIN_CLASS_ARG} build argument, or null. */
    static String mainClass(Map<String, Object> service) {
        return keyValues(build(service).get("args"), "build.args").get(MAIN_CLASS_ARG);
    }

    /** The services built with a {@value #MAIN_CLASS_ARG}: the alignstream stages, in file order. */
    Map<String, String> stageMainClasses() {
        Map<String, String> out = new LinkedHashMap<>();
        services().forEach((name, s) -> {
            String main = mainClass(s);
            if (main != null) {
                out.put(name, main);
            }
        });
        return out;
    }

    /** A command or entrypoint as one text (a list's items joined by newlines), or "" if absent. */
    static String commandText(Object command) {
        if (command == null) {
            return "";
        }
        if (command instanceof List<?> l) {
            List<String> parts = new ArrayList<>();
            l.forEach(o -> parts.add(String.valueOf(o)));
            return String.join("\n", parts);
        }
        return String.valueOf(command);
    }

    /** One {@code kafka-topics.sh --create} call of the compose file. */
    record TopicCreation(String service, String line, String topic, Integer partitions, Integer replicationFactor,
                         Map<String, String> configs, String bootstrapServer) {
    }

    /** Every {@code kafka-topics.sh ... --create ...} line in any service's entrypoint or command, in order. */
    List<TopicCreation> topicCreations() {
        List<TopicCreation> out = new ArrayList<>();
        services().forEach((name, s) -> {
            String text = commandText(s.get("entrypoint")) + "\n" + commandText(s.get("command"));
            for (String line : text.split("\n")) {
                String l = line.strip();
                if (!l.contains("kafka-topics.sh") || !l.contains("--create")) {
                    continue;
                }
                String[] tokens = l.split("\\s+");
                String topic = null;
                Integer partitions = null;
                Integer replication = null;
                String bootstrap = null;
                Map<String, String> configs = new LinkedHashMap<>();
                for (int i = 0; i < tokens.length; i++) {
                    String t = tokens[i];
                    String next = i + 1 < tokens.length ? tokens[i + 1] : null;
                    switch (t) {
                        case "--topic" -> topic = next;
                        case "--partitions" -> partitions = parseIntOrNull(next);
                        case "--replication-factor" -> replication = parseIntOrNull(next);
                        case "--bootstrap-server" -> bootstrap = next;
                        case "--config" -> {
                            if (next != null && next.contains("=")) {
                                configs.put(next.substring(0, next.indexOf('=')), next.substring(next.indexOf('=') + 1));
                            }
                        }
                        default -> {
                        }
                    }
                }
                out.add(new TopicCreation(name, l, topic, partitions, replication, configs, bootstrap));
            }
        });
        return out;
    }

    private static Integer parseIntOrNull(String s) {
        try {
            return s == null ? null : Integer.valueOf(s);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** A volume of a service: source (null for an anonymous volume), target, and whether the source is a host path. */
    record Mount(String source, String target, boolean bind) {
    }

    /** The service's volumes, short ({@code SRC:DST[:MODE]} or {@code DST}) or long syntax. */
    static List<Mount> mounts(Map<String, Object> service) {
        List<Mount> out = new ArrayList<>();
        for (Object v : list(service.get("volumes"), "volumes")) {
            if (v instanceof Map<?, ?>) {
                Map<String, Object> m = map(v, "volume");
                String type = String.valueOf(m.getOrDefault("type", "volume"));
                Object source = m.get("source");
                out.add(new Mount(source == null ? null : String.valueOf(source), String.valueOf(m.get("target")),
                        "bind".equals(type)));
                continue;
            }
            String[] parts = String.valueOf(v).split(":");
            if (parts.length == 1) {
                out.add(new Mount(null, parts[0], false));
            } else {
                String source = parts[0];
                boolean bind = source.startsWith(".") || source.startsWith("/") || source.startsWith("~");
                out.add(new Mount(source, parts[1], bind));
            }
        }
        return out;
    }

    /** The host file a bind mount source names, relative to the compose file's directory. */
    Path hostPath(String source) {
        return root.resolve(Objects.requireNonNull(source)).normalize();
    }
}
