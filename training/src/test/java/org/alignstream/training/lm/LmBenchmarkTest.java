package org.alignstream.training.lm;

import static org.assertj.core.api.Assertions.assertThat;

import org.alignstream.core.sampling.SamplingParams;
import org.alignstream.inference.lm.CandidateGenerator;
import org.alignstream.inference.lm.CausalLm;
import org.alignstream.inference.lm.PromptOverflow;
import org.alignstream.inference.lm.TestModel;
import org.junit.jupiter.api.Test;

class LmBenchmarkTest {

    @Test
    void benchmarkCountsGeneratedTokens() throws Exception {
        try (CausalLm lm = CausalLm.fromClasspath(TestModel.DIR, 1)) {
            int[] prompt = TestModel.references().get(0).inputIds();
            CandidateGenerator noEos = new CandidateGenerator(lm, -1, PromptOverflow.REJECT);
            LmBenchmark.Report report = LmBenchmark.run(noEos, prompt, 2, SamplingParams.UNMODIFIED, 4, 0, 2);
            assertThat(report.tokens()).isEqualTo(2 * 2 * 4);
            assertThat(report.tokensPerSecond()).isPositive();
        }
    }
}
