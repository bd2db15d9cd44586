package org.alignstream.common.testing;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.alignstream.avro.DeadLetter;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.DeadLetters;
import org.alignstream.common.topics.Topics;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.TopologyTestDriver;

/**
 * A {@link TopologyTestDriver} for one pipeline stage: its input topic, its output topic and the dead-letters topic,
 * all as byte arrays (the stages read and write raw bytes and decode them themselves).
 *
 * <pre>{@code
 * try (StageTestDriver stage = new StageTestDriver(ScorerTopology.build(ScorerConfig.DEFAULT, models, metrics),
 *         ScorerTopology.STAGE, Topics.CANDIDATES, Topics.SCORED_CANDIDATES)) {
 *     stage.pipe("r1", bytes);
 *     ScoredCandidateSet out = stage.readOutput("r1", SCORED);
 * }
 * }</pre>
 */
public final class StageTestDriver implements AutoCloseable {

    private final String stage;
    private final String inputTopic;
    private final TopologyTestDriver driver;
    private final TestInputTopic<byte[], byte[]> input;
    private final TestOutputTopic<byte[], byte[]> output;
    private final TestOutputTopic<byte[], byte[]> deadLetters;
    private final Map<String, TestInputTopic<byte[], byte[]>> otherInputs = new HashMap<>();
    private final Map<String, TestOutputTopic<byte[], byte[]>> otherOutputs = new HashMap<>();

    /**
     * @param topology    the stage's topology
     * @param stage       the stage name its dead letters carry; the application id is {@code <stage>-topology-test}
     * @param inputTopic  the topic the stage reads
     * @param outputTopic the topic the stage writes its results to
     */
    public StageTestDriver(Topology topology, String stage, String inputTopic, String outputTopic) {
        this.stage = stage;
        this.inputTopic = inputTopic;
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, stage + "-topology-test");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
        driver = new TopologyTestDriver(topology, props);
        input = driver.createInputTopic(inputTopic, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
        output = driver.createOutputTopic(outputTopic, Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer());
        deadLetters = driver.createOutputTopic(Topics.DEAD_LETTERS, Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer());
    }

    /** The UTF-8 bytes of a record key. */
    public static byte[] key(String k) {
        return k.getBytes(StandardCharsets.UTF_8);
    }

    /** Pipes one record with key {@code key(key)} into the input topic; {@code value} may be null (a tombstone). */
    public void pipe(String key, byte[] value) {
        input.pipeInput(key(key), value);
    }

    /** Pipes one record into another topic the stage reads (a stage with several inputs). */
    public void pipe(String topic, String key, byte[] value) {
        otherInputs.computeIfAbsent(topic, t -> driver.createInputTopic(t, Serdes.ByteArray().serializer(),
                Serdes.ByteArray().serializer())).pipeInput(key(key), value);
    }

    /** Another topic the stage writes (a stage with several outputs). */
    public TestOutputTopic<byte[], byte[]> output(String topic) {
        if (topic.equals(Topics.DEAD_LETTERS)) {
            return deadLetters;
        }
        return otherOutputs.computeIfAbsent(topic, t -> driver.createOutputTopic(t, Serdes.ByteArray().deserializer(),
                Serdes.ByteArray().deserializer()));
    }

    /** Reads the next record of {@code topic}, asserts its key is {@code key(expectedKey)} and decodes its value. */
    public <T extends SpecificRecord> T readOutput(String topic, String expectedKey, AvroSerde<T> serde) {
        KeyValue<byte[], byte[]> kv = output(topic).readKeyValue();
        assertThat(kv.key).as("key on %s", topic).isEqualTo(key(expectedKey));
        return serde.decode(kv.value);
    }

    /** Reads the next output record, asserts its key is {@code key(expectedKey)} and decodes its value. */
    public <T extends SpecificRecord> T readOutput(String expectedKey, AvroSerde<T> serde) {
        KeyValue<byte[], byte[]> kv = output.readKeyValue();
        assertThat(kv.key).as("output key").isEqualTo(key(expectedKey));
        return serde.decode(kv.value);
    }

    /**
     * Reads the next dead letter and asserts that its record key is {@code key(expectedKey)}, that it names this stage
     * and its input topic, and that it carries {@code expectedValue} as the original bytes.
     *
     * @return the decoded dead letter, for assertions on its reason and the rest
     */
    public DeadLetter readDeadLetter(String expectedKey, byte[] expectedValue) {
        return readDeadLetter(inputTopic, expectedKey, expectedValue);
    }

    /** {@link #readDeadLetter(String, byte[])} for a record read from {@code sourceTopic}. */
    public DeadLetter readDeadLetter(String sourceTopic, String expectedKey, byte[] expectedValue) {
        KeyValue<byte[], byte[]> kv = deadLetters.readKeyValue();
        assertThat(kv.key).as("dead letter key for %s", expectedKey).isEqualTo(key(expectedKey));
        DeadLetter dl = DeadLetters.serde().decode(kv.value);
        assertThat(dl.getStage()).as("stage of the dead letter for %s", expectedKey).isEqualTo(stage);
        assertThat(dl.getSourceTopic()).as("source topic of the dead letter for %s", expectedKey).isEqualTo(sourceTopic);
        assertThat(DeadLetters.bytes(dl.getOriginalValue())).as("original value of the dead letter for %s", expectedKey)
                .isEqualTo(expectedValue);
        return dl;
    }

    /** The output topic, for what {@link #readOutput} does not cover (emptiness, reading several records). */
    public TestOutputTopic<byte[], byte[]> output() {
        return output;
    }

    /** The dead-letters topic, for what {@link #readDeadLetter} does not cover. */
    public TestOutputTopic<byte[], byte[]> deadLetters() {
        return deadLetters;
    }

    /** The underlying driver (state stores, metrics). */
    public TopologyTestDriver driver() {
        return driver;
    }

    /** Advances the driver's wall clock, running the wall-clock punctuations due. */
    public void advanceWallClockTime(java.time.Duration by) {
        driver.advanceWallClockTime(by);
    }

    @Override
    public void close() {
        driver.close();
    }
}
