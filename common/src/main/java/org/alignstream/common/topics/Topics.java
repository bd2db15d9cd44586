package org.alignstream.common.topics;

import java.util.List;

/** Names of the alignstream topics. Records are keyed by request id; values are Avro single-object encoded. */
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
  /** {@code DeadLetter}s: records a stage could not read or process, with the reason and their original bytes. */
  public static final String DEAD_LETTERS = "dead-letters";

  /** Every topic above, in pipeline order. */
  public static final List<String> ALL = List.of(PROMPTS, CANDIDATES, SCORED_CANDIDATES, ALIGNED_RESPONSES, DECODE_STEPS, DEAD_LETTERS);

  private Topics() {}
}
