package org.alignstream.drills;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import org.alignstream.common.runtime.EnvironmentDefaultProvider;
import org.alignstream.common.runtime.StreamsCommand;
import org.alignstream.common.security.AccessControl;
import org.alignstream.clients.AccessControlCommand;
import org.alignstream.common.topics.Topics;
import org.alignstream.embedded.KRaftBrokerProperties;
import org.alignstream.embedded.SaslScram;
import org.alignstream.drills.ComposeFile.Mount;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * Static checks of the Compose deployment ({@code docker-compose.yml}, {@code ops/docker/Dockerfile},
 * {@code ops/kafka/start.sh}, {@code ops/prometheus/*}, {@code ops/grafana/**}) against the code, without Docker. Every check returns its problems
 * as {@code "[check] message"} strings; an empty list means the deployment is consistent. The files are found the way
 * Compose finds them (bind-mount sources, the build context and Dockerfile, Prometheus' {@code --config.file} and
 * {@code rule_files}, Grafana's dashboard provider path), so a check also fails when the wiring between them breaks.
 */
final class DeploymentChecks {

    /** The four stages, by main class ({@link Pipeline#STAGES}): each must be deployed exactly once. */
    static final List<String> STAGE_MAIN_CLASSES = Pipeline.STAGES.stream().map(StageSpec::mainClass).toList();
    /** Environment every stage container must have, exactly. */
    static final Map<String, String> REQUIRED_ENVIRONMENT = Map.of("OPT_OUT_TRACKING", "true", "DJL_OFFLINE", "true",
            "ORT_DISABLE_TELEMETRY", "1");
    /** JVM flags every stage's JAVA_TOOL_OPTIONS must hold. */
    static final List<String> REQUIRED_JVM_FLAGS = List.of("-Dai.djl.offline=true",
            "-Dorg.apache.avro.SERIALIZABLE_PACKAGES=org.alignstream.avro");
    /** Options every stage must get from the environment. */
    static final List<String> REQUIRED_OPTIONS = List.of("ALIGNSTREAM_BOOTSTRAP_SERVERS", "ALIGNSTREAM_HTTP_PORT",
            "ALIGNSTREAM_STATE_DIR");
    /** What the dashboard must show: a series name prefix and what it is. */
    static final Map<String, String> DASHBOARD_MUST_SHOW = orderedMap(
            "alignstream_records_in_total", "throughput in",
            "alignstream_records_out_total", "throughput out",
            "kafka_streams_stream_processor_node_metrics_record_e2e_latency", "latency per stage",
            "alignstream_batch_size", "batch sizes",
            "alignstream_inference_seconds", "inference time",
            "kafka_streams_consumer_fetch_manager_metrics_records_lag", "consumer lag",
            "alignstream_dead_letters_total", "dead letters",
            "alignstream_model_versions_total", "reward-model versions and retraining");
    /** What the alert rules must cover: a pattern an expression must match, and what it is. */
    static final Map<String, String> ALERTS_MUST_COVER = orderedMap(
            "kafka_streams_consumer_fetch_manager_metrics_records_lag", "consumer lag",
            "alignstream_dead_letters_total", "dead-letter rate",
            "alignstream_model_versions_total{outcome=\"failed\"}", "failed retraining",
            "alignstream_model_versions_total{outcome=\"rejected\"}", "rejected retraining",
            "kafka_streams_stream_metrics_client_state", "a stage not ready",
            "up{job=~\"alignstream-.*\"}", "a stage down");
    /** Severities the rules may use. */
    static final Set<String> SEVERITIES = Set.of("critical", "warning", "info");

    private static final Pattern PINNED_TAG = Pattern.compile("\\d+\\.\\d+\\.\\d+");

    private final ComposeFile compose;
    private final Set<String> knownMetrics;

    DeploymentChecks(ComposeFile compose, Set<String> knownMetrics) {
        this.compose = compose;
        this.knownMetrics = knownMetrics;
    }

    /**
     * Every check on the deployment under {@code root}, then those that depend on the services and their environment
     * again on its three-broker deployment ({@link ComposeFile#threeBrokers}), whose problems start with
     * {@code [three-brokers]}.
     */
    static List<String> all(Path root, Set<String> knownMetrics) {
        ComposeFile compose;
        try {
            compose = ComposeFile.load(root);
        } catch (RuntimeException e) {
            return List.of("[compose] " + ComposeFile.FILE_NAME + " does not parse: " + e.getMessage());
        }
        DeploymentChecks c = new DeploymentChecks(compose, knownMetrics);
        List<String> problems = new ArrayList<>();
        problems.addAll(c.images());
        problems.addAll(c.files());
        problems.addAll(c.mainClasses());
        problems.addAll(c.environment());
        problems.addAll(c.healthchecks());
        problems.addAll(c.stateDirectories());
        problems.addAll(c.modelStore());
        problems.addAll(c.prometheusTargets());
        problems.addAll(c.topics());
        problems.addAll(c.accessControl());
        problems.addAll(c.frontEnds());
        problems.addAll(c.cluster());
        problems.addAll(c.alertRules());
        problems.addAll(c.dashboard());
        problems.addAll(threeBrokers(root, knownMetrics));
        return problems;
    }

    /** The checks of the services and their environment on the three-broker deployment, each problem prefixed. */
    static List<String> threeBrokers(Path root, Set<String> knownMetrics) {
        String prefix = "[three-brokers] ";
        ComposeFile compose;
        try {
            compose = ComposeFile.threeBrokers(root);
        } catch (RuntimeException e) {
            return List.of(prefix + "[compose] " + ComposeFile.FILE_NAME + " with " + ComposeFile.THREE_BROKERS_ENV
                    + " does not load: " + e.getMessage());
        }
        DeploymentChecks c = new DeploymentChecks(compose, knownMetrics);
        List<String> problems = new ArrayList<>();
        int brokers = c.kafkaServices().size();
        if (brokers != THREE) {
            problems.add("[cluster] " + brokers + " Kafka service(s) under the profile(s) " + compose.profiles
                    + ", expected " + THREE);
        }
        problems.addAll(c.images());
        problems.addAll(c.files());
        problems.addAll(c.environment());
        problems.addAll(c.topics());
        problems.addAll(c.accessControl());
        problems.addAll(c.cluster());
        return problems.stream().map(p -> prefix + p).toList();
    }

    // ------------------------------------------------------------------ images

    /** Every image (of the compose file and every FROM of the Dockerfiles it builds) has a pinned version tag. */
    List<String> images() {
        List<String> problems = new ArrayList<>();
        compose.services().forEach((name, s) -> {
            boolean built = s.containsKey("build");
            Object image = s.get("image");
            if (!built) {
                if (image == null) {
                    problems.add("[images] service " + name + " has neither image nor build");
                } else if (!pinned(String.valueOf(image))) {
                    problems.add("[images] service " + name + ": image " + image + " is not pinned to a version tag");
                }
            }
        });
        for (Map.Entry<String, Path> e : dockerfiles().entrySet()) {
            if (!Files.isRegularFile(e.getValue())) {
                continue; // reported by files()
            }
            List<String> froms = fromImages(ComposeFile.read(e.getValue()));
            for (String from : froms) {
                if (!pinned(from)) {
                    problems.add("[images] " + rel(e.getValue()) + ": FROM " + from + " is not pinned to a version tag");
                }
            }
            String runtime = froms.isEmpty() ? "" : froms.get(froms.size() - 1);
            if (!runtime.startsWith("eclipse-temurin:17.") || !runtime.contains("-jre")) {
                problems.add("[images] " + rel(e.getValue()) + ": the runtime image is " + runtime
                        + ", not an eclipse-temurin 17 JRE");
            }
        }
        return problems;
    }

    static boolean pinned(String image) {
        if (image.contains("@sha256:")) {
            return true;
        }
        int slash = image.lastIndexOf('/');
        int colon = image.lastIndexOf(':');
        if (colon <= slash) {
            return false;
        }
        String tag = image.substring(colon + 1);
        return !tag.equals("latest") && PINNED_TAG.matcher(tag).find();
    }

    static List<String> fromImages(String dockerfile) {
        List<String> out = new ArrayList<>();
        for (String line : dockerfile.split("\n")) {
            String[] t = line.strip().split("\\s+");
            if (t.length >= 2 && t[0].equalsIgnoreCase("FROM")) {
                int i = 1;
                while (i < t.length && t[i].startsWith("--")) {
                    i++;
                }
                if (i < t.length) {
                    out.add(t[i]);
                }
            }
        }
        return out;
    }

    /** The Dockerfile of every built service. */
    private Map<String, Path> dockerfiles() {
        Map<String, Path> out = new LinkedHashMap<>();
        compose.services().forEach((name, s) -> {
            if (s.containsKey("build")) {
                Map<String, Object> b = ComposeFile.build(s);
                Path context = compose.hostPath(String.valueOf(b.getOrDefault("context", ".")));
                out.put(name, context.resolve(String.valueOf(b.getOrDefault("dockerfile", "Dockerfile"))).normalize());
            }
        });
        return out;
    }

    // ------------------------------------------------------------------ files

    /**
     * Every file the compose file references exists: build contexts and Dockerfiles, bind-mount sources; the Dockerfile
     * builds one module ({@code mvn ... -pl "${MODULE}" -am package}) and copies only the jar and lib/ that build leaves.
     */
    List<String> files() {
        List<String> problems = new ArrayList<>();
        compose.services().forEach((name, s) -> {
            if (s.containsKey("build")) {
                Path context = compose.hostPath(String.valueOf(ComposeFile.build(s).getOrDefault("context", ".")));
                if (!Files.isDirectory(context)) {
                    problems.add("[files] service " + name + ": build context " + rel(context) + " does not exist");
                }
            }
            for (Mount m : ComposeFile.mounts(s)) {
                if (m.bind() && !Files.exists(compose.hostPath(m.source()))) {
                    problems.add("[files] service " + name + ": mounted " + m.source() + " does not exist");
                }
            }
        });
        for (Map.Entry<String, Path> e : dockerfiles().entrySet()) {
            Path dockerfile = e.getValue();
            if (!Files.isRegularFile(dockerfile)) {
                problems.add("[files] service " + e.getKey() + ": Dockerfile " + rel(dockerfile) + " does not exist");
                continue;
            }
            String text = ComposeFile.read(dockerfile);
            if (!Pattern.compile("mvn\\s[^\\n]*-pl \"\\$\\{" + ComposeFile.MODULE_ARG + "}\" -am package").matcher(text).find()) {
                problems.add("[files] " + rel(dockerfile) + " does not build with mvn -pl \"${" + ComposeFile.MODULE_ARG
                        + "}\" -am package");
            }
            boolean stagesJar = text.contains("cp \"${" + ComposeFile.MODULE_ARG + "}\"/target/*-") && text.contains(
                    "cp -r \"${" + ComposeFile.MODULE_ARG + "}/target/lib\" ");
            List<String> copied = new ArrayList<>();
            for (String line : text.split("\n")) {
                String[] t = line.strip().split("\\s+");
                if (t.length >= 4 && t[0].equals("COPY") && t[1].startsWith("--from=")) {
                    copied.addAll(List.of(t).subList(2, t.length - 1));
                }
            }
            boolean copiesJar = copied.stream().anyMatch(src -> src.equals(ComposeFile.IMAGE_JAR));
            boolean copiesLib = copied.stream().anyMatch(src -> src.replaceAll("/+$", "").equals(ComposeFile.IMAGE_LIB));
            if (!stagesJar || !copiesJar || !copiesLib) {
                problems.add("[files] " + rel(dockerfile) + " does not copy the module's jar and target/lib (what mvn -pl "
                        + "${" + ComposeFile.MODULE_ARG + "} -am package leaves) into the image");
            }
            if (!text.contains("ARG " + ComposeFile.MODULE_ARG)) {
                problems.add("[files] " + rel(dockerfile) + " has no build argument " + ComposeFile.MODULE_ARG);
            }
            if (!text.contains("ARG " + ComposeFile.MAIN_CLASS_ARG)) {
                problems.add("[files] " + rel(dockerfile) + " has no build argument " + ComposeFile.MAIN_CLASS_ARG);
            }
        }
        return problems;
    }

    // ------------------------------------------------------------------ main classes

    /**
     * Every stage's main class (build argument {@value ComposeFile#MAIN_CLASS_ARG}) is on the classpath, is a
     * {@link StreamsCommand} with a {@code public static void main(String[])}; each of the four stages is deployed
     * exactly once; no stage overrides the image's command or entrypoint (flags would bypass the environment).
     */
    List<String> mainClasses() {
        List<String> problems = new ArrayList<>();
        Map<String, String> stages = compose.stageMainClasses();
        for (Map.Entry<String, String> e : stages.entrySet()) {
            try {
                Class<?> c = Class.forName(e.getValue(), false, getClass().getClassLoader());
                if (!StreamsCommand.class.isAssignableFrom(c)) {
                    problems.add("[main-class] service " + e.getKey() + ": " + e.getValue() + " is not a stage command");
                }
                Method main = c.getMethod("main", String[].class);
                if (!Modifier.isStatic(main.getModifiers())) {
                    problems.add("[main-class] service " + e.getKey() + ": " + e.getValue() + ".main is not static");
                }
            } catch (ClassNotFoundException ex) {
                problems.add("[main-class] service " + e.getKey() + ": main class " + e.getValue()
                        + " is not on the classpath");
            } catch (NoSuchMethodException ex) {
                problems.add("[main-class] service " + e.getKey() + ": " + e.getValue() + " has no main(String[])");
            }
            Map<String, Object> s = compose.service(e.getKey());
            for (String key : List.of("command", "entrypoint")) {
                if (s.containsKey(key)) {
                    problems.add("[main-class] service " + e.getKey() + " overrides the image's " + key
                            + ": a stage is configured only through ALIGNSTREAM_* variables");
                }
            }
        }
        for (String main : STAGE_MAIN_CLASSES) {
            long n = stages.values().stream().filter(main::equals).count();
            if (n != 1) {
                problems.add("[main-class] " + main + " is deployed " + n + " times, expected once");
            }
        }
        compose.services().forEach((name, s) -> {
            String main = ComposeFile.mainClass(s);
            if (main == null) {
                return;
            }
            String want = ComposeFile.SETUP_MAIN_CLASS.equals(main) ? Pipeline.SETUP_MODULE
                    : Pipeline.serviceOfMainClass(main).map(StageSpec::module).orElse(null);
            String module = ComposeFile.module(s);
            if (want != null && !want.equals(module)) {
                problems.add("[main-class] service " + name + ": image module " + module + ", but " + main
                        + " is in module " + want + " (Pipeline)");
            }
        });
        return problems;
    }

    // ------------------------------------------------------------------ environment

    /** A stage's command, parsed from its compose environment exactly as the container's JVM parses it. */
    static StreamsCommand parseStage(String mainClass, Map<String, String> environment) throws ReflectiveOperationException {
        StreamsCommand command = (StreamsCommand) Class.forName(mainClass).getDeclaredConstructor().newInstance();
        StreamsCommand.commandLine(command, environment).parseArgs();
        return command;
    }

    /** The environment variables a stage reads: one per option, {@link EnvironmentDefaultProvider#variableName}. */
    static Set<String> optionVariables(String mainClass) throws ReflectiveOperationException {
        StreamsCommand command = (StreamsCommand) Class.forName(mainClass).getDeclaredConstructor().newInstance();
        CommandLine cl = StreamsCommand.commandLine(command, Map.of());
        Set<String> out = new TreeSet<>();
        for (OptionSpec o : cl.getCommandSpec().options()) {
            if (!o.usageHelp() && !o.versionHelp()) {
                out.add(EnvironmentDefaultProvider.variableName(o.longestName()));
            }
        }
        return out;
    }

    /**
     * Every {@code ALIGNSTREAM_*} variable of a stage is one of its options and parses; the stage gets the bootstrap
     * servers (a Kafka service of this file), its HTTP port and state directory; offline and no-telemetry variables and
     * the JVM flags are set; with topic creation off it waits for the topic-creation service.
     */
    List<String> environment() {
        List<String> problems = new ArrayList<>();
        Set<String> kafkaServices = kafkaServices();
        Set<String> topicServices = new HashSet<>(compose.setupServices());
        compose.stageMainClasses().forEach((name, main) -> {
            Map<String, Object> s = compose.service(name);
            Map<String, String> env = ComposeFile.environment(s);
            Set<String> known;
            try {
                known = optionVariables(main);
            } catch (ReflectiveOperationException | RuntimeException e) {
                return; // reported by mainClasses()
            }
            for (String key : env.keySet()) {
                if (key.startsWith(EnvironmentDefaultProvider.PREFIX) && !known.contains(key)) {
                    problems.add("[env] service " + name + ": " + key + " is not an option of " + simple(main)
                            + " (its variables: " + known + ")");
                }
            }
            for (String required : REQUIRED_OPTIONS) {
                if (!env.containsKey(required)) {
                    problems.add("[env] service " + name + ": " + required + " is not set");
                }
            }
            REQUIRED_ENVIRONMENT.forEach((k, v) -> {
                if (!v.equals(env.get(k))) {
                    problems.add("[env] service " + name + ": " + k + " must be " + v + ", is " + env.get(k));
                }
            });
            List<String> jvm = List.of(env.getOrDefault("JAVA_TOOL_OPTIONS", "").split("\\s+"));
            for (String flag : REQUIRED_JVM_FLAGS) {
                if (!jvm.contains(flag)) {
                    problems.add("[env] service " + name + ": JAVA_TOOL_OPTIONS lacks " + flag);
                }
            }
            StreamsCommand command;
            try {
                command = parseStage(main, env);
            } catch (CommandLine.ParameterException e) {
                problems.add("[env] service " + name + ": its environment does not parse: " + e.getMessage());
                return;
            } catch (ReflectiveOperationException e) {
                return;
            }
            if (command.httpPort() < 1) {
                problems.add("[env] service " + name + ": ALIGNSTREAM_HTTP_PORT must be a fixed port, is "
                        + command.httpPort());
            }
            for (String server : command.bootstrapServers().split(",")) {
                String host = server.contains(":") ? server.substring(0, server.lastIndexOf(':')) : server;
                if (!kafkaServices.contains(host)) {
                    problems.add("[env] service " + name + ": bootstrap server " + server
                            + " is not a Kafka service of the compose file " + kafkaServices);
                }
            }
            Map<String, String> conditions = ComposeFile.dependsOn(s);
            Set<String> dependsOn = conditions.keySet();
            if (dependsOn.stream().noneMatch(kafkaServices::contains)) {
                problems.add("[env] service " + name + " does not depend on the Kafka service");
            }
            if (!command.createTopics() && topicServices.stream()
                    .noneMatch(t -> "service_completed_successfully".equals(conditions.get(t)))) {
                problems.add("[env] service " + name + " does not create topics and does not wait for the service"
                        + " that does " + topicServices);
            }
        });
        return problems;
    }

    /** Services running the Apache Kafka image with the broker role. */
    private Set<String> kafkaServices() {
        Set<String> out = new LinkedHashSet<>();
        compose.services().forEach((name, s) -> {
            String roles = ComposeFile.environment(s).getOrDefault("KAFKA_PROCESS_ROLES", "");
            if (String.valueOf(s.get("image")).startsWith("apache/kafka:") && roles.contains("broker")) {
                out.add(name);
            }
        });
        return out;
    }

    // ------------------------------------------------------------------ healthchecks

    /** Every stage's healthcheck asks {@code /health/ready} on the port the stage serves. */
    List<String> healthchecks() {
        List<String> problems = new ArrayList<>();
        compose.stageMainClasses().forEach((name, main) -> {
            Map<String, Object> s = compose.service(name);
            int port;
            try {
                port = parseStage(main, ComposeFile.environment(s)).httpPort();
            } catch (ReflectiveOperationException | RuntimeException e) {
                return; // reported by environment()
            }
            String test = ComposeFile.commandText(ComposeFile.map(s.get("healthcheck"), "healthcheck").get("test"));
            if (!test.contains("localhost:" + port + "/health/ready")) {
                problems.add("[healthcheck] service " + name + ": the healthcheck does not ask http://localhost:" + port
                        + "/health/ready: " + test.replace('\n', ' '));
            }
        });
        return problems;
    }

    // ------------------------------------------------------------------ state directories

    /** Every stage's state directory is on a volume of its container. */
    List<String> stateDirectories() {
        List<String> problems = new ArrayList<>();
        compose.stageMainClasses().forEach((name, main) -> {
            Map<String, Object> s = compose.service(name);
            String stateDir;
            try {
                stateDir = parseStage(main, ComposeFile.environment(s)).stateDir();
            } catch (ReflectiveOperationException | RuntimeException e) {
                return;
            }
            if (stateDir == null) {
                return; // reported by environment()
            }
            boolean onVolume = ComposeFile.mounts(s).stream()
                    .anyMatch(m -> stateDir.equals(m.target()) || stateDir.startsWith(m.target() + "/"));
            if (!onVolume) {
                problems.add("[state-dir] service " + name + ": state directory " + stateDir + " is not on a volume");
            }
        });
        return problems;
    }

    // ------------------------------------------------------------------ model store

    /**
     * The model store: if the feedback service has one (ALIGNSTREAM_MODEL_STORE), it is on a named volume, and every
     * scorer mounts the same volume at its own ALIGNSTREAM_MODEL_STORE, read-only (else the scorers refuse the versions
     * published as a URI, or could alter them).
     */
    List<String> modelStore() {
        List<String> problems = new ArrayList<>();
        Map<String, String> volumeOf = new LinkedHashMap<>();
        compose.stageMainClasses().forEach((name, main) -> {
            Map<String, Object> s = compose.service(name);
            String dir = ComposeFile.environment(s).get("ALIGNSTREAM_MODEL_STORE");
            if (dir == null) {
                return;
            }
            ComposeFile.Mount mount = ComposeFile.mounts(s).stream().filter(m -> dir.equals(m.target())).findFirst()
                    .orElse(null);
            if (mount == null || mount.source() == null || mount.bind()) {
                problems.add("[model-store] service " + name + ": model store " + dir + " is not a named volume");
                return;
            }
            volumeOf.put(name, mount.source());
            boolean scorer = main.equals("org.alignstream.scorer.ScorerService");
            if (scorer && !mount.readOnly()) {
                problems.add("[model-store] service " + name + ": the scorer's model store must be mounted read-only");
            }
        });
        compose.stageMainClasses().forEach((name, main) -> {
            if (main.equals("org.alignstream.feedback.FeedbackService") && volumeOf.containsKey(name)) {
                compose.stageMainClasses().forEach((other, otherMain) -> {
                    if (otherMain.equals("org.alignstream.scorer.ScorerService")
                            && !volumeOf.get(name).equals(volumeOf.get(other))) {
                        problems.add("[model-store] service " + other + " does not mount the feedback service's model "
                                + "store (volume " + volumeOf.get(name) + ")");
                    }
                });
            }
        });
        return problems;
    }

    // ------------------------------------------------------------------ prometheus

    /** The Prometheus service, its configuration file on the host (via its bind mounts), or null. */
    private Map.Entry<String, Path> prometheusConfig(List<String> problems) {
        for (Map.Entry<String, Map<String, Object>> e : compose.services().entrySet()) {
            if (!String.valueOf(e.getValue().get("image")).startsWith("prom/prometheus:")) {
                continue;
            }
            String target = "/etc/prometheus/prometheus.yml";
            for (String arg : ComposeFile.commandText(e.getValue().get("command")).split("\n")) {
                if (arg.startsWith("--config.file=")) {
                    target = arg.substring("--config.file=".length());
                }
            }
            Path host = hostFileMountedAt(e.getValue(), target);
            if (host == null) {
                problems.add("[prometheus] service " + e.getKey() + ": nothing is mounted at its config file " + target);
                return null;
            }
            return Map.entry(e.getKey(), host);
        }
        problems.add("[prometheus] no service runs prom/prometheus");
        return null;
    }

    /** The host file mounted at {@code target} (directly, or inside a mounted directory), or null. */
    private Path hostFileMountedAt(Map<String, Object> service, String target) {
        for (Mount m : ComposeFile.mounts(service)) {
            if (!m.bind()) {
                continue;
            }
            if (m.target().equals(target)) {
                return compose.hostPath(m.source());
            }
            if (target.startsWith(m.target() + "/")) {
                return compose.hostPath(m.source()).resolve(target.substring(m.target().length() + 1));
            }
        }
        return null;
    }

    private Map<String, Object> prometheusYaml(Path file, List<String> problems) {
        if (!Files.isRegularFile(file)) {
            problems.add("[prometheus] " + rel(file) + " does not exist");
            return null;
        }
        try {
            return ComposeFile.map(ComposeFile.parseYaml(ComposeFile.read(file)), rel(file));
        } catch (RuntimeException e) {
            problems.add("[prometheus] " + rel(file) + " does not parse: " + e.getMessage());
            return null;
        }
    }

    /** Every target Prometheus scrapes ("host:port", static or by DNS discovery) with its jobs; problems of the jobs. */
    private Map<String, Set<String>> scrapedTargets(Map<String, Object> yaml, List<String> problems) {
        Map<String, Set<String>> scraped = new LinkedHashMap<>(); // "host:port" -> jobs
        for (Object j : ComposeFile.list(yaml.get("scrape_configs"), "scrape_configs")) {
            Map<String, Object> job = ComposeFile.map(j, "scrape config");
            String jobName = String.valueOf(job.get("job_name"));
            String path = String.valueOf(job.getOrDefault("metrics_path", "/metrics"));
            Set<String> targets = new LinkedHashSet<>();
            for (Object sc : ComposeFile.list(job.get("static_configs"), "static_configs")) {
                ComposeFile.list(ComposeFile.map(sc, "static config").get("targets"), "targets")
                        .forEach(t -> targets.add(String.valueOf(t)));
            }
            for (Object dc : ComposeFile.list(job.get("dns_sd_configs"), "dns_sd_configs")) {
                Map<String, Object> d = ComposeFile.map(dc, "dns_sd_config");
                ComposeFile.list(d.get("names"), "names").forEach(n -> targets.add(n + ":" + d.get("port")));
            }
            for (String t : targets) {
                String host = t.substring(0, t.lastIndexOf(':'));
                if (!host.equals("localhost") && !compose.services().containsKey(host)) {
                    problems.add("[prometheus] job " + jobName + " scrapes " + t + ", which is no service");
                }
                if (!"/metrics".equals(path)) {
                    problems.add("[prometheus] job " + jobName + " scrapes " + path + ", the stages serve /metrics");
                }
                scraped.computeIfAbsent(t, k -> new LinkedHashSet<>()).add(jobName);
            }
        }
        return scraped;
    }

    /**
     * Prometheus scrapes every stage's {@code /metrics} on the port the stage's environment gives it (a static target
     * {@code service:port} or a DNS discovery of the service name with that port), and nothing that is not a service.
     */
    List<String> prometheusTargets() {
        List<String> problems = new ArrayList<>();
        Map.Entry<String, Path> config = prometheusConfig(problems);
        if (config == null) {
            return problems;
        }
        Map<String, Object> yaml = prometheusYaml(config.getValue(), problems);
        if (yaml == null) {
            return problems;
        }
        Map<String, Set<String>> scraped = scrapedTargets(yaml, problems);
        compose.stageMainClasses().forEach((name, main) -> {
            int port;
            try {
                port = parseStage(main, ComposeFile.environment(compose.service(name))).httpPort();
            } catch (ReflectiveOperationException | RuntimeException e) {
                return;
            }
            String target = name + ":" + port;
            if (!scraped.containsKey(target)) {
                List<String> other = scraped.keySet().stream().filter(t -> t.startsWith(name + ":")).toList();
                problems.add("[prometheus] no job scrapes " + target + " (the stage's ALIGNSTREAM_HTTP_PORT)"
                        + (other.isEmpty() ? "" : "; scraped instead: " + other));
            }
        });
        for (Object rf : ComposeFile.list(yaml.get("rule_files"), "rule_files")) {
            if (hostFileMountedAt(compose.service(config.getKey()), String.valueOf(rf)) == null) {
                problems.add("[prometheus] rule file " + rf + " is not mounted into service " + config.getKey());
            }
        }
        return problems;
    }

    // ------------------------------------------------------------------ topics

    /** The set-up's command, parsed from its compose environment exactly as the container's JVM parses it. */
    static CommandLine parseSetup(Map<String, String> environment) {
        CommandLine cl = AccessControlCommand.commandLine(environment);
        cl.parseArgs();
        return cl;
    }

    /** The value of a parsed command's option (by any of its names). */
    @SuppressWarnings("unchecked")
    static <T> T option(CommandLine parsed, String name) {
        OptionSpec o = parsed.getCommandSpec().findOption(name);
        if (o == null) {
            throw new IllegalArgumentException("no option " + name + " in " + parsed.getCommandName());
        }
        return (T) o.getValue();
    }

    /**
     * Exactly one one-shot set-up service ({@value ComposeFile#SETUP_MAIN_CLASS}, which creates every topic of
     * {@link Topics#ALL} with the configuration of {@link Topics#configs}) runs against a Kafka service of the file,
     * after it is healthy, with its partition count and replication factor set explicitly (at most the number of
     * brokers), and is never restarted; its environment parses.
     */
    List<String> topics() {
        List<String> problems = new ArrayList<>();
        List<String> setups = compose.setupServices();
        if (setups.size() != 1) {
            problems.add("[topics] " + setups.size() + " services run " + ComposeFile.SETUP_MAIN_CLASS
                    + " (the set-up that creates the topics), expected one: " + setups);
            if (setups.isEmpty()) {
                return problems;
            }
        }
        Set<String> kafka = kafkaServices();
        for (String name : setups) {
            Map<String, Object> s = compose.service(name);
            Map<String, String> env = ComposeFile.environment(s);
            for (String required : List.of("ALIGNSTREAM_TOPIC_PARTITIONS", "ALIGNSTREAM_REPLICATION_FACTOR")) {
                if (!env.containsKey(required)) {
                    problems.add("[topics] service " + name + ": " + required + " is not set (explicit partitions and"
                            + " replication)");
                }
            }
            Set<String> known = new TreeSet<>();
            for (OptionSpec o : AccessControlCommand.commandLine(Map.of()).getCommandSpec().options()) {
                if (!o.usageHelp() && !o.versionHelp()) {
                    known.add(EnvironmentDefaultProvider.variableName(o.longestName()));
                }
            }
            for (String key : env.keySet()) {
                if (key.startsWith(EnvironmentDefaultProvider.PREFIX) && !known.contains(key)) {
                    problems.add("[topics] service " + name + ": " + key + " is not an option of AccessControlCommand"
                            + " (its variables: " + known + ")");
                }
            }
            CommandLine cl;
            try {
                cl = parseSetup(env);
            } catch (CommandLine.ParameterException e) {
                problems.add("[topics] service " + name + ": its environment does not parse: " + e.getMessage());
                continue;
            }
            int partitions = option(cl, "--topic-partitions");
            short replication = option(cl, "--replication-factor");
            if (partitions < 1) {
                problems.add("[topics] service " + name + ": " + partitions + " partitions");
            }
            if (replication < 1 || replication > kafka.size()) {
                problems.add("[topics] service " + name + ": replication factor " + replication + " above the "
                        + kafka.size() + " broker(s) of the compose file, or below 1");
            }
            String bootstrap = option(cl, "--bootstrap-servers");
            for (String server : bootstrap.split(",")) {
                if (!kafka.contains(server.replaceAll(":\\d+$", ""))) {
                    problems.add("[topics] service " + name + " runs against " + server
                            + ", not a Kafka service of the compose file " + kafka);
                }
            }
            Map<String, String> conditions = ComposeFile.dependsOn(s);
            if (kafka.stream().noneMatch(k -> "service_healthy".equals(conditions.get(k)))) {
                problems.add("[topics] service " + name + " does not wait for the Kafka service to be healthy");
            }
            if (!"no".equals(String.valueOf(s.get("restart")))) {
                problems.add("[topics] service " + name + " is a one-shot: restart must be \"no\", is " + s.get("restart"));
            }
        }
        return problems;
    }

    // ------------------------------------------------------------------ access control

    /** The principal each stage must run as, by main class (the users of {@link AccessControl#standard()}). */
    static final Map<String, String> STAGE_USERS = Map.of(
            "org.alignstream.generator.GeneratorService", AccessControl.GENERATOR,
            "org.alignstream.scorer.ScorerService", AccessControl.SCORER,
            "org.alignstream.selector.SelectorService", AccessControl.SELECTOR,
            "org.alignstream.feedback.FeedbackService", AccessControl.FEEDBACK);
    /** The broker's super user is named by this (non-Kafka) variable of the Kafka service (ops/kafka/start.sh). */
    static final String BROKER_ADMIN_USER = "BROKER_ADMIN_USER";
    static final String BROKER_ADMIN_PASSWORD = "BROKER_ADMIN_PASSWORD";
    private static final Pattern JAAS_USER = Pattern.compile("username=\"([^\"]*)\"");
    private static final Pattern JAAS_PASSWORD = Pattern.compile("password=\"([^\"]*)\"");

    /** A client's SASL/SCRAM identity from its {@code --config} map: user and password, or null if it has none. */
    record Login(String protocol, String mechanism, String user, String password) {
        static Login of(Map<String, String> config) {
            String jaas = config.getOrDefault("sasl.jaas.config", "");
            Matcher u = JAAS_USER.matcher(jaas);
            Matcher p = JAAS_PASSWORD.matcher(jaas);
            return new Login(config.getOrDefault("security.protocol", "PLAINTEXT"), config.get("sasl.mechanism"),
                    u.find() ? u.group(1) : null, p.find() ? p.group(1) : null);
        }
    }

    /** The SASL identity a stage's environment gives it (its {@code --config}, i.e. ALIGNSTREAM_CONFIG). */
    static Login stageLogin(String mainClass, Map<String, String> environment) throws ReflectiveOperationException {
        StreamsCommand command = (StreamsCommand) Class.forName(mainClass).getDeclaredConstructor().newInstance();
        CommandLine cl = StreamsCommand.commandLine(command, environment);
        cl.parseArgs();
        Map<String, String> config = option(cl, "--config");
        return Login.of(config == null ? Map.of() : config);
    }

    /** A listener name's broker variable, e.g. {@code KAFKA_LISTENER_NAME_EXTERNAL_SASL_ENABLED_MECHANISMS}. */
    static String listenerVariable(String listener, String suffix) {
        return "KAFKA_LISTENER_NAME_" + listener.toUpperCase(java.util.Locale.ROOT) + "_" + suffix;
    }

    /** The listener names of a {@code listeners} or {@code advertised.listeners} value. */
    static List<String> listenerNames(String listeners) {
        List<String> out = new ArrayList<>();
        for (String l : listeners.split(",")) {
            if (l.contains("://")) {
                out.add(l.substring(0, l.indexOf("://")).strip());
            }
        }
        return out;
    }

    /**
     * Access control as docs/SECURITY.md describes it. The broker: the KRaft StandardAuthorizer, nothing allowed
     * without an ACL, its super user (and only it) a super user, every listener SASL, the advertised (client-facing)
     * ones SCRAM only, and an entrypoint that bootstraps the super user's SCRAM credential when it formats the storage.
     * The set-up: authenticates as that super user and sets a password for every user of {@link AccessControl}. Each
     * stage: SASL/SCRAM as its own user (a different one per stage, never a super user), with the password the set-up
     * gives that user, and no topic creation. No password is written into the file (each comes from a variable).
     */
    List<String> accessControl() {
        List<String> problems = new ArrayList<>();
        Set<String> superUsers = new HashSet<>();
        Map<String, String> adminPasswords = new LinkedHashMap<>();
        for (String name : kafkaServices()) {
            Map<String, Object> s = compose.service(name);
            Map<String, String> env = ComposeFile.environment(s);
            String authorizer = env.get("KAFKA_AUTHORIZER_CLASS_NAME");
            if (!SaslScram.AUTHORIZER.equals(authorizer)) {
                problems.add("[security] service " + name + ": KAFKA_AUTHORIZER_CLASS_NAME is " + authorizer + ", not "
                        + SaslScram.AUTHORIZER);
            }
            if (!"false".equals(env.get("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"))) {
                problems.add("[security] service " + name + ": KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND must be false, is "
                        + env.get("KAFKA_ALLOW_EVERYONE_IF_NO_ACL_FOUND"));
            }
            String admin = env.get(BROKER_ADMIN_USER);
            Set<String> supers = new TreeSet<>();
            for (String u : env.getOrDefault("KAFKA_SUPER_USERS", "").split(";")) {
                if (!u.isBlank()) {
                    supers.add(u.strip().replaceFirst("^User:", ""));
                }
            }
            superUsers.addAll(supers);
            if (admin == null || !supers.equals(Set.of(admin))) {
                problems.add("[security] service " + name + ": the super users " + supers + " must be exactly its "
                        + BROKER_ADMIN_USER + " " + admin);
            } else {
                adminPasswords.put(admin, env.get(BROKER_ADMIN_PASSWORD));
            }
            Map<String, String> protocols = new LinkedHashMap<>();
            for (String entry : env.getOrDefault("KAFKA_LISTENER_SECURITY_PROTOCOL_MAP", "").split(",")) {
                String[] kv = entry.split(":");
                if (kv.length == 2) {
                    protocols.put(kv[0].strip(), kv[1].strip());
                }
            }
            for (String listener : listenerNames(env.getOrDefault("KAFKA_LISTENERS", ""))) {
                String protocol = protocols.getOrDefault(listener, listener);
                if (!protocol.startsWith("SASL_")) {
                    problems.add("[security] service " + name + ": listener " + listener + " is " + protocol
                            + ", which does not authenticate clients");
                }
            }
            for (String listener : listenerNames(env.getOrDefault("KAFKA_ADVERTISED_LISTENERS", ""))) {
                String mechanisms = env.get(listenerVariable(listener, "SASL_ENABLED_MECHANISMS"));
                if (mechanisms == null || !List.of(mechanisms.split(",")).stream().map(String::strip)
                        .allMatch(m -> m.startsWith("SCRAM-SHA-"))) {
                    problems.add("[security] service " + name + ": client listener " + listener + " must enable only"
                            + " SCRAM mechanisms, enables " + mechanisms);
                } else {
                    for (String m : mechanisms.split(",")) {
                        String jaas = listenerVariable(listener, m.strip().replace("-", "___") + "_SASL_JAAS_CONFIG");
                        if (!env.containsKey(jaas)) {
                            problems.add("[security] service " + name + ": " + jaas + " is not set");
                        }
                    }
                }
            }
            String entrypoint = ComposeFile.commandText(s.get("entrypoint"));
            boolean bootstraps = false;
            for (ComposeFile.Mount m : ComposeFile.mounts(s)) {
                Path host = m.bind() ? compose.hostPath(m.source()) : null;
                if (host != null && entrypoint.contains(m.target()) && Files.isRegularFile(host)
                        && ComposeFile.read(host).lines().map(String::strip)
                        .anyMatch(l -> !l.startsWith("#") && l.contains("--add-scram"))) {
                    bootstraps = true;
                }
            }
            if (!bootstraps) {
                problems.add("[security] service " + name + ": its entrypoint (" + entrypoint.replace('\n', ' ')
                        + ") is no mounted script that formats the storage with --add-scram for the super user");
            }
        }

        Map<String, String> setupPasswords = new LinkedHashMap<>();
        for (String name : compose.setupServices()) {
            Map<String, String> env = ComposeFile.environment(compose.service(name));
            CommandLine cl;
            try {
                cl = parseSetup(env);
            } catch (RuntimeException e) {
                continue; // reported by topics()
            }
            Map<String, String> config = option(cl, "--config");
            Login login = Login.of(config == null ? Map.of() : config);
            if (login.user() == null || !adminPasswords.containsKey(login.user())) {
                problems.add("[security] service " + name + " authenticates as " + login.user()
                        + ", not as the broker's super user " + adminPasswords.keySet());
            } else if (!login.password().equals(adminPasswords.get(login.user()))) {
                problems.add("[security] service " + name + ": its password for " + login.user()
                        + " is not the broker's " + BROKER_ADMIN_PASSWORD);
            }
            for (AccessControl.Grant g : AccessControl.standard()) {
                String password = option(cl, "--" + g.user() + "-password");
                if (password == null || password.isEmpty()) {
                    problems.add("[security] service " + name + " sets no password for user " + g.user());
                } else {
                    setupPasswords.put(g.user(), password);
                }
            }
            if (option(cl, "--print")) {
                problems.add("[security] service " + name + " only prints the ACLs (--print)");
            }
        }

        Map<String, List<String>> byUser = new LinkedHashMap<>();
        compose.stageMainClasses().forEach((name, main) -> {
            Map<String, String> env = ComposeFile.environment(compose.service(name));
            StreamsCommand command;
            CommandLine cl;
            try {
                command = (StreamsCommand) Class.forName(main).getDeclaredConstructor().newInstance();
                cl = StreamsCommand.commandLine(command, env);
                cl.parseArgs();
            } catch (ReflectiveOperationException | RuntimeException e) {
                return; // reported by mainClasses() and environment()
            }
            if (command.createTopics()) {
                problems.add("[security] service " + name + ": ALIGNSTREAM_CREATE_TOPICS must be false (only the"
                        + " set-up creates topics; no stage has the ACLs to)");
            }
            Map<String, String> config = option(cl, "--config");
            Login login = Login.of(config == null ? Map.of() : config);
            if (!login.protocol().startsWith("SASL_") || login.mechanism() == null
                    || !login.mechanism().startsWith("SCRAM-SHA-") || login.user() == null) {
                problems.add("[security] service " + name + " does not authenticate with SASL/SCRAM (ALIGNSTREAM_CONFIG:"
                        + " security.protocol " + login.protocol() + ", sasl.mechanism " + login.mechanism()
                        + ", user " + login.user() + ")");
                return;
            }
            byUser.computeIfAbsent(login.user(), k -> new ArrayList<>()).add(name);
            if (superUsers.contains(login.user())) {
                problems.add("[security] service " + name + " authenticates as " + login.user() + ", a super user");
            }
            String expected = STAGE_USERS.get(main);
            if (expected != null && !expected.equals(login.user())) {
                problems.add("[security] service " + name + " authenticates as " + login.user() + ", not as "
                        + expected + " (whose ACLs fit " + simple(main) + ")");
            }
            String given = setupPasswords.get(login.user());
            if (given != null && !given.equals(login.password())) {
                problems.add("[security] service " + name + ": its password for user " + login.user()
                        + " is not the one the set-up gives it");
            }
        });
        byUser.forEach((user, services) -> {
            if (services.size() > 1) {
                problems.add("[security] user " + user + " is used by services " + services + "; each stage needs its own");
            }
        });

        // no password written into the file: each is interpolated from a variable
        List<String> withPasswords = new ArrayList<>(kafkaServices());
        withPasswords.addAll(compose.setupServices());
        withPasswords.addAll(compose.stageMainClasses().keySet());
        withPasswords.addAll(compose.frontEndMainClasses().keySet());
        for (String name : withPasswords) {
            compose.rawEnvironment(name).forEach((k, v) -> {
                Matcher p = JAAS_PASSWORD.matcher(v);
                while (p.find()) {
                    if (!p.group(1).startsWith("${")) {
                        problems.add("[security] service " + name + ": " + k + " holds a password written into the file"
                                + " instead of a ${VARIABLE:-default}");
                    }
                }
                if ((k.endsWith("_PASSWORD")) && !v.startsWith("${")) {
                    problems.add("[security] service " + name + ": " + k + " is written into the file instead of a"
                            + " ${VARIABLE:-default}");
                }
            });
        }
        return problems;
    }

    // ------------------------------------------------------------------ front ends

    /** A front end's command line (the gateway's), parsed from its compose environment as the container parses it. */
    static CommandLine parseFrontEnd(String mainClass, Map<String, String> environment) {
        if (!mainClass.equals(Pipeline.GATEWAY.mainClass())) {
            throw new IllegalArgumentException("no front end has main class " + mainClass);
        }
        CommandLine cl = org.alignstream.gateway.GatewayService.commandLine(new org.alignstream.gateway.GatewayService(),
                environment);
        cl.parseArgs();
        return cl;
    }

    /**
     * Each front end of {@link Pipeline#FRONT_ENDS} (the HTTP gateway) is deployed exactly once and, like a stage:
     * every {@code ALIGNSTREAM_*} variable is one of its options and the environment parses; it gets a Kafka service's
     * bootstrap servers and a fixed HTTP port, waits for Kafka and for the set-up, has the offline variables and JVM
     * flags, a healthcheck on its {@code /health/ready}, a Prometheus job on its port, publishes that port, and
     * authenticates with SASL/SCRAM as its own user (never a super user) with the password the set-up gives that user.
     */
    List<String> frontEnds() {
        List<String> problems = new ArrayList<>();
        Map<String, String> deployed = compose.frontEndMainClasses();
        for (StageSpec spec : Pipeline.FRONT_ENDS) {
            long n = deployed.values().stream().filter(spec.mainClass()::equals).count();
            if (n != 1) {
                problems.add("[front-end] " + spec.mainClass() + " is deployed " + n + " times, expected once");
            }
        }
        Set<String> kafka = kafkaServices();
        Map<String, Set<String>> scraped = new LinkedHashMap<>();
        Map.Entry<String, Path> config = prometheusConfig(new ArrayList<>());
        Map<String, Object> yaml = config == null ? null : prometheusYaml(config.getValue(), new ArrayList<>());
        if (yaml != null) {
            scraped = scrapedTargets(yaml, new ArrayList<>());
        }
        Map<String, String> setupPasswords = new LinkedHashMap<>();
        Set<String> superUsers = new HashSet<>();
        for (String k : kafka) {
            for (String u : ComposeFile.environment(compose.service(k)).getOrDefault("KAFKA_SUPER_USERS", "").split(";")) {
                superUsers.add(u.strip().replaceFirst("^User:", ""));
            }
        }
        for (String setup : compose.setupServices()) {
            try {
                CommandLine cl = parseSetup(ComposeFile.environment(compose.service(setup)));
                for (AccessControl.Grant g : AccessControl.standard()) {
                    String pw = option(cl, "--" + g.user() + "-password");
                    if (pw != null) {
                        setupPasswords.put(g.user(), pw);
                    }
                }
            } catch (RuntimeException e) {
                // reported by topics()
            }
        }
        for (Map.Entry<String, String> e : deployed.entrySet()) {
            String name = e.getKey();
            String main = e.getValue();
            StageSpec spec = Pipeline.serviceOfMainClass(main).orElseThrow();
            Map<String, Object> s = compose.service(name);
            Map<String, String> env = ComposeFile.environment(s);
            if (!spec.module().equals(ComposeFile.module(s))) {
                problems.add("[front-end] service " + name + ": image module " + ComposeFile.module(s) + ", but " + main
                        + " is in module " + spec.module());
            }
            for (String key : List.of("command", "entrypoint")) {
                if (s.containsKey(key)) {
                    problems.add("[front-end] service " + name + " overrides the image's " + key);
                }
            }
            CommandLine cl;
            try {
                cl = parseFrontEnd(main, Map.of());
            } catch (RuntimeException ex) {
                problems.add("[front-end] service " + name + ": " + ex.getMessage());
                continue;
            }
            Set<String> known = new TreeSet<>();
            for (OptionSpec o : cl.getCommandSpec().options()) {
                if (!o.usageHelp() && !o.versionHelp()) {
                    known.add(EnvironmentDefaultProvider.variableName(o.longestName()));
                }
            }
            for (String key : env.keySet()) {
                if (key.startsWith(EnvironmentDefaultProvider.PREFIX) && !known.contains(key)) {
                    problems.add("[front-end] service " + name + ": " + key + " is not an option of " + simple(main)
                            + " (its variables: " + known + ")");
                }
            }
            REQUIRED_ENVIRONMENT.forEach((k, v) -> {
                if (!v.equals(env.get(k))) {
                    problems.add("[front-end] service " + name + ": " + k + " must be " + v + ", is " + env.get(k));
                }
            });
            List<String> jvm = List.of(env.getOrDefault("JAVA_TOOL_OPTIONS", "").split("\\s+"));
            for (String flag : REQUIRED_JVM_FLAGS) {
                if (!jvm.contains(flag)) {
                    problems.add("[front-end] service " + name + ": JAVA_TOOL_OPTIONS lacks " + flag);
                }
            }
            try {
                cl = parseFrontEnd(main, env);
            } catch (CommandLine.ParameterException ex) {
                problems.add("[front-end] service " + name + ": its environment does not parse: " + ex.getMessage());
                continue;
            }
            int port = option(cl, "--http-port");
            if (!env.containsKey("ALIGNSTREAM_HTTP_PORT") || port < 1) {
                problems.add("[front-end] service " + name + ": ALIGNSTREAM_HTTP_PORT must be a fixed port, is " + port);
            }
            String bootstrap = option(cl, "--bootstrap-servers");
            for (String server : bootstrap.split(",")) {
                if (!kafka.contains(server.replaceAll(":\\d+$", ""))) {
                    problems.add("[front-end] service " + name + ": bootstrap server " + server
                            + " is not a Kafka service of the compose file " + kafka);
                }
            }
            Map<String, String> conditions = ComposeFile.dependsOn(s);
            if (kafka.stream().noneMatch(conditions::containsKey)) {
                problems.add("[front-end] service " + name + " does not depend on the Kafka service");
            }
            if (compose.setupServices().stream()
                    .noneMatch(t -> "service_completed_successfully".equals(conditions.get(t)))) {
                problems.add("[front-end] service " + name + " does not wait for the set-up (its user and ACLs)");
            }
            String test = ComposeFile.commandText(ComposeFile.map(s.get("healthcheck"), "healthcheck").get("test"));
            if (!test.contains("localhost:" + port + "/health/ready")) {
                problems.add("[front-end] service " + name + ": the healthcheck does not ask http://localhost:" + port
                        + "/health/ready");
            }
            if (yaml != null && !scraped.containsKey(name + ":" + port)) {
                problems.add("[front-end] no Prometheus job scrapes " + name + ":" + port);
            }
            if (ComposeFile.list(s.get("ports"), "ports").stream().map(String::valueOf)
                    .noneMatch(p -> p.endsWith(":" + port))) {
                problems.add("[front-end] service " + name + " does not publish its HTTP port " + port);
            }
            Map<String, String> kafkaConfig = option(cl, "--config");
            Login login = Login.of(kafkaConfig == null ? Map.of() : kafkaConfig);
            if (!login.protocol().startsWith("SASL_") || login.mechanism() == null
                    || !login.mechanism().startsWith("SCRAM-SHA-") || !spec.name().equals(login.user())) {
                problems.add("[front-end] service " + name + " does not authenticate with SASL/SCRAM as user "
                        + spec.name() + " (security.protocol " + login.protocol() + ", sasl.mechanism "
                        + login.mechanism() + ", user " + login.user() + ")");
            } else if (superUsers.contains(login.user())) {
                problems.add("[front-end] service " + name + " authenticates as a super user");
            } else if (setupPasswords.containsKey(login.user())
                    && !setupPasswords.get(login.user()).equals(login.password())) {
                problems.add("[front-end] service " + name + ": its password for user " + login.user()
                        + " is not the one the set-up gives it");
            }
        }
        return problems;
    }

    // ------------------------------------------------------------------ cluster

    /** Number of Kafka nodes of the three-broker deployment. */
    static final int THREE = 3;
    /** The broker settings in which the nodes of one cluster differ: who each one is and where it is reached. */
    static final Set<String> PER_NODE_SETTINGS = Set.of("KAFKA_NODE_ID", "KAFKA_ADVERTISED_LISTENERS");
    /** Replication factors of the broker, all {@link KRaftBrokerProperties#replicationFactor} of the node count. */
    static final List<String> REPLICATION_SETTINGS = List.of("KAFKA_DEFAULT_REPLICATION_FACTOR",
            "KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR", "KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR",
            "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_REPLICATION_FACTOR");
    /** Minimum in-sync replicas, all {@link KRaftBrokerProperties#minInsyncReplicas} of the node count. */
    static final List<String> MIN_ISR_SETTINGS = List.of("KAFKA_MIN_INSYNC_REPLICAS",
            "KAFKA_TRANSACTION_STATE_LOG_MIN_ISR", "KAFKA_SHARE_COORDINATOR_STATE_TOPIC_MIN_ISR");

    /**
     * The Kafka services form one KRaft cluster of combined broker+controller nodes, set up as the embedded cluster
     * sets up its nodes ({@link KRaftBrokerProperties#clusterNode}): every node has the first node's settings (listeners,
     * SASL, ACLs, cluster id, quorum) but its node id and advertised listeners; the node ids are distinct and are exactly
     * the quorum's voters, each voter reached at its node's host name and controller port (on loopback only for a
     * single node); each node advertises its own host name on the inter-broker listener and its own host port to host
     * clients and keeps its log on its own named volume; every topic's replication factor and minimum in-sync replicas
     * are those of the node count (1 and 1 for one node, 3 and 2 from three); the set-up and every stage create their
     * topics at that replication factor, bootstrap from every node, and the set-up waits for every node to be healthy.
     */
    List<String> cluster() {
        List<String> problems = new ArrayList<>();
        List<String> nodes = new ArrayList<>(kafkaServices());
        if (nodes.isEmpty()) {
            return List.of("[cluster] no Kafka service");
        }
        int brokers = nodes.size();
        String first = nodes.get(0);
        Map<String, String> firstEnv = ComposeFile.environment(compose.service(first));
        String interBroker = firstEnv.getOrDefault("KAFKA_INTER_BROKER_LISTENER_NAME", "");
        String controller = firstEnv.getOrDefault("KAFKA_CONTROLLER_LISTENER_NAMES", "");
        Map<String, String> bound = listenerAddresses(firstEnv.getOrDefault("KAFKA_LISTENERS", ""));
        Map<Integer, String> hostById = new LinkedHashMap<>();
        Map<String, String> internalAddresses = new LinkedHashMap<>();
        Map<String, String> volumes = new LinkedHashMap<>();
        Map<String, String> hostPorts = new LinkedHashMap<>();
        for (String name : nodes) {
            Map<String, Object> s = compose.service(name);
            Map<String, String> env = ComposeFile.environment(s);
            Set<String> keys = new TreeSet<>(env.keySet());
            keys.addAll(firstEnv.keySet());
            keys.removeAll(PER_NODE_SETTINGS);
            for (String k : keys) {
                if (!java.util.Objects.equals(env.get(k), firstEnv.get(k))) {
                    problems.add("[cluster] service " + name + ": " + k + " is " + env.get(k) + ", not " + first + "'s "
                            + firstEnv.get(k) + " (the nodes differ only in " + new TreeSet<>(PER_NODE_SETTINGS) + ")");
                }
            }
            String host = String.valueOf(s.getOrDefault("hostname", name));
            Integer id = null;
            try {
                id = Integer.valueOf(env.getOrDefault("KAFKA_NODE_ID", ""));
            } catch (NumberFormatException e) {
                problems.add("[cluster] service " + name + ": KAFKA_NODE_ID " + env.get("KAFKA_NODE_ID") + " is no number");
            }
            if (id != null && hostById.putIfAbsent(id, host) != null) {
                problems.add("[cluster] service " + name + " is node " + id + ", as is the node at " + hostById.get(id));
            }
            Map<String, String> advertised = listenerAddresses(env.getOrDefault("KAFKA_ADVERTISED_LISTENERS", ""));
            if (!advertised.keySet().equals(listenerAddresses(firstEnv.getOrDefault("KAFKA_ADVERTISED_LISTENERS", ""))
                    .keySet())) {
                problems.add("[cluster] service " + name + " advertises the listeners " + advertised.keySet() + ", "
                        + first + " others");
            }
            String internal = advertised.getOrDefault(interBroker, "");
            if (!internal.startsWith(host + ":")) {
                problems.add("[cluster] service " + name + " advertises " + internal + " on " + interBroker
                        + ", not its host name " + host);
            }
            internalAddresses.put(name, internal);
            String logDir = env.getOrDefault("KAFKA_LOG_DIRS", "").split(",")[0];
            Mount data = ComposeFile.mounts(s).stream().filter(m -> m.target().equals(logDir)).findFirst().orElse(null);
            if (data == null || data.source() == null || data.bind()) {
                problems.add("[cluster] service " + name + ": its log directory " + logDir + " is not a named volume");
            } else if (volumes.containsKey(data.source())) {
                problems.add("[cluster] services " + volumes.get(data.source()) + " and " + name + " share the volume "
                        + data.source());
            } else {
                volumes.put(data.source(), name);
            }
            for (Object p : ComposeFile.list(s.get("ports"), "ports")) {
                String[] parts = String.valueOf(p).split(":");
                String published = parts.length > 1 ? parts[parts.length - 2] : "";
                if (!published.isEmpty() && hostPorts.putIfAbsent(published, name) != null) {
                    problems.add("[cluster] services " + hostPorts.get(published) + " and " + name
                            + " publish the same host port " + published);
                }
            }
        }

        // the quorum: exactly the nodes, each voter at its node
        Map<Integer, String> voters = new LinkedHashMap<>();
        for (String v : firstEnv.getOrDefault("KAFKA_CONTROLLER_QUORUM_VOTERS", "").split(",")) {
            int at = v.indexOf('@');
            try {
                voters.put(Integer.valueOf(v.substring(0, Math.max(at, 0)).strip()), v.substring(at + 1).strip());
            } catch (NumberFormatException e) {
                problems.add("[cluster] voter " + v + " is not ID@HOST:PORT");
            }
        }
        if (!voters.keySet().equals(hostById.keySet())) {
            problems.add("[cluster] the quorum voters " + voters.keySet() + " are not the node ids " + hostById.keySet());
        }
        String controllerAddress = bound.getOrDefault(controller, "");
        String controllerPort = controllerAddress.substring(controllerAddress.lastIndexOf(':') + 1);
        boolean loopback = controllerAddress.startsWith("127.") || controllerAddress.startsWith("localhost:");
        if (brokers > 1) {
            if (loopback) {
                problems.add("[cluster] the " + controller + " listener is bound to " + controllerAddress
                        + ", which the other nodes cannot reach");
            }
            voters.forEach((id, address) -> {
                String expected = hostById.get(id) + ":" + controllerPort;
                if (hostById.containsKey(id) && !address.equals(expected)) {
                    problems.add("[cluster] voter " + id + " is at " + address + ", not at its node's " + expected);
                }
            });
        }

        // replication as the node count allows
        int rf = KRaftBrokerProperties.replicationFactor(brokers);
        int minIsr = KRaftBrokerProperties.minInsyncReplicas(brokers);
        for (String k : REPLICATION_SETTINGS) {
            if (!Integer.toString(rf).equals(firstEnv.get(k))) {
                problems.add("[cluster] " + k + " is " + firstEnv.get(k) + ", expected " + rf + " on " + brokers
                        + " broker(s)");
            }
        }
        for (String k : MIN_ISR_SETTINGS) {
            if (!Integer.toString(minIsr).equals(firstEnv.get(k))) {
                problems.add("[cluster] " + k + " is " + firstEnv.get(k) + ", expected " + minIsr + " on " + brokers
                        + " broker(s)");
            }
        }
        Set<String> everyNode = new TreeSet<>(internalAddresses.values());
        for (String name : compose.setupServices()) {
            Map<String, Object> s = compose.service(name);
            CommandLine cl;
            try {
                cl = parseSetup(ComposeFile.environment(s));
            } catch (RuntimeException e) {
                continue; // reported by topics()
            }
            checkReplicationAndBootstrap(name, option(cl, "--replication-factor"), option(cl, "--bootstrap-servers"),
                    rf, brokers, everyNode, problems);
            Map<String, String> conditions = ComposeFile.dependsOn(s);
            for (String node : nodes) {
                if (!"service_healthy".equals(conditions.get(node))) {
                    problems.add("[cluster] service " + name + " does not wait for " + node + " to be healthy");
                }
            }
        }
        compose.stageMainClasses().forEach((name, main) -> {
            CommandLine cl;
            try {
                StreamsCommand command = (StreamsCommand) Class.forName(main).getDeclaredConstructor().newInstance();
                cl = StreamsCommand.commandLine(command, ComposeFile.environment(compose.service(name)));
                cl.parseArgs();
            } catch (ReflectiveOperationException | RuntimeException e) {
                return; // reported by mainClasses() and environment()
            }
            checkReplicationAndBootstrap(name, option(cl, "--replication-factor"), option(cl, "--bootstrap-servers"),
                    rf, brokers, everyNode, problems);
        });
        return problems;
    }

    private static void checkReplicationAndBootstrap(String service, short replication, String bootstrap, int rf,
                                                     int brokers, Set<String> everyNode, List<String> problems) {
        if (replication != rf) {
            problems.add("[cluster] service " + service + ": replication factor " + replication + ", expected " + rf
                    + " on " + brokers + " broker(s)");
        }
        Set<String> servers = new TreeSet<>();
        for (String b : bootstrap.split(",")) {
            servers.add(b.strip());
        }
        if (!servers.equals(everyNode)) {
            problems.add("[cluster] service " + service + " bootstraps from " + servers + ", not from every node "
                    + everyNode);
        }
    }

    /** Listener name to {@code host:port} of a {@code listeners} or {@code advertised.listeners} value. */
    static Map<String, String> listenerAddresses(String listeners) {
        Map<String, String> out = new LinkedHashMap<>();
        for (String l : listeners.split(",")) {
            if (l.contains("://")) {
                out.put(l.substring(0, l.indexOf("://")).strip(), l.substring(l.indexOf("://") + 3).strip());
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ alert rules

    /**
     * The alert rule files Prometheus loads parse; every rule has a unique name, an expression with balanced brackets
     * using only metric names the stages export, a known severity and a summary; together they cover consumer lag,
     * dead letters, failed and rejected retraining and a stage not ready or down.
     */
    List<String> alertRules() {
        List<String> problems = new ArrayList<>();
        Map.Entry<String, Path> config = prometheusConfig(new ArrayList<>());
        if (config == null) {
            return List.of("[alerts] no Prometheus configuration to find the rule files in");
        }
        Map<String, Object> yaml = prometheusYaml(config.getValue(), new ArrayList<>());
        if (yaml == null) {
            return List.of("[alerts] the Prometheus configuration does not parse");
        }
        List<Object> ruleFiles = ComposeFile.list(yaml.get("rule_files"), "rule_files");
        if (ruleFiles.isEmpty()) {
            problems.add("[alerts] Prometheus loads no rule file");
        }
        List<String> expressions = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Object rf : ruleFiles) {
            Path file = hostFileMountedAt(compose.service(config.getKey()), String.valueOf(rf));
            if (file == null || !Files.isRegularFile(file)) {
                problems.add("[alerts] rule file " + rf + " is not a mounted file");
                continue;
            }
            Map<String, Object> doc;
            try {
                doc = ComposeFile.map(ComposeFile.parseYaml(ComposeFile.read(file)), rel(file));
            } catch (RuntimeException e) {
                problems.add("[alerts] " + rel(file) + " does not parse: " + e.getMessage());
                continue;
            }
            List<Object> groups = ComposeFile.list(doc.get("groups"), "groups");
            if (groups.isEmpty()) {
                problems.add("[alerts] " + rel(file) + " has no rule group");
            }
            for (Object g : groups) {
                Map<String, Object> group = ComposeFile.map(g, "group");
                for (Object r : ComposeFile.list(group.get("rules"), "rules")) {
                    Map<String, Object> rule = ComposeFile.map(r, "rule");
                    String name = String.valueOf(rule.get("alert"));
                    if (rule.get("alert") == null) {
                        problems.add("[alerts] a rule of group " + group.get("name") + " has no alert name");
                    } else if (!names.add(name)) {
                        problems.add("[alerts] alert " + name + " is defined twice");
                    }
                    String expr = rule.get("expr") == null ? "" : String.valueOf(rule.get("expr"));
                    if (expr.isBlank()) {
                        problems.add("[alerts] alert " + name + " has no expression");
                    }
                    if (!balanced(expr)) {
                        problems.add("[alerts] alert " + name + ": unbalanced brackets in " + expr.strip());
                    }
                    for (String metric : MetricNames.referencedIn(expr)) {
                        if (!knownMetrics.contains(metric)) {
                            problems.add("[alerts] alert " + name + " uses " + metric + ", which no stage exports");
                        }
                    }
                    Object severity = ComposeFile.map(rule.get("labels"), "labels").get("severity");
                    if (!SEVERITIES.contains(String.valueOf(severity))) {
                        problems.add("[alerts] alert " + name + ": severity " + severity + " is not one of " + SEVERITIES);
                    }
                    if (ComposeFile.map(rule.get("annotations"), "annotations").get("summary") == null) {
                        problems.add("[alerts] alert " + name + " has no summary annotation");
                    }
                    expressions.add(expr.replaceAll("\\s+", " "));
                }
            }
        }
        ALERTS_MUST_COVER.forEach((pattern, what) -> {
            if (expressions.stream().noneMatch(e -> e.contains(pattern))) {
                problems.add("[alerts] no alert covers " + what + " (an expression with " + pattern + ")");
            }
        });
        return problems;
    }

    static boolean balanced(String s) {
        StringBuilder stack = new StringBuilder();
        boolean inString = false;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' && (i == 0 || s.charAt(i - 1) != '\\')) {
                inString = !inString;
            }
            if (inString) {
                continue;
            }
            if (c == '(' || c == '[' || c == '{') {
                stack.append(c);
            } else if (c == ')' || c == ']' || c == '}') {
                char open = c == ')' ? '(' : c == ']' ? '[' : '{';
                if (stack.length() == 0 || stack.charAt(stack.length() - 1) != open) {
                    return false;
                }
                stack.setLength(stack.length() - 1);
            }
        }
        return stack.length() == 0 && !inString;
    }

    // ------------------------------------------------------------------ dashboard

    /**
     * Grafana provisions a Prometheus datasource and loads the dashboard from the directory its provider names (mounted
     * from the repository); the dashboard JSON parses, every panel queries that datasource with metric names the
     * stages export, panel ids are unique, and the dashboard shows throughput, latency, batch sizes, inference time,
     * consumer lag, dead letters and reward-model versions.
     */
    List<String> dashboard() {
        List<String> problems = new ArrayList<>();
        Map.Entry<String, Map<String, Object>> grafana = compose.services().entrySet().stream()
                .filter(e -> String.valueOf(e.getValue().get("image")).startsWith("grafana/grafana:"))
                .findFirst().orElse(null);
        if (grafana == null) {
            return List.of("[dashboard] no service runs grafana/grafana");
        }
        Set<String> datasourceUids = new HashSet<>();
        List<String> providerPaths = new ArrayList<>();
        for (Mount m : ComposeFile.mounts(grafana.getValue())) {
            if (!m.bind() || !m.target().startsWith("/etc/grafana/provisioning/")) {
                continue;
            }
            Path host = compose.hostPath(m.source());
            List<Path> yamls = new ArrayList<>();
            if (Files.isDirectory(host)) {
                try (var walk = Files.walk(host)) {
                    walk.filter(p -> p.toString().endsWith(".yml") || p.toString().endsWith(".yaml")).forEach(yamls::add);
                } catch (java.io.IOException e) {
                    problems.add("[dashboard] cannot read " + rel(host) + ": " + e);
                }
            } else if (Files.isRegularFile(host)) {
                yamls.add(host);
            }
            for (Path y : yamls) {
                Map<String, Object> doc;
                try {
                    doc = ComposeFile.map(ComposeFile.parseYaml(ComposeFile.read(y)), rel(y));
                } catch (RuntimeException e) {
                    problems.add("[dashboard] " + rel(y) + " does not parse: " + e.getMessage());
                    continue;
                }
                for (Object d : ComposeFile.list(doc.get("datasources"), "datasources")) {
                    Map<String, Object> ds = ComposeFile.map(d, "datasource");
                    if ("prometheus".equals(ds.get("type"))) {
                        datasourceUids.add(String.valueOf(ds.get("uid")));
                        String url = String.valueOf(ds.get("url"));
                        String host2 = url.replaceFirst("^https?://", "").replaceFirst("[:/].*$", "");
                        if (!compose.services().containsKey(host2)) {
                            problems.add("[dashboard] datasource " + ds.get("name") + " points at " + url
                                    + ", which is no service");
                        }
                    }
                }
                for (Object p : ComposeFile.list(doc.get("providers"), "providers")) {
                    Object path = ComposeFile.map(ComposeFile.map(p, "provider").get("options"), "options").get("path");
                    if (path != null) {
                        providerPaths.add(String.valueOf(path));
                    }
                }
            }
        }
        if (datasourceUids.isEmpty()) {
            problems.add("[dashboard] Grafana is provisioned with no Prometheus datasource");
        }
        if (providerPaths.isEmpty()) {
            problems.add("[dashboard] Grafana is provisioned with no dashboard provider");
        }
        List<Path> dashboards = new ArrayList<>();
        for (String path : providerPaths) {
            Path host = hostFileMountedAt(grafana.getValue(), path);
            if (host == null || !Files.isDirectory(host)) {
                problems.add("[dashboard] the provider's path " + path + " is not a directory mounted into "
                        + grafana.getKey());
                continue;
            }
            try (var list = Files.list(host)) {
                list.filter(p -> p.toString().endsWith(".json")).sorted().forEach(dashboards::add);
            } catch (java.io.IOException e) {
                problems.add("[dashboard] cannot list " + rel(host) + ": " + e);
            }
        }
        if (dashboards.isEmpty() && !providerPaths.isEmpty()) {
            problems.add("[dashboard] no dashboard JSON in the provider's directories " + providerPaths);
        }
        List<String> expressions = new ArrayList<>();
        for (Path file : dashboards) {
            JsonObject dash;
            try {
                dash = JsonParser.parseString(ComposeFile.read(file)).getAsJsonObject();
            } catch (RuntimeException e) {
                problems.add("[dashboard] " + rel(file) + " does not parse as JSON: " + e.getMessage());
                continue;
            }
            if (!dash.has("uid") || !dash.has("title") || !dash.has("panels")) {
                problems.add("[dashboard] " + rel(file) + " lacks uid, title or panels");
                continue;
            }
            Set<Integer> ids = new HashSet<>();
            for (JsonElement pe : panels(dash.getAsJsonArray("panels"))) {
                JsonObject panel = pe.getAsJsonObject();
                String title = panel.has("title") ? panel.get("title").getAsString() : "(untitled)";
                if (panel.has("id") && !ids.add(panel.get("id").getAsInt())) {
                    problems.add("[dashboard] panel id " + panel.get("id") + " is used twice (" + title + ")");
                }
                String type = panel.has("type") ? panel.get("type").getAsString() : "";
                if (type.equals("row") || type.equals("text")) {
                    continue;
                }
                JsonArray targets = panel.has("targets") ? panel.getAsJsonArray("targets") : new JsonArray();
                if (targets.isEmpty()) {
                    problems.add("[dashboard] panel " + title + " has no query");
                }
                checkDatasource(panel, title, datasourceUids, problems);
                for (JsonElement te : targets) {
                    JsonObject target = te.getAsJsonObject();
                    checkDatasource(target, title, datasourceUids, problems);
                    String expr = target.has("expr") ? target.get("expr").getAsString() : "";
                    if (expr.isBlank()) {
                        problems.add("[dashboard] panel " + title + " has a query without expression");
                    }
                    if (!balanced(expr)) {
                        problems.add("[dashboard] panel " + title + ": unbalanced brackets in " + expr);
                    }
                    for (String metric : MetricNames.referencedIn(expr)) {
                        if (!knownMetrics.contains(metric)) {
                            problems.add("[dashboard] panel " + title + " uses " + metric + ", which no stage exports");
                        }
                    }
                    expressions.add(expr);
                }
            }
        }
        DASHBOARD_MUST_SHOW.forEach((prefix, what) -> {
            if (expressions.stream().flatMap(e -> MetricNames.referencedIn(e).stream()).noneMatch(n -> n.startsWith(prefix))) {
                problems.add("[dashboard] no panel shows " + what + " (" + prefix + ")");
            }
        });
        return problems;
    }

    private static List<JsonElement> panels(JsonArray top) {
        List<JsonElement> out = new ArrayList<>();
        for (JsonElement e : top) {
            out.add(e);
            JsonObject o = e.getAsJsonObject();
            if (o.has("panels")) {
                out.addAll(panels(o.getAsJsonArray("panels"))); // panels of a collapsed row
            }
        }
        return out;
    }

    private static void checkDatasource(JsonObject o, String title, Set<String> uids, List<String> problems) {
        if (!o.has("datasource") || !o.get("datasource").isJsonObject()) {
            problems.add("[dashboard] panel " + title + " names no datasource");
            return;
        }
        JsonObject ds = o.getAsJsonObject("datasource");
        String uid = ds.has("uid") ? ds.get("uid").getAsString() : null;
        if (!uids.contains(uid)) {
            problems.add("[dashboard] panel " + title + " queries datasource " + uid + ", provisioned: " + uids);
        }
    }

    // ------------------------------------------------------------------ helpers

    private String rel(Path p) {
        return compose.root.relativize(p.toAbsolutePath().normalize()).toString();
    }

    private static String simple(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    private static Map<String, String> orderedMap(String... kv) {
        Map<String, String> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put(kv[i], kv[i + 1]);
        }
        return m;
    }
}
