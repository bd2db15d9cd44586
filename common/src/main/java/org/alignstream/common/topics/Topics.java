package org.alignstream.common.topics;

import java.util.List;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.Topic;

/** Names of the alignstream topics (their value types and the stages that use them: {@link Pipeline}). Records are keyed by request id; values are Avro single-object encoded. */
public final class Topics {

  /** {@code PromptRequest}s published by clients. */
  public static final String PROMPTS = "prompts";
  /** {@code CandidateSet}s written by the generator. */
  public static final String CANDIDATES = "candidates";
  /** {@code ScoredCandidateSet}s written by the scorer. */
  public static final String SCORED_CANDIDATES = "scored-candidates";
  /** {@code AlignedResponse}s written by the selector. */
  public static final String ALIGNED_RESPONSES = "aligned-responses";
  /** {@code DecodeState}s written by the selector: the next round of a stepwise decoding, read by the generator. */
  public static final String DECODE_STEPS = "decode-steps";
  /** {@code FeedbackEvent}s (human preferences and edits) published by clients, keyed by event id. */
  public static final String FEEDBACK = "feedback";
  /** {@code TrainingExample}s written by the feedback service, keyed by reward model id. */
  public static final String FEEDBACK_EXAMPLES = "feedback-examples";
  /** {@code RewardModelVersion}s published by the feedback service (compacted), read by the scorer. */
  public static final String REWARD_MODELS = "reward-models";
  /** {@code DeadLetter}s: records a stage could not read or process, with the reason and their original bytes. */
  public static final String DEAD_LETTERS = "dead-letters";

  /** Every topic above, in flow order ({@link Pipeline#TOPICS}, which also gives each one's value type). */
  public static final List<String> ALL = Pipeline.TOPICS.stream().map(Topic::name).toList();

  /** Topic-level configuration a topic is created with: {@link #REWARD_MODELS} is compacted (latest per key). */
  public static java.util.Map<String, String> configs(String topic) {
    return REWARD_MODELS.equals(topic)
        ? java.util.Map.of("cleanup.policy", "compact", "max.message.bytes", "8388608")
        : java.util.Map.of();
  }

  private Topics() {}
}
