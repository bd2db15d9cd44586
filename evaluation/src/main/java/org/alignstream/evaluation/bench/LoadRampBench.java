package org.alignstream.evaluation.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.clients.PromptClient;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import org.alignstream.common.topics.Topics;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.harness.LocalPipeline;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Option;

/**
 * The benchmark's {@code load} section: Best-of-N prompts sent at increasing steady rates through the three stages
 * ({@link LocalPipeline}) on an embedded broker, the consumer lag of each stage on its Best-of-N input topic sampled
 * through every step (the group's committed offsets against the topic's read-committed end offsets, through the Admin
 * API), and the answers counted as they arrive.
 *
 * <ul>
 *   <li>{@code sustained_bonN_prompts_per_s}: the highest rate of the ramp whose step held ({@link BoundedLag}); the
 *       ramp stops at the first step that does not hold;</li>
 *   <li>then, once every prompt so far is answered, an overload step at {@code --load-overload-factor} times the
 *       first rate that did not hold (or the last rate, if all held): the lag is printed through it (it grows), the
 *       load stops, and {@code drain_s} is the time from the last prompt sent to the last one answered;</li>
 *   <li>{@code lost} and {@code duplicated}: over the whole section (warm-up, ramp and overload), prompts with no answer
 *       and answers beyond one per prompt, read from {@code aligned-responses} (read committed) until a few seconds
 *       after the last answer.</li>
 * </ul>
 */
final class LoadRampBench {

    /** The section's options, mixed into {@link Bench}. */
    static final class Options {
        @Option(names = "--load-rates", split = ",", paramLabel = "R",
                description = "load: offered rates of the ramp's steps, prompts/s, increasing "
                        + "(default: 1,2,3,4,5,6,8,10,12,14,16,18,20,24)")
        List<Double> rates = new ArrayList<>(List.of(1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0, 12.0, 14.0, 16.0, 18.0, 20.0,
                24.0));

        @Option(names = "--load-step-s", defaultValue = "16",
                description = "load: seconds per step (default: ${DEFAULT-VALUE}; quick: 10)")
        double stepSeconds;

        @Option(names = "--load-warmup-s", defaultValue = "8",
                description = "load: seconds at the first rate before the ramp, not measured (default: ${DEFAULT-VALUE})")
        double warmupSeconds;

        @Option(names = "--load-slack-s", defaultValue = "1.0",
                description = "load: seconds of offered load the lag may grow by from a step's middle to its end and "
                        + "still count as bounded (default: ${DEFAULT-VALUE})")
        double slackSeconds;

        @Option(names = "--load-overload-factor", defaultValue = "2.0",
                description = "load: the overload step's rate over the first rate that did not hold (the last rate if all "
                        + "held) (default: ${DEFAULT-VALUE})")
        double overloadFactor;
    }

    /** The stages on the Best-of-N path and the input topic whose lag is theirs. */
    private static final Map<StageSpec, String> INPUTS = new LinkedHashMap<>();

    static {
        INPUTS.put(Pipeline.GENERATOR, Topics.PROMPTS);
        INPUTS.put(Pipeline.SCORER, Topics.CANDIDATES);
        INPUTS.put(Pipeline.SELECTOR, Topics.SCORED_CANDIDATES);
    }

    /** How often the lag is sampled. */
    private static final long SAMPLE_MS = 250;
    /** After the last expected answer: how long to keep reading for duplicates. */
    private static final Duration AFTER_LAST = Duration.ofSeconds(4);

    private final Options options;
    private final Workload workload;
    private final List<String> stageArgs;
    private final List<String> modelArgs;
    private final Duration timeout;
    private final double stepSeconds;

    LoadRampBench(Options options, boolean quick, Workload workload, List<String> stageArgs, List<String> modelArgs,
                  Duration timeout) {
        List<Double> rates = options.rates;
        if (rates.isEmpty() || rates.stream().anyMatch(r -> !(r > 0))) {
            throw new IllegalArgumentException("--load-rates must be positive rates, was " + rates);
        }
        for (int i = 1; i < rates.size(); i++) {
            if (rates.get(i) <= rates.get(i - 1)) {
                throw new IllegalArgumentException("--load-rates must increase, was " + rates);
            }
        }
        if (!(options.overloadFactor > 1) || options.slackSeconds < 0 || options.warmupSeconds < 0) {
            throw new IllegalArgumentException("need --load-overload-factor > 1, --load-slack-s >= 0, "
                    + "--load-warmup-s >= 0");
        }
        this.options = options;
        this.workload = workload;
        this.stageArgs = List.copyOf(stageArgs);
        this.modelArgs = List.copyOf(modelArgs);
        this.timeout = timeout;
        this.stepSeconds = quick && options.stepSeconds == 16 ? 10 : options.stepSeconds;
        if (!(stepSeconds >= 4)) {
            throw new IllegalArgumentException("--load-step-s must be at least 4, was " + stepSeconds);
        }
    }

    List<Ratio> run() throws Exception {
        String name = "bon" + workload.n();
        System.out.printf(Locale.ROOT, "%n== load ramp: Best-of-%d, %d new tokens, steps of %.0f s at %s prompts/s; a step "
                        + "holds when its end lag <= middle lag + max(%.0f, rate x %.1f s) and answers >= %.0f%% of the "
                        + "rate (docs/BENCHMARKS.md)%n", workload.n(), workload.maxNewTokens(), stepSeconds,
                options.rates, BoundedLag.MIN_SLACK_RECORDS, options.slackSeconds, 100 * BoundedLag.MIN_ANSWER_SHARE);
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start();
             LocalPipeline pipeline = LocalPipeline.start(kafka.bootstrapServers(), stageArgs, modelArgs, modelArgs);
             Answers answers = new Answers(kafka.clientConfig());
             PromptClient client = new PromptClient(kafka.clientConfig());
             Admin admin = Admin.create(kafka.clientConfig())) {
            Lag lag = new Lag(admin);
            Sender sender = new Sender(client);
            if (options.warmupSeconds > 0) {
                sender.step("warmup", options.rates.get(0), options.warmupSeconds, lag);
                awaitAnswered(answers, sender, timeout);
            }
            double sustained = 0;
            double notHeld = Double.NaN;
            for (double rate : options.rates) {
                Step step = sender.step("r" + rate, rate, stepSeconds, lag);
                long secondHalf = answers.countBetween(step.startNanos + (long) (stepSeconds / 2 * 1e9),
                        step.startNanos + (long) (stepSeconds * 1e9));
                BoundedLag verdict = BoundedLag.of(step.samples, stepSeconds, rate, secondHalf, options.slackSeconds);
                System.out.printf(Locale.ROOT, "  step %5.1f prompts/s: sent %4d, answers %5.1f/s in the second half, "
                                + "lag middle %5.1f end %5.1f (slack %.1f; at the end %s) -> %s%n", rate, step.sent,
                        verdict.answerRate(), verdict.middleLag(), verdict.endLag(), verdict.slack(), step.lastByStage,
                        verdict.held() ? "held" : verdict.lagBounded() ? "not held (answers behind)"
                                : "not held (lag grows)");
                if (!verdict.held()) {
                    notHeld = rate;
                    break;
                }
                sustained = rate;
            }
            if (sustained == options.rates.get(options.rates.size() - 1)) {
                System.out.println("  every step held: the figure is a lower bound (extend --load-rates)");
            }
            // start the overload from a drained pipeline, so that the growth printed is the overload's own
            awaitAnswered(answers, sender, timeout);
            // above the first rate that did not hold, so that the overload stays one on a machine whose load varies
            double overload = options.overloadFactor * (Double.isNaN(notHeld) ? sustained : notHeld);
            Step over = sender.step("over", overload, stepSeconds, lag);
            StringBuilder growth = new StringBuilder();
            for (double q : new double[] {0.25, 0.5, 0.75, 1.0}) {
                growth.append(String.format(Locale.ROOT, " %.0f%%: %d", 100 * q, over.lagAt(q * stepSeconds)));
            }
            System.out.printf(Locale.ROOT, "  overload %.1f prompts/s (%.1fx the %s): sent %d, total lag through the "
                            + "step%s%n",
                    overload, options.overloadFactor, Double.isNaN(notHeld) ? "last rate, held" : "first rate not held",
                    over.sent, growth);
            if (over.lagAt(stepSeconds) <= over.lagAt(stepSeconds / 2)) {
                System.out.println("  WARNING: the lag did not grow through the overload step (raise "
                        + "--load-overload-factor)");
            }
            long stopped = over.endNanos;
            long lastAnswer = answers.awaitAll(sender.ids(), timeout);
            double drain = lastAnswer < 0 ? Double.NaN : Math.max(0, lastAnswer - stopped) / 1e9;
            answers.readFor(AFTER_LAST);
            Answers.Tally tally = answers.tally(sender.ids());
            System.out.printf(Locale.ROOT, "  after the load stopped: drain_s=%.1f (lag at the stop %d)%n", drain,
                    over.lagAt(stepSeconds));
            System.out.printf(Locale.ROOT, "  %d prompts sent in the section: lost=%d duplicated=%d%s%n",
                    sender.ids().size(), tally.lost(), tally.duplicated(),
                    tally.unexpected() > 0 ? " (and " + tally.unexpected() + " answers to ids never sent)" : "");
            if (tally.lost() > 0 || tally.duplicated() > 0 || Double.isNaN(drain)) {
                throw new IllegalStateException("load: lost=" + tally.lost() + " duplicated=" + tally.duplicated()
                        + (Double.isNaN(drain) ? ", not drained within " + timeout : ""));
            }
            return List.of(new Ratio("sustained_" + name + "_prompts_per_s", sustained),
                    new Ratio("overload_drain_s", drain));
        }
    }

    /** Waits until every prompt sent so far is answered. */
    private static void awaitAnswered(Answers answers, Sender sender, Duration within) throws InterruptedException {
        if (answers.awaitAll(sender.ids(), within) < 0) {
            throw new IllegalStateException("prompts still unanswered " + within + " after the step");
        }
    }

    /** One step as sent: its lag samples, the lag of each stage at its end, and when it started and ended. */
    private static final class Step {
        final List<BoundedLag.Sample> samples = new ArrayList<>();
        long startNanos;
        long endNanos;
        int sent;
        Map<String, Long> lastByStage = Map.of();

        /** The last sample at or before {@code seconds} into the step. */
        long lagAt(double seconds) {
            long out = 0;
            for (BoundedLag.Sample s : samples) {
                if (s.seconds() <= seconds + 1e-9) {
                    out = s.lag();
                }
            }
            return out;
        }
    }

    /** Sends prompts at a steady rate, one every 1/rate seconds from the step's start, sampling the lag meanwhile. */
    private final class Sender {
        private final PromptClient client;
        private final List<String> ids = new ArrayList<>();

        Sender(PromptClient client) {
            this.client = client;
        }

        Step step(String label, double rate, double seconds, Lag lag) throws Exception {
            Step step = new Step();
            step.startNanos = System.nanoTime();
            long end = step.startNanos + (long) (seconds * 1e9);
            long nextSample = step.startNanos;
            long interval = (long) (1e9 / rate);
            long nextSend = step.startNanos;
            while (true) {
                long now = System.nanoTime();
                if (now >= end) {
                    break;
                }
                if (now >= nextSend) {
                    String id = "load-" + label + "-" + step.sent;
                    client.send(workload.request(id, ids.size()));
                    ids.add(id);
                    step.sent++;
                    nextSend = step.startNanos + step.sent * interval;
                }
                if (now >= nextSample) {
                    Map<String, Long> byStage = lag.byStage();
                    step.samples.add(new BoundedLag.Sample((System.nanoTime() - step.startNanos) / 1e9,
                            byStage.values().stream().mapToLong(Long::longValue).sum()));
                    step.lastByStage = byStage;
                    nextSample += SAMPLE_MS * 1_000_000;
                }
                long wait = Math.min(nextSend, Math.min(nextSample, end)) - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
            }
            client.flush();
            step.endNanos = System.nanoTime();
            Map<String, Long> byStage = lag.byStage();
            step.samples.add(new BoundedLag.Sample(seconds, byStage.values().stream().mapToLong(Long::longValue).sum()));
            step.lastByStage = byStage;
            return step;
        }

        List<String> ids() {
            return Collections.unmodifiableList(ids);
        }
    }

    /**
     * Consumer lag of each stage on its Best-of-N input topic: the read-committed end offsets minus the group's
     * committed offsets (a partition without a commit counts from 0), summed over partitions.
     */
    private static final class Lag {
        private final Admin admin;
        private final Map<String, List<TopicPartition>> partitions = new HashMap<>();

        Lag(Admin admin) throws Exception {
            this.admin = admin;
            var described = admin.describeTopics(INPUTS.values()).allTopicNames().get();
            described.forEach((topic, d) -> partitions.put(topic, d.partitions().stream()
                    .map(p -> new TopicPartition(topic, p.partition())).toList()));
        }

        Map<String, Long> byStage() throws Exception {
            Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
            partitions.values().forEach(ps -> ps.forEach(p -> latest.put(p, OffsetSpec.latest())));
            var ends = admin.listOffsets(latest, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get();
            Map<String, Long> out = new LinkedHashMap<>();
            for (Map.Entry<StageSpec, String> e : INPUTS.entrySet()) {
                Map<TopicPartition, OffsetAndMetadata> committed = admin
                        .listConsumerGroupOffsets(e.getKey().applicationId()).partitionsToOffsetAndMetadata().get();
                long sum = 0;
                for (TopicPartition p : partitions.get(e.getValue())) {
                    OffsetAndMetadata c = committed.get(p);
                    sum += Math.max(0, ends.get(p).offset() - (c == null ? 0 : c.offset()));
                }
                out.put(e.getKey().name(), sum);
            }
            return out;
        }

    }

    /** Reads aligned-responses (read committed) from its end at creation, on its own thread: counts per id, times. */
    private static final class Answers implements AutoCloseable {
        record Tally(long lost, long duplicated, long unexpected) {
        }

        private final Map<String, AtomicInteger> counts = new ConcurrentHashMap<>();
        private final List<Long> arrivals = new CopyOnWriteArrayList<>();
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread reader;
        private volatile RuntimeException failure;

        Answers(Map<String, Object> clientConfig) {
            Map<String, Object> c = new HashMap<>(clientConfig);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            c.put(ConsumerConfig.CLIENT_ID_CONFIG, "alignstream-load-" + UUID.randomUUID());
            KafkaConsumer<String, AlignedResponse> consumer = new KafkaConsumer<>(c, new StringDeserializer(),
                    Pipeline.ALIGNED_RESPONSES.serde().deserializer());
            List<TopicPartition> ps = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(Topics.ALIGNED_RESPONSES, Duration.ofSeconds(30))) {
                ps.add(new TopicPartition(info.topic(), info.partition()));
            }
            consumer.assign(ps);
            consumer.seekToEnd(ps);
            ps.forEach(consumer::position);
            reader = new Thread(() -> {
                try (consumer) {
                    while (running.get()) {
                        for (ConsumerRecord<String, AlignedResponse> r : consumer.poll(Duration.ofMillis(100))) {
                            long now = System.nanoTime();
                            counts.computeIfAbsent(r.value().getId().toString(), k -> new AtomicInteger())
                                    .incrementAndGet();
                            arrivals.add(now);
                        }
                    }
                } catch (RuntimeException e) {
                    failure = e;
                }
            }, "load-answers");
            reader.setDaemon(true);
            reader.start();
        }

        long countBetween(long fromNanos, long toNanos) {
            check();
            return arrivals.stream().filter(t -> t >= fromNanos && t <= toNanos).count();
        }

        /** Waits until every id has an answer; the time the last of them arrived, or -1 if not within the timeout. */
        long awaitAll(List<String> ids, Duration within) throws InterruptedException {
            long deadline = System.nanoTime() + within.toNanos();
            while (System.nanoTime() < deadline) {
                check();
                if (ids.stream().allMatch(counts::containsKey)) {
                    return arrivals.get(arrivals.size() - 1);
                }
                Thread.sleep(50);
            }
            return -1;
        }

        void readFor(Duration d) throws InterruptedException {
            Thread.sleep(d.toMillis());
            check();
        }

        Tally tally(List<String> ids) {
            long lost = 0;
            long duplicated = 0;
            for (String id : ids) {
                AtomicInteger n = counts.get(id);
                if (n == null) {
                    lost++;
                } else {
                    duplicated += n.get() - 1;
                }
            }
            java.util.Set<String> sent = new java.util.HashSet<>(ids);
            long unexpected = counts.keySet().stream().filter(k -> !sent.contains(k)).count();
            return new Tally(lost, duplicated, unexpected);
        }

        private void check() {
            if (failure != null) {
                throw new IllegalStateException("reading aligned-responses failed", failure);
            }
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            reader.join(10_000);
        }
    }
}
