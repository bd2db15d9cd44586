package org.alignstream.drills;

import org.alignstream.common.pipeline.Pipeline;
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
 * and {@code <<} merge keys resolved as Compose resolves them; a repeated key is an error, as in Compose), with
 * Compose's variable interpolation applied to every value ({@code ${VAR}}, {@code ${VAR:-default}},
 * {@code ${VAR-default}}, {@code ${VAR:?error}}, {@code ${VAR?error}}, {@code ${VAR:+alternative}},
 * {@code ${VAR+alternative}}, {@code $VAR}, and {@code $$} for a literal {@code $}) from the variables given to
 * {@link #load(Path, Map)}: none by default, so the file's own defaults apply, as on a machine without an .env file.
 * Services with {@code profiles} are present only when one of them is active ({@value #PROFILES_VARIABLE} among the
 * variables, as Compose reads it from the environment or an env file); {@link #threeBrokers} loads the file with the
 * variables of {@value #THREE_BROKERS_ENV}.
 */
final class ComposeFile {

    /** Name of the compose file at the repository root. */
    static final String FILE_NAME = "docker-compose.yml";
    /** Build argument that picks a stage's main class in {@code ops/docker/Dockerfile}. */
    static final String MAIN_CLASS_ARG = "MAIN_CLASS";
    /** Main class of the one-shot set-up (topics, SCRAM users, ACLs); built like a stage, but not a stage. */
    static final String SETUP_MAIN_CLASS = Pipeline.SETUP_MAIN_CLASS;
    /** The build argument that names the Maven module an image is built from. */
    static final String MODULE_ARG = "MODULE";
    /** Where the Dockerfile's build stage leaves the module's jar and runtime lib/ for the image to copy. */
    static final String IMAGE_JAR = "/image/alignstream.jar";
    static final String IMAGE_LIB = "/image/lib";

    /** The variable Compose reads the active profiles from (comma-separated). */
    static final String PROFILES_VARIABLE = "COMPOSE_PROFILES";
    /** The env file that turns the file into its three-broker deployment (profile three-brokers and its variables). */
    static final String THREE_BROKERS_ENV = "ops/compose/three-brokers.env";

    final Path root;
    /** The active profiles. */
    final java.util.Set<String> profiles;
    /** The document with the variables interpolated. */
    final Map<String, Object> document;
    /** The document as written ({@code ${...}} left as they are). */
    final Map<String, Object> raw;

    private ComposeFile(Path root, java.util.Set<String> profiles, Map<String, Object> document, Map<String, Object> raw) {
        this.root = root;
        this.profiles = profiles;
        this.document = document;
        this.raw = raw;
    }

    /** Reads {@code root/docker-compose.yml} with no variable set (the file's defaults apply). */
    static ComposeFile load(Path root) {
        return load(root, Map.of());
    }

    /** Reads {@code root/docker-compose.yml}, interpolating {@code variables} (as the shell or an .env file sets them). */
    static ComposeFile load(Path root, Map<String, String> variables) {
        Path r = root.toAbsolutePath().normalize();
        Map<String, Object> raw = map(parseYaml(read(r.resolve(FILE_NAME))), FILE_NAME);
        java.util.Set<String> profiles = new java.util.LinkedHashSet<>();
        for (String p : variables.getOrDefault(PROFILES_VARIABLE, "").split(",")) {
            if (!p.isBlank()) {
                profiles.add(p.strip());
            }
        }
        return new ComposeFile(r, profiles, map(interpolateAll(raw, variables, "services"), FILE_NAME), raw);
    }

    /** Reads {@code root/docker-compose.yml} with the variables of {@code root/}{@value #THREE_BROKERS_ENV}. */
    static ComposeFile threeBrokers(Path root) {
        return load(root, envFile(root.resolve(THREE_BROKERS_ENV)));
    }

    /**
     * The variables of a Compose env file: {@code NAME=VALUE} lines, blank lines and {@code #} comment lines skipped,
     * a value in matching single or double quotes unquoted.
     *
     * @throws IllegalArgumentException for a line that is none of these
     */
    static Map<String, String> envFile(Path file) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String line : read(file).split("\n")) {
            String l = line.strip();
            if (l.isEmpty() || l.startsWith("#")) {
                continue;
            }
            int eq = l.indexOf('=');
            if (eq < 1 || !l.substring(0, eq).strip().matches("[A-Za-z_][A-Za-z0-9_]*")) {
                throw new IllegalArgumentException(file + ": not NAME=VALUE: " + line);
            }
            String value = l.substring(eq + 1).strip();
            if (value.length() >= 2 && (value.charAt(0) == '"' || value.charAt(0) == '\'')
                    && value.charAt(value.length() - 1) == value.charAt(0)) {
                value = value.substring(1, value.length() - 1);
            }
            out.put(l.substring(0, eq).strip(), value);
        }
        return out;
    }

    /** A copy of a parsed YAML tree with every string value interpolated (keys are left alone). */
    static Object interpolateAll(Object node, Map<String, String> variables, String where) {
        if (node instanceof Map<?, ?> m) {
            Map<String, Object> out = new LinkedHashMap<>();
            m.forEach((k, v) -> out.put(String.valueOf(k), interpolateAll(v, variables, where + "." + k)));
            return out;
        }
        if (node instanceof List<?> l) {
            List<Object> out = new ArrayList<>();
            l.forEach(v -> out.add(interpolateAll(v, variables, where)));
            return out;
        }
        return node instanceof String s ? interpolate(s, variables, where) : node;
    }

    private static final java.util.regex.Pattern VARIABLE = java.util.regex.Pattern.compile(
            "\\$(?:(\\$)|\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?}|([A-Za-z_][A-Za-z0-9_]*))");

    /**
     * Compose's interpolation of one value: {@code ${VAR}} and {@code $VAR} (empty if unset), {@code ${VAR:-d}} (d if
     * unset or empty), {@code ${VAR-d}} (d if unset), {@code ${VAR:?e}} / {@code ${VAR?e}} (an error if unset or empty /
     * unset), {@code ${VAR:+a}} / {@code ${VAR+a}} (a if set and non-empty / set), {@code $$} for {@code $}.
     *
     * @throws IllegalArgumentException for a required variable that is missing, or a {@code $} that starts nothing
     */
    static String interpolate(String value, Map<String, String> variables, String where) {
        java.util.regex.Matcher m = VARIABLE.matcher(value);
        StringBuilder out = new StringBuilder();
        int last = 0;
        while (m.find()) {
            out.append(value, last, m.start());
            last = m.end();
            if (m.group(1) != null) {
                out.append('$');
                continue;
            }
            String name = m.group(2) != null ? m.group(2) : m.group(5);
            String v = variables.get(name);
            String op = m.group(3);
            String arg = m.group(4) == null ? "" : m.group(4);
            boolean set = v != null;
            boolean nonEmpty = set && !v.isEmpty();
            String result;
            if (op == null) {
                result = set ? v : "";
            } else {
                boolean colon = op.startsWith(":");
                boolean present = colon ? nonEmpty : set;
                result = switch (op.charAt(op.length() - 1)) {
                    case '-' -> present ? v : arg;
                    case '+' -> present ? arg : "";
                    default -> {
                        if (!present) {
                            throw new IllegalArgumentException(where + ": required variable " + name + " is not set: "
                                    + arg);
                        }
                        yield v;
                    }
                };
            }
            out.append(result);
        }
        out.append(value.substring(last));
        String text = out.toString();
        if (stripMatched(value).contains("$")) {
            throw new IllegalArgumentException(where + ": invalid interpolation in '" + value + "' (write $ as $$)");
        }
        return text;
    }

    private static String stripMatched(String value) {
        return VARIABLE.matcher(value).replaceAll("");
    }

    /** The names of every variable the file interpolates, in order of first use. */
    java.util.Set<String> variableNames() {
        java.util.Set<String> out = new java.util.LinkedHashSet<>();
        collectVariables(raw, out);
        return out;
    }

    private static void collectVariables(Object node, java.util.Set<String> out) {
        if (node instanceof Map<?, ?> m) {
            m.values().forEach(v -> collectVariables(v, out));
        } else if (node instanceof List<?> l) {
            l.forEach(v -> collectVariables(v, out));
        } else if (node instanceof String s) {
            java.util.regex.Matcher m = VARIABLE.matcher(s);
            while (m.find()) {
                if (m.group(1) == null) {
                    out.add(m.group(2) != null ? m.group(2) : m.group(5));
                }
            }
        }
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

    /** Every service enabled by the active profiles (all without {@code profiles}), by name, in file order. */
    Map<String, Map<String, Object>> services() {
        Map<String, Map<String, Object>> out = new LinkedHashMap<>();
        map(document.get("services"), "services").forEach((name, s) -> {
            Map<String, Object> service = map(s, "service " + name);
            List<Object> of = list(service.get("profiles"), "service " + name + " profiles");
            if (of.isEmpty() || of.stream().map(String::valueOf).anyMatch(profiles::contains)) {
                out.put(name, service);
            }
        });
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

    /** The {@value #MODULE_ARG} build argument, or null. */
    static String module(Map<String, Object> service) {
        return keyValues(build(service).get("args"), "build.args").get(MODULE_ARG);
    }

    /** The {@value #MAIN_CLASS_ARG} build argument, or null. */
    static String mainClass(Map<String, Object> service) {
        return keyValues(build(service).get("args"), "build.args").get(MAIN_CLASS_ARG);
    }

    /**
     * The services built with a {@value #MAIN_CLASS_ARG} other than the set-up ({@value #SETUP_MAIN_CLASS}): the
     * alignstream stages, in file order.
     */
    Map<String, String> stageMainClasses() {
        Map<String, String> out = new LinkedHashMap<>();
        services().forEach((name, s) -> {
            String main = mainClass(s);
            if (main != null && !SETUP_MAIN_CLASS.equals(main) && !FRONT_END_MAIN_CLASSES.contains(main)) {
                out.put(name, main);
            }
        });
        return out;
    }

    /** Main classes of the front ends ({@link Pipeline#FRONT_ENDS}: the gateway), which are no Kafka Streams stage. */
    static final java.util.Set<String> FRONT_END_MAIN_CLASSES = Pipeline.FRONT_ENDS.stream()
            .map(org.alignstream.common.pipeline.StageSpec::mainClass).collect(java.util.stream.Collectors.toSet());

    /** Services running a front end, by name, with its main class, in file order. */
    Map<String, String> frontEndMainClasses() {
        Map<String, String> out = new LinkedHashMap<>();
        services().forEach((name, s) -> {
            String main = mainClass(s);
            if (main != null && FRONT_END_MAIN_CLASSES.contains(main)) {
                out.put(name, main);
            }
        });
        return out;
    }

    /** The services that run the set-up ({@value #SETUP_MAIN_CLASS}), in file order. */
    List<String> setupServices() {
        List<String> out = new ArrayList<>();
        services().forEach((name, s) -> {
            if (SETUP_MAIN_CLASS.equals(mainClass(s))) {
                out.add(name);
            }
        });
        return out;
    }

    /** A service's environment as written in the file (before interpolation). */
    Map<String, String> rawEnvironment(String service) {
        Map<String, Object> services = map(raw.get("services"), "services");
        return environment(map(services.get(service), "service " + service));
    }

    /** The names of the services in a service's {@code depends_on} (short or long form), with their conditions. */
    static Map<String, String> dependsOn(Map<String, Object> service) {
        Map<String, String> out = new LinkedHashMap<>();
        Object d = service.get("depends_on");
        if (d instanceof List<?> l) {
            l.forEach(o -> out.put(String.valueOf(o), "service_started"));
        } else {
            map(d, "depends_on").forEach((k, v) -> out.put(k,
                    String.valueOf(map(v, "depends_on." + k).getOrDefault("condition", "service_started"))));
        }
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

    /**
     * A volume of a service: source (null for an anonymous volume), target, whether the source is a host path, and
     * whether it is mounted read-only.
     */
    record Mount(String source, String target, boolean bind, boolean readOnly) {
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
                        "bind".equals(type), Boolean.parseBoolean(String.valueOf(m.get("read_only")))));
                continue;
            }
            String[] parts = String.valueOf(v).split(":");
            if (parts.length == 1) {
                out.add(new Mount(null, parts[0], false, false));
            } else {
                String source = parts[0];
                boolean bind = source.startsWith(".") || source.startsWith("/") || source.startsWith("~");
                out.add(new Mount(source, parts[1], bind, parts.length > 2 && List.of(parts[2].split(",")).contains("ro")));
            }
        }
        return out;
    }

    /** The host file a bind mount source names, relative to the compose file's directory. */
    Path hostPath(String source) {
        return root.resolve(Objects.requireNonNull(source)).normalize();
    }
}
