package org.alignstream.common.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.common.metrics.Gauge;
import org.apache.kafka.common.metrics.Metrics;
import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.metrics.stats.CumulativeCount;
import org.apache.kafka.common.metrics.stats.Value;
import org.junit.jupiter.api.Test;

class KafkaStreamsMetricsBridgeTest {

  @Test
  void exportsNumericKafkaMetricsWithSanitisedNamesAndTagLabels() {
    try (Metrics kafka = new Metrics()) {
      Map<String, String> tags = Map.of("thread-id", "app-StreamThread-1");
      Sensor process = kafka.sensor("process");
      process.add(kafka.metricName("process-total", "stream-thread-metrics", "records processed", tags),
          new CumulativeCount());
      process.add(kafka.metricName("process-latency-max", "stream-thread-metrics", "", tags), new Value());
      process.record(7.0);
      process.record(3.0);
      kafka.addMetric(kafka.metricName("version", "app-info", "", Map.of()), (Gauge<String>) (c, now) -> "4.3.1");

      StageMetrics stage = new StageMetrics("scorer");
      stage.registry().register(new KafkaStreamsMetricsBridge(kafka::metrics));
      String text = stage.scrapeText();

      assertThat(text)
          .contains("# TYPE kafka_streams_stream_thread_metrics_process_total counter")
          .contains("kafka_streams_stream_thread_metrics_process_total{thread_id=\"app-StreamThread-1\"} 2.0")
          .contains("# TYPE kafka_streams_stream_thread_metrics_process_latency_max gauge")
          .contains("kafka_streams_stream_thread_metrics_process_latency_max{thread_id=\"app-StreamThread-1\"} 3.0")
          .doesNotContain("app_info_version")
          .contains("alignstream_records_in_total{stage=\"scorer\"} 0.0");
      // Kafka's own registry metric (count of metrics) has no tags
      assertThat(text).contains("kafka_streams_kafka_metrics_count_count ");
    }
  }

  @Test
  void namesAreSanitised() {
    MetricName name = new MetricName("commit-latency-avg", "stream-task-metrics", "", Map.of());
    assertThat(KafkaStreamsMetricsBridge.prometheusName(name))
        .isEqualTo("kafka_streams_stream_task_metrics_commit_latency_avg");
    MetricName total = new MetricName("Commit.Total", "g", "", Map.of());
    assertThat(KafkaStreamsMetricsBridge.prometheusName(total)).isEqualTo("kafka_streams_g_commit_total");
    MetricName cumulative = new MetricName("commit-total", "g", "", Map.of());
    assertThat(KafkaStreamsMetricsBridge.prometheusName(cumulative)).isEqualTo("kafka_streams_g_commit");
  }
}
