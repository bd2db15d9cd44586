package org.alignstream.clients;

import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import org.alignstream.avro.DeadLetter;
import org.alignstream.common.runtime.KafkaClientOptions;
import org.alignstream.common.runtime.EnvironmentDefaultProvider;
import org.alignstream.common.stage.DeadLetters;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ops/dead-letters.sh}: lists the records on {@code dead-letters} (read committed, from the beginning to the end
 * at start), optionally filtered, one line each: where the dead letter is, the stage, where the record came from, its
 * key, the reason; with {@code --republish}, sends each listed record's original key and value bytes back to its source
 * topic (or {@code --to}), e.g. once the stage that failed on it is fixed. A record that still fails comes back as a
 * new dead letter.
 */
@Command(name = "dead-letters", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Lists dead letters (stage, source, key, reason) and can re-publish their original records.")
public final class DeadLetterTool implements Callable<Integer> {

    @Spec
    CommandSpec spec;

    @Mixin
    KafkaClientOptions kafka = new KafkaClientOptions();


    @Option(names = "--stage", description = "Only dead letters of this stage (generator, scorer, selector, feedback)")
    String stage;

    @Option(names = "--source-topic", description = "Only records that came from this topic")
    String sourceTopic;

    @Option(names = "--key", description = "Only the record with this original key (a request or event id)")
    String key;

    @Option(names = "--reason-contains", description = "Only dead letters whose reason contains this text")
    String reasonContains;

    @Option(names = "--republish", description = "Send each listed record's original key and value to its source topic")
    boolean republish;

    @Option(names = "--to", paramLabel = "TOPIC", description = "With --republish: send to this topic instead")
    String to;

    @Option(names = "--timeout-ms", defaultValue = "30000",
            description = "How long to wait for the topic's metadata and records (default: ${DEFAULT-VALUE})")
    long timeoutMs;

    /** One dead letter and where it is on the dead-letters topic. */
    public record Entry(int partition, long offset, DeadLetter letter) {
        /** The original key as text (UTF-8), or "" if none. */
        public String keyText() {
            return letter.getOriginalKey() == null ? "" : text(letter.getOriginalKey());
        }
    }

    /** Dead letters from the beginning of the topic to its end now, matching the filters. */
    public List<Entry> read(Map<String, Object> clientConfig) {
        Map<String, Object> c = new HashMap<>(clientConfig);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
        c.put(ConsumerConfig.CLIENT_ID_CONFIG, "alignstream-dead-letters-" + UUID.randomUUID());
        List<Entry> out = new ArrayList<>();
        Duration timeout = Duration.ofMillis(timeoutMs);
        try (KafkaConsumer<byte[], byte[]> consumer =
                     new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            for (PartitionInfo info : consumer.partitionsFor(Topics.DEAD_LETTERS, timeout)) {
                partitions.add(new TopicPartition(info.topic(), info.partition()));
            }
            if (partitions.isEmpty()) {
                throw new IllegalStateException("topic " + Topics.DEAD_LETTERS + " does not exist");
            }
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("did not reach the end of " + Topics.DEAD_LETTERS + " within " + timeout);
                }
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.value() == null) {
                        continue;
                    }
                    DeadLetter letter = DeadLetters.serde().decode(r.value());
                    Entry e = new Entry(r.partition(), r.offset(), letter);
                    if (matches(e)) {
                        out.add(e);
                    }
                }
            }
        }
        return out;
    }

    private boolean matches(Entry e) {
        DeadLetter d = e.letter();
        return (stage == null || stage.equals(d.getStage()))
                && (sourceTopic == null || sourceTopic.equals(d.getSourceTopic()))
                && (key == null || key.equals(e.keyText()))
                && (reasonContains == null || d.getReason().contains(reasonContains));
    }

    /** Sends each entry's original key and value to its source topic (or {@code --to}); returns how many. */
    public int republish(Map<String, Object> clientConfig, List<Entry> entries) throws Exception {
        Map<String, Object> p = new HashMap<>(clientConfig);
        p.put(ProducerConfig.ACKS_CONFIG, "all");
        p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        int n = 0;
        try (KafkaProducer<byte[], byte[]> producer =
                     new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer())) {
            for (Entry e : entries) {
                DeadLetter d = e.letter();
                String topic = to != null ? to : d.getSourceTopic();
                producer.send(new ProducerRecord<>(topic, bytes(d.getOriginalKey()), bytes(d.getOriginalValue()))).get();
                n++;
            }
        }
        return n;
    }

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Map<String, Object> config = kafka.clientConfig();
        List<Entry> entries;
        try {
            entries = read(config);
        } catch (RuntimeException e) {
            spec.commandLine().getErr().println("cannot read " + Topics.DEAD_LETTERS + " on " + kafka.bootstrapServers() + ": "
                    + e.getMessage());
            return AlignClient.EXIT_UNREACHABLE;
        }
        for (Entry e : entries) {
            DeadLetter d = e.letter();
            out.printf("%s-%d@%d\t%s\t%s\t%s-%d@%d\tkey=%s\t%s%s%n", Topics.DEAD_LETTERS, e.partition(), e.offset(),
                    Instant.ofEpochMilli(d.getTimestampMs()), d.getStage(), d.getSourceTopic(), d.getSourcePartition(),
                    d.getSourceOffset(), e.keyText(), d.getReason(),
                    d.getErrorClass() == null ? "" : " (" + d.getErrorClass() + ")");
        }
        out.printf("%d dead letter(s)%n", entries.size());
        if (republish) {
            int n = republish(config, entries);
            out.printf("re-published %d record(s)%s%n", n, to == null ? " to their source topics" : " to " + to);
        }
        out.flush();
        return 0;
    }

    private static byte[] bytes(ByteBuffer b) {
        if (b == null) {
            return null;
        }
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }

    private static String text(ByteBuffer b) {
        return new String(bytes(b), StandardCharsets.UTF_8);
    }

    /** The command line with options defaulting from {@code ALIGNSTREAM_*} variables of {@code environment}. */
    public static CommandLine commandLine(Map<String, String> environment) {
        CommandLine cl = new CommandLine(new DeadLetterTool());
        cl.setDefaultValueProvider(new EnvironmentDefaultProvider(environment));
        return cl;
    }

    public static void main(String[] args) {
        System.exit(commandLine(System.getenv()).execute(args));
    }
}
