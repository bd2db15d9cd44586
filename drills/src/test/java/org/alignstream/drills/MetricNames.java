package org.alignstream.drills;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.common.observability.KafkaStreamsMetricsBridge;
import org.alignstream.common.observability.StageMetrics;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;

/**
 * The metric names a stage's {@code /metrics} serves, so that alert rules and dashboards can be checked against them,
 * and the names a PromQL expression uses. Only {@code alignstream_*} and {@code kafka_streams_*} names are checked
 * (Prometheus' own series such as {@code up} are not the stages').
 */
final class MetricNames {

    /** Names used by alerts or the dashboard that exist only once a stage runs and owns tasks and partitions. */
    static final Set<String> RUNTIME_ONLY = Set.of(
            // per assigned partition: records-lag of the main consumer (tags topic, partition)
            "kafka_streams_consumer_fetch_manager_metrics_records_lag",
            // per source and sink node of an active task (INFO recording level): record-e2e-latency-avg/-max
            "kafka_streams_stream_processor_node_metrics_record_e2e_latency_avg",
            "kafka_streams_stream_processor_node_metrics_record_e2e_latency_max");

    /** A name of a stage's series in a PromQL expression. */
    private static final Pattern NAME = Pattern.compile("(?<![A-Za-z0-9_:])((?:alignstream|kafka_streams)_[A-Za-z0-9_]*)");
    /** The series name of a sample line in the Prometheus text format. */
    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]");

    private MetricNames() {
    }

    /** The {@code alignstream_*} and {@code kafka_streams_*} names in a PromQL expression. */
    static Set<String> referencedIn(String promql) {
        Set<String> out = new TreeSet<>();
        Matcher m = NAME.matcher(promql);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    /** The series names (e.g. {@code alignstream_batch_size_bucket}) of a scrape in the Prometheus text format. */
    static Set<String> seriesIn(String scrape) {
        Set<String> out = new TreeSet<>();
        for (String line : scrape.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.find()) {
                out.add(m.group(1));
            }
        }
        return out;
    }

    /**
     * The series a stage exports: every {@link StageMetrics} series (each labelled family touched once, as a running
     * stage does on its first batch, dead letter or model version) and the Kafka Streams client metrics that
     * {@link KafkaStreamsMetricsBridge} exports for a created (not started) Kafka Streams instance with the stages'
     * processing guarantee, plus {@link #RUNTIME_ONLY}.
     */
    static Set<String> exportedByStages() {
        StageMetrics metrics = new StageMetrics("check");
        metrics.observeBatch(1);
        metrics.observeInference("model", 0.01);
        metrics.deadLetter("decode");
        metrics.modelVersion("model", "published");
        metrics.kvCacheBytes(0); // the generator's round cache
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("in").to("out");
        Properties p = new Properties();
        Path stateDir;
        try {
            stateDir = Files.createTempDirectory("metric-names-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, "metric-names");
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "localhost:1"); // never connected: the instance is not started
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, StreamsConfig.EXACTLY_ONCE_V2);
        Set<String> out = new TreeSet<>(RUNTIME_ONLY);
        try (KafkaStreams streams = new KafkaStreams(builder.build(), p)) {
            metrics.registry().register(KafkaStreamsMetricsBridge.of(streams));
            out.addAll(seriesIn(metrics.scrapeText()));
        } finally {
            try (java.util.stream.Stream<Path> walk = Files.walk(stateDir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (IOException e) {
                // a leftover temporary directory is harmless
            }
        }
        return out;
    }
}
