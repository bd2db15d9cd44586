package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class MarkedSectionTest {

    @Test
    void aNewFileHoldsOnlyTheSection() {
        assertThat(MarkedSection.put(null, "feedback-curve", "body")).isEqualTo(
                "<!-- feedback-curve -->\nbody\n<!-- /feedback-curve -->\n");
    }

    @Test
    void anExistingSectionIsReplacedInPlaceAndTheRestKeptByteForByte() {
        String doc = "# Evaluation\n\ntable\n\n<!-- feedback-curve -->\nold\nlines\n<!-- /feedback-curve -->\n\n## after\n";
        String out = MarkedSection.put(doc, "feedback-curve", "new\n");
        assertThat(out).isEqualTo("# Evaluation\n\ntable\n\n<!-- feedback-curve -->\nnew\n<!-- /feedback-curve -->\n\n## after\n");
        assertThat(MarkedSection.put(out, "feedback-curve", "new\n")).isEqualTo(out);
        assertThat(MarkedSection.get(out, "feedback-curve")).isEqualTo("new\n");
    }

    @Test
    void withoutMarkersTheSectionIsAppendedAfterABlankLine() {
        assertThat(MarkedSection.put("# Evaluation\ntable\n", "feedback-curve", "b")).isEqualTo(
                "# Evaluation\ntable\n\n<!-- feedback-curve -->\nb\n<!-- /feedback-curve -->\n");
        assertThat(MarkedSection.put("x", "s", "b")).isEqualTo("x\n\n<!-- s -->\nb\n<!-- /s -->\n");
    }

    @Test
    void aWriterOfTheWholeFileKeepsTheOtherWritersSections() {
        String old = "# Old report\n\n<!-- feedback-curve -->\ncurve\n<!-- /feedback-curve -->\n";
        String fresh = "# New report\n\ntable\n";
        assertThat(MarkedSection.keepOthers(old, fresh)).isEqualTo(
                "# New report\n\ntable\n\n<!-- feedback-curve -->\ncurve\n<!-- /feedback-curve -->\n");
        // a section the fresh report writes itself wins
        String freshWithIt = "# New\n<!-- feedback-curve -->\nnewer\n<!-- /feedback-curve -->\n";
        assertThat(MarkedSection.keepOthers(old, freshWithIt)).isEqualTo(freshWithIt);
        assertThat(MarkedSection.keepOthers(null, fresh)).isEqualTo(fresh);
    }

    @Test
    void namesAreChecked() {
        assertThatThrownBy(() -> MarkedSection.put("", "Bad Name", "x")).isInstanceOf(IllegalArgumentException.class);
    }
}
