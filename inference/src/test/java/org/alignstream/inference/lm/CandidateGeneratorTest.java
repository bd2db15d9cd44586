package org.alignstream.inference.lm;


import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.List;
import org.alignstream.core.sampling.SamplingParams;
import org.alignstream.core.sampling.TokenSampler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class CandidateGeneratorTest {

    private static final SamplingParams T1 = SamplingParams.UNMODIFIED;
    private static CausalLm lm;
    private static CandidateGenerator generator;
    private static int[] prompt;

    @BeforeAll
    static void load() throws Exception {
        lm = CausalLm.fromClasspath(TestModel.DIR, 1);
        generator = new CandidateGenerator(lm);
        prompt = TestModel.references().get(0).inputIds();
    }

    @AfterAll
    static void close() throws Exception {
        lm.close();
    }

    @Test
    void greedyThroughTheCacheReproducesTheReferenceFullRecomputation() throws Exception {
        int eos = lm.config().eosTokenId().getAsInt();
        for (TestModel.Reference ref : TestModel.references()) {
            GeneratedSequence greedy = generator.greedy(ref.inputIds(), ref.greedyIds().length);
            int eosAt = indexOf(ref.greedyIds(), eos);
            int[] expected = eosAt < 0 ? ref.greedyIds() : Arrays.copyOf(ref.greedyIds(), eosAt + 1);
            assertThat(greedy.tokenIds()).as(ref.prompt()).containsExactly(expected);
            assertThat(greedy.finishReason()).isEqualTo(eosAt < 0 ? GeneratedSequence.LENGTH : GeneratedSequence.EOS);
        }
    }

    @Test
    void topKOneSamplingEqualsGreedyInEveryRow() throws Exception {
        GeneratedSequence greedy = generator.greedy(prompt, 10);
        for (GeneratedSequence row : generator.sample(prompt, 3, new SamplingParams(0.8, 1, 1.0), 10, 99)) {
            assertThat(row.tokenIds()).containsExactly(greedy.tokenIds());
        }
    }

    @Test
    void sameSeedReproducesAndDifferentSeedsDiffer() throws Exception {
        List<GeneratedSequence> a = generator.sample(prompt, 4, T1, 16, 7);
        List<GeneratedSequence> b = generator.sample(prompt, 4, T1, 16, 7);
        List<GeneratedSequence> c = generator.sample(prompt, 4, T1, 16, 8);
        assertThat(a).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(a.get(i).tokenIds()).containsExactly(b.get(i).tokenIds());
            assertThat(a.get(i).logprobs()).containsExactly(b.get(i).logprobs());
        }
        assertThat(a.stream().map(s -> Arrays.toString(s.tokenIds())).toList())
                .isNotEqualTo(c.stream().map(s -> Arrays.toString(s.tokenIds())).toList());
        assertThat(a.get(0).tokenIds()).isNotEqualTo(a.get(1).tokenIds()); // streams differ within a request
    }

    @Test
    void rowsOfABatchEqualTheSameStreamsSampledAlone() throws Exception {
        int n = 8;
        List<GeneratedSequence> batch = generator.sample(prompt, n, T1, 32, 42);
        for (int i = 0; i < n; i++) {
            GeneratedSequence alone = generator.sample(prompt, new int[] {i}, T1, 32, 42).get(0);
            assertThat(alone.tokenIds()).as("stream %d", i).containsExactly(batch.get(i).tokenIds());
            assertThat(alone.logprobs()).as("stream %d", i).containsExactly(batch.get(i).logprobs(), within(1e-4f));
            assertThat(alone.finishReason()).isEqualTo(batch.get(i).finishReason());
        }
        List<GeneratedSequence> reordered = generator.sample(prompt, new int[] {5, 2}, T1, 32, 42);
        assertThat(reordered.get(0).tokenIds()).containsExactly(batch.get(5).tokenIds());
        assertThat(reordered.get(1).tokenIds()).containsExactly(batch.get(2).tokenIds());
    }

    @Test
    void logprobsAreTheRawModelLogSoftmaxRecomputedWithoutCache() throws Exception {
        SamplingParams truncated = new SamplingParams(0.7, 20, 0.9); // logprobs must ignore these
        List<GeneratedSequence> rows = generator.sample(prompt, 2, truncated, 8, 3);
        for (GeneratedSequence row : rows) {
            int[] context = prompt;
            for (int t = 0; t < row.length(); t++) {
                long[][] ids = {Arrays.stream(context).asLongStream().toArray()};
                try (ForwardResult full = lm.forward(ids, null, null, null)) {
                    float[] logits = full.lastLogits()[0];
                    double expected = TokenSampler.logSoftmaxAt(logits, row.tokenIds()[t]);
                    assertThat((double) row.logprobs()[t]).isCloseTo(expected, within(1e-4));
                    assertThat(row.logprobs()[t]).isLessThanOrEqualTo(0f);
                    assertThat(TokenSampler.samplingDistribution(logits, truncated)[row.tokenIds()[t]])
                            .as("sampled token must be inside the truncated support").isPositive();
                }
                context = Arrays.copyOf(context, context.length + 1);
                context[context.length - 1] = row.tokenIds()[t];
            }
            assertThat(row.sumLogprob()).isLessThan(0.0);
        }
    }

    @Test
    void eosStopsARowWithoutDisturbingTheOthers() throws Exception {
        GeneratedSequence greedy = generator.greedy(prompt, 5);
        int frequent = greedy.tokenIds()[0]; // the arg-max continuation, likely to be sampled often
        CandidateGenerator withEos = new CandidateGenerator(lm, frequent, PromptOverflow.REJECT);
        CandidateGenerator withoutEos = new CandidateGenerator(lm, -1, PromptOverflow.REJECT);
        GeneratedSequence stopped = withEos.greedy(prompt, 5);
        assertThat(stopped.tokenIds()).containsExactly(frequent);
        assertThat(stopped.finishReason()).isEqualTo(GeneratedSequence.EOS);

        SamplingParams params = SamplingParams.ofTemperature(0.8);
        List<GeneratedSequence> a = withEos.sample(prompt, 8, params, 24, 5);
        List<GeneratedSequence> b = withoutEos.sample(prompt, 8, params, 24, 5);
        int finishedByEos = 0;
        for (int i = 0; i < 8; i++) {
            int[] tokens = a.get(i).tokenIds();
            int at = indexOf(b.get(i).tokenIds(), frequent);
            if (at >= 0) {
                finishedByEos++;
                assertThat(a.get(i).finishReason()).isEqualTo(GeneratedSequence.EOS);
                assertThat(tokens).containsExactly(Arrays.copyOf(b.get(i).tokenIds(), at + 1));
            } else {
                assertThat(a.get(i).finishReason()).isEqualTo(GeneratedSequence.LENGTH);
                assertThat(tokens).containsExactly(b.get(i).tokenIds()).hasSize(24);
            }
            assertThat(b.get(i).finishReason()).isEqualTo(GeneratedSequence.LENGTH);
        }
        assertThat(finishedByEos).as("rows that hit the stand-in EOS").isPositive();
    }

    @Test
    void contextLengthIsGuarded() throws Exception {
        int maxPositions = lm.config().maxPositions().getAsInt();
        int[] longPrompt = new int[maxPositions - 5];
        for (int i = 0; i < longPrompt.length; i++) {
            longPrompt[i] = prompt[i % prompt.length];
        }
        assertThat(generator.sample(longPrompt, 2, T1, 6, 1)).hasSize(2); // exactly fits: P + 6 - 1 = maxPositions
        assertThatThrownBy(() -> generator.sample(longPrompt, 2, T1, 7, 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("prompt of " + longPrompt.length + " tokens plus maxNewTokens 7 needs " + (maxPositions + 1)
                        + " positions but the model has " + maxPositions + " (PromptOverflow.REJECT)");
        CandidateGenerator truncating = new CandidateGenerator(lm, lm.config().eosTokenId().getAsInt(),
                PromptOverflow.TRUNCATE_LEFT);
        List<GeneratedSequence> cut = truncating.sample(longPrompt, 2, T1, 20, 1);
        int keep = maxPositions - 20 + 1;
        int[] tail = Arrays.copyOfRange(longPrompt, longPrompt.length - keep, longPrompt.length);
        List<GeneratedSequence> explicit = generator.sample(tail, 2, T1, 20, 1);
        for (int i = 0; i < 2; i++) {
            assertThat(cut.get(i).tokenIds()).containsExactly(explicit.get(i).tokenIds());
        }
        assertThatThrownBy(() -> truncating.sample(prompt, 1, T1, maxPositions, 1))
                .hasMessageContaining("needs");
    }

    @Test
    void badArgumentsAreRejectedWithPreciseMessages() {
        int vocab = lm.vocabSize();
        assertThatThrownBy(() -> generator.sample(prompt, 0, T1, 4, 1)).hasMessage("n must be >= 1, got 0");
        assertThatThrownBy(() -> generator.sample(prompt, 2, T1, 0, 1)).hasMessage("maxNewTokens must be >= 1, got 0");
        assertThatThrownBy(() -> generator.sample(new int[0], 2, T1, 4, 1)).hasMessageContaining("promptIds must not be empty");
        assertThatThrownBy(() -> generator.sample(new int[] {1, vocab}, 2, T1, 4, 1))
                .hasMessage("promptIds[1] = " + vocab + " is outside the vocabulary [0, " + vocab + ")");
        assertThatThrownBy(() -> generator.sample(prompt, new int[] {0, -3}, T1, 4, 1))
                .hasMessage("streams[1] = -3 must be >= 0");
        assertThatThrownBy(() -> new CandidateGenerator(lm, vocab, PromptOverflow.REJECT))
                .hasMessageContaining("eosTokenId " + vocab + " is outside the vocabulary");
    }

    private static int indexOf(int[] values, int value) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] == value) {
                return i;
            }
        }
        return -1;
    }
}
