package org.alignstream.common.stage;

import java.util.Map;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.streams.StreamsConfig;

/**
 * What the dead-letter exception handlers read from the Streams configuration: the stage name
 * ({@value #STAGE_NAME_CONFIG}, else {@code application.id}), the dead-letter topic
 * ({@code errors.dead.letter.queue.topic.name}, else {@link Topics#DEAD_LETTERS}) and, optionally, a {@link StageMetrics}
 * object under {@value #STAGE_METRICS_CONFIG} to count the dead letters.
 */
public final class DeadLetterHandlerConfig {

  /** Streams config key holding the stage name. */
  public static final String STAGE_NAME_CONFIG = "alignstream.stage.name";
  /** Streams config key holding a {@link StageMetrics} instance (an object, not a string). */
  public static final String STAGE_METRICS_CONFIG = "alignstream.stage.metrics";

  final String stage;
  final String topic;
  final StageMetrics metrics;

  private DeadLetterHandlerConfig(String stage, String topic, StageMetrics metrics) {
    this.stage = stage;
    this.topic = topic;
    this.metrics = metrics;
  }

  static DeadLetterHandlerConfig from(Map<String, ?> configs) {
    Object stage = configs.get(STAGE_NAME_CONFIG);
    if (stage == null) {
      stage = configs.get(StreamsConfig.APPLICATION_ID_CONFIG);
    }
    Object topic = configs.get(StreamsConfig.ERRORS_DEAD_LETTER_QUEUE_TOPIC_NAME_CONFIG);
    Object metrics = configs.get(STAGE_METRICS_CONFIG);
    return new DeadLetterHandlerConfig(stage == null ? "unknown" : stage.toString(),
        topic == null || topic.toString().isBlank() ? Topics.DEAD_LETTERS : topic.toString(),
        metrics instanceof StageMetrics m ? m : null);
  }

  static DeadLetterHandlerConfig defaults() {
    return from(Map.of());
  }

  void count(String reasonClass) {
    if (metrics != null) {
      metrics.deadLetter(reasonClass);
    }
  }
}
