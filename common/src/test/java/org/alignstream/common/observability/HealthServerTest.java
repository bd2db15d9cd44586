package org.alignstream.common.observability;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

class HealthServerTest {

  private final HttpClient http = HttpClient.newHttpClient();

  private HttpResponse<String> get(HealthServer server, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + server.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void probesFollowTheStreamsStateAndMetricsAreServed() throws Exception {
    StageMetrics metrics = new StageMetrics("selector");
    metrics.recordIn();
    metrics.deadLetter("invalid");
    AtomicReference<KafkaStreams.State> state = new AtomicReference<>();
    try (HealthServer server = HealthServer.start("selector", 0, metrics.registry(), state::get)) {
      assertThat(server.port()).isPositive();

      assertThat(get(server, "/health/live").statusCode()).isEqualTo(200);
      HttpResponse<String> ready = get(server, "/health/ready");
      assertThat(ready.statusCode()).isEqualTo(503);
      assertThat(ready.body()).isEqualTo("NOT READY NOT_STARTED\n");

      state.set(KafkaStreams.State.REBALANCING);
      assertThat(get(server, "/health/ready").body()).isEqualTo("NOT READY REBALANCING\n");
      HttpResponse<String> health = get(server, "/health");
      assertThat(health.statusCode()).isEqualTo(503);
      assertThat(health.body())
          .isEqualTo("{\"stage\":\"selector\",\"live\":true,\"ready\":false,\"state\":\"REBALANCING\"}\n");

      state.set(KafkaStreams.State.RUNNING);
      assertThat(get(server, "/health/ready").statusCode()).isEqualTo(200);
      health = get(server, "/health");
      assertThat(health.statusCode()).isEqualTo(200);
      assertThat(health.body()).contains("\"ready\":true,\"state\":\"RUNNING\"");

      HttpResponse<String> scrape = get(server, "/metrics");
      assertThat(scrape.statusCode()).isEqualTo(200);
      assertThat(scrape.body())
          .contains("alignstream_records_in_total{stage=\"selector\"} 1.0")
          .contains("alignstream_dead_letters_total{reason_class=\"invalid\",stage=\"selector\"} 1.0")
          .contains("alignstream_records_out_total{stage=\"selector\"} 0.0");

      assertThat(get(server, "/health/nope").statusCode()).isEqualTo(404);
    }
  }
}
