package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.TrainingExample;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class FeedbackBenchTest {

    private static Bench parse(String... args) {
        Bench bench = new Bench();
        new CommandLine(bench).parseArgs(args);
        return bench;
    }

    @Test
    void sizesFollowQuickAndExplicitFlags() {
        assertThat(FeedbackBench.Sizes.of(parse().feedbackOptions, false)).isEqualTo(new FeedbackBench.Sizes(10_000, 5, 300));
        Bench quick = parse("--quick", "--feedback-triggers=4");
        assertThat(FeedbackBench.Sizes.of(quick.feedbackOptions, quick.quick)).isEqualTo(new FeedbackBench.Sizes(2_000, 4, 100));
        assertThat(parse("--sections=feedback").sections).containsExactly(Bench.Section.feedback);
        assertThat(FeedbackBench.prefixOf("one two three", 6)).isEqualTo("one two");
        assertThat(FeedbackBench.prefixOf("one", 2)).isEqualTo("one");
        assertThatThrownBy(() -> FeedbackBench.Sizes.of(parse("--feedback-prefill=5").feedbackOptions, false))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void prefillExamplesAreDistinctPreferencesOfPositiveOverNegativeWithPrefixesAndAFifthHeldOut() {
        List<String> pos = List.of("a very good day for all", "kind people were happy there");
        List<String> neg = List.of("a bad day for everyone here", "sad and cold and wet again");
        Map<String, float[]> features = new HashMap<>();
        int k = 0;
        for (String s : List.of(pos.get(0), pos.get(1), neg.get(0), neg.get(1))) {
            features.put(s, new float[] {k++, 1});
            for (int t : FeedbackBench.Pool.PREFIX_WORDS) {
                features.put(FeedbackBench.prefixOf(s, t), new float[] {k++, 0});
            }
        }
        FeedbackBench.Pool pool = new FeedbackBench.Pool(pos, neg, features);
        int held = 0;
        for (int i = 0; i < 50; i++) {
            TrainingExample e = FeedbackBench.example(i, pool);
            assertThat(e.getEventId()).isEqualTo("prefill-" + i);
            assertThat(e.getRewardModel()).isEqualTo("sentiment");
            assertThat(e.getChosen().get(1)).isEqualTo(1f);
            assertThat(e.getChosen().get(0)).isLessThan(10f); // a positive sentence's features (k 0..7)
            assertThat(e.getRejected().get(0)).isGreaterThanOrEqualTo(8f);
            assertThat(e.getPrefixChosen()).hasSize(3);
            assertThat(e.getPrefixRejected()).hasSize(3);
            held += e.getHoldout() ? 1 : 0;
        }
        assertThat(held).isEqualTo(10);
    }
}
