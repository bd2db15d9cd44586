package org.alignstream.common.serde;

import java.util.List;
import java.util.Map;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;

/** Small valid records for tests (also exported in the test-jar). */
public final class TestRecords {

  private TestRecords() {}

  public static PromptRequest prompt(String id, int n) {
    return PromptRequest.newBuilder()
        .setId(id)
        .setPrompt("Once upon a time")
        .setStrategy(Strategy.newBuilder().setN(n).setSeed(42).build())
        .setCreatedAtMs(1_700_000_000_000L)
        .build();
  }

  public static CandidateSet candidates(PromptRequest request) {
    Candidate c = Candidate.newBuilder().setIndex(0).setText(" there was").setTokenIds(List.of(7, 8))
        .setLogprobs(List.of(-1.5f, -0.25f)).setFinishReason("length").build();
    return CandidateSet.newBuilder().setRequest(request).setPromptTokenIds(List.of(1, 2, 3)).setCandidates(List.of(c))
        .setGeneratorModel(ModelRef.newBuilder().setId("tiny-gpt").build()).setTimingsMs(Map.of("generator", 1.5))
        .build();
  }
}
