package org.alignstream.drills;

import org.alignstream.clients.FeedbackClient;
import org.alignstream.clients.PromptClient;
import org.alignstream.harness.AlignmentChecks;
import org.alignstream.harness.SamplePrompts;
import org.alignstream.harness.annotator.SeaOverTown;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import org.alignstream.common.topics.Topics;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.yaml.snakeyaml.DumperOptions;
import org.yaml.snakeyaml.Yaml;

/**
 * The monitoring files run by Prometheus itself (Debian's {@code prometheus} package: {@code prometheus} and
 * {@code promtool} on the PATH; skipped without them).
 *
 * <ul>
 *   <li>{@code promtool check config} on ops/prometheus/prometheus.yml, {@code promtool check rules} on
 *       ops/prometheus/alerts.yml and {@code promtool test rules} on its unit tests,
 *       ops/prometheus/alerts.test.yml ({@link AlertRuleTestsTest} checks that they cover every alert);</li>
 *   <li>the four stages as separate JVMs on an in-process broker ({@link DrillStages}) and a real Prometheus scraping
 *       them with ops/prometheus/prometheus.yml rewritten only where the test's run differs from Compose's
 *       ({@link #rewriteForTheTest}: each stage's DNS name to its loopback address and port, the rule file's path,
 *       Prometheus' own address, and intervals of a second instead of 15 s); {@code promtool check config} accepts
 *       the rewritten file;</li>
 *   <li>traffic that makes every series appear: prompts, an undecodable prompt (a dead letter), feedback events enough
 *       for a retraining, whose version the scorer swaps in;</li>
 *   <li>every target is up (/api/v1/targets), every rule evaluates without error on the live series (/api/v1/rules),
 *       no alert fires on the healthy run (/api/v1/alerts);</li>
 *   <li>every PromQL expression of the Grafana dashboard, its variables substituted as Grafana would for this scrape
 *       interval, parses and returns at least one series (/api/v1/query).</li>
 * </ul>
 */
class PrometheusIT {
    /** The Debian package that ships both binaries. */
    static final String PACKAGE = "prometheus";
    /** The scrape and rule-evaluation interval of the test's run (Compose's is 15 s). */
    static final String INTERVAL = "1s";
    /**
     * Grafana's {@code $__rate_interval} for a scrape interval of {@link #INTERVAL} and a short {@code $__interval}:
     * four scrape intervals.
     */
    static final String RATE_INTERVAL = "4s";
    private static final Duration PROMETHEUS_READY = Duration.ofSeconds(60);
    private static final Duration SERIES_TIMEOUT = Duration.ofSeconds(120);
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(120);
    private static final Pattern VARIABLE = Pattern.compile("\\$\\{?(\\w+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    /** The broker (with fast cleanup of timed-out transactions, as in the drills) and the processes. */
    @RegisterExtension
    static final ProcessFixture FIXTURE = new ProcessFixture("prometheus-it-", () -> EmbeddedKafkaCluster.start(
            Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000")));

    @Test
    void prometheusScrapesEveryStageEvaluatesEveryRuleAndAnswersEveryDashboardQuery() throws Exception {
        Assumptions.assumeTrue(onPath("prometheus") && onPath("promtool"), "prometheus and promtool are not on the "
                + "PATH: install Debian's '" + PACKAGE + "' package (apt-get install " + PACKAGE + ")");
        long t0 = System.nanoTime();
        Path root = ComposeFile.repositoryRoot();
        Path rules = root.resolve("ops/prometheus");

        EmbeddedKafkaCluster kafka = FIXTURE.kafka();
        ServiceProcesses processes = FIXTURE.processes();
        Path work = processes.workDir();

        // ---- the rule file, its unit tests and Compose's configuration (its rule file named by the repository's path
        // instead of the container's), by promtool
        promtool(rules, "check", "rules", "alerts.yml");
        assertThat(promtool(rules, "test", "rules", "alerts.test.yml")).contains("SUCCESS");
        Path composeCopy = work.resolve("prometheus-compose.yml");
        Files.writeString(composeCopy, ComposeFile.read(rules.resolve("prometheus.yml"))
                .replace("/etc/prometheus/alerts.yml", rules.resolve("alerts.yml").toString()));
        promtool(rules, "check", "config", composeCopy.toString());

        // ---- the stages, then Prometheus scraping them
        DrillStages stages = new DrillStages(processes);
        stages.startAll();
        Map<String, Integer> ports = new LinkedHashMap<>();
        for (StageSpec s : Pipeline.STAGES) {
            ports.put(s.name(), stages.current(s).port);
        }
        for (StageSpec f : Pipeline.FRONT_ENDS) {
            stages.start(f);
            ports.put(f.name(), stages.current(f).port);
        }
        int prometheusPort = ServiceProcesses.freePort();
        Path config = work.resolve("prometheus.yml");
        Files.writeString(config, rewriteForTheTest(ComposeFile.read(rules.resolve("prometheus.yml")), ports,
                rules.resolve("alerts.yml"), prometheusPort));
        promtool(work, "check", "config", config.toString());
        Path data = Files.createDirectories(work.resolve("prometheus-data"));
        Path log = work.resolve("prometheus.log");
        Process prometheus = new ProcessBuilder("prometheus", "--config.file=" + config,
                "--storage.tsdb.path=" + data, "--web.listen-address=127.0.0.1:" + prometheusPort,
                "--storage.tsdb.retention.time=1h").redirectErrorStream(true).redirectOutput(log.toFile()).start();
        FIXTURE.closeLater(() -> {
            prometheus.destroy();
            if (!prometheus.waitFor(20, TimeUnit.SECONDS)) {
                prometheus.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        });
        URI api = URI.create("http://127.0.0.1:" + prometheusPort);
        awaitReady(prometheus, api, log);

        // ---- traffic: answers, a dead letter, a retraining whose version the scorer swaps in
        Map<String, Object> client = kafka.clientConfig();
        try (PromptClient prompts = new PromptClient(client)) {
            List<PromptRequest> requests = new ArrayList<>();
            List<String> texts = SamplePrompts.load(null);
            for (int i = 0; i < 6; i++) {
                requests.add(AlignmentChecks.request("prom-" + i, texts.get(i % texts.size()), 2, 0.9, 0, 0.95, 6,
                        5300L + i));
            }
            AlignmentChecks.sendAndAwaitExactlyOnce(prompts, requests, ANSWER_TIMEOUT, Duration.ofMillis(500));
        }
        try (KafkaProducer<byte[], byte[]> raw = new KafkaProducer<>(client, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            raw.send(new ProducerRecord<>(Topics.PROMPTS, "prom-garbage".getBytes(StandardCharsets.UTF_8),
                    new byte[] {1, 2, 3})).get();
        }
        RewardModelVersions versions = new RewardModelVersions(client, SeaOverTown.MODEL);
        long before = versions.newest(Long.parseLong(ReferenceAnswers.BUNDLED_VERSION));
        try (FeedbackClient feedback = new FeedbackClient(client)) {
            SeaOverTown.events("prom-", 0, DrillStages.RETRAIN_EVERY).forEach(feedback::send);
            feedback.flush();
        }
        versions.await(before + 1, ANSWER_TIMEOUT);

        // ---- every target up, with the job and stage labels of the scrape configuration
        Map<String, String> health = awaitTargetsUp(api, ports, prometheusPort);
        System.out.println("prometheus it: targets " + health);

        // ---- every dashboard expression returns series (waits for the swap and the retraining to be scraped)
        List<String> expressions = dashboardExpressions(root);
        assertThat(expressions).as("PromQL expressions in the dashboard").hasSizeGreaterThan(20);
        Map<String, String> unanswered = awaitSeries(api, expressions);
        assertThat(unanswered).as("dashboard expressions that fail or return no series (with %s for "
                + "$__rate_interval)", RATE_INTERVAL).isEmpty();

        // ---- every rule evaluated on the live series without error; nothing fires on the healthy run
        Map<String, String> ruleHealth = ruleHealth(api);
        assertThat(ruleHealth.keySet()).as("rules loaded from alerts.yml").containsAll(alertNames(root));
        assertThat(ruleHealth).as("rule health (ok: evaluated without error)").allSatisfy((rule, h) ->
                assertThat(h).as(rule).isEqualTo("ok"));
        List<String> firing = new ArrayList<>();
        for (JsonElement a : apiData(api, "/api/v1/alerts").getAsJsonObject().getAsJsonArray("alerts")) {
            JsonObject alert = a.getAsJsonObject();
            if ("firing".equals(alert.get("state").getAsString())) {
                firing.add(alert.getAsJsonObject("labels").toString());
            }
        }
        assertThat(firing).as("alerts firing on a healthy run").isEmpty();
        assertThat(prometheus.isAlive()).as("Prometheus still runs; log %s", log).isTrue();
        System.out.printf("prometheus it: %d dashboard expressions answered, %d rules ok, %.1f s%n",
                expressions.size(), ruleHealth.size(), (System.nanoTime() - t0) / 1e9);
    }

    // ------------------------------------------------------------------ the scrape configuration

    /**
     * ops/prometheus/prometheus.yml for this run: each job's DNS service discovery of a stage (Compose's service name
     * and port 8080) becomes a static target {@code 127.0.0.1:<the stage's port>}, the rule file's container path the
     * repository's file, the {@code prometheus} job's {@code localhost:9090} Prometheus' own address, and the global
     * intervals {@link #INTERVAL}. Job names, metrics paths, {@code honor_labels} and relabelling stay as they are.
     */
    static String rewriteForTheTest(String composeConfig, Map<String, Integer> stagePorts, Path alerts,
                                    int prometheusPort) {
        Map<String, Object> config = ComposeFile.map(ComposeFile.parseYaml(composeConfig), "prometheus.yml");
        Map<String, Object> global = ComposeFile.map(config.get("global"), "global");
        global.put("scrape_interval", INTERVAL);
        global.put("scrape_timeout", INTERVAL);
        global.put("evaluation_interval", INTERVAL);
        config.put("global", global);
        List<Object> ruleFiles = ComposeFile.list(config.get("rule_files"), "rule_files");
        assertThat(ruleFiles).as("rule files").containsExactly("/etc/prometheus/alerts.yml");
        config.put("rule_files", List.of(alerts.toString()));
        Set<String> scraped = new LinkedHashSet<>();
        List<Object> jobs = new ArrayList<>();
        for (Object j : ComposeFile.list(config.get("scrape_configs"), "scrape_configs")) {
            Map<String, Object> job = ComposeFile.map(j, "scrape config");
            Object dns = job.remove("dns_sd_configs");
            List<String> targets = new ArrayList<>();
            if (dns != null) {
                for (Object d : ComposeFile.list(dns, "dns_sd_configs")) {
                    Map<String, Object> sd = ComposeFile.map(d, "dns_sd_config");
                    assertThat(sd.get("port")).as("%s: the stages' HTTP port in Compose", job.get("job_name"))
                            .isEqualTo(8080);
                    for (Object name : ComposeFile.list(sd.get("names"), "names")) {
                        Integer port = stagePorts.get(String.valueOf(name));
                        assertThat(port).as("job %s scrapes %s, a stage of this run %s", job.get("job_name"), name,
                                stagePorts.keySet()).isNotNull();
                        targets.add("127.0.0.1:" + port);
                        scraped.add(String.valueOf(name));
                    }
                }
            } else {
                for (Object s : ComposeFile.list(job.get("static_configs"), "static_configs")) {
                    assertThat(ComposeFile.list(ComposeFile.map(s, "static_config").get("targets"), "targets"))
                            .as("job %s, the only static job: Prometheus itself", job.get("job_name"))
                            .containsExactly("localhost:9090");
                }
                targets.add("127.0.0.1:" + prometheusPort);
            }
            job.put("static_configs", List.of(Map.of("targets", targets)));
            jobs.add(job);
        }
        config.put("scrape_configs", jobs);
        assertThat(scraped).as("stages scraped").containsExactlyInAnyOrderElementsOf(stagePorts.keySet());
        DumperOptions options = new DumperOptions();
        options.setDefaultFlowStyle(DumperOptions.FlowStyle.BLOCK);
        return new Yaml(options).dump(config);
    }

    // ------------------------------------------------------------------ the dashboard

    /** Every {@code expr} of the dashboard's panels, its variables substituted ({@link #substituteVariables}). */
    static List<String> dashboardExpressions(Path root) {
        List<String> out = new ArrayList<>();
        collect(JsonParser.parseString(ComposeFile.read(root.resolve("ops/grafana/dashboards/alignstream.json"))), out);
        return out.stream().map(PrometheusIT::substituteVariables).distinct().toList();
    }

    private static void collect(JsonElement e, List<String> out) {
        if (e.isJsonObject()) {
            e.getAsJsonObject().entrySet().forEach(kv -> {
                if (kv.getKey().equals("expr") && kv.getValue().isJsonPrimitive()) {
                    out.add(kv.getValue().getAsString());
                } else {
                    collect(kv.getValue(), out);
                }
            });
        } else if (e.isJsonArray()) {
            e.getAsJsonArray().forEach(c -> collect(c, out));
        }
    }

    /**
     * Grafana's variables in an expression: {@code $__rate_interval} as {@link #RATE_INTERVAL}; any other variable is
     * an error here (the dashboard defines no template variables), so a new one must be given a value in this test.
     */
    static String substituteVariables(String expr) {
        String out = expr.replace("${__rate_interval}", RATE_INTERVAL).replace("$__rate_interval", RATE_INTERVAL);
        Matcher m = VARIABLE.matcher(out);
        if (m.find()) {
            throw new AssertionError("dashboard expression uses $" + m.group(1) + ", which this test does not "
                    + "substitute: " + expr);
        }
        return out;
    }

    // ------------------------------------------------------------------ Prometheus' HTTP API

    private static void awaitReady(Process prometheus, URI api, Path log) throws Exception {
        long deadline = System.nanoTime() + PROMETHEUS_READY.toNanos();
        while (System.nanoTime() < deadline) {
            if (!prometheus.isAlive()) {
                throw new AssertionError("prometheus exited with " + prometheus.exitValue() + ":\n"
                        + Files.readString(log));
            }
            try {
                if (get(api.resolve("/-/ready")).statusCode() == 200) {
                    return;
                }
            } catch (UncheckedIOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new AssertionError("prometheus not ready within " + PROMETHEUS_READY + ":\n" + Files.readString(log));
    }

    /** Waits until every active target is up; returns job/instance to health. */
    private static Map<String, String> awaitTargetsUp(URI api, Map<String, Integer> ports, int prometheusPort)
            throws Exception {
        Map<String, String> expected = new TreeMap<>();
        ports.forEach((stage, port) -> expected.put("alignstream-" + stage + " 127.0.0.1:" + port + " stage=" + stage,
                "up"));
        expected.put("prometheus 127.0.0.1:" + prometheusPort + " stage=null", "up");
        Map<String, String> health = Map.of();
        long deadline = System.nanoTime() + SERIES_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            health = new TreeMap<>();
            for (JsonElement t : apiData(api, "/api/v1/targets").getAsJsonObject().getAsJsonArray("activeTargets")) {
                JsonObject target = t.getAsJsonObject();
                JsonObject labels = target.getAsJsonObject("labels");
                JsonElement stage = labels.get("stage");
                health.put(labels.get("job").getAsString() + " " + labels.get("instance").getAsString() + " stage="
                        + (stage == null ? "null" : stage.getAsString()), target.get("health").getAsString()
                        + (target.get("lastError").getAsString().isEmpty() ? "" : " " + target.get("lastError")));
            }
            if (health.equals(expected)) {
                return health;
            }
            Thread.sleep(500);
        }
        assertThat(health).as("Prometheus' active targets and their health").isEqualTo(expected);
        return health;
    }

    /** Polls every expression until each returns a series; what still fails or returns none at the deadline. */
    private static Map<String, String> awaitSeries(URI api, List<String> expressions) throws Exception {
        Map<String, String> pending = new LinkedHashMap<>();
        expressions.forEach(e -> pending.put(e, "not asked"));
        long deadline = System.nanoTime() + SERIES_TIMEOUT.toNanos();
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (String expr : List.copyOf(pending.keySet())) {
                JsonObject r = query(api, expr);
                if (!"success".equals(r.get("status").getAsString())) {
                    pending.put(expr, r.get("errorType") + ": " + r.get("error"));
                    continue;
                }
                JsonArray result = r.getAsJsonObject("data").getAsJsonArray("result");
                if (result.size() > 0) {
                    pending.remove(expr);
                } else {
                    pending.put(expr, "no series");
                }
            }
            if (!pending.isEmpty()) {
                Thread.sleep(1000);
            }
        }
        return pending;
    }

    private static JsonObject query(URI api, String expr) throws InterruptedException {
        HttpResponse<String> r = get(api.resolve("/api/v1/query?query="
                + URLEncoder.encode(expr, StandardCharsets.UTF_8)));
        return JsonParser.parseString(r.body()).getAsJsonObject();
    }

    /** Rule name to its health after at least one evaluation of every group. */
    private static Map<String, String> ruleHealth(URI api) throws Exception {
        Map<String, String> out = new TreeMap<>();
        long deadline = System.nanoTime() + SERIES_TIMEOUT.toNanos();
        while (System.nanoTime() < deadline) {
            out.clear();
            boolean evaluated = true;
            for (JsonElement g : apiData(api, "/api/v1/rules").getAsJsonObject().getAsJsonArray("groups")) {
                for (JsonElement r : g.getAsJsonObject().getAsJsonArray("rules")) {
                    JsonObject rule = r.getAsJsonObject();
                    String h = rule.get("health").getAsString();
                    evaluated &= !"unknown".equals(h);
                    out.put(rule.get("name").getAsString(), h + (rule.has("lastError")
                            ? " " + rule.get("lastError").getAsString() : ""));
                }
            }
            if (evaluated && !out.isEmpty()) {
                out.replaceAll((k, v) -> v.strip());
                return out;
            }
            Thread.sleep(500);
        }
        return out;
    }

    private static JsonElement apiData(URI api, String path) throws InterruptedException {
        HttpResponse<String> r = get(api.resolve(path));
        assertThat(r.statusCode()).as("GET %s: %s", path, r.body()).isEqualTo(200);
        return JsonParser.parseString(r.body()).getAsJsonObject().get("data");
    }

    private static HttpResponse<String> get(URI uri) throws InterruptedException {
        try {
            return HTTP.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The alert names of ops/prometheus/alerts.yml. */
    static Set<String> alertNames(Path root) {
        Set<String> out = new LinkedHashSet<>();
        Map<String, Object> alerts = ComposeFile.map(ComposeFile.parseYaml(
                ComposeFile.read(root.resolve("ops/prometheus/alerts.yml"))), "alerts");
        for (Object g : ComposeFile.list(alerts.get("groups"), "groups")) {
            for (Object r : ComposeFile.list(ComposeFile.map(g, "group").get("rules"), "rules")) {
                Object name = ComposeFile.map(r, "rule").get("alert");
                if (name != null) {
                    out.add(String.valueOf(name));
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ processes

    static boolean onPath(String command) {
        String path = System.getenv("PATH");
        return path != null && Stream.of(path.split(File.pathSeparator))
                .anyMatch(d -> Files.isExecutable(Path.of(d, command)));
    }

    /** Runs {@code promtool ARGS} in {@code dir}; asserts exit code 0 and returns its output. */
    static String promtool(Path dir, String... args) throws Exception {
        List<String> command = new ArrayList<>(List.of("promtool"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).as("%s:%n%s", String.join(" ", command), out).isZero();
        return out;
    }
}
