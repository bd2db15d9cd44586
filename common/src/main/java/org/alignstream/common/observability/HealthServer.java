package org.alignstream.common.observability;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import com.sun.net.httpserver.HttpServer;
import io.prometheus.metrics.exporter.httpserver.MetricsHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * A small HTTP server (the JDK's {@link HttpServer}) for probes and scraping:
 *
 * <ul>
 *   <li>{@code GET /health/live}: 200 while the process serves HTTP (liveness)</li>
 *   <li>{@code GET /health/ready}: 200 when Kafka Streams is {@code RUNNING}, else 503; the body names the state</li>
 *   <li>{@code GET /health}: JSON {@code {"stage":..,"live":true,"ready":..,"state":..}}, 200 if ready else 503</li>
 *   <li>{@code GET /metrics}: the registry in Prometheus text format (OpenMetrics if the scraper asks for it)</li>
 * </ul>
 *
 * Port 0 binds an ephemeral port; {@link #port()} tells which.
 */
public final class HealthServer implements AutoCloseable {

  private static final AtomicInteger THREADS = new AtomicInteger();

  private final String stage;
  private final Supplier<String> state;
  private final Predicate<String> ready;
  private final HttpServer server;
  private final ExecutorService executor;

  private HealthServer(String stage, int port, PrometheusRegistry registry, Supplier<String> state,
      Predicate<String> ready, int threads) throws IOException {
    this.stage = Objects.requireNonNull(stage, "stage");
    this.state = Objects.requireNonNull(state, "state");
    this.ready = Objects.requireNonNull(ready, "ready");
    Objects.requireNonNull(registry, "registry");
    if (port < 0 || port > 65535) {
      throw new IllegalArgumentException("http port must be between 0 and 65535, was " + port);
    }
    server = HttpServer.create(new InetSocketAddress(port), 64);
    executor = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "alignstream-http-" + stage + "-" + THREADS.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(executor);
    server.createContext("/health/live", ex -> respond(ex, 200, "text/plain", "UP\n"));
    server.createContext("/health/ready", this::ready);
    server.createContext("/health", this::health);
    server.createContext("/metrics", new MetricsHandler(registry));
    server.start();
  }

  /**
   * Starts serving on {@code port} (0 = any free port).
   *
   * @param stage    stage name reported in {@code /health}
   * @param registry metrics served on {@code /metrics}
   * @param state    current Kafka Streams state; may return {@code null} before the streams instance exists
   * @throws UncheckedIOException if the port cannot be bound
   */
  public static HealthServer start(String stage, int port, PrometheusRegistry registry, Supplier<KafkaStreams.State> state) {
    Objects.requireNonNull(state, "state");
    return start(stage, port, registry, () -> {
      KafkaStreams.State s = state.get();
      return s == null ? "NOT_STARTED" : s.name();
    }, KafkaStreams.State.RUNNING.name()::equals, 2);
  }

  /**
   * Starts serving on {@code port} (0 = any free port) for a service that is not a Kafka Streams application (the
   * gateway): its state by name, and which states are ready. More paths can be served with {@link #handle}.
   *
   * @param threads handler threads (each request of a path added by {@link #handle} may hold one while it runs)
   */
  public static HealthServer start(String stage, int port, PrometheusRegistry registry, Supplier<String> state,
      Predicate<String> ready, int threads) {
    try {
      return new HealthServer(stage, port, registry, state, ready, threads);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the HTTP server for stage " + stage + " on port " + port, e);
    }
  }

  /** Serves {@code path} (and the paths below it) with {@code handler} too. */
  public void handle(String path, HttpHandler handler) {
    server.createContext(path, handler);
  }

  /** The bound port. */
  public int port() {
    return server.getAddress().getPort();
  }

  private String stateName() {
    String s = state.get();
    return s == null ? "NOT_STARTED" : s;
  }

  private boolean isReady(String stateName) {
    return ready.test(stateName);
  }

  private void ready(HttpExchange ex) throws IOException {
    if (!exactPath(ex)) {
      return;
    }
    String s = stateName();
    respond(ex, isReady(s) ? 200 : 503, "text/plain", (isReady(s) ? "READY " : "NOT READY ") + s + "\n");
  }

  private void health(HttpExchange ex) throws IOException {
    if (!exactPath(ex)) {
      return;
    }
    String s = stateName();
    boolean ready = isReady(s);
    String json = "{\"stage\":\"" + jsonEscape(stage) + "\",\"live\":true,\"ready\":" + ready + ",\"state\":\"" + s + "\"}\n";
    respond(ex, ready ? 200 : 503, "application/json", json);
  }

  /** Contexts match by prefix; anything below /health other than the known paths is a 404. */
  private static boolean exactPath(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getPath();
    String context = ex.getHttpContext().getPath();
    if (path.equals(context) || path.equals(context + "/")) {
      return true;
    }
    respond(ex, 404, "text/plain", "not found: " + path + "\n");
    return false;
  }

  private static String jsonEscape(String s) {
    StringBuilder sb = new StringBuilder();
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        sb.append('\\').append(c);
      } else if (c < 0x20) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }

  private static void respond(HttpExchange ex, int status, String contentType, String body) throws IOException {
    try (ex) {
      byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
      ex.getResponseHeaders().set("Content-Type", contentType + "; charset=utf-8");
      if ("HEAD".equals(ex.getRequestMethod())) {
        ex.sendResponseHeaders(status, -1);
        return;
      }
      ex.sendResponseHeaders(status, bytes.length);
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /** Stops serving (waits at most one second for requests in flight). */
  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
  }
}
