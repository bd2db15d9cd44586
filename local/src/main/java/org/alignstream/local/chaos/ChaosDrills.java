package org.alignstream.local.chaos;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
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
import java.util.concurrent.TimeUnit;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.topics.Topics;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.local.PromptClient;
import org.alignstream.local.SamplePrompts;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Chaos drills ({@code ops/chaos.sh}): the three stages as separate JVMs against an embedded broker in this JVM. First
 * an undisturbed run of a fixed set of seeded Best-of-N prompts; then, per drill, the same prompts under new ids while
 * something is broken mid-run: each stage in turn SIGKILLed and restarted, then the broker stopped and restarted. Per
 * drill: prompts not answered (lost), extra answers (duplicated), records on dead-letters during the drill, and
 * answers that differ from the undisturbed run (seeded sampling is deterministic). Ends with one line per drill:
 * {@code drill NAME lost=L duplicated=D dead_lettered=X}. Exit code 0 only if all are 0 and nothing differs.
 */
public final class ChaosDrills {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final String KILLABLE_CONFIG = "consumer.session.timeout.ms=6000,consumer.heartbeat.interval.ms=1000,"
            + "producer.transaction.timeout.ms=5000";
    private static final int PROMPTS = 30;
    private static final int BREAK_AT = 5;
    private static final int BURST = 10;
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(120);

    enum Stage {
        GENERATOR("generator", "org.alignstream.generator.GeneratorService"),
        SCORER("scorer", "org.alignstream.scorer.ScorerService"),
        SELECTOR("selector", "org.alignstream.selector.SelectorService");

        final String name;
        final String mainClass;

        Stage(String name, String mainClass) {
            this.name = name;
            this.mainClass = mainClass;
        }
    }

    private record Launched(Process process, int port) {
    }

    private final EmbeddedKafkaCluster kafka;
    private final Path workDir;
    private final Map<Stage, Path> stateDirs = new EnumMap<>(Stage.class);
    private final Map<Stage, Launched> running = new EnumMap<>(Stage.class);
    private final List<Process> all = new ArrayList<>();
    private int launches;

    private ChaosDrills(EmbeddedKafkaCluster kafka, Path workDir) throws IOException {
        this.kafka = kafka;
        this.workDir = workDir;
        for (Stage s : Stage.values()) {
            stateDirs.put(s, Files.createDirectories(workDir.resolve(s.name + "-state")));
        }
    }

    public static void main(String[] args) throws Exception {
        Path workDir = Files.createTempDirectory("alignstream-chaos-");
        System.out.println("chaos: work directory (service logs) " + workDir);
        int code;
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start(
                Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"))) {
            ChaosDrills d = new ChaosDrills(kafka, workDir);
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
        List<String> lines = new ArrayList<>();
        boolean ok = true;
        try (PromptClient client = new PromptClient(kafka.clientConfig())) {
            Map<Integer, AlignedResponse> reference = byIndex(drill(client, "undisturbed", null), "undisturbed");
            for (Stage s : Stage.values()) {
                String name = "kill_" + s.name;
                ok &= report(name, drill(client, name, () -> {
                    running.get(s).process().destroyForcibly(); // SIGKILL
                    running.get(s).process().waitFor(10, TimeUnit.SECONDS);
                    Thread.sleep(2000); // down for a while: prompts keep coming
                    start(s);
                }), reference, lines);
            }
            ok &= report("restart_broker", drill(client, "restart_broker", kafka::restart), reference, lines);
        }
        System.out.println();
        lines.forEach(System.out::println);
        return ok ? 0 : 1;
    }

    interface Breakage {
        void apply() throws Exception;
    }

    private record Outcome(List<PromptRequest> sent, List<AlignedResponse> answers, long deadLettered, double seconds) {
    }

    private Outcome drill(PromptClient client, String name, Breakage breakage) throws Exception {
        List<PromptRequest> requests = requests(name);
        Map<TopicPartition, Long> dlqStart = deadLetterEnds();
        int before = client.received().size();
        long t0 = System.nanoTime();
        Thread breaking = null;
        Exception[] failure = new Exception[1];
        for (int i = 0; i < requests.size(); i++) {
            client.send(requests.get(i));
            if (i >= BREAK_AT && i < BREAK_AT + BURST - 1) {
                continue; // a burst: these are in flight when the breakage starts
            }
            client.flush();
            if (i == BREAK_AT + BURST - 1 && breakage != null) {
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
            client.pollFor(Duration.ofMillis(100));
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

    private static Map<Integer, AlignedResponse> byIndex(Outcome o, String name) {
        Map<Integer, AlignedResponse> out = new LinkedHashMap<>();
        for (AlignedResponse a : o.answers()) {
            out.put(Integer.parseInt(a.getId().substring(name.length() + 1)), a);
        }
        System.out.printf("chaos: undisturbed run: %d of %d answered in %.1f s%n", out.size(), o.sent().size(),
                o.seconds());
        if (out.size() != o.sent().size()) {
            throw new IllegalStateException("the undisturbed run did not answer every prompt");
        }
        return out;
    }

    private static boolean report(String name, Outcome o, Map<Integer, AlignedResponse> reference, List<String> lines) {
        Map<String, Integer> count = new HashMap<>();
        o.answers().forEach(a -> count.merge(a.getId(), 1, Integer::sum));
        long lost = o.sent().stream().filter(r -> !count.containsKey(r.getId())).count();
        long duplicated = count.values().stream().mapToInt(c -> c - 1).sum();
        int differs = 0;
        for (AlignedResponse a : o.answers()) {
            AlignedResponse want = reference.get(Integer.parseInt(a.getId().substring(name.length() + 1)));
            if (!want.getTokenIds().equals(a.getTokenIds()) || want.getChosenIndex() != a.getChosenIndex()
                    || !want.getCandidateRewards().equals(a.getCandidateRewards())) {
                differs++;
            }
        }
        System.out.printf("chaos: %s: %d answers for %d prompts in %.1f s, %d differ from the undisturbed run%n", name,
                o.answers().size(), o.sent().size(), o.seconds(), differs);
        lines.add(String.format("drill %s lost=%d duplicated=%d dead_lettered=%d", name, lost, duplicated,
                o.deadLettered()));
        return lost == 0 && duplicated == 0 && o.deadLettered() == 0 && differs == 0;
    }

    /** Seeded Best-of-N (N = 2 or 3, 4 new tokens); the same prompts and seeds in every drill, ids by drill. */
    private static List<PromptRequest> requests(String drill) {
        List<String> prompts = SamplePrompts.load(null);
        List<PromptRequest> out = new ArrayList<>();
        for (int i = 0; i < PROMPTS; i++) {
            out.add(PromptRequest.newBuilder().setId(drill + "-" + i).setPrompt(prompts.get(i % prompts.size()))
                    .setStrategy(Strategy.newBuilder().setMethod("best_of_n").setN(2 + i % 2).setTopK(0).setBeta(0.0)
                            .setTemperature(0.9).setTopP(0.95).setMaxNewTokens(4).setSeed(7700L + i).build())
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
        List<String> command = List.of(java, "-Dai.djl.offline=true", "-Xmx256m", "-XX:+UseSerialGC",
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
