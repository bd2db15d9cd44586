package org.alignstream.inference.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.alignstream.core.sampling.SamplingParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@link LmBatchInvariance} and the merged paths it guards ({@link CandidateGenerator#decode(List, boolean)},
 * {@link CandidateGenerator#extendByOne}, {@link PaddedBatch}): rows the verdict lets share a call give bit for bit
 * what they give alone, checked on contexts and jobs other than the probe's; rows of other lengths merged anyway stay
 * within the round cache's tolerance; a graph without position_ids is never merged.
 */
class LmBatchInvarianceTest {

    private static CausalLm lm;
    private static CandidateGenerator generator;
    private static LmBatchInvariance.Verdict verdict;

    @BeforeAll
    static void load() throws Exception {
        lm = CausalLm.fromClasspath(TestModel.DIR, 1);
        generator = new CandidateGenerator(lm);
        verdict = LmBatchInvariance.check(generator);
        System.out.println("lm-austen: " + verdict);
    }

    @AfterAll
    static void close() throws Exception {
        lm.close();
    }

    private static int[] tokens(long seed, int length) {
        SplittableRandom random = new SplittableRandom(seed);
        int[] t = new int[length];
        for (int i = 0; i < length; i++) {
            t[i] = random.nextInt(lm.vocabSize() - 1); // never EOS (the last id)
        }
        return t;
    }

    /** Lengths of one class of the verdict (equal modulo its alignment), unlike the probe's. */
    private static int[] sameClass(int residue) {
        int a = verdict.alignment();
        return new int[] {residue + a * 2 + a, residue + a, residue + a * 13, residue + a * 6};
    }

    @Test
    void theBundledModelMergesSomeRowsAndSaysHowMuchOthersDiffer() {
        assertThat(verdict.merges()).isTrue();
        assertThat(verdict.invariant()).as(verdict.detail()).isTrue();
        if (verdict.alignment() > 1) {
            assertThat(verdict.maxLogitDifference()).as("merging any lengths differs somewhere").isPositive();
        }
    }

    @Test
    void rowsOfOneClassDecodeMergedExactlyAsAlone() throws Exception {
        for (int residue : new int[] {1, verdict.alignment() - 1}) {
            int[] lengths = sameClass(residue);
            List<CachedContext> contexts = new ArrayList<>();
            try {
                for (int i = 0; i < lengths.length; i++) {
                    contexts.add(generator.context(tokens(50 + i, lengths[i]), null));
                }
                SamplingParams params = new SamplingParams(0.9, 40, 0.95);
                List<DecodeJob> jobs = new ArrayList<>();
                for (int i = 0; i < contexts.size(); i++) {
                    jobs.add(i % 2 == 0
                            ? generator.samplingJob(contexts.get(i), new int[] {0, 3, 1}, params, 6 + i, 77L + i, i)
                            : generator.rolloutJob(contexts.get(i), new int[] {5, 9}, params, 4, 99L));
                }
                List<List<GeneratedSequence>> alone = generator.decode(jobs, false);
                List<List<GeneratedSequence>> merged = generator.decode(jobs, true);
                for (int j = 0; j < jobs.size(); j++) {
                    for (int r = 0; r < alone.get(j).size(); r++) {
                        GeneratedSequence a = alone.get(j).get(r);
                        GeneratedSequence m = merged.get(j).get(r);
                        assertThat(m.tokenIds()).as("job %d row %d", j, r).containsExactly(a.tokenIds());
                        assertThat(bits(m.logprobs())).as("job %d row %d", j, r).containsExactly(bits(a.logprobs()));
                        assertThat(m.finishReason()).isEqualTo(a.finishReason());
                    }
                }
            } finally {
                contexts.forEach(CachedContext::close);
            }
        }
    }

    @Test
    void oneTokenReadingsOfOneClassMergeExactlyAndTheirCachesGoOn() throws Exception {
        int[] lengths = sameClass(2);
        List<int[]> grown = new ArrayList<>();
        List<CachedContext> pasts = new ArrayList<>();
        List<CachedContext> alone = new ArrayList<>();
        List<CachedContext> merged = List.of();
        try {
            for (int i = 0; i < lengths.length; i++) {
                int[] t = tokens(300 + i, lengths[i] + 1);
                grown.add(t);
                pasts.add(generator.context(Arrays.copyOf(t, lengths[i]), null));
                alone.add(generator.context(t, generator.context(Arrays.copyOf(t, lengths[i]), null)));
            }
            merged = generator.extendByOne(pasts, grown);
            for (int i = 0; i < lengths.length; i++) {
                assertThat(merged.get(i).tokens()).containsExactly(grown.get(i));
                assertThat(bits(merged.get(i).lastLogits())).containsExactly(bits(alone.get(i).lastLogits()));
                // the unpadded cache copy continues as the per-request one does
                List<GeneratedSequence> a = generator.sample(alone.get(i), new int[] {0}, SamplingParams.GREEDY, 5,
                        0L, 0);
                List<GeneratedSequence> m = generator.sample(merged.get(i), new int[] {0}, SamplingParams.GREEDY, 5,
                        0L, 0);
                assertThat(m.get(0).tokenIds()).containsExactly(a.get(0).tokenIds());
                assertThat(bits(m.get(0).logprobs())).containsExactly(bits(a.get(0).logprobs()));
            }
        } finally {
            alone.forEach(CachedContext::close);
            merged.forEach(CachedContext::close);
        }
    }

    @Test
    void rowsOfAnyLengthsMergedAnywayStayWithinTheCacheTolerance() throws Exception {
        int[] lengths = {5, 30, 11, 2, 64};
        List<CachedContext> contexts = new ArrayList<>();
        try {
            List<DecodeJob> jobs = new ArrayList<>();
            for (int i = 0; i < lengths.length; i++) {
                contexts.add(generator.context(tokens(900 + i, lengths[i]), null));
                jobs.add(generator.samplingJob(contexts.get(i), new int[] {0}, SamplingParams.GREEDY, 8, 0L, 0));
            }
            List<List<GeneratedSequence>> alone = generator.decode(jobs, false);
            List<List<GeneratedSequence>> merged = generator.decode(jobs, true);
            for (int j = 0; j < jobs.size(); j++) {
                GeneratedSequence a = alone.get(j).get(0);
                GeneratedSequence m = merged.get(j).get(0);
                assertThat(m.tokenIds()).as("greedy tokens of job %d", j).containsExactly(a.tokenIds());
                for (int t = 0; t < a.length(); t++) {
                    assertThat((double) m.logprobs()[t]).isCloseTo(a.logprobs()[t],
                            org.assertj.core.api.Assertions.within(1e-4));
                }
            }
        } finally {
            contexts.forEach(CachedContext::close);
        }
    }

    @Test
    void aGraphWithoutPositionIdsIsNeverMergedAcrossLengths() throws Exception {
        try (CausalLm gpt2 = CausalLm.fromClasspath("lm-fixtures/gpt2-style", 1)) {
            CandidateGenerator g = new CandidateGenerator(gpt2);
            LmBatchInvariance.Verdict v = LmBatchInvariance.check(g);
            assertThat(v.invariant()).isFalse();
            assertThat(v.merges()).isFalse();
            assertThat(v.group(7)).isEqualTo(-1);
            try (CachedContext a = g.context(new int[] {1, 2, 3}, null);
                 CachedContext b = g.context(new int[] {4, 5, 6, 7, 8}, null)) {
                List<DecodeJob> jobs = List.of(g.samplingJob(a, new int[] {0}, SamplingParams.GREEDY, 3, 0L, 0),
                        g.samplingJob(b, new int[] {0}, SamplingParams.GREEDY, 3, 0L, 0));
                assertThatThrownBy(() -> g.decode(jobs, true)).isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining("position_ids");
            }
        }
    }

    @Test
    void theLlamaLayoutIsProbedToo() {
        try (CausalLm llama = CausalLm.fromClasspath("lm-fixtures/llama-style", 1)) {
            LmBatchInvariance.Verdict v = LmBatchInvariance.check(new CandidateGenerator(llama));
            assertThat(v.merges()).isTrue();
            assertThat(v.detail()).isNotBlank();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void probeLengthsFallInOneClass() {
        for (int a : LmBatchInvariance.ALIGNMENTS) {
            for (int residue : new int[] {0, 3}) {
                int[] lengths = LmBatchInvariance.lengths(a, residue, 128);
                assertThat(lengths.length).isGreaterThanOrEqualTo(2);
                for (int length : lengths) {
                    assertThat(length % a).isEqualTo(residue % a);
                    assertThat(length).isBetween(1, 128 - 5 - 16);
                }
            }
        }
    }

    private static int[] bits(float[] values) {
        int[] out = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = Float.floatToRawIntBits(values[i]);
        }
        return out;
    }
}
