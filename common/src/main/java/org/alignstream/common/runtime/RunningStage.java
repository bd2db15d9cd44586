package org.alignstream.common.runtime;

import java.time.Duration;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.alignstream.common.observability.HealthServer;
import org.alignstream.common.observability.KafkaStreamsMetricsBridge;
import org.alignstream.common.observability.StageMetrics;
import org.apache.kafka.streams.CloseOptions;
import org.apache.kafka.streams.CloseOptions.GroupMembershipOperation;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KafkaStreams.State;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A started stage: its {@link KafkaStreams}, metrics and HTTP server. {@link #close()} stops everything (streams with a
 * timeout, then the HTTP server, then the command's {@code onClose()}); it is idempotent and safe from a shutdown hook.
 */
public final class RunningStage implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RunningStage.class);
  private static final Set<State> DEAD = EnumSet.of(State.PENDING_ERROR, State.ERROR, State.PENDING_SHUTDOWN,
      State.NOT_RUNNING);

  private final String stage;
  private final KafkaStreams streams;
  private final StageMetrics metrics;
  private final KafkaStreamsMetricsBridge bridge;
  private final Duration closeTimeout;
  private final boolean leaveGroupOnClose;
  private final Runnable onClose;
  private final Object lock = new Object();
  private final CountDownLatch terminated = new CountDownLatch(1);
  private HealthServer http;
  private boolean closed;
  private volatile boolean failed;

  RunningStage(String stage, KafkaStreams streams, StageMetrics metrics, Duration closeTimeout,
      boolean leaveGroupOnClose, Runnable onClose) {
    this.stage = stage;
    this.streams = streams;
    this.metrics = metrics;
    this.closeTimeout = closeTimeout;
    this.leaveGroupOnClose = leaveGroupOnClose;
    this.onClose = onClose;
    this.bridge = KafkaStreamsMetricsBridge.of(streams);
    metrics.registry().register(bridge);
  }

  void attachHttp(HealthServer http) {
    this.http = http;
  }

  /** The stage's name (generator, scorer, selector, ...). */
  public String name() {
    return stage;
  }

  /** Called by the state listener. */
  void onStateChange(State newState, State oldState) {
    LOG.info("stage {}: Kafka Streams {} -> {}", stage, oldState, newState);
    if (newState == State.ERROR) {
      failed = true;
      terminated.countDown();
    } else if (newState == State.NOT_RUNNING) {
      terminated.countDown();
    }
    synchronized (lock) {
      lock.notifyAll();
    }
  }

  /**
   * Waits until Kafka Streams is {@code RUNNING}.
   *
   * @throws IllegalStateException on timeout or if it is shutting down or failed instead
   */
  public void awaitRunning(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    long deadline = System.nanoTime() + timeout.toNanos();
    synchronized (lock) {
      while (true) {
        State state = streams.state();
        if (state == State.RUNNING) {
          return;
        }
        if (DEAD.contains(state)) {
          throw new IllegalStateException("stage " + stage + " will not run: Kafka Streams is " + state);
        }
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IllegalStateException("stage " + stage + " not RUNNING after " + timeout + "; Kafka Streams is "
              + state);
        }
        try {
          lock.wait(Math.max(1, TimeUnit.NANOSECONDS.toMillis(left)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while waiting for stage " + stage + " to run", e);
        }
      }
    }
  }

  /** Blocks until Kafka Streams stops (error or close). */
  void awaitTermination() throws InterruptedException {
    terminated.await();
  }

  /** Whether Kafka Streams went to {@code ERROR}. */
  boolean failed() {
    return failed;
  }

  /** The running Kafka Streams instance. */
  public KafkaStreams streams() {
    return streams;
  }

  /** The HTTP port serving health and metrics, or -1 if the server is off. */
  public int httpPort() {
    return http == null ? -1 : http.port();
  }

  /** The stage's metrics (its registry also holds the Kafka Streams metrics). */
  public StageMetrics metrics() {
    return metrics;
  }

  /**
   * Closes Kafka Streams (waiting up to the close timeout), the HTTP server, then the command's resources. Unless the
   * stage is a static group member, Kafka Streams leaves its consumer group, so the partitions are reassigned at once
   * (under the classic protocol a member that just closes keeps them until its session times out, 45 s by default,
   * and a restarted instance waits that long before it runs).
   */
  @Override
  public void close() {
    synchronized (lock) {
      if (closed) {
        return;
      }
      closed = true;
    }
    LOG.info("stage {}: closing", stage);
    try {
      CloseOptions options = CloseOptions.timeout(closeTimeout).withGroupMembershipOperation(
          leaveGroupOnClose ? GroupMembershipOperation.LEAVE_GROUP : GroupMembershipOperation.REMAIN_IN_GROUP);
      if (!streams.close(options)) {
        LOG.warn("stage {}: Kafka Streams did not close within {}", stage, closeTimeout);
      }
    } finally {
      try {
        if (http != null) {
          http.close();
        }
        metrics.registry().unregister(bridge);
      } finally {
        try {
          onClose.run();
        } finally {
          terminated.countDown();
          LOG.info("stage {}: closed", stage);
        }
      }
    }
  }
}
