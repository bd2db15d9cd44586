package org.alignstream.drills;

import java.io.IOException;
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
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.topics.Topics;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.clients.FeedbackClient;
import org.alignstream.clients.PromptClient;
import org.alignstream.harness.SamplePrompts;
import org.alignstream.harness.annotator.SeaOverTown;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Chaos drills ({@code ops/chaos.sh}): the four stages as separate JVMs against an embedded broker in this JVM. First
 * an undisturbed run of a fixed set of seeded Best-of-N prompts ({@code --prompts}, 1,000 by default); then, per
 * drill, the same prompts under new ids while something is broken mid-run:
 * <ul>
 *   <li>{@code kill_generator}, {@code kill_scorer}, {@code kill_selector}: the stage SIGKILLed and restarted;</li>
 *   <li>{@code restart_broker}: the broker stopped and restarted;</li>
 *   <li>{@code hot_swap_reward_model}: feedback events sent mid-run make the feedback service train and publish a new
 *       version of the serving reward model, which the scorer swaps in while prompts stream through;</li>
 *   <li>{@code kill_feedback}: the feedback service SIGKILLed while it retrains, more events (and duplicates) sent
 *       while it is down, then restarted; here the "prompts" are feedback events: lost = distinct events the next
 *       version was not trained on.</li>
 * </ul>
 * Per drill: prompts not answered (lost), extra answers (duplicated), records on dead-letters during the drill, and
 * answers that differ from an undisturbed run with the same seeds (seeded sampling is deterministic), compared per
 * reward-model version: an answer stamped with version V is compared with a reference run pinned to V. Ends with one
 * line per drill: {@code drill NAME lost=L duplicated=D dead_lettered=X}. Exit code 0 only if all are 0 and nothing
 * differs.
 */
public final class ChaosDrills {
    private static final AvroSerde<RewardModelVersion> VERSIONS = AvroSerde.of(RewardModelVersion.class);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final String KILLABLE_CONFIG = "consumer.session.timeout.ms=6000,consumer.heartbeat.interval.ms=1000,"
            + "producer.transaction.timeout.ms=5000";
    private static final int BURST = 10;
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(300);
    /** Feedback events per retraining (the feedback service's count trigger in the drills). */
    static final int RETRAIN_EVERY = 40;
    private static final String REWARD_MODEL = "sentiment";

    enum Stage {
        GENERATOR("generator", "org.alignstream.generator.GeneratorService"),
        SCORER("scorer", "org.alignstream.scorer.ScorerService"),
        SELECTOR("selector", "org.alignstream.selector.SelectorService"),
        FEEDBACK("feedback", "org.alignstream.feedback.FeedbackService");

        final String name;
        final String mainClass;

        Stage(String name, String mainClass) {
            this.name = name;
            this.mainClass = mainClass;
        }
    }

    private record Launched(Process process, int port) {
    }

    /** {@code --prompts=N} (prompts per drill) and {@code --interval-ms=N} (pause between sends outside the burst). */
    record Options(int prompts, int intervalMs) {
        Options {
            if (prompts < 20) {
                throw new IllegalArgumentException("--prompts must be >= 20, was " + prompts);
            }
            if (intervalMs < 0) {
                throw new IllegalArgumentException("--interval-ms must be >= 0, was " + intervalMs);
            }
        }

        static Options parse(String[] args) {
            int prompts = 1000;
            int interval = 25;
            for (String a : args) {
                if (a.startsWith("--prompts=")) {
                    prompts = Integer.parseInt(a.substring("--prompts=".length()));
                } else if (a.startsWith("--interval-ms=")) {
                    interval = Integer.parseInt(a.substring("--interval-ms=".length()));
                } else {
                    throw new IllegalArgumentException("unknown argument '" + a + "'; usage: ChaosDrills "
                            + "[--prompts=N (default 1000)] [--interval-ms=MS (default 25)]");
                }
            }
            return new Options(prompts, interval);
        }

        /** The prompt after which the breakage starts (a burst of {@value #BURST} prompts ends there). */
        int breakAt() {
            return Math.max(5, prompts / 6);
        }
    }

    private final EmbeddedKafkaCluster kafka;
    private final Options options;
    private final Path workDir;
    private final Map<Stage, Path> stateDirs = new EnumMap<>(Stage.class);
    private final Map<Stage, Launched> running = new EnumMap<>(Stage.class);
    private final Map<Stage, Path> logs = new EnumMap<>(Stage.class);
    private final List<Process> all = new ArrayList<>();
    private int launches;

    private ChaosDrills(EmbeddedKafkaCluster kafka, Options options, Path workDir) throws IOException {
        this.kafka = kafka;
        this.options = options;
        this.workDir = workDir;
        for (Stage s : Stage.values()) {
            stateDirs.put(s, Files.createDirectories(workDir.resolve(s.name + "-state")));
        }
    }

    public static void main(String[] args) throws Exception {
        Options options = Options.parse(args);
        Path workDir = Files.createTempDirectory("alignstream-chaos-");
        System.out.println("chaos: work directory (service logs) " + workDir);
        int code;
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start(
                Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"))) {
            ChaosDrills d = new ChaosDrills(kafka, options, workDir);
            Runtime.getRuntime().addShutdownHook(new Thread(d::killAll));
            try {
                code = d.run();
            } finally {
                d.killAll();
            }
        }
        System.exit(code);
    }

    private int run() throws Exception {
        for (Stage s : Stage.values()) {
            start(s);
        }
        System.out.printf("chaos: %d prompts per drill, a send every %d ms outside the burst%n", options.prompts(),
                options.intervalMs());
        List<String> lines = new ArrayList<>();
        boolean ok = true;
        try (PromptClient client = new PromptClient(kafka.clientConfig());
             FeedbackClient feedback = new FeedbackClient(kafka.clientConfig())) {
            References references = new References(client);
            references.add("1", drill(client, "undisturbed", null, null, false));
            for (Stage s : List.of(Stage.GENERATOR, Stage.SCORER, Stage.SELECTOR)) {
                String name = "kill_" + s.name;
                ok &= report(name, drill(client, name, null, () -> {
                    kill(s);
                    Thread.sleep(2000); // down for a while: prompts keep coming
                    start(s);
                }, false), references, lines);
            }
            ok &= report("restart_broker", drill(client, "restart_broker", null, kafka::restart, false), references,
                    lines);
            ok &= report("hot_swap_reward_model", drill(client, "hot_swap_reward_model", null, () -> {
                long before = newestVersion(REWARD_MODEL, 1); // 1 = the bundled version
                SeaOverTown.events("hot-swap-", 0, RETRAIN_EVERY).forEach(feedback::send);
                feedback.flush();
                long v = awaitVersion(REWARD_MODEL, before + 1, Duration.ofSeconds(120));
                System.out.printf("chaos: hot_swap_reward_model: %s version %d published (was %d)%n", REWARD_MODEL,
                        v, before);
            }, true), references, lines) && swapped(client, references);
            ok &= killFeedback(feedback, lines);
        }
        System.out.println();
        lines.forEach(System.out::println);
        return ok ? 0 : 1;
    }

    /** The hot-swap drill's answers were scored by both the old and the new version (else it swapped no load). */
    private boolean swapped(PromptClient client, References references) {
        Set<String> versions = new HashSet<>();
        for (AlignedResponse a : client.received()) {
            if (a.getId().startsWith("hot_swap_reward_model-")) {
                versions.add(a.getRewardModel().getVersion());
            }
        }
        boolean both = versions.size() >= 2;
        System.out.printf("chaos: hot_swap_reward_model: answers scored by versions %s%s%n", versions,
                both ? "" : " (FAILED: the swap did not happen under load)");
        return both;
    }

    /**
     * SIGKILLs the feedback service while it retrains ({@link #RETRAIN_EVERY} new events sent, killed as soon as its
     * log says the retraining began), sends more events and a few duplicates while it is down, restarts it, and waits
     * for a version trained on every distinct event sent (its {@code examples} figure).
     */
    private boolean killFeedback(FeedbackClient feedback, List<String> lines) throws Exception {
        String name = "kill_feedback";
        Map<TopicPartition, Long> dlqStart = deadLetterEnds();
        int distinct = RETRAIN_EVERY; // the hot-swap drill's events
        long t0 = System.nanoTime();
        Path log = logs.get(Stage.FEEDBACK);
        long logFrom = Files.size(log);
        int before = RETRAIN_EVERY;
        SeaOverTown.events("kill-feedback-", 0, before).forEach(feedback::send);
        feedback.flush();
        distinct += before;
        boolean midTraining = awaitLogLine(log, logFrom, "retraining from " + distinct + " feedback examples",
                Duration.ofSeconds(60));
        kill(Stage.FEEDBACK);
        System.out.printf("chaos: %s: SIGKILLed %s%n", name, midTraining ? "as its retraining on " + distinct
                + " examples began" : "(no retraining seen in its log within 60 s)");
        int whileDown = 30;
        SeaOverTown.events("kill-feedback-", before, whileDown).forEach(feedback::send);
        SeaOverTown.events("kill-feedback-", 0, 10).forEach(feedback::send); // duplicates: must change nothing
        feedback.flush();
        distinct += whileDown;
        Thread.sleep(2000);
        start(Stage.FEEDBACK);
        long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
        double trainedOn = 0;
        while (System.nanoTime() < deadline) {
            trainedOn = maxExamples(REWARD_MODEL);
            if (trainedOn >= distinct) {
                break;
            }
            Thread.sleep(500);
        }
        Thread.sleep(1000);
        trainedOn = maxExamples(REWARD_MODEL);
        long lost = Math.max(0, distinct - Math.round(trainedOn));
        long duplicated = Math.max(0, Math.round(trainedOn) - distinct);
        long dead = deadLettered(dlqStart);
        System.out.printf("chaos: %s: %d distinct feedback events sent (%d while it was down, plus 10 duplicates); the "
                + "newest version was trained on %.0f examples, %.1f s%n", name, distinct, whileDown, trainedOn,
                (System.nanoTime() - t0) / 1e9);
        lines.add(String.format("drill %s lost=%d duplicated=%d dead_lettered=%d", name, lost, duplicated, dead));
        return midTraining && lost == 0 && duplicated == 0 && dead == 0;
    }

    private void kill(Stage s) throws InterruptedException {
        running.get(s).process().destroyForcibly(); // SIGKILL
        running.get(s).process().waitFor(10, TimeUnit.SECONDS);
    }

    private static boolean awaitLogLine(Path log, long from, String needle, Duration timeout) throws Exception {
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

    /**
     * Reference answers per reward-model version: version "1" from the undisturbed run; any other version an answer
     * is stamped with gets a run of the same prompts pinned to that version (strategy.reward_model_version).
     */
    private final class References {
        private final PromptClient client;
        private final Map<String, Map<Integer, AlignedResponse>> byVersion = new HashMap<>();

        References(PromptClient client) {
            this.client = client;
        }

        void add(String version, Outcome o) throws Exception {
            Map<Integer, AlignedResponse> out = byIndex(o);
            System.out.printf("chaos: reference run for version %s: %d of %d answered in %.1f s%n", version,
                    out.size(), o.sent().size(), o.seconds());
            if (out.size() != o.sent().size()) {
                throw new IllegalStateException("the reference run for version " + version
                        + " did not answer every prompt");
            }
            for (AlignedResponse a : out.values()) {
                if (!a.getRewardModel().getVersion().equals(version)) {
                    throw new IllegalStateException("reference run for version " + version + ": " + a.getId()
                            + " was scored by version " + a.getRewardModel().getVersion());
                }
            }
            byVersion.put(version, out);
        }

        Map<Integer, AlignedResponse> of(String version) throws Exception {
            if (!byVersion.containsKey(version)) {
                add(version, drill(client, "reference_v" + version, version, null, false));
            }
            return byVersion.get(version);
        }
    }

    interface Breakage {
        void apply() throws Exception;
    }

    private record Outcome(List<PromptRequest> sent, List<AlignedResponse> answers, long deadLettered, double seconds) {
    }

    /**
     * Sends the drill's prompts (pinned to {@code version} unless null); the breakage starts after a burst and runs
     * while the rest are sent. With {@code holdBack}, the last quarter of the prompts is sent only after the breakage
     * is over (plus a second), so some are sure to meet its outcome (a new reward-model version).
     */
    private Outcome drill(PromptClient client, String name, String version, Breakage breakage, boolean holdBack)
            throws Exception {
        List<PromptRequest> requests = requests(name, version);
        int breakAt = options.breakAt();
        int holdAt = holdBack ? requests.size() - requests.size() / 4 : -1;
        Map<TopicPartition, Long> dlqStart = deadLetterEnds();
        int before = client.received().size();
        long t0 = System.nanoTime();
        Thread breaking = null;
        Exception[] failure = new Exception[1];
        for (int i = 0; i < requests.size(); i++) {
            if (i == holdAt && breaking != null) {
                breaking.join();
                Thread.sleep(1000);
            }
            client.send(requests.get(i));
            if (i >= breakAt && i < breakAt + BURST - 1) {
                continue; // a burst: these are in flight when the breakage starts
            }
            client.flush();
            if (i == breakAt + BURST - 1 && breakage != null) {
                int answered = client.received().size() - before;
                long b0 = System.nanoTime();
                breaking = new Thread(() -> {
                    try {
                        breakage.apply();
                        System.out.printf("chaos: %s done %.1f s after it began%n", name,
                                (System.nanoTime() - b0) / 1e9);
                    } catch (Exception e) {
                        failure[0] = e;
                    }
                }, "chaos-" + name);
                breaking.start();
                System.out.printf("chaos: %s begins with %d prompts sent, %d answered; the rest are sent meanwhile%n",
                        name, i + 1, answered);
            }
            client.pollFor(Duration.ofMillis(options.intervalMs()));
        }
        if (breaking != null) {
            breaking.join();
            if (failure[0] != null) {
                throw failure[0];
            }
        }
        List<String> ids = requests.stream().map(PromptRequest::getId).toList();
        client.await(ids, ANSWER_TIMEOUT);
        client.pollFor(Duration.ofSeconds(3));
        double seconds = (System.nanoTime() - t0) / 1e9;
        Set<String> wanted = new HashSet<>(ids);
        List<AlignedResponse> answers = client.received().subList(before, client.received().size()).stream()
                .filter(a -> wanted.contains(a.getId())).toList();
        return new Outcome(requests, answers, deadLettered(dlqStart), seconds);
    }

    /** Answers by prompt index (the number after the drill name in the id). */
    private static Map<Integer, AlignedResponse> byIndex(Outcome o) {
        Map<Integer, AlignedResponse> out = new LinkedHashMap<>();
        for (AlignedResponse a : o.answers()) {
            out.put(index(a), a);
        }
        return out;
    }

    private static int index(AlignedResponse a) {
        return Integer.parseInt(a.getId().substring(a.getId().lastIndexOf('-') + 1));
    }

    private static boolean report(String name, Outcome o, References references, List<String> lines) throws Exception {
        Map<String, Integer> count = new HashMap<>();
        o.answers().forEach(a -> count.merge(a.getId(), 1, Integer::sum));
        long lost = o.sent().stream().filter(r -> !count.containsKey(r.getId())).count();
        long duplicated = count.values().stream().mapToInt(c -> c - 1).sum();
        int differs = 0;
        Map<String, Integer> versions = new TreeMap<>();
        for (AlignedResponse a : o.answers()) {
            String version = a.getRewardModel().getVersion();
            versions.merge(version, 1, Integer::sum);
            AlignedResponse want = references.of(version).get(index(a));
            if (!want.getTokenIds().equals(a.getTokenIds()) || want.getChosenIndex() != a.getChosenIndex()
                    || !want.getCandidateRewards().equals(a.getCandidateRewards())) {
                differs++;
                if (differs <= 5) {
                    System.out.printf("chaos: %s: %s differs from the reference of version %s%n", name, a.getId(),
                            version);
                }
            }
        }
        System.out.printf("chaos: %s: %d answers for %d prompts in %.1f s (answers per reward-model version %s), %d "
                + "differ from the undisturbed run of their version%n", name, o.answers().size(), o.sent().size(),
                o.seconds(), versions, differs);
        lines.add(String.format("drill %s lost=%d duplicated=%d dead_lettered=%d", name, lost, duplicated,
                o.deadLettered()));
        return lost == 0 && duplicated == 0 && o.deadLettered() == 0 && differs == 0;
    }

    /**
     * Seeded Best-of-N (N = 2 or 3, 4 new tokens); the same prompts and seeds in every drill, ids by drill; pinned to
     * a reward-model version unless {@code version} is null.
     */
    private List<PromptRequest> requests(String drill, String version) {
        List<String> prompts = SamplePrompts.load(null);
        List<PromptRequest> out = new ArrayList<>();
        for (int i = 0; i < options.prompts(); i++) {
            out.add(PromptRequest.newBuilder().setId(drill + "-" + i).setPrompt(prompts.get(i % prompts.size()))
                    .setStrategy(Strategy.newBuilder().setMethod("best_of_n").setN(2 + i % 2).setTopK(0).setBeta(0.0)
                            .setTemperature(0.9).setTopP(0.95).setMaxNewTokens(4).setSeed(7700L + i)
                            .setRewardModelVersion(version).build())
                    .setCreatedAtMs(System.currentTimeMillis()).build());
        }
        return out;
    }

    // ------------------------------------------------------------------ processes

    private void start(Stage s) throws Exception {
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(java, "-Dai.djl.offline=true", s == Stage.FEEDBACK ? "-Xmx512m" : "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), s.mainClass);
        Path log = workDir.resolve(s.name + "-" + (++launches) + ".log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        Map<String, String> env = pb.environment();
        env.keySet().removeIf(k -> k.startsWith("ALIGNSTREAM_"));
        env.remove("JAVA_TOOL_OPTIONS");
        env.remove("JDK_JAVA_OPTIONS");
        env.put("OPT_OUT_TRACKING", "true");
        env.put("ALIGNSTREAM_BOOTSTRAP_SERVERS", kafka.bootstrapServers());
        env.put("ALIGNSTREAM_HTTP_PORT", Integer.toString(port));
        env.put("ALIGNSTREAM_STATE_DIR", stateDirs.get(s).toString());
        env.put("ALIGNSTREAM_CONFIG", KILLABLE_CONFIG);
        if (s == Stage.FEEDBACK) {
            // a retraining every RETRAIN_EVERY events, or 4 s after the last one for a remainder; every version passes
            // the gate (the drills test what is lost, not what is learnt)
            env.put("ALIGNSTREAM_RETRAIN_EVERY_EVENTS", Integer.toString(RETRAIN_EVERY));
            env.put("ALIGNSTREAM_RETRAIN_EVERY_MS", "4000");
            env.put("ALIGNSTREAM_GATE_MARGIN", "1.0");
        }
        logs.put(s, log);
        Process p = pb.start();
        all.add(p);
        running.put(s, new Launched(p, port));
        awaitReady(s, p, port, log);
    }

    private static void awaitReady(Stage s, Process p, int port, Path log) throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (System.nanoTime() < deadline) {
            if (!p.isAlive()) {
                throw new IllegalStateException(s.name + " exited with " + p.exitValue() + "; see " + log);
            }
            try {
                HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                        + "/health/ready")).timeout(Duration.ofSeconds(5)).GET().build(),
                        HttpResponse.BodyHandlers.ofString());
                if (r.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException(s.name + " not ready within 90 s; see " + log);
    }

    private void killAll() {
        all.stream().filter(Process::isAlive).forEach(Process::destroy);
        for (Process p : all) {
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
    }

    // ------------------------------------------------------------------ reward-models

    /** Every version published so far (read committed, from the start of reward-models). */
    private List<RewardModelVersion> published() {
        Map<String, Object> c = new HashMap<>(kafka.clientConfig());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        List<RewardModelVersion> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<PartitionInfo> infos = consumer.partitionsFor(Topics.REWARD_MODELS, Duration.ofSeconds(30));
            if (infos == null || infos.isEmpty()) {
                return out;
            }
            List<TopicPartition> partitions = infos.stream().map(i -> new TopicPartition(i.topic(), i.partition()))
                    .toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))
                    && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null) {
                        out.add(VERSIONS.decode(r.value()));
                    }
                }
            }
        }
        return out;
    }

    /** The newest published version of {@code model}, or {@code otherwise} if none was published. */
    private long newestVersion(String model, long otherwise) {
        return published().stream().filter(v -> v.getModelId().equals(model)).mapToLong(RewardModelVersion::getVersion)
                .max().orElse(otherwise);
    }

    /** The largest {@code examples} figure among the published versions of {@code model}. */
    private double maxExamples(String model) {
        return published().stream().filter(v -> v.getModelId().equals(model))
                .mapToDouble(v -> v.getFigures().getOrDefault("examples", 0.0)).max().orElse(0.0);
    }

    private long awaitVersion(String model, long atLeast, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            long v = newestVersion(model, 0);
            if (v >= atLeast) {
                return v;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no version " + atLeast + " of " + model + " published within " + timeout);
    }

    // ------------------------------------------------------------------ dead letters

    private KafkaConsumer<byte[], byte[]> deadLetterConsumer() {
        Map<String, Object> c = new HashMap<>(kafka.clientConfig());
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
    }

    private List<TopicPartition> deadLetterPartitions(KafkaConsumer<byte[], byte[]> c) {
        List<TopicPartition> out = new ArrayList<>();
        List<PartitionInfo> infos = c.partitionsFor(Topics.DEAD_LETTERS, Duration.ofSeconds(30));
        if (infos != null) {
            infos.forEach(i -> out.add(new TopicPartition(i.topic(), i.partition())));
        }
        return out;
    }

    private Map<TopicPartition, Long> deadLetterEnds() {
        try (KafkaConsumer<byte[], byte[]> c = deadLetterConsumer()) {
            return new HashMap<>(c.endOffsets(deadLetterPartitions(c)));
        }
    }

    /** Records (read committed) on dead-letters since {@code start}. */
    private long deadLettered(Map<TopicPartition, Long> start) {
        try (KafkaConsumer<byte[], byte[]> c = deadLetterConsumer()) {
            List<TopicPartition> partitions = deadLetterPartitions(c);
            if (partitions.isEmpty()) {
                return 0;
            }
            c.assign(partitions);
            partitions.forEach(tp -> c.seek(tp, start.getOrDefault(tp, 0L)));
            Map<TopicPartition, Long> end = c.endOffsets(partitions);
            long n = 0;
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (partitions.stream().anyMatch(tp -> c.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (ConsumerRecord<byte[], byte[]> ignored : c.poll(Duration.ofMillis(200))) {
                    n++;
                }
            }
            return n;
        }
    }
}
