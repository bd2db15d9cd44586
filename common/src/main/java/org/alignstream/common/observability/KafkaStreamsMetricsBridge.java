package org.alignstream.common.observability;

import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.PrometheusNaming;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.apache.kafka.common.Metric;
import org.apache.kafka.common.MetricName;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Exports the numeric metrics of a running {@link KafkaStreams} (its own and its clients') into a Prometheus registry,
 * read afresh at every scrape. A Kafka metric {@code group}/{@code name} becomes
 * {@code kafka_streams_<group>_<name>} with every character outside {@code [a-zA-Z0-9_]} replaced by {@code _}, and its
 * tags become labels (same sanitising). Metrics whose name ends in {@code -total} are cumulative in Kafka and are exported
 * as counters (the exposition adds {@code _total} back); all others as gauges. Non-numeric metrics are skipped.
 *
 * <pre>{@code metrics.registry().register(KafkaStreamsMetricsBridge.of(streams)); }</pre>
 */
public final class KafkaStreamsMetricsBridge implements MultiCollector {

  /** Prefix of every exported name. */
  public static final String PREFIX = "kafka_streams_";

  private final Supplier<? extends Map<MetricName, ? extends Metric>> source;

  /** A bridge reading whatever metrics {@code source} returns at scrape time. */
  public KafkaStreamsMetricsBridge(Supplier<? extends Map<MetricName, ? extends Metric>> source) {
    this.source = Objects.requireNonNull(source, "source");
  }

  /** A bridge for {@link KafkaStreams#metrics()}. */
  public static KafkaStreamsMetricsBridge of(KafkaStreams streams) {
    Objects.requireNonNull(streams, "streams");
    return new KafkaStreamsMetricsBridge(streams::metrics);
  }

  /** {@code kafka_streams_<group>_<name>} for a Kafka metric, sanitised, without a {@code _total} suffix. */
  public static String prometheusName(MetricName name) {
    String base = sanitize(PREFIX + name.group() + "_" + name.name());
    return isCumulative(name) ? base.substring(0, base.length() - "_total".length()) : base;
  }

  static boolean isCumulative(MetricName name) {
    return name.name().endsWith("-total") || name.name().endsWith("_total");
  }

  static String sanitize(String raw) {
    StringBuilder sb = new StringBuilder(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      boolean ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
      sb.append(ok ? c : '_');
    }
    if (sb.length() == 0 || Character.isDigit(sb.charAt(0))) {
      sb.insert(0, '_');
    }
    return sb.toString().toLowerCase(Locale.ROOT);
  }

  @Override
  public MetricSnapshots collect() {
    Map<MetricName, ? extends Metric> metrics = source.get();
    // sorted by exported name so each name's points are grouped; one family per name
    Map<String, Family> families = new TreeMap<>();
    for (Map.Entry<MetricName, ? extends Metric> e : metrics.entrySet()) {
      Object value;
      try {
        value = e.getValue().metricValue();
      } catch (RuntimeException ex) {
        continue; // a gauge whose supplier fails (e.g. a client closing) is skipped for this scrape
      }
      if (!(value instanceof Number number)) {
        continue;
      }
      MetricName name = e.getKey();
      String promName = prometheusName(name);
      if (PrometheusNaming.validateMetricName(promName) != null) {
        continue; // e.g. a name ending in a suffix Prometheus reserves (_created, _bucket, _info)
      }
      Family family = families.computeIfAbsent(promName, n -> new Family(n, isCumulative(name), name.description()));
      if (family.counter != isCumulative(name)) {
        continue; // a gauge and a counter sanitised to the same name: keep the first kind
      }
      family.add(labels(name.tags()), number.doubleValue());
    }
    List<io.prometheus.metrics.model.snapshots.MetricSnapshot> snapshots = new ArrayList<>(families.size());
    for (Family f : families.values()) {
      snapshots.add(f.snapshot());
    }
    return new MetricSnapshots(snapshots);
  }

  private static Labels labels(Map<String, String> tags) {
    Map<String, String> sorted = new TreeMap<>();
    tags.forEach((k, v) -> sorted.putIfAbsent(sanitize(k), v == null ? "" : v));
    return Labels.of(new ArrayList<>(sorted.keySet()), new ArrayList<>(sorted.values()));
  }

  private static final class Family {
    final String name;
    final boolean counter;
    final String help;
    final Set<Labels> seen = new HashSet<>();
    final List<Labels> labels = new ArrayList<>();
    final List<Double> values = new ArrayList<>();

    Family(String name, boolean counter, String help) {
      this.name = name;
      this.counter = counter;
      this.help = help == null || help.isBlank() ? null : help;
    }

    void add(Labels l, double v) {
      if (seen.add(l)) {
        labels.add(l);
        values.add(v);
      }
    }

    io.prometheus.metrics.model.snapshots.MetricSnapshot snapshot() {
      if (counter) {
        CounterSnapshot.Builder b = CounterSnapshot.builder().name(name).help(help);
        for (int i = 0; i < labels.size(); i++) {
          // a counter must be >= 0 and not NaN; Kafka reports NaN/negatives only for metrics without samples
          double v = values.get(i);
          b.dataPoint(CounterDataPointSnapshot.builder().labels(labels.get(i)).value(v >= 0 ? v : 0).build());
        }
        return b.build();
      }
      GaugeSnapshot.Builder b = GaugeSnapshot.builder().name(name).help(help);
      for (int i = 0; i < labels.size(); i++) {
        b.dataPoint(GaugeDataPointSnapshot.builder().labels(labels.get(i)).value(values.get(i)).build());
      }
      return b.build();
    }
  }
}
