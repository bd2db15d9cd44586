package org.alignstream.common.runtime;

import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.TestRecords;
import org.alignstream.common.stage.DeadLetterDeserializationExceptionHandler;
import org.alignstream.common.stage.DeadLetterHandlerConfig;
import org.alignstream.common.stage.DeadLetterProcessingExceptionHandler;
import org.alignstream.common.stage.DeadLetterProductionExceptionHandler;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

class StreamsCommandTest {

  /** A minimal stage: prompts to candidates. */
  @Command(name = "echo-stage", description = "test stage")
  static final class EchoCommand extends StreamsCommand {
    @Option(names = "--model-dir", description = "a stage-specific option")
    Path modelDir;

    final List<String> calls = new ArrayList<>();

    @Override
    protected Topology buildTopology(StageMetrics metrics) {
      calls.add("buildTopology");
      StreamsBuilder builder = new StreamsBuilder();
      SafeStage.add(builder, stageName(), Topics.PROMPTS, Pipeline.PROMPTS.serde(), Topics.CANDIDATES,
          Pipeline.CANDIDATES.serde(), TestRecords::candidates, metrics);
      return builder.build();
    }

    @Override
    protected StageSpec stage() {
      return new StageSpec("echo", "common", "alignstream-echo", EchoCommand.class.getName(),
          List.of(Pipeline.PROMPTS), List.of(Pipeline.CANDIDATES, Pipeline.DEAD_LETTERS));
    }

    @Override
    protected void onStart() {
      calls.add("onStart");
    }

    @Override
    protected void onClose() {
      calls.add("onClose");
    }
  }

  private static EchoCommand parse(Map<String, String> env, String... args) {
    return StreamsCommand.parse(new EchoCommand(), env, args);
  }

  @Test
  void defaults() {
    EchoCommand c = parse(Map.of());
    assertThat(c.bootstrapServers()).isEqualTo("localhost:9092");
    assertThat(c.applicationId()).isEqualTo("alignstream-echo");
    assertThat(c.stateDir()).isNull();
    assertThat(c.numStreamThreads()).isEqualTo(1);
    assertThat(c.processingGuarantee()).isEqualTo("exactly_once_v2");
    assertThat(c.commitIntervalMs()).isEqualTo(10);
    assertThat(c.producerLingerMs()).isEqualTo(5);
    assertThat(c.httpPort()).isZero();
    assertThat(c.topicPartitions()).isEqualTo(6);
    assertThat(c.replicationFactor()).isEqualTo((short) 1);
    assertThat(c.createTopics()).isTrue();
    assertThat(c.config()).isEmpty();
    assertThat(c.modelDir).isNull();
  }

  @Test
  void flags() {
    EchoCommand c = parse(Map.of(), "--bootstrap-servers", "k1:9092,k2:9092", "--application-id", "my-app",
        "--state-dir", "/tmp/s", "--num-stream-threads", "3", "--processing-guarantee", "at_least_once",
        "--commit-interval-ms", "250", "--producer-linger-ms", "0", "--http-port", "-1", "--topic-partitions", "12",
        "--replication-factor", "3", "--create-topics=false", "--model-dir", "/models", "-c", "acks=all",
        "--config", "bootstrap.servers=a:1,b:2", "-c", "x=1,y=2");
    assertThat(c.bootstrapServers()).isEqualTo("k1:9092,k2:9092");
    assertThat(c.applicationId()).isEqualTo("my-app");
    assertThat(c.stateDir()).isEqualTo("/tmp/s");
    assertThat(c.numStreamThreads()).isEqualTo(3);
    assertThat(c.processingGuarantee()).isEqualTo("at_least_once");
    assertThat(c.commitIntervalMs()).isEqualTo(250);
    assertThat(c.producerLingerMs()).isZero();
    assertThat(c.httpPort()).isEqualTo(-1);
    assertThat(c.topicPartitions()).isEqualTo(12);
    assertThat(c.replicationFactor()).isEqualTo((short) 3);
    assertThat(c.createTopics()).isFalse();
    assertThat(c.modelDir).isEqualTo(Path.of("/models"));
    assertThat(c.config()).containsExactly(Map.entry("acks", "all"), Map.entry("bootstrap.servers", "a:1,b:2"),
        Map.entry("x", "1"), Map.entry("y", "2"));
  }

  @Test
  void createTopicsFlagWithoutValueMeansTrue() {
    assertThat(parse(Map.of("ALIGNSTREAM_CREATE_TOPICS", "false"), "--create-topics").createTopics()).isTrue();
    assertThat(parse(Map.of(), "--create-topics", "false").createTopics()).isFalse();
  }

  @Test
  void everyOptionCanComeFromTheEnvironment() {
    Map<String, String> env = Map.ofEntries(
        Map.entry("ALIGNSTREAM_BOOTSTRAP_SERVERS", "env:9092"),
        Map.entry("ALIGNSTREAM_APPLICATION_ID", "env-app"),
        Map.entry("ALIGNSTREAM_STATE_DIR", "/var/state"),
        Map.entry("ALIGNSTREAM_NUM_STREAM_THREADS", "2"),
        Map.entry("ALIGNSTREAM_PROCESSING_GUARANTEE", "at_least_once"),
        Map.entry("ALIGNSTREAM_COMMIT_INTERVAL_MS", "1000"),
        Map.entry("ALIGNSTREAM_PRODUCER_LINGER_MS", "20"),
        Map.entry("ALIGNSTREAM_HTTP_PORT", "8081"),
        Map.entry("ALIGNSTREAM_TOPIC_PARTITIONS", "3"),
        Map.entry("ALIGNSTREAM_REPLICATION_FACTOR", "2"),
        Map.entry("ALIGNSTREAM_CREATE_TOPICS", "false"),
        Map.entry("ALIGNSTREAM_MODEL_DIR", "/env/models"),
        Map.entry("ALIGNSTREAM_CONFIG", "linger.ms=7,bootstrap.servers=a:1,b:2"),
        Map.entry("UNRELATED", "x"));
    EchoCommand c = parse(env);
    assertThat(c.bootstrapServers()).isEqualTo("env:9092");
    assertThat(c.applicationId()).isEqualTo("env-app");
    assertThat(c.stateDir()).isEqualTo("/var/state");
    assertThat(c.numStreamThreads()).isEqualTo(2);
    assertThat(c.processingGuarantee()).isEqualTo("at_least_once");
    assertThat(c.commitIntervalMs()).isEqualTo(1000);
    assertThat(c.producerLingerMs()).isEqualTo(20);
    assertThat(c.httpPort()).isEqualTo(8081);
    assertThat(c.topicPartitions()).isEqualTo(3);
    assertThat(c.replicationFactor()).isEqualTo((short) 2);
    assertThat(c.createTopics()).isFalse();
    assertThat(c.modelDir).isEqualTo(Path.of("/env/models"));
    assertThat(c.config()).containsExactly(Map.entry("linger.ms", "7"), Map.entry("bootstrap.servers", "a:1,b:2"));
  }

  @Test
  void flagsWinOverTheEnvironmentAndBlankVariablesAreIgnored() {
    Map<String, String> env = Map.of("ALIGNSTREAM_BOOTSTRAP_SERVERS", "env:9092", "ALIGNSTREAM_HTTP_PORT", "8081",
        "ALIGNSTREAM_NUM_STREAM_THREADS", " ");
    EchoCommand c = parse(env, "--bootstrap-servers", "flag:9092");
    assertThat(c.bootstrapServers()).isEqualTo("flag:9092");
    assertThat(c.httpPort()).isEqualTo(8081);
    assertThat(c.numStreamThreads()).isEqualTo(1);
  }

  @Test
  void variableNames() {
    assertThat(EnvironmentDefaultProvider.variableName("--bootstrap-servers")).isEqualTo("ALIGNSTREAM_BOOTSTRAP_SERVERS");
    assertThat(EnvironmentDefaultProvider.variableName("--config")).isEqualTo("ALIGNSTREAM_CONFIG");
    assertThat(EnvironmentDefaultProvider.variableName("-c")).isEqualTo("ALIGNSTREAM_C");
  }

  @Test
  void badArgumentsGiveAUsageErrorExitCode() {
    EchoCommand c = new EchoCommand();
    CommandLine cl = StreamsCommand.commandLine(c, Map.of());
    StringWriter err = new StringWriter();
    cl.setErr(new PrintWriter(err));
    assertThat(cl.execute("--num-stream-threads", "many")).isEqualTo(2);
    assertThat(err.toString()).contains("Invalid value for option '--num-stream-threads': 'many' is not an int");
    assertThat(c.calls).isEmpty();
  }

  @Test
  void helpListsTheOptions() {
    StringWriter out = new StringWriter();
    CommandLine cl = StreamsCommand.commandLine(new EchoCommand(), Map.of());
    cl.setOut(new PrintWriter(out));
    assertThat(cl.execute("--help")).isZero();
    assertThat(out.toString()).contains("Usage: echo-stage").contains("--bootstrap-servers").contains("--model-dir")
        .contains("default: localhost:9092");
  }

  @Test
  void invalidValuesAreRejectedAtStartWithAClearMessage() {
    EchoCommand c = parse(Map.of(), "--processing-guarantee", "exactly_once");
    assertThatThrownBy(c::start).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("--processing-guarantee must be at_least_once or exactly_once_v2, was exactly_once");
    assertThatThrownBy(parse(Map.of(), "--topic-partitions", "0")::start)
        .hasMessage("--topic-partitions must be >= 1, was 0");
    assertThat(c.calls).isEmpty();
  }

  @Test
  void streamsPropertiesFollowTheOptionsAndConfigEntriesWin() {
    EchoCommand c = parse(Map.of(), "--bootstrap-servers", "k:9092", "--state-dir", "/tmp/st", "-c",
        "producer.linger.ms=50", "-c", "max.poll.records=10");
    StageMetrics metrics = new StageMetrics("echo");
    Properties p = c.streamsProperties(metrics);
    assertThat(p.get(StreamsConfig.APPLICATION_ID_CONFIG)).isEqualTo("alignstream-echo");
    assertThat(p.get(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG)).isEqualTo("k:9092");
    assertThat(p.get(StreamsConfig.STATE_DIR_CONFIG)).isEqualTo("/tmp/st");
    assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("exactly_once_v2");
    assertThat(p.get(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG)).isEqualTo(10L);
    assertThat(p.get("producer.transaction.timeout.ms")).isEqualTo(10_000);
    assertThat(p.get("producer.linger.ms")).isEqualTo("50");
    assertThat(p.get("max.poll.records")).isEqualTo("10");
    assertThat(p.get(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG))
        .isEqualTo(DeadLetterDeserializationExceptionHandler.class);
    assertThat(p.get(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG))
        .isEqualTo(DeadLetterProductionExceptionHandler.class);
    assertThat(p.get(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG))
        .isEqualTo(DeadLetterProcessingExceptionHandler.class);
    assertThat(p.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG)).isEqualTo(Topics.DEAD_LETTERS);
    assertThat(p.get(DeadLetterHandlerConfig.STAGE_NAME_CONFIG)).isEqualTo("echo");
    assertThat(p.get(DeadLetterHandlerConfig.STAGE_METRICS_CONFIG)).isSameAs(metrics);

    // Kafka Streams accepts the configuration and configures the handlers from it
    StreamsConfig config = new StreamsConfig(p);
    assertThat(config.getProducerConfigs("c").get("linger.ms")).isEqualTo("50");
    assertThat(config.deserializationExceptionHandler()).isInstanceOf(DeadLetterDeserializationExceptionHandler.class);
  }

  @Test
  void securitySettingsReachEveryClientTheStageCreates() {
    String jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"scorer\""
        + " password=\"p4ss-w0rd\";";
    Map<String, String> fromFlags = Map.of();
    EchoCommand flags = parse(fromFlags, "-c", "security.protocol=SASL_PLAINTEXT", "-c", "sasl.mechanism=SCRAM-SHA-256",
        "--config=sasl.jaas.config=" + jaas);
    EchoCommand env = parse(Map.of("ALIGNSTREAM_CONFIG",
        "security.protocol=SASL_PLAINTEXT,sasl.mechanism=SCRAM-SHA-256,sasl.jaas.config=" + jaas));
    for (EchoCommand c : List.of(flags, env)) {
      StreamsConfig config = new StreamsConfig(c.streamsProperties(null));
      List<Map<String, Object>> clients = List.of(config.getMainConsumerConfigs("g", "c", 0),
          config.getRestoreConsumerConfigs("c"), config.getGlobalConsumerConfigs("c"), config.getProducerConfigs("c"),
          config.getAdminConfigs("c"));
      for (Map<String, Object> client : clients) {
        assertThat(client).containsEntry("security.protocol", "SASL_PLAINTEXT")
            .containsEntry("sasl.mechanism", "SCRAM-SHA-256");
        assertThat(String.valueOf(client.get("sasl.jaas.config"))).isEqualTo(jaas);
      }
    }
  }

  @Test
  void onlyAStaticGroupMemberStaysInItsGroupOnClose() {
    assertThat(StreamsCommand.isStaticMember(parse(Map.of()).streamsProperties(null))).isFalse();
    assertThat(StreamsCommand.isStaticMember(parse(Map.of(), "-c", "max.poll.records=10").streamsProperties(null)))
        .isFalse();
    for (String key : new String[] {"group.instance.id", "consumer.group.instance.id",
        "main.consumer.group.instance.id"}) {
      assertThat(StreamsCommand.isStaticMember(parse(Map.of(), "-c", key + "=echo-1").streamsProperties(null)))
          .as(key).isTrue();
      assertThat(StreamsCommand.isStaticMember(parse(Map.of(), "-c", key + "= ").streamsProperties(null)))
          .as(key + " blank").isFalse();
    }
  }

  @Test
  void startsWithoutABrokerServesHealthAndMetricsAndClosesCleanly(@TempDir Path stateDir) throws Exception {
    EchoCommand c = parse(Map.of(), "--bootstrap-servers", "127.0.0.1:1", "--create-topics=false",
        "--state-dir", stateDir.toString(), "--close-timeout-ms", "10000");
    HttpClient http = HttpClient.newHttpClient();
    RunningStage stage = c.start();
    try {
      assertThat(c.calls).containsExactly("onStart", "buildTopology");
      assertThat(stage.httpPort()).isPositive();
      HttpResponse<String> ready = http.send(HttpRequest.newBuilder(
          URI.create("http://localhost:" + stage.httpPort() + "/health/ready")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).startsWith("NOT READY ");
      HttpResponse<String> metrics = http.send(HttpRequest.newBuilder(
          URI.create("http://localhost:" + stage.httpPort() + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      assertThat(metrics.body()).contains("alignstream_records_in_total{stage=\"echo\"} 0.0")
          .contains("kafka_streams_stream_metrics_");
      assertThatThrownBy(() -> stage.awaitRunning(Duration.ofMillis(200)))
          .isInstanceOf(IllegalStateException.class).hasMessageStartingWith("stage echo not RUNNING after PT0.2S");
    } finally {
      stage.close();
    }
    stage.close(); // idempotent
    assertThat(c.calls).containsExactly("onStart", "buildTopology", "onClose");
    assertThat(stage.streams().state()).isEqualTo(KafkaStreams.State.NOT_RUNNING);
  }
}
