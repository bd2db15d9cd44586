package org.alignstream.evaluation.bench;

import org.alignstream.common.pipeline.Pipeline;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.avro.Strategy;
import org.alignstream.avro.TrainingExample;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.topics.Topics;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.LabelledSentences;
import org.alignstream.inference.reward.MeanPoolingEncoder;
import org.alignstream.inference.reward.PrefixPairs;
import org.alignstream.clients.FeedbackClient;
import org.alignstream.harness.LocalPipeline;
import org.alignstream.harness.annotator.FeedbackRounds;
import org.alignstream.harness.annotator.VersionWatch;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import picocli.CommandLine.Option;

/**
 * The benchmark's {@code feedback} section: the whole pipeline plus the feedback service on an embedded broker.
 * <ul>
 *   <li>{@code feedback_to_live_s}: with the service's store pre-filled with {@code --feedback-prefill} training
 *       examples (pre-built {@link TrainingExample}s published straight to {@code feedback-examples}, features taken
 *       from the bundled labelled sentences, so that filling takes seconds), each of {@code --feedback-triggers} single
 *       feedback events triggers a retraining ({@code --retrain-every-events=1}); the time from sending it to the first
 *       aligned response scored by the new version (requests flow all the time); median. The parts: to the version
 *       on {@code reward-models}, to the swap in the scorer, to the first response, and the training seconds;</li>
 *   <li>{@code feedback_events_per_s}: then, with the service restarted on its defaults (retraining every 50 events
 *       on the stored examples, in the background), a burst of feedback events through the first step (checks and
 *       backbone features of both texts and their prefixes): examples per second on {@code feedback-examples} after a
 *       warm-up.</li>
 * </ul>
 */
final class FeedbackBench {

    /** The section's options, mixed into {@link Bench}. */
    static final class Options {
        @Option(names = "--feedback-prefill", paramLabel = "E",
                description = "feedback: training examples stored before the retrain triggers (default: 10000, quick: 2000)")
        Integer prefill;

        @Option(names = "--feedback-triggers", paramLabel = "T",
                description = "feedback: retrain triggers measured for feedback_to_live_s (default: 5, quick: 3)")
        Integer triggers;

        @Option(names = "--feedback-events", paramLabel = "M",
                description = "feedback: events in the feedback_events_per_s burst (default: 300, quick: 100)")
        Integer events;
    }

    /** Sizes after --quick and explicit flags. */
    record Sizes(int prefill, int triggers, int events) {
        Sizes {
            if (prefill < 10 || triggers < 1 || events < 20) {
                throw new IllegalArgumentException("need --feedback-prefill >= 10, --feedback-triggers >= 1, "
                        + "--feedback-events >= 20");
            }
        }

        static Sizes of(Options o, boolean quick) {
            return new Sizes(pick(o.prefill, 10_000, 2_000, quick), pick(o.triggers, 5, 3, quick),
                    pick(o.events, 300, 100, quick));
        }

        private static int pick(Integer explicit, int full, int quickValue, boolean quick) {
            return explicit != null ? explicit : quick ? quickValue : full;
        }
    }

    /** One measured trigger, all in seconds from sending the event. */
    record Trigger(double published, double swapped, double firstResponse, double trainSeconds,
                   double partialTrainSeconds, double examples) {
    }

    private static final AvroSerde<TrainingExample> EXAMPLES = Pipeline.FEEDBACK_EXAMPLES.serde();
    private static final String PROXY = FeedbackRounds.PROXY;

    private final Sizes sizes;
    private final List<String> stageArgs;
    private final Duration timeout;

    FeedbackBench(Sizes sizes, List<String> stageArgs, Duration timeout) {
        this.sizes = sizes;
        this.stageArgs = List.copyOf(stageArgs);
        this.timeout = timeout;
    }

    List<Ratio> run() throws Exception {
        System.out.printf(Locale.ROOT, "%n== feedback: retrain trigger -> first response scored by the new version, with "
                + "%d stored examples (%d triggers); then a burst of %d feedback events%n", sizes.prefill(),
                sizes.triggers(), sizes.events());
        try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start();
             LocalPipeline pipeline = LocalPipeline.start(kafka.bootstrapServers(), stageArgs, List.of(), List.of())) {
            Map<String, Object> client = kafka.clientConfig();
            Pool pool = Pool.load(pipeline);
            List<String> args = new ArrayList<>(stageArgs);
            args.addAll(List.of("--retrain-every-events=1", "--retrain-every-ms=3600000"));
            pipeline.startFeedback(args);
            long t0 = System.nanoTime();
            prefill(client, pool, sizes.prefill());
            try (VersionWatch watch = new VersionWatch(client)) {
                RewardModelVersion settled = awaitExamples(watch, sizes.prefill());
                System.out.printf(Locale.ROOT, "prefill: %d examples published and trained on in %.1f s (%s v%d: %.0f "
                                + "examples, train %.2f s)%n", sizes.prefill(), (System.nanoTime() - t0) / 1e9, PROXY,
                        settled.getVersion(), settled.getFigures().get("examples"), settled.getFigures().get("train_seconds"));
                List<Trigger> triggers = new ArrayList<>();
                try (FeedbackClient feedback = new FeedbackClient(client);
                     Requests requests = new Requests(client)) {
                    for (int i = 0; i < sizes.triggers(); i++) {
                        Trigger t = trigger(i, pipeline, watch, feedback, requests, pool);
                        triggers.add(t);
                        System.out.printf(Locale.ROOT, "  trigger %d: version on reward-models %.2f s, live in the scorer "
                                        + "%.2f s, first response scored by it %.2f s (training %.2f s %s + %.2f s %s on "
                                        + "%.0f examples)%n", i + 1, t.published(), t.swapped(), t.firstResponse(),
                                t.trainSeconds(), PROXY, t.partialTrainSeconds(), FeedbackRounds.PARTIAL, t.examples());
                    }
                }
                double median = Stats.median(triggers.stream().mapToDouble(Trigger::firstResponse).toArray());
                System.out.printf(Locale.ROOT, "feedback_to_live: median %.2f s (target <= 5 s); medians of the parts: "
                                + "published %.2f s (training %.2f + %.2f s), swapped %.2f s, first response %.2f s%n",
                        median, Stats.median(triggers.stream().mapToDouble(Trigger::published).toArray()),
                        Stats.median(triggers.stream().mapToDouble(Trigger::trainSeconds).toArray()),
                        Stats.median(triggers.stream().mapToDouble(Trigger::partialTrainSeconds).toArray()),
                        Stats.median(triggers.stream().mapToDouble(Trigger::swapped).toArray()), median);
                pipeline.stopFeedback();
                pipeline.startFeedback(stageArgs); // the service's defaults: retrain every 50 events or 30 s
                double rate = throughput(client, pool, sizes.events());
                return List.of(new Ratio("feedback_to_live_s", median), new Ratio("feedback_events_per_s", rate));
            }
        }
    }

    /** Texts and features the prefill and the events are made of: the bundled labelled sentences. */
    record Pool(List<String> positive, List<String> negative, Map<String, float[]> features) {
        static Pool load(LocalPipeline pipeline) {
            LabelledSentences data = sentences();
            List<String> pos = new ArrayList<>();
            List<String> neg = new ArrayList<>();
            int[] labels = data.labels();
            for (int i = 0; i < data.size(); i++) {
                (labels[i] == 1 ? pos : neg).add(data.sentences().get(i));
            }
            EncoderRewardModel proxy = (EncoderRewardModel) pipeline.scorer().rewardModels().base(PROXY);
            List<String> texts = new ArrayList<>(data.sentences());
            for (String s : data.sentences()) {
                for (int t : PREFIX_WORDS) {
                    texts.add(prefixOf(s, t));
                }
            }
            Map<String, float[]> features = new HashMap<>();
            for (int from = 0; from < texts.size(); from += 32) {
                List<String> batch = texts.subList(from, Math.min(texts.size(), from + 32));
                float[][] f = proxy.features(batch);
                for (int i = 0; i < batch.size(); i++) {
                    features.put(batch.get(i), f[i]);
                }
            }
            return new Pool(pos, neg, features);
        }

        static final int[] PREFIX_WORDS = {2, 4, 6};
    }

    static LabelledSentences sentences() {
        try {
            Path tmp = Files.createTempFile("alignstream-sentences", ".tsv");
            try {
                Files.write(tmp, MeanPoolingEncoder.readResource("alignstream/models/reward-sentiment/sentences.tsv"));
                return LabelledSentences.load(tmp);
            } finally {
                Files.deleteIfExists(tmp);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Example {@code i} of the prefill: a positive sentence preferred over a negative one, every fifth held out. */
    static TrainingExample example(int i, Pool pool) {
        SplittableRandom rng = new SplittableRandom(i * 0x9E3779B97F4A7C15L + 17);
        String chosen = pool.positive().get(rng.nextInt(pool.positive().size()));
        String rejected = pool.negative().get(rng.nextInt(pool.negative().size()));
        List<List<Float>> pc = new ArrayList<>();
        List<List<Float>> pr = new ArrayList<>();
        for (int t : Pool.PREFIX_WORDS) {
            pc.add(list(pool.features().get(prefixOf(chosen, t))));
            pr.add(list(pool.features().get(prefixOf(rejected, t))));
        }
        return TrainingExample.newBuilder().setEventId("prefill-" + i).setRewardModel(PROXY).setSource("preference")
                .setHoldout(i % 5 == 0).setChosen(list(pool.features().get(chosen)))
                .setRejected(list(pool.features().get(rejected))).setPrefixChosen(pc).setPrefixRejected(pr)
                .setTimeMs(System.currentTimeMillis()).build();
    }

    /** The first {@code t} words, at most all but the last word (a whole one-word text). */
    static String prefixOf(String text, int t) {
        return PrefixPairs.prefix(text, Math.max(1, Math.min(t, PrefixPairs.wordCount(text) - 1)));
    }

    private static List<Float> list(float[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (float f : v) {
            out.add(f);
        }
        return out;
    }

    /** Publishes {@code count} pre-built examples to feedback-examples, keyed by the model as the service keys them. */
    static void prefill(Map<String, Object> client, Pool pool, int count) {
        Map<String, Object> p = new HashMap<>(client);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        p.put(ProducerConfig.BATCH_SIZE_CONFIG, 512 * 1024);
        p.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
        byte[] key = PROXY.getBytes(StandardCharsets.UTF_8);
        try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                new ByteArraySerializer())) {
            for (int i = 0; i < count; i++) {
                producer.send(new ProducerRecord<>(Topics.FEEDBACK_EXAMPLES, key, EXAMPLES.encode(example(i, pool))));
            }
            producer.flush();
        }
    }

    /** Waits until a published proxy version was trained on at least {@code examples} examples and the service is idle. */
    private RewardModelVersion awaitExamples(VersionWatch watch, int examples) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            watch.poll(Duration.ofMillis(200));
            VersionWatch.Seen s = watch.newest(PROXY);
            if (s != null && s.version().getFigures().getOrDefault("examples", 0.0) >= examples) {
                // the partial model is published with it; give the scorer time to swap both
                long settle = System.nanoTime() + Duration.ofSeconds(2).toNanos();
                while (System.nanoTime() < settle) {
                    watch.poll(Duration.ofMillis(200));
                }
                return watch.newest(PROXY).version();
            }
        }
        throw new IllegalStateException("no version trained on " + examples + " examples within " + timeout
                + " (look at the feedback service's log: refused by the gate?)");
    }

    /** One trigger: a feedback event that makes the service retrain, and requests until one is scored by the result. */
    private Trigger trigger(int i, LocalPipeline pipeline, VersionWatch watch, FeedbackClient feedback,
                            Requests requests, Pool pool) {
        long before = watch.newestVersion(PROXY);
        long partialBefore = watch.newestVersion(FeedbackRounds.PARTIAL);
        String expected = Long.toString(before + 1);
        SplittableRandom rng = new SplittableRandom(1000 + i);
        FeedbackEvent event = FeedbackClient.preference("trigger-" + i + "-" + System.nanoTime(), PROXY, "Tell me",
                pool.positive().get(rng.nextInt(pool.positive().size())) + " " + pool.positive().get(rng.nextInt(pool.positive().size())),
                pool.negative().get(rng.nextInt(pool.negative().size())) + " " + pool.negative().get(rng.nextInt(pool.negative().size())));
        long t0 = System.nanoTime();
        feedback.send(event);
        feedback.flush();
        double published = Double.NaN;
        double swapped = Double.NaN;
        double first = Double.NaN;
        long deadline = t0 + timeout.toNanos();
        long nextRequest = t0;
        while (Double.isNaN(first)) {
            long now = System.nanoTime();
            if (now > deadline) {
                throw new IllegalStateException("trigger " + i + ": no response scored by " + PROXY + " v" + expected
                        + " within " + timeout);
            }
            if (now >= nextRequest) {
                requests.send();
                nextRequest = now + 100_000_000L;
            }
            if (Double.isNaN(published)) {
                watch.poll(Duration.ofMillis(5));
                if (watch.newestVersion(PROXY) > before) {
                    published = (watch.newest(PROXY).readNanos() - t0) / 1e9;
                }
            }
            if (Double.isNaN(swapped) && expected.equals(pipeline.scorer().rewardModels().newestVersion(PROXY))) {
                swapped = (System.nanoTime() - t0) / 1e9;
            }
            for (AlignedResponse r : requests.poll(Duration.ofMillis(20))) {
                if (Double.isNaN(first) && expected.equals(r.getRewardModel().getVersion())) {
                    first = (System.nanoTime() - t0) / 1e9;
                }
            }
        }
        while (watch.newestVersion(FeedbackRounds.PARTIAL) <= partialBefore && System.nanoTime() < deadline) {
            watch.poll(Duration.ofMillis(50));
        }
        Map<String, Double> f = watch.newest(PROXY).version().getFigures();
        VersionWatch.Seen partial = watch.newest(FeedbackRounds.PARTIAL);
        double partialTrain = partial == null ? Double.NaN : partial.version().getFigures().getOrDefault("train_seconds", Double.NaN);
        requests.drain(Duration.ofMillis(500)); // answers still in flight
        return new Trigger(published, swapped, first, f.getOrDefault("train_seconds", Double.NaN), partialTrain,
                f.getOrDefault("examples", Double.NaN));
    }

    /** feedback events/s through the feedback stage's first step (features included), read on feedback-examples. */
    private double throughput(Map<String, Object> client, Pool pool, int events) {
        int warmup = Math.max(5, events / 10);
        try (TopicTail<byte[]> tail = new TopicTail<>(client, Topics.FEEDBACK_EXAMPLES,
                new org.apache.kafka.common.serialization.ByteArrayDeserializer());
             FeedbackClient feedback = new FeedbackClient(client)) {
            SplittableRandom rng = new SplittableRandom(7);
            for (int i = 0; i < events; i++) {
                String chosen = pool.positive().get(rng.nextInt(pool.positive().size())) + " "
                        + pool.positive().get(rng.nextInt(pool.positive().size()));
                String rejected = pool.negative().get(rng.nextInt(pool.negative().size())) + " "
                        + pool.negative().get(rng.nextInt(pool.negative().size()));
                feedback.send(FeedbackClient.preference("burst-" + i, PROXY, "Tell me", chosen, rejected));
            }
            feedback.flush();
            List<SteadyRate.Arrival> arrivals = new ArrayList<>();
            for (TopicTail.Received<byte[]> r : tail.take(events, timeout)) {
                arrivals.add(new SteadyRate.Arrival(r.nanos(), 1));
            }
            SteadyRate rate = SteadyRate.of(arrivals, warmup);
            System.out.printf(Locale.ROOT, "feedback_events_per_s: %d events (two joined sentences each side, %d prefix pairs each), "
                            + "%d after the first %d in %.2f s: %.1f events/s (the service's defaults: retraining "
                            + "every 50 events on the stored examples meanwhile)%n", events, Pool.PREFIX_WORDS.length,
                    rate.outputs(), warmup, rate.seconds(), rate.perSecond());
            return rate.perSecond();
        }
    }

    /** Cheap Best-of-2 requests of 8 tokens and their answers. */
    private static final class Requests implements AutoCloseable {
        private final KafkaProducer<String, PromptRequest> producer;
        private final KafkaConsumer<String, AlignedResponse> consumer;
        private int next;

        Requests(Map<String, Object> client) {
            Map<String, Object> p = new HashMap<>(client);
            p.put(ProducerConfig.LINGER_MS_CONFIG, 0);
            producer = new KafkaProducer<>(p, new org.apache.kafka.common.serialization.StringSerializer(),
                    Pipeline.PROMPTS.serde().serializer());
            Map<String, Object> c = new HashMap<>(client);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            consumer = new KafkaConsumer<>(c, new StringDeserializer(), Pipeline.ALIGNED_RESPONSES.serde().deserializer());
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.ALIGNED_RESPONSES, Duration.ofSeconds(30))
                    .stream().map(i -> new TopicPartition(i.topic(), i.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToEnd(partitions);
            partitions.forEach(consumer::position);
        }

        void send() {
            int k = next++;
            PromptRequest r = PromptRequest.newBuilder().setId("live-" + k).setPrompt("She was")
                    .setStrategy(Strategy.newBuilder().setMethod("best_of_n").setN(2).setTopK(0).setBeta(0.0)
                            .setTemperature(0.9).setTopP(0.95).setMaxNewTokens(8).setSeed(k).build())
                    .setCreatedAtMs(System.currentTimeMillis()).build();
            producer.send(new ProducerRecord<>(Topics.PROMPTS, r.getId(), r));
            producer.flush();
        }

        List<AlignedResponse> poll(Duration wait) {
            List<AlignedResponse> out = new ArrayList<>();
            for (ConsumerRecord<String, AlignedResponse> r : consumer.poll(wait)) {
                out.add(r.value());
            }
            return out;
        }

        void drain(Duration wait) {
            long end = System.nanoTime() + wait.toNanos();
            while (System.nanoTime() < end) {
                consumer.poll(Duration.ofMillis(50));
            }
        }

        @Override
        public void close() {
            producer.close(Duration.ofSeconds(5));
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
