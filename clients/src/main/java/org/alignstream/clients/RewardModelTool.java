package org.alignstream.clients;

import org.alignstream.common.pipeline.Pipeline;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.common.runtime.KafkaClientOptions;
import org.alignstream.common.runtime.ModelStoreOptions;
import org.alignstream.common.models.ModelStore;
import org.alignstream.common.runtime.EnvironmentDefaultProvider;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;

/**
 * {@code ops/reward-models.sh}: lists the reward-model versions on {@code reward-models} and rolls a model back by
 * republishing an earlier version's head as a new, higher version (scorers only move up; the feedback service then
 * builds on it). Under access control, run it with the feedback service's credentials ({@code -c key=value}).
 */
@Command(name = "reward-models", mixinStandardHelpOptions = true, subcommands = {RewardModelTool.ListVersions.class,
        RewardModelTool.Rollback.class}, description = "Lists reward-model versions and rolls a model back.")
public final class RewardModelTool {

    private static final AvroSerde<RewardModelVersion> VERSIONS = Pipeline.REWARD_MODELS.serde();
    /** The largest head the tool reads back (inline or from a model store). */
    static final long MAX_HEAD_BYTES = 64L << 20;

    @Mixin
    KafkaClientOptions kafka = new KafkaClientOptions();


    Map<String, Object> clientConfig() {
        return kafka.clientConfig();
    }

    /** Every version on the topic, by model then version. */
    static List<RewardModelVersion> versions(Map<String, Object> clientConfig) {
        Map<String, Object> c = new HashMap<>(clientConfig);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 16 << 20);
        Map<String, RewardModelVersion> byKey = new HashMap<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
                new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = consumer.partitionsFor(Topics.REWARD_MODELS, Duration.ofSeconds(30))
                    .stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() != null) {
                        byKey.put(new String(r.key(), StandardCharsets.UTF_8), VERSIONS.decode(r.value()));
                    }
                }
            }
        }
        List<RewardModelVersion> out = new ArrayList<>(byKey.values());
        out.sort(Comparator.comparing(RewardModelVersion::getModelId).thenComparingLong(RewardModelVersion::getVersion));
        return out;
    }

    /**
     * The record that rolls {@code model} back to {@code good}: its head re-exported as version {@code newest + 1}
     * (head metadata included), parent {@code good}.
     */
    static RewardModelVersion rollback(List<RewardModelVersion> versions, String model, long good, long nowMs) {
        return rollback(versions, model, good, nowMs, null);
    }

    /**
     * {@link #rollback(List, String, long, long)} for versions that may live in a model store: a version published as
     * a {@code uri} is read from {@code store} and its renumbered head written back there (as the newest version).
     */
    static RewardModelVersion rollback(List<RewardModelVersion> versions, String model, long good, long nowMs,
                                       ModelStore store) {
        RewardModelVersion target = versions.stream()
                .filter(v -> v.getModelId().equals(model) && v.getVersion() == good).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no version " + good + " of " + model + " on "
                        + Topics.REWARD_MODELS));
        long newest = versions.stream().filter(v -> v.getModelId().equals(model))
                .mapToLong(RewardModelVersion::getVersion).max().orElseThrow();
        byte[] bytes = ModelStore.payload(target, store, MAX_HEAD_BYTES);
        LinearHead head = RewardHeadOnnx.read(bytes, model + " v" + good);
        HeadMetadata m = head.metadata();
        LinearHead renumbered = new LinearHead(head.weights(), head.bias(),
                new HeadMetadata(m.id(), Long.toString(newest + 1), m.kind(), m.featureDim(), m.encoder()));
        Map<String, Double> figures = new HashMap<>(target.getFigures());
        figures.put("rollback_of", (double) good);
        byte[] head2 = RewardHeadOnnx.write(renumbered);
        RewardModelVersion.Builder out = RewardModelVersion.newBuilder(target).setVersion(newest + 1)
                .setParentVersion(good).setFigures(figures).setCreatedAtMs(nowMs);
        if (target.getUri() != null) { // it lived in the model store: so does its renumbered copy
            return out.setHeadOnnx(null).setUri(store.write(model, newest + 1, head2).toString()).build();
        }
        return out.setHeadOnnx(ByteBuffer.wrap(head2)).setUri(null).build();
    }

    @Command(name = "list", description = "Lists every version on reward-models.")
    static final class ListVersions implements Callable<Integer> {
        @ParentCommand
        RewardModelTool parent;
        @Spec
        CommandSpec spec;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            for (RewardModelVersion v : versions(parent.clientConfig())) {
                out.printf(Locale.ROOT, "%s@%d parent=%s kind=%s backbone=%s%s figures=%s%n", v.getModelId(), v.getVersion(),
                        v.getParentVersion(), v.getKind(), v.getBackbone(),
                        v.getUri() == null ? "" : " uri=" + v.getUri(), v.getFigures());
            }
            out.flush();
            return 0;
        }
    }

    @Command(name = "rollback", description = "Republishes version --to-version of --model as its newest version.")
    static final class Rollback implements Callable<Integer> {
        @ParentCommand
        RewardModelTool parent;
        @Spec
        CommandSpec spec;
        @Option(names = "--model", required = true, description = "Reward model id, e.g. sentiment")
        String model;
        @Option(names = "--to-version", required = true, description = "The version to serve again")
        long toVersion;
        @Mixin
        ModelStoreOptions modelStore = new ModelStoreOptions();

        @Override
        public Integer call() throws Exception {
            RewardModelVersion v = rollback(versions(parent.clientConfig()), model, toVersion, System.currentTimeMillis(),
                    modelStore.store());
            Map<String, Object> p = new HashMap<>(parent.clientConfig());
            p.put(ProducerConfig.ACKS_CONFIG, "all");
            p.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 16 << 20);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(p, new ByteArraySerializer(),
                    new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>(Topics.REWARD_MODELS,
                        (v.getModelId() + "@" + v.getVersion()).getBytes(StandardCharsets.UTF_8), VERSIONS.encode(v))).get();
            }
            spec.commandLine().getOut().printf(Locale.ROOT, "published %s@%d (the head of version %d)%n", v.getModelId(),
                    v.getVersion(), toVersion);
            spec.commandLine().getOut().flush();
            return 0;
        }
    }

    public static CommandLine commandLine(Map<String, String> environment) {
        CommandLine cl = new CommandLine(new RewardModelTool());
        cl.setDefaultValueProvider(new EnvironmentDefaultProvider(environment));
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine(System.getenv()).execute(args));
    }
}
