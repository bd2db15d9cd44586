package org.alignstream.gateway;

import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.model.registry.PrometheusRegistry;

/**
 * The gateway's own Prometheus series (beside the {@code StageMetrics} every stage exports, label {@code stage=gateway}):
 *
 * <ul>
 *   <li>{@code alignstream_gateway_requests_total{endpoint, status}}: HTTP requests answered, by endpoint
 *       ({@code completions}, {@code chat_completions}, {@code other}) and status code</li>
 *   <li>{@code alignstream_gateway_request_seconds{endpoint}}: histogram of the time from reading a request to
 *       answering it</li>
 *   <li>{@code alignstream_gateway_in_flight}: prompt requests published and not answered yet (what
 *       {@code --max-in-flight} bounds)</li>
 * </ul>
 */
final class GatewayMetrics {

    /** Bucket bounds of {@code alignstream_gateway_request_seconds}, 5 ms to 5 min. */
    static final double[] LATENCY_BUCKETS = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};

    private final Counter requests;
    private final Histogram latency;
    private final Gauge inFlight;

    GatewayMetrics(PrometheusRegistry registry) {
        requests = Counter.builder().name("alignstream_gateway_requests_total")
                .help("HTTP requests the gateway answered, by endpoint and status code")
                .labelNames("endpoint", "status").register(registry);
        latency = Histogram.builder().name("alignstream_gateway_request_seconds")
                .help("Seconds from reading an HTTP request to answering it").labelNames("endpoint")
                .classicUpperBounds(LATENCY_BUCKETS).register(registry);
        inFlight = Gauge.builder().name("alignstream_gateway_in_flight")
                .help("Prompt requests published by the gateway and not answered yet").register(registry);
    }

    void answered(String endpoint, int status, long startNanos) {
        requests.labelValues(endpoint, Integer.toString(status)).inc();
        latency.labelValues(endpoint).observe((System.nanoTime() - startNanos) / 1e9);
    }

    void inFlight(int n) {
        inFlight.set(n);
    }
}
