package org.alignstream.core.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.within;

import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.SplittableRandom;
import org.alignstream.core.feedback.PrefixPairSampler.PrefixPair;
import org.junit.jupiter.api.Test;

class PrefixPairSamplerTest {

    @Test
    void takesEveryInformativeLengthWhenAskedForMore() {
        int[] chosen = {1, 2, 3, 4, 5};
        int[] rejected = {1, 2, 9, 9};
        List<PrefixPair> pairs = new PrefixPairSampler(10).sample(chosen, rejected, new SplittableRandom(1));
        assertThat(pairs).containsExactly(
                new PrefixPair(new int[] {1, 2, 3}, new int[] {1, 2, 9}, false),
                new PrefixPair(new int[] {1, 2, 3, 4}, new int[] {1, 2, 9, 9}, false),
                new PrefixPair(chosen, rejected, true));
        assertThat(pairs.get(0).length()).isEqualTo(3);
        assertThat(pairs.get(2).full()).isTrue();
    }

    @Test
    void informativeLengthsSkipTheCommonPrefixAndTheFullLength() {
        assertThat(PrefixPairSampler.informativeLengths(new int[] {1, 2, 3, 4, 5}, new int[] {1, 2, 9, 9}))
                .containsExactly(3, 4);
        // equal lengths: t = 3 would repeat the full pair
        assertThat(PrefixPairSampler.informativeLengths(new int[] {1, 2, 3}, new int[] {4, 5, 6})).containsExactly(1, 2);
        // one is a prefix of the other: no prefix pair carries a preference
        assertThat(PrefixPairSampler.informativeLengths(new int[] {1, 2}, new int[] {1, 2, 3})).isEmpty();
        assertThat(PrefixPairSampler.informativeLengths(new int[0], new int[] {1})).isEmpty();
        assertThat(PrefixPairSampler.informativeLengths(new int[] {7, 1}, new int[] {7, 2})).isEmpty();
        assertThat(PrefixPairSampler.informativeLengths(new int[] {7, 1, 0}, new int[] {7, 2})).containsExactly(2);
    }

    @Test
    void onlyTheFullPairWhenNothingIsDrawnOrInformative() {
        int[] chosen = {4, 5, 6};
        int[] rejected = {7, 8};
        assertThat(new PrefixPairSampler(0).sample(chosen, rejected, new SplittableRandom(3)))
                .containsExactly(new PrefixPair(chosen, rejected, true));
        assertThat(new PrefixPairSampler(5).sample(new int[0], new int[] {1}, new SplittableRandom(3)))
                .containsExactly(new PrefixPair(new int[0], new int[] {1}, true));
        assertThat(new PrefixPairSampler(5).sample(new int[] {1, 2}, new int[] {1, 2, 3}, new Random(3)))
                .containsExactly(new PrefixPair(new int[] {1, 2}, new int[] {1, 2, 3}, true));
    }

    @Test
    void deterministicForASeedAndVariedAcrossSeeds() {
        int[] chosen = new Random(1).ints(40, 0, 50).toArray();
        int[] rejected = new Random(2).ints(35, 0, 50).toArray();
        PrefixPairSampler sampler = new PrefixPairSampler(4);
        Set<List<PrefixPair>> distinct = new HashSet<>();
        for (long seed = 0; seed < 20; seed++) {
            List<PrefixPair> first = sampler.sample(chosen, rejected, new SplittableRandom(seed));
            assertThat(sampler.sample(chosen, rejected, new SplittableRandom(seed))).isEqualTo(first);
            assertThat(sampler.sample(chosen, rejected, new Random(seed)))
                    .isEqualTo(sampler.sample(chosen, rejected, new Random(seed)));
            distinct.add(first);
        }
        assertThat(distinct.size()).isGreaterThan(15);
    }

    @Test
    void drawsDistinctIncreasingLengthsUniformly() {
        int[] chosen = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        int[] rejected = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
        PrefixPairSampler sampler = new PrefixPairSampler(3);
        int draws = 20000;
        int[] counts = new int[11];
        SplittableRandom random = new SplittableRandom(99);
        PrefixPair full = new PrefixPair(chosen, rejected, true);
        for (int i = 0; i < draws; i++) {
            List<PrefixPair> pairs = sampler.sample(chosen, rejected, random);
            // plain checks in the loop (AssertJ per draw is slow); the first bad draw is reported
            String problem = pairs.size() != 4 ? "size " + pairs.size() : pairs.get(3).equals(full) ? null : "no full pair";
            int previous = 0;
            for (int p = 0; problem == null && p < 3; p++) {
                PrefixPair pair = pairs.get(p);
                int t = pair.length();
                if (pair.full() || t <= previous || t > 10 || !Arrays.equals(pair.chosen(), Arrays.copyOf(chosen, t))
                        || !Arrays.equals(pair.rejected(), Arrays.copyOf(rejected, t))) {
                    problem = "bad prefix pair " + pair;
                }
                counts[t]++;
                previous = t;
            }
            if (problem != null) {
                fail("draw " + i + ": " + problem + " in " + pairs);
            }
        }
        for (int t = 1; t <= 10; t++) {
            assertThat((double) counts[t] / draws).as("P(length %d drawn)", t).isCloseTo(0.3, within(0.015));
        }
    }

    @Test
    void pairsAreImmutableValues() {
        int[] chosen = {1, 2};
        PrefixPair pair = new PrefixPair(chosen, new int[] {3, 4}, false);
        chosen[0] = 99;
        pair.chosen()[1] = 99;
        assertThat(pair.chosen()).containsExactly(1, 2);
        assertThat(pair).isEqualTo(new PrefixPair(new int[] {1, 2}, new int[] {3, 4}, false))
                .hasSameHashCodeAs(new PrefixPair(new int[] {1, 2}, new int[] {3, 4}, false))
                .isNotEqualTo(new PrefixPair(new int[] {1, 2}, new int[] {3, 4}, true));
        assertThat(pair.toString()).isEqualTo("PrefixPair[t=2, chosen=[1, 2], rejected=[3, 4]]");
    }

    @Test
    void rejectsBadInput() {
        PrefixPairSampler sampler = new PrefixPairSampler(2);
        assertThatThrownBy(() -> new PrefixPairSampler(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prefixesPerPair must be >= 0, got -1");
        assertThatThrownBy(() -> sampler.sample(new int[] {1, 2}, new int[] {1, 2}, new SplittableRandom(1)))
                .hasMessageContaining("chosen and rejected are the same 2 tokens");
        assertThatThrownBy(() -> sampler.sample(null, new int[] {1}, new SplittableRandom(1)))
                .hasMessageContaining("needs a chosen and a rejected token sequence");
        assertThatThrownBy(() -> sampler.sample(new int[] {1}, new int[] {2}, null))
                .hasMessageContaining("random generator is required");
        assertThatThrownBy(() -> new PrefixPair(new int[] {1}, new int[] {1, 2}, false))
                .hasMessageContaining("equal lengths, got 1 and 2");
    }
}
