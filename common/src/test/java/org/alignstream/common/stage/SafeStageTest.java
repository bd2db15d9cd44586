package org.alignstream.common.stage;

import org.alignstream.common.pipeline.Pipeline;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.serde.TestRecords;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class SafeStageTest {

  private static final String STAGE = "generator";
  private static final AvroSerde<PromptRequest> PROMPTS = Pipeline.PROMPTS.serde();
  private static final AvroSerde<CandidateSet> CANDIDATES = Pipeline.CANDIDATES.serde();

  private final StageMetrics metrics = new StageMetrics(STAGE);
  private TopologyTestDriver driver;
  private TestInputTopic<byte[], byte[]> input;
  private TestOutputTopic<byte[], byte[]> output;
  private TestOutputTopic<byte[], byte[]> deadLetters;

  /** The stage under test: rejects n = 0, fails on a prompt "boom", returns null for "null", else one candidate set. */
  private static CandidateSet generate(PromptRequest request) {
    if (request.getStrategy().getN() < 1) {
      throw new InvalidRecordException("n must be between 1 and 64, was " + request.getStrategy().getN());
    }
    if (request.getId().equals("boom")) {
      throw new IllegalStateException("model exploded");
    }
    if (request.getId().equals("null")) {
      return null;
    }
    if (request.getId().equals("unwritable")) {
      return new CandidateSet(); // required fields missing: cannot be encoded
    }
    return TestRecords.candidates(request);
  }

  private void start(StreamsBuilder builder) {
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "safe-stage-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    driver = new TopologyTestDriver(builder.build(), props);
    input = driver.createInputTopic(Topics.PROMPTS, Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer());
    output = driver.createOutputTopic(Topics.CANDIDATES, Serdes.ByteArray().deserializer(),
        Serdes.ByteArray().deserializer());
    deadLetters = driver.createOutputTopic(Topics.DEAD_LETTERS, Serdes.ByteArray().deserializer(),
        Serdes.ByteArray().deserializer());
  }

  private void startGenerator() {
    StreamsBuilder builder = new StreamsBuilder();
    SafeStage.add(builder, STAGE, Topics.PROMPTS, PROMPTS, Topics.CANDIDATES, CANDIDATES, SafeStageTest::generate,
        metrics);
    start(builder);
  }

  @AfterEach
  void close() {
    if (driver != null) {
      driver.close();
    }
  }

  private static byte[] key(String k) {
    return k.getBytes(StandardCharsets.UTF_8);
  }

  private void pipeGood(String id) {
    input.pipeInput(key(id), PROMPTS.encode(TestRecords.prompt(id, 2)));
  }

  private void assertGoodOutput(String id) {
    KeyValue<byte[], byte[]> kv = output.readKeyValue();
    assertThat(kv.key).isEqualTo(key(id));
    assertThat(CANDIDATES.decode(kv.value)).isEqualTo(TestRecords.candidates(TestRecords.prompt(id, 2)));
  }

  private DeadLetter readDeadLetter(byte[] expectedKey, byte[] expectedValue, long expectedOffset) {
    KeyValue<byte[], byte[]> kv = deadLetters.readKeyValue();
    assertThat(kv.key).isEqualTo(expectedKey);
    DeadLetter dl = DeadLetters.serde().decode(kv.value);
    assertThat(dl.getStage()).isEqualTo(STAGE);
    assertThat(dl.getSourceTopic()).isEqualTo(Topics.PROMPTS);
    assertThat(dl.getSourcePartition()).isEqualTo(0);
    assertThat(dl.getSourceOffset()).isEqualTo(expectedOffset);
    assertThat(DeadLetters.bytes(dl.getOriginalKey())).isEqualTo(expectedKey);
    assertThat(DeadLetters.bytes(dl.getOriginalValue())).isEqualTo(expectedValue);
    assertThat(dl.getTimestampMs()).isPositive();
    return dl;
  }

  @Test
  void goodRecordGoesThroughWithTheSameKey() {
    startGenerator();
    pipeGood("r1");
    assertGoodOutput("r1");
    assertThat(output.isEmpty()).isTrue();
    assertThat(deadLetters.isEmpty()).isTrue();
    assertThat(metrics.recordsIn()).isEqualTo(1);
    assertThat(metrics.recordsOut()).isEqualTo(1);
  }

  @Test
  void everyKindOfFailureIsDeadLetteredWithReasonAndOriginalBytesAndProcessingContinues() {
    startGenerator();
    byte[] garbage = "definitely not avro".getBytes(StandardCharsets.UTF_8);
    byte[] good = PROMPTS.encode(TestRecords.prompt("x", 2));
    byte[] truncated = Arrays.copyOf(good, good.length - 4);
    byte[] wrongType = CANDIDATES.encode(TestRecords.candidates(TestRecords.prompt("w", 1)));
    byte[] invalid = PROMPTS.encode(TestRecords.prompt("inv", 0));
    byte[] boom = PROMPTS.encode(TestRecords.prompt("boom", 2));
    byte[] nullResult = PROMPTS.encode(TestRecords.prompt("null", 2));
    byte[] unwritable = PROMPTS.encode(TestRecords.prompt("unwritable", 2));

    // each bad record is followed by a good one, which must still be processed
    List<byte[]> bad = List.of(garbage, truncated, wrongType, invalid, boom, nullResult, unwritable);
    for (int i = 0; i < bad.size(); i++) {
      input.pipeInput(key("bad" + i), bad.get(i));
      pipeGood("good" + i);
    }
    input.pipeInput(key("tombstone"), (byte[]) null);
    pipeGood("last");

    for (int i = 0; i < bad.size(); i++) {
      assertGoodOutput("good" + i);
    }
    assertGoodOutput("last");
    assertThat(output.isEmpty()).isTrue();

    DeadLetter dl = readDeadLetter(key("bad0"), garbage, 0);
    assertThat(dl.getReason()).isEqualTo("cannot decode PromptRequest: not Avro single-object encoding"
        + " (starts with 0x64 0x65, expected 0xC3 0x01)");
    assertThat(dl.getErrorClass()).isEqualTo("org.alignstream.common.serde.AvroDecodeException");

    dl = readDeadLetter(key("bad1"), truncated, 2);
    assertThat(dl.getReason()).startsWith("cannot decode PromptRequest: truncated or corrupt body");

    dl = readDeadLetter(key("bad2"), wrongType, 4);
    assertThat(dl.getReason()).isEqualTo("cannot decode PromptRequest: wrong record type, the bytes hold a"
        + " org.alignstream.avro.CandidateSet, expected org.alignstream.avro.PromptRequest");

    dl = readDeadLetter(key("bad3"), invalid, 6);
    assertThat(dl.getReason()).isEqualTo("invalid PromptRequest: n must be between 1 and 64, was 0");
    assertThat(dl.getErrorClass()).isEqualTo(InvalidRecordException.class.getName());

    dl = readDeadLetter(key("bad4"), boom, 8);
    assertThat(dl.getReason())
        .isEqualTo("stage generator failed on a PromptRequest: IllegalStateException: model exploded");
    assertThat(dl.getErrorClass()).isEqualTo("java.lang.IllegalStateException");

    dl = readDeadLetter(key("bad5"), nullResult, 10);
    assertThat(dl.getReason()).isEqualTo("stage generator returned no result (null) for a PromptRequest");
    assertThat(dl.getErrorClass()).isNull();

    dl = readDeadLetter(key("bad6"), unwritable, 12);
    assertThat(dl.getReason()).startsWith("stage generator produced an output it cannot write for a PromptRequest:"
        + " AvroEncodeException: cannot encode CandidateSet");

    dl = readDeadLetter(key("tombstone"), null, 14);
    assertThat(dl.getReason()).isEqualTo("record has no value (null); expected a PromptRequest");
    assertThat(deadLetters.isEmpty()).isTrue();

    assertThat(metrics.recordsIn()).isEqualTo(16);
    assertThat(metrics.recordsOut()).isEqualTo(8);
    assertThat(metrics.deadLetters(SafeStage.DECODE)).isEqualTo(3);
    assertThat(metrics.deadLetters(SafeStage.INVALID)).isEqualTo(1);
    assertThat(metrics.deadLetters(SafeStage.ERROR)).isEqualTo(1);
    assertThat(metrics.deadLetters(SafeStage.NULL_OUTPUT)).isEqualTo(1);
    assertThat(metrics.deadLetters(SafeStage.ENCODE)).isEqualTo(1);
    assertThat(metrics.deadLetters(SafeStage.NULL_INPUT)).isEqualTo(1);
  }

  @Test
  void routedStageWritesSeveralOutputsToDifferentTopicsOrNone() {
    StreamsBuilder builder = new StreamsBuilder();
    SafeStage.addRouted(builder, STAGE, Topics.PROMPTS, PROMPTS, request -> {
      int n = request.getStrategy().getN();
      if (n == 3) {
        // one good output and one that cannot be encoded: nothing is written, the input is dead-lettered
        return List.of(StageOutput.of(Topics.CANDIDATES, CANDIDATES, TestRecords.candidates(request)),
            StageOutput.of(Topics.CANDIDATES, CANDIDATES, new CandidateSet()));
      }
      if (n == 0) {
        return List.of();
      }
      return List.of(
          StageOutput.of(Topics.CANDIDATES, CANDIDATES, TestRecords.candidates(request)),
          StageOutput.withKey(Topics.ALIGNED_RESPONSES, key("echo"), PROMPTS, request));
    }, metrics);
    start(builder);
    TestOutputTopic<byte[], byte[]> echo = driver.createOutputTopic(Topics.ALIGNED_RESPONSES,
        Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());

    pipeGood("r1");
    input.pipeInput(key("none"), PROMPTS.encode(TestRecords.prompt("none", 0)));
    input.pipeInput(key("half"), PROMPTS.encode(TestRecords.prompt("half", 3)));

    assertGoodOutput("r1");
    assertThat(output.isEmpty()).isTrue();
    KeyValue<byte[], byte[]> kv = echo.readKeyValue();
    assertThat(kv.key).isEqualTo(key("echo"));
    assertThat(PROMPTS.decode(kv.value)).isEqualTo(TestRecords.prompt("r1", 2));
    assertThat(echo.isEmpty()).isTrue();
    DeadLetter dl = DeadLetters.serde().decode(deadLetters.readValue());
    assertThat(dl.getSourceOffset()).isEqualTo(2);
    assertThat(dl.getReason()).contains("cannot encode CandidateSet");
    assertThat(metrics.recordsIn()).isEqualTo(3);
    assertThat(metrics.recordsOut()).isEqualTo(2);
    assertThat(metrics.deadLetters(SafeStage.ENCODE)).isEqualTo(1);
  }
}
