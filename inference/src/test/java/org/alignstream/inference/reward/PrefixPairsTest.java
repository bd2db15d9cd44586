package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PrefixPairsTest {

    private static final LabelledSentences DATA = new LabelledSentences(
            List.of("The  food was lovely.", "The food was cold and bland.", "Great fun!", "Awful, truly awful day."),
            new int[] {1, 0, 1, 0});

    @Test
    void prefixesKeepTheOriginalTextUpToTheEndOfTheWord() {
        assertThat(PrefixPairs.wordCount("The  food was lovely.")).isEqualTo(4);
        assertThat(PrefixPairs.prefix("The  food was lovely.", 2)).isEqualTo("The  food");
        assertThat(PrefixPairs.prefix("Awful, truly awful day.", 1)).isEqualTo("Awful,");
        assertThat(PrefixPairs.prefix("Great fun!", 2)).isEqualTo("Great fun!");
        assertThatThrownBy(() -> PrefixPairs.prefix("Great fun!", 3)).hasMessageContaining("fewer than 3 words");
        assertThat(List.of(1, 2, 3, 4, 5, 7, 8, 30, PrefixPairs.FULL).stream().map(PrefixPairs::bucket))
                .containsExactly("1", "2", "3-4", "3-4", "5-7", "5-7", "8+", "8+", "full");
    }

    @Test
    void allPairsCoverEveryEqualLengthPrefixAndSkipIdenticalOnes() {
        List<PrefixPairs.Pair> pairs = PrefixPairs.all(DATA);
        // (0,1): t=1 "The"/"The" skipped, t=2 "The  food"/"The food" differ only in spacing -> kept; t=2..4 + full
        // (0,3): t=1..4 + full; (2,1): t=1..2 + full; (2,3): t=1..2 + full
        assertThat(pairs).hasSize(4 + 5 + 3 + 3);
        assertThat(pairs).doesNotContain(new PrefixPairs.Pair(0, 1, 1));
        assertThat(pairs).contains(new PrefixPairs.Pair(2, 3, 2), new PrefixPairs.Pair(2, 3, PrefixPairs.FULL));
        assertThat(PrefixPairs.chosenText(DATA, new PrefixPairs.Pair(2, 3, 1))).isEqualTo("Great");
        assertThat(PrefixPairs.rejectedText(DATA, new PrefixPairs.Pair(2, 3, PrefixPairs.FULL)))
                .isEqualTo("Awful, truly awful day.");
        assertThat(PrefixPairs.prefixTexts(DATA)).startsWith("The", "The  food").contains("The food").hasSize(4 + 6 + 2 + 4 - 1);
    }

    @Test
    void sampledPairsAreSeededAndBounded() {
        List<PrefixPairs.Pair> a = PrefixPairs.sample(DATA, 7, 1, 1);
        assertThat(a).isEqualTo(PrefixPairs.sample(DATA, 7, 1, 1));
        assertThat(a.stream().filter(PrefixPairs.Pair::full)).hasSize(2); // one negative per positive
        assertThat(a.size()).isBetween(3, 4); // plus at most one prefix each (fewer if it was identical)
        List<PrefixPairs.Pair> b = PrefixPairs.sample(DATA, 7, 5, 99);
        assertThat(b).containsExactlyInAnyOrderElementsOf(PrefixPairs.all(DATA));
    }

    @Test
    void accuracyByBucketCountsStrictWins() {
        Map<String, Double> scores = new HashMap<>();
        PrefixPairs.prefixTexts(DATA).forEach(t -> scores.put(t, 0.0));
        scores.put("Great", 1.0);
        scores.put("Great fun!", -1.0);
        Map<String, PrefixPairs.Tally> t = PrefixPairs.accuracyByBucket(DATA, PrefixPairs.all(DATA), scores);
        assertThat(t.get("1")).isEqualTo(new PrefixPairs.Tally(3, 2)); // (0,3) tie is wrong; "Great" beats both
        assertThat(t.get("full")).isEqualTo(new PrefixPairs.Tally(4, 0));
        assertThat(t.get(PrefixPairs.SHORT).pairs()).isEqualTo(t.get("1").pairs() + t.get("2").pairs() + t.get("3-4").pairs());
        assertThat(t.get(PrefixPairs.ALL_PREFIXES).pairs()).isEqualTo(15 - 4);
    }
}
