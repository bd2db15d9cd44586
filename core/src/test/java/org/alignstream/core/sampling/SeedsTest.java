package org.alignstream.core.sampling;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class SeedsTest {

    @Test
    void sameCoordinatesGiveTheSameStreamRegardlessOfEarlierConsumption() {
        SplittableRandom first = Seeds.forStep(42, 3, 7);
        for (int i = 0; i < 1000; i++) {
            first.nextLong(); // another step consuming lots of randomness must not matter
        }
        SplittableRandom a = Seeds.forStep(42, 3, 7);
        SplittableRandom b = Seeds.forStep(42, 3, 7);
        for (int i = 0; i < 10; i++) {
            assertThat(a.nextDouble()).isEqualTo(b.nextDouble());
        }
    }

    @Test
    void distinctCoordinatesGiveDistinctSeedsAndValues() {
        Set<Long> seeds = new HashSet<>();
        Set<Double> firstDraws = new HashSet<>();
        for (long seed : new long[] {0, 1, -1, 42}) {
            for (int stream = 0; stream < 64; stream++) {
                for (int step = 0; step < 64; step++) {
                    seeds.add(Seeds.mix(seed, stream, step));
                    firstDraws.add(Seeds.forStep(seed, stream, step).nextDouble());
                }
            }
        }
        assertThat(seeds).hasSize(4 * 64 * 64);
        assertThat(firstDraws).hasSize(4 * 64 * 64);
        assertThat(Seeds.mix(1, 0, 1)).isNotEqualTo(Seeds.mix(1, 1, 0));
    }

    @Test
    void firstDrawsAreUniform() {
        int bins = 10;
        int[] counts = new int[bins];
        int n = 0;
        for (int stream = 0; stream < 100; stream++) {
            for (int step = 0; step < 200; step++) {
                counts[(int) (Seeds.forStep(2024, stream, step).nextDouble() * bins)]++;
                n++;
            }
        }
        double chi2 = 0;
        for (int c : counts) {
            chi2 += (c - n / (double) bins) * (c - n / (double) bins) / (n / (double) bins);
        }
        assertThat(chi2).isLessThan(27.88); // chi-square 0.999 quantile, 9 degrees of freedom
    }

    @Test
    void mix64IsTheSplitMix64Finaliser() {
        // SplittableRandom(s).nextLong() == mix64(s + GOLDEN_GAMMA) by the SplitMix64 definition
        long s = 123456789L;
        assertThat(Seeds.mix64(s + 0x9e3779b97f4a7c15L)).isEqualTo(new SplittableRandom(s).nextLong());
    }

    @Test
    void negativeCoordinatesAreRejected() {
        assertThatThrownBy(() -> Seeds.forStep(1, -1, 0)).hasMessageContaining("stream must be >= 0, got -1");
        assertThatThrownBy(() -> Seeds.forStep(1, 0, -2)).hasMessageContaining("step must be >= 0, got -2");
    }

    @Test
    void forRoundIsDeterministicAndDistinctAcrossRoundsAndSeeds() {
        Set<Long> seeds = new HashSet<>();
        long[] requestSeeds = {0, 1, -1, 42, Long.MIN_VALUE, Long.MAX_VALUE};
        for (long seed : requestSeeds) {
            for (int round = 0; round < 1000; round++) {
                long s = Seeds.forRound(seed, round);
                assertThat(Seeds.forRound(seed, round)).isEqualTo(s);
                seeds.add(s);
            }
        }
        assertThat(seeds).hasSize(requestSeeds.length * 1000);
        assertThat(Seeds.forRound(7, Integer.MAX_VALUE)).isNotEqualTo(Seeds.forRound(7, 0));
    }

    @Test
    void forRoundNeverCollidesWithACandidateStreamOrTheSelectionStream() {
        Set<Long> roundSeeds = new HashSet<>();
        for (int round = 0; round < 256; round++) {
            roundSeeds.add(Seeds.forRound(42, round));
        }
        int collisions = 0;
        for (int stream = 0; stream < 256; stream++) {
            for (int step = 0; step < 256; step++) {
                collisions += roundSeeds.contains(Seeds.mix(42, stream, step)) ? 1 : 0;
            }
        }
        for (int step = 0; step < 256; step++) {
            collisions += roundSeeds.contains(Seeds.mix(42, Seeds.SELECTION_STREAM, step)) ? 1 : 0;
        }
        assertThat(collisions).isZero();
        assertThat(roundSeeds).contains(Seeds.mix(42, Seeds.SELECTION_STREAM - 1, 3)); // the set is not vacuous
    }

    @Test
    void negativeRoundIsRejected() {
        assertThatThrownBy(() -> Seeds.forRound(1, -3)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("round must be >= 0, got -3");
    }
}
