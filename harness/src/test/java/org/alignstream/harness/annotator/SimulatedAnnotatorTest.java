package org.alignstream.harness.annotator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.alignstream.avro.EditEvent;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.PreferenceEvent;
import org.junit.jupiter.api.Test;

class SimulatedAnnotatorTest {

    /** A toy gold judge: +1 per "good"/"happy"/"kind", -1 per "bad"/"sad", -0.01 per word (prefers shorter). */
    static double toyGold(String text) {
        double s = 0;
        for (String w : text.toLowerCase().split("\\W+")) {
            if (Set.of("good", "happy", "kind").contains(w)) {
                s += 1;
            } else if (Set.of("bad", "sad").contains(w)) {
                s -= 1;
            }
            if (!w.isEmpty()) {
                s -= 0.01;
            }
        }
        return s;
    }

    static final List<List<String>> CALLS = new ArrayList<>();

    static SimulatedAnnotator.Judge judge() {
        return texts -> {
            CALLS.add(List.copyOf(texts));
            return texts.stream().mapToDouble(SimulatedAnnotatorTest::toyGold).toArray();
        };
    }

    static SimulatedAnnotator noEdits() {
        return new SimulatedAnnotator(judge(), new SimulatedAnnotator.Options(0, List.of("good"), 0.05, 24, 1));
    }

    static SimulatedAnnotator alwaysEdit() {
        return new SimulatedAnnotator(judge(), new SimulatedAnnotator.Options(1, List.of("good", "happy"), 0.05, 24, 1));
    }

    @Test
    void theGoldDecidesBetweenTheProxysPickAndTheOtherCandidate() {
        // two candidates: the other one is forced
        SimulatedAnnotator.Annotation a = noEdits().annotate("r1", List.of("a sad day", "a happy day"), new double[] {3, 1});
        assertThat(a.pick()).isZero();
        assertThat(a.other()).isEqualTo(1);
        assertThat(a.preference().chosen()).isEqualTo(1);
        assertThat(a.preference().rejected()).isZero();
        assertThat(a.preference().chosenText()).isEqualTo("a happy day");
        assertThat(a.preference().goldChosen()).isGreaterThan(a.preference().goldRejected());
        assertThat(a.edit()).isNull();
        SimulatedAnnotator.Annotation b = noEdits().annotate("r1", List.of("a sad day", "a happy day"), new double[] {0, 1});
        assertThat(b.pick()).isEqualTo(1);
        assertThat(b.preference().chosen()).isEqualTo(1);
        assertThat(b.preference().rejected()).isZero();
    }

    @Test
    void theOtherCandidateIsDrawnFromTheRequestIdAmongTextsDifferentFromThePick() {
        // the pick is 0 (a proxy tie goes to the lowest index, as Best-of-N); 1 repeats its text
        List<String> c = List.of("a sad day", " a sad day ", "a bad sad day", "a sad sad day", "a kind day");
        double[] proxy = {1, 1, 0, 0, 0};
        java.util.Map<Integer, Integer> drawn = new java.util.TreeMap<>();
        for (int i = 0; i < 600; i++) {
            SimulatedAnnotator.Annotation a = noEdits().annotate("req-" + i, c, proxy);
            assertThat(a.pick()).isZero();
            assertThat(noEdits().annotate("req-" + i, c, proxy).other()).isEqualTo(a.other());
            drawn.merge(a.other(), 1, Integer::sum);
        }
        assertThat(drawn.keySet()).containsExactly(2, 3, 4);
        assertThat(drawn.values()).allSatisfy(n -> assertThat(n).isBetween(150, 250));
    }

    @Test
    void noPreferenceWithoutAnotherDistinctTextOrOnAGoldTie() {
        assertThat(noEdits().annotate("r", List.of("same", "same "), new double[] {0, 1}).preference()).isNull();
        assertThat(noEdits().annotate("r", List.of("one"), new double[] {0}).preference()).isNull();
        // equal gold rewards: the annotator has no preference
        assertThat(noEdits().annotate("r", List.of("a b", "c d"), new double[] {0, 1}).preference()).isNull();
    }

    @Test
    void theEditChangesOneWordTheOneThatRaisesTheGoldMost() {
        String text = "It was a sad, long day.";
        SimulatedAnnotator.Annotation a = alwaysEdit().annotate("r", List.of(text, "It was fine."), new double[] {2, 1});
        SimulatedAnnotator.Edit e = a.edit();
        assertThat(e).isNotNull();
        assertThat(e.original()).isEqualTo(text);
        // replacing "sad" (keeping its comma) by a gold word gains 2; deleting it gains only 1.01
        assertThat(e.edited()).isIn("It was a good, long day.", "It was a happy, long day.");
        assertThat(e.word()).isEqualTo(3);
        assertThat(e.goldAfter() - e.goldBefore()).isCloseTo(2.0, org.assertj.core.data.Offset.offset(1e-9));
        assertThat(MinimalEdits.changedWords(e.original(), e.edited())).isEqualTo(1);
    }

    @Test
    void noEditWhenNoSingleWordChangeGainsEnough() {
        SimulatedAnnotator a = new SimulatedAnnotator(judge(), new SimulatedAnnotator.Options(1, List.of(), 0.05, 24, 1));
        // only deletions: each gains 0.01 < 0.05
        assertThat(a.annotate("r", List.of("a plain day", "x"), new double[] {1, 0}).edit()).isNull();
    }

    @Test
    void variantsKeepTheRestOfTheTextByteForByte() {
        String text = " Well,  she was   Sad in 1811, tired.";
        List<SimulatedAnnotator.Variant> v = SimulatedAnnotator.variants(text, List.of("happy"), 24);
        assertThat(v).extracting(SimulatedAnnotator.Variant::text).contains(
                " she was   Sad in 1811, tired.", // the first word deleted with the whitespace after it
                " Well, was   Sad in 1811, tired.", // a word deleted with the whitespace before it
                " Well,  she was   Sad in 1811,", // the last word deleted
                " Happy,  she was   Sad in 1811, tired.", // replaced, punctuation kept
                " Well,  she was   Happy in 1811, tired.", // capital kept
                " Well,  she was   Sad in 1811, happy.");
        assertThat(v).hasSize(7 + 6); // every word deleted, every word with letters replaced
        // "1811," has no letters: only deleted
        assertThat(v).filteredOn(x -> x.word() == 5).extracting(SimulatedAnnotator.Variant::replacement)
                .containsOnlyNulls();
        for (SimulatedAnnotator.Variant x : v) {
            assertThat(MinimalEdits.changedWords(text, x.text())).as(x.text()).isEqualTo(1);
        }
    }

    @Test
    void variantsCoverOnlyTheFirstMaxWordsAndSkipNoOpReplacements() {
        List<SimulatedAnnotator.Variant> v = SimulatedAnnotator.variants("good day to you", List.of("good"), 2);
        assertThat(v).extracting(SimulatedAnnotator.Variant::word).containsOnly(0, 1);
        assertThat(v).extracting(SimulatedAnnotator.Variant::text)
                .containsExactly("day to you", "good to you", "good good to you");
    }

    @Test
    void theEditShareFollowsTheFractionAndIsAFunctionOfTheRequestId() {
        SimulatedAnnotator a = new SimulatedAnnotator(judge(), new SimulatedAnnotator.Options(0.25, List.of(), 0, 24, 7));
        int edited = 0;
        for (int i = 0; i < 4000; i++) {
            if (a.editRequested("req-" + i)) {
                edited++;
            }
            assertThat(a.editRequested("req-" + i)).isEqualTo(a.editRequested("req-" + i));
        }
        assertThat(edited / 4000.0).isBetween(0.22, 0.28);
        assertThat(new SimulatedAnnotator(judge(), new SimulatedAnnotator.Options(0, List.of(), 0, 24, 7))
                .editRequested("x")).isFalse();
    }

    @Test
    void oneJudgeCallForThePairAndOneForTheEditVariants() {
        CALLS.clear();
        SimulatedAnnotator.Annotation a = alwaysEdit().annotate("r", List.of("a sad day", "a day"), new double[] {1, 0});
        assertThat(CALLS).hasSize(2);
        assertThat(CALLS.get(0)).containsExactly("a sad day", "a day");
        assertThat(a.judged()).isEqualTo(2 + CALLS.get(1).size());
    }

    @Test
    void eventsCarryIdsFromTheRequestAndTheEditAsEditedOverOriginal() {
        SimulatedAnnotator.Annotation a = alwaysEdit().annotate("req-9", List.of("a sad day", "a good day"),
                new double[] {1, 0});
        List<FeedbackEvent> events = SimulatedAnnotator.events("req-9", "Tell me", a, "sentiment", "sim");
        assertThat(events).extracting(FeedbackEvent::getId).containsExactly("pref-req-9", "edit-req-9");
        assertThat(events).allSatisfy(e -> {
            assertThat(e.getRewardModel()).isEqualTo("sentiment");
            assertThat(e.getAnnotatorId()).isEqualTo("sim");
        });
        PreferenceEvent p = (PreferenceEvent) events.get(0).getEvent();
        assertThat(p.getChosen()).isEqualTo("a good day");
        assertThat(p.getRejected()).isEqualTo("a sad day");
        EditEvent e = (EditEvent) events.get(1).getEvent();
        assertThat(e.getOriginal()).isEqualTo("a sad day");
        assertThat(e.getEdited()).isIn("a good day", "a happy day");
    }

    @Test
    void rejectsMismatchedInputsAndABrokenJudge() {
        assertThatThrownBy(() -> noEdits().annotate("r", List.of("a"), new double[] {1, 2}))
                .isInstanceOf(IllegalArgumentException.class);
        SimulatedAnnotator broken = new SimulatedAnnotator(t -> new double[] {Double.NaN, 0},
                SimulatedAnnotator.Options.defaults());
        assertThatThrownBy(() -> broken.annotate("r", List.of("a", "b"), new double[] {1, 2}))
                .isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> new SimulatedAnnotator.Options(1.5, List.of(), 0, 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new SimulatedAnnotator.Options(0.5, List.of("two words"), 0, 1, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
