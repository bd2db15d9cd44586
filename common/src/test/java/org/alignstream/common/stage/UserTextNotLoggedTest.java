package org.alignstream.common.stage;

import org.alignstream.common.pipeline.Pipeline;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.Properties;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroEncodeException;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.serde.TestRecords;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.junit.jupiter.api.Test;

/**
 * Avro puts the offending value into some exception messages (a value not in its union, a datum of an unknown type).
 * When that value is a user's text, it must reach neither a log line, nor a dead letter's reason, nor the message or
 * cause chain of the exception that is logged; the dead letter keeps the original bytes for inspection.
 */
class UserTextNotLoggedTest {

  private static final String SECRET = "my bank password is hunter2, please rewrite this";
  private static final AvroSerde<PromptRequest> PROMPTS = Pipeline.PROMPTS.serde();
  private static final AvroSerde<FeedbackEvent> EVENTS = Pipeline.FEEDBACK.serde();

  /** An output whose union field holds the prompt text itself: Avro cannot encode it and names the value. */
  private static FeedbackEvent badOutput(String text) {
    return FeedbackEvent.newBuilder().setId("e").setRewardModel("sentiment").setTimeMs(1L).setEvent(text).build();
  }

  @Test
  void anEncodingErrorDoesNotCarryTheValue() {
    Throwable e = org.assertj.core.api.Assertions.catchThrowable(() -> EVENTS.encode(badOutput(SECRET)));
    assertThat(e).isInstanceOf(AvroEncodeException.class).hasMessageContaining("not in the union")
        .hasMessageContaining("String").hasMessageNotContaining("hunter2");
    for (Throwable t = e; t != null; t = t.getCause()) {
      assertThat(String.valueOf(t.getMessage())).doesNotContain("hunter2");
    }
    StringWriter trace = new StringWriter();
    e.printStackTrace(new PrintWriter(trace));
    assertThat(trace.toString()).doesNotContain("hunter2").contains("at org.apache.avro");
    assertThat(DeadLetters.describe(e)).doesNotContain("hunter2");
    assertThatThrownBy(() -> EVENTS.encode(badOutput("x"))).isInstanceOf(AvroEncodeException.class);
  }

  @Test
  void aStageFailingOnUserTextLogsAndDeadLettersNeitherTheText() {
    StreamsBuilder builder = new StreamsBuilder();
    StageMetrics metrics = new StageMetrics("leaky");
    SafeStage.add(builder, "leaky", Topics.PROMPTS, PROMPTS, Topics.CANDIDATES, EVENTS,
        request -> badOutput(request.getPrompt()), metrics);
    Properties props = new Properties();
    props.put(StreamsConfig.APPLICATION_ID_CONFIG, "user-text-test");
    props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "unused:9092");
    PromptRequest request = PromptRequest.newBuilder(TestRecords.prompt("r1", 2)).setPrompt(SECRET).build();
    byte[] original = PROMPTS.encode(request);

    PrintStream err = System.err;
    PrintStream out = System.out;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream capture = new PrintStream(captured, true, StandardCharsets.UTF_8);
    DeadLetter letter;
    try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
      System.setErr(capture); // slf4j-simple writes to whatever System.err is at the time of the call
      System.setOut(capture);
      TestInputTopic<byte[], byte[]> in = driver.createInputTopic(Topics.PROMPTS, Serdes.ByteArray().serializer(),
          Serdes.ByteArray().serializer());
      TestOutputTopic<byte[], byte[]> dead = driver.createOutputTopic(Topics.DEAD_LETTERS,
          Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
      in.pipeInput("r1".getBytes(StandardCharsets.UTF_8), original);
      letter = DeadLetters.serde().decode(dead.readValue());
    } finally {
      System.setErr(err);
      System.setOut(out);
    }
    String logs = captured.toString(StandardCharsets.UTF_8);
    assertThat(logs).as("the failure is logged").contains("sent to " + Topics.DEAD_LETTERS).contains("not in the union");
    assertThat(logs).doesNotContain("hunter2");
    assertThat(letter.getReason()).contains("cannot encode FeedbackEvent").doesNotContain("hunter2");
    assertThat(DeadLetters.bytes(letter.getOriginalValue())).as("the original bytes are kept").isEqualTo(original);
    assertThat(metrics.deadLetters(SafeStage.ENCODE)).isEqualTo(1);
  }
}
