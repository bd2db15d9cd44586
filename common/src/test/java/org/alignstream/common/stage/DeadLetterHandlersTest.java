package org.alignstream.common.stage;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.alignstream.avro.DeadLetter;
import org.alignstream.common.observability.StageMetrics;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.NetworkException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

class DeadLetterHandlersTest {

  private static final byte[] KEY = "k1".getBytes(StandardCharsets.UTF_8);
  private static final byte[] VALUE = {1, 2, 3};
  private final StageMetrics metrics = new StageMetrics("scorer");

  /** An error context as Kafka Streams passes it: the source record's position and raw bytes. */
  private static ErrorHandlerContext context() {
    return new ErrorHandlerContext() {
      public String topic() { return "candidates"; }
      public int partition() { return 3; }
      public long offset() { return 42; }
      public Headers headers() { return new RecordHeaders(); }
      public String processorNodeId() { return "scorer-process"; }
      public TaskId taskId() { return new TaskId(0, 3); }
      public long timestamp() { return 1000; }
      public byte[] sourceRawKey() { return KEY; }
      public byte[] sourceRawValue() { return VALUE; }
    };
  }

  private Map<String, Object> config() {
    Map<String, Object> c = new HashMap<>();
    c.put(StreamsConfig.APPLICATION_ID_CONFIG, "alignstream-scorer");
    c.put(DeadLetterHandlerConfig.STAGE_NAME_CONFIG, "scorer");
    c.put(DeadLetterHandlerConfig.STAGE_METRICS_CONFIG, metrics);
    c.put(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG, "my-dlq");
    return c;
  }

  private static DeadLetter single(java.util.List<ProducerRecord<byte[], byte[]>> records) {
    assertThat(records).hasSize(1);
    ProducerRecord<byte[], byte[]> r = records.get(0);
    assertThat(r.topic()).isEqualTo("my-dlq");
    assertThat(r.key()).isEqualTo(KEY);
    return DeadLetters.serde().decode(r.value());
  }

  @Test
  void deserializationFailureIsDeadLetteredWithTheOriginalBytes() {
    DeadLetterDeserializationExceptionHandler h = new DeadLetterDeserializationExceptionHandler();
    h.configure(config());
    ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("candidates", 3, 42, KEY, VALUE);
    DeserializationExceptionHandler.Response response =
        h.handleError(context(), record, new SerializationException("bad magic"));
    assertThat(response.result()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
    DeadLetter dl = single(response.deadLetterQueueRecords());
    assertThat(dl.getStage()).isEqualTo("scorer");
    assertThat(dl.getSourceTopic()).isEqualTo("candidates");
    assertThat(dl.getSourcePartition()).isEqualTo(3);
    assertThat(dl.getSourceOffset()).isEqualTo(42);
    assertThat(dl.getReason()).isEqualTo("cannot deserialize record from candidates: SerializationException: bad magic");
    assertThat(dl.getErrorClass()).isEqualTo(SerializationException.class.getName());
    assertThat(DeadLetters.bytes(dl.getOriginalValue())).isEqualTo(VALUE);
    assertThat(metrics.deadLetters(DeadLetterDeserializationExceptionHandler.REASON_CLASS)).isEqualTo(1);
  }

  @Test
  void productionFailureIsDeadLetteredWithTheInputRecordsBytesAndRetriableErrorsAreRetried() {
    DeadLetterProductionExceptionHandler h = new DeadLetterProductionExceptionHandler();
    h.configure(config());
    ProducerRecord<byte[], byte[]> out = new ProducerRecord<>("scored-candidates", KEY, new byte[] {9});

    ProductionExceptionHandler.Response retry = h.handleError(context(), out, new NetworkException("flaky"));
    assertThat(retry.result()).isEqualTo(ProductionExceptionHandler.Result.RETRY);

    ProductionExceptionHandler.Response r = h.handleError(context(), out, new RecordTooLargeException("too big"));
    assertThat(r.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
    DeadLetter dl = single(r.deadLetterQueueRecords());
    assertThat(dl.getReason()).startsWith("cannot write output record to scored-candidates: RecordTooLargeException:"
        + " too big").contains("original value left out");
    assertThat(dl.getOriginalValue()).isNull();

    ProductionExceptionHandler.Response s = h.handleSerializationError(context(), out,
        new SerializationException("no serde"), ProductionExceptionHandler.SerializationExceptionOrigin.VALUE);
    dl = single(s.deadLetterQueueRecords());
    assertThat(dl.getReason()).isEqualTo("cannot serialize output value for scored-candidates:"
        + " SerializationException: no serde");
    assertThat(DeadLetters.bytes(dl.getOriginalValue())).isEqualTo(VALUE);
    assertThat(dl.getSourceOffset()).isEqualTo(42);
    assertThat(metrics.deadLetters(DeadLetterProductionExceptionHandler.REASON_CLASS)).isEqualTo(2);
  }

  @Test
  void processingFailureIsDeadLettered() {
    DeadLetterProcessingExceptionHandler h = new DeadLetterProcessingExceptionHandler();
    h.configure(config());
    ProcessingExceptionHandler.Response r =
        h.handleError(context(), new Record<>("k", "v", 1000), new IllegalArgumentException("bad state"));
    assertThat(r.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
    DeadLetter dl = single(r.deadLetterQueueRecords());
    assertThat(dl.getReason()).isEqualTo("processor scorer-process failed: IllegalArgumentException: bad state");
    assertThat(DeadLetters.bytes(dl.getOriginalValue())).isEqualTo(VALUE);
  }

  @Test
  void withoutConfigurationDefaultsToTheDeadLettersTopicAndApplicationId() {
    DeadLetterDeserializationExceptionHandler h = new DeadLetterDeserializationExceptionHandler();
    h.configure(Map.of(StreamsConfig.APPLICATION_ID_CONFIG, "alignstream-x"));
    ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("prompts", 0, 7, null, VALUE);
    ProducerRecord<byte[], byte[]> out = h.handleError(context(), record, new SerializationException("x"))
        .deadLetterQueueRecords().get(0);
    assertThat(out.topic()).isEqualTo("dead-letters");
    assertThat(out.key()).isNull();
    assertThat(DeadLetters.serde().decode(out.value()).getStage()).isEqualTo("alignstream-x");
  }
}
