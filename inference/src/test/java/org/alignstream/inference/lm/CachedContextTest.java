package org.alignstream.inference.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.alignstream.core.sampling.SamplingParams;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Reading a context once and extending it round by round, on the REAL bundled lm-austen. */
class CachedContextTest {

    /** The documented bound (CandidateGenerator#context, docs/OPERATIONS.md) on |incremental - one-piece| logits. */
    static final double LOGIT_TOLERANCE = 1e-4;

    private static CausalLm lm;
    private static CandidateGenerator generator;

    @BeforeAll
    static void load() throws Exception {
        lm = CausalLm.fromClasspath(TestModel.DIR, 1);
        generator = new CandidateGenerator(lm);
    }

    @AfterAll
    static void close() throws Exception {
        lm.close();
    }

    private static int[] randomTokens(SplittableRandom rng, int n) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = rng.nextInt(lm.vocabSize());
        }
        return out;
    }

    @Test
    void aContextExtendedTokenByTokenAgreesWithOnePieceReadingsWithinTheTolerance() throws Exception {
        SplittableRandom rng = new SplittableRandom(3);
        double maxDiff = 0;
        int differing = 0;
        int compared = 0;
        for (int trial = 0; trial < 3; trial++) {
            int[] tokens = randomTokens(rng, 100);
            CachedContext context = generator.context(Arrays.copyOf(tokens, 8), null);
            try {
                for (int t = 9; t <= tokens.length; t++) {
                    context = generator.context(Arrays.copyOf(tokens, t), context);
                    assertThat(context.length()).isEqualTo(t);
                    try (CachedContext whole = generator.context(Arrays.copyOf(tokens, t), null)) {
                        float[] a = context.lastLogits();
                        float[] b = whole.lastLogits();
                        for (int v = 0; v < a.length; v++) {
                            double d = Math.abs(a[v] - b[v]);
                            maxDiff = Math.max(maxDiff, d);
                            differing += d == 0 ? 0 : 1;
                            compared++;
                        }
                        assertThat(generator.nextTokens(context, 1).tokenIds())
                                .isEqualTo(generator.nextTokens(whole, 1).tokenIds());
                    }
                }
            } finally {
                context.close();
            }
        }
        System.out.printf("incremental vs one-piece logits: max |diff| %.3g, %d of %d differ%n", maxDiff, differing,
                compared);
        assertThat(maxDiff).isLessThanOrEqualTo(LOGIT_TOLERANCE);
    }

    @Test
    void greedyDecodingRoundByRoundEqualsFullRecomputationEveryRound() throws Exception {
        int[] context = TestModel.references().get(0).inputIds();
        CachedContext read = null;
        try {
            for (int round = 0; round < 40; round++) {
                read = generator.context(context, read);
                CandidateGenerator.TopTokens cached = generator.nextTokens(read, 5);
                CandidateGenerator.TopTokens full = generator.nextTokens(context, 5);
                assertThat(cached.tokenIds()).as("round %d", round).containsExactly(full.tokenIds());
                for (int i = 0; i < 5; i++) {
                    assertThat(cached.logprobs()[i]).isCloseTo(full.logprobs()[i],
                            org.assertj.core.data.Offset.offset(2 * LOGIT_TOLERANCE));
                }
                context = Arrays.copyOf(context, context.length + 1);
                context[context.length - 1] = cached.tokenIds()[0];
            }
        } finally {
            if (read != null) {
                read.close();
            }
        }
    }

    @Test
    void aOnePieceReadIsBitForBitWhatTheArrayMethodsUse() throws Exception {
        int[] prompt = TestModel.references().get(1).inputIds();
        SamplingParams params = new SamplingParams(0.9, 20, 0.95);
        try (CachedContext read = generator.context(prompt, null)) {
            CandidateGenerator.TopTokens a = generator.nextTokens(read, 7);
            CandidateGenerator.TopTokens b = generator.nextTokens(prompt, 7);
            assertThat(a.tokenIds()).containsExactly(b.tokenIds());
            assertThat(a.logprobs()).containsExactly(b.logprobs());
            List<GeneratedSequence> fromRead = generator.sample(read, new int[] {0, 1, 2}, params, 12, 5L, 3);
            List<GeneratedSequence> fromIds = generator.sample(prompt, new int[] {0, 1, 2}, params, 12, 5L, 3);
            List<GeneratedSequence> rollRead = generator.rollouts(read, new int[] {10, 20}, params, 6, 9L);
            List<GeneratedSequence> rollIds = generator.rollouts(prompt, new int[] {10, 20}, params, 6, 9L);
            for (int i = 0; i < 3; i++) {
                assertThat(fromRead.get(i).tokenIds()).containsExactly(fromIds.get(i).tokenIds());
                assertThat(fromRead.get(i).logprobs()).containsExactly(fromIds.get(i).logprobs());
            }
            for (int i = 0; i < 2; i++) {
                assertThat(rollRead.get(i).tokenIds()).containsExactly(rollIds.get(i).tokenIds());
                assertThat(rollRead.get(i).logprobs()).containsExactly(rollIds.get(i).logprobs());
            }
            // decoding from the context leaves it unchanged: a second time gives the same
            List<GeneratedSequence> again = generator.sample(read, new int[] {0, 1, 2}, params, 12, 5L, 3);
            assertThat(again.get(2).tokenIds()).containsExactly(fromRead.get(2).tokenIds());
        }
    }

    @Test
    void aPastThatIsNotAPrefixIsDroppedAndTheWholeContextIsRead() throws Exception {
        int[] tokens = randomTokens(new SplittableRandom(8), 20);
        CachedContext past = generator.context(Arrays.copyOf(tokens, 10), null);
        int[] other = tokens.clone();
        other[3] = (other[3] + 1) % lm.vocabSize();
        try (CachedContext read = generator.context(other, past);
             CachedContext fresh = generator.context(other, null)) {
            assertThat(read).isNotSameAs(past);
            assertThat(read.lastLogits()).containsExactly(fresh.lastLogits()); // a one-piece read, bit for bit
            assertThatThrownBy(() -> past.cache().key(0)).isInstanceOf(IllegalStateException.class); // consumed
        }
        // a past covering the whole context is returned as it is
        CachedContext whole = generator.context(tokens, null);
        try (CachedContext same = generator.context(tokens, whole)) {
            assertThat(same).isSameAs(whole);
        }
    }

    @Test
    void badTokensAndOverlongContextsAreRejectedBeforeAnyModelWork() throws Exception {
        CachedContext past = generator.context(new int[] {1, 2, 3}, null);
        assertThatThrownBy(() -> generator.context(new int[] {1, 2, 3, lm.vocabSize()}, past))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokens[3]");
        assertThatThrownBy(() -> past.cache().key(0)).isInstanceOf(IllegalStateException.class);
        int maxPositions = lm.config().maxPositions().getAsInt();
        assertThatThrownBy(() -> generator.context(new int[maxPositions + 1], null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positions");
        try (CachedContext read = generator.context(new int[maxPositions - 2], null)) {
            assertThatThrownBy(() -> generator.sample(read, new int[] {0}, SamplingParams.GREEDY, 4, 1L, 0))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("positions");
        }
    }
}
