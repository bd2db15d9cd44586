package org.alignstream.core.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.alignstream.core.feedback.FeedbackValidation.Limits;
import org.junit.jupiter.api.Test;

class FeedbackValidationTest {

    private final FeedbackValidation rules = new FeedbackValidation(new Limits(20, 12));

    @Test
    void acceptsGoodFeedback() {
        assertThat(rules.checkPreference("Review the film", "Loved it", "Hated it")).isEmpty();
        assertThat(rules.checkEdit("Review the film", "It was bad", "It was good")).isEmpty();
        // exactly at the limits
        assertThat(rules.checkPreference("p".repeat(20), "c".repeat(12), "r".repeat(12))).isEmpty();
    }

    @Test
    void emptyTextIsReportedFieldByField() {
        assertThat(rules.checkPreference(null, "a", "b")).contains("prompt is empty");
        assertThat(rules.checkPreference(" \n\t", "a", "b")).contains("prompt is empty");
        assertThat(rules.checkPreference("p", "", "b")).contains("chosen is empty");
        assertThat(rules.checkPreference("p", "a", "   ")).contains("rejected is empty");
        assertThat(rules.checkEdit("p", null, "b")).contains("original is empty");
        assertThat(rules.checkEdit("p", "a", "")).contains("edited is empty");
        // empty comes before oversized: the oversized prompt is not reported
        assertThat(rules.checkPreference("p".repeat(50), "a", "")).contains("rejected is empty");
    }

    @Test
    void oversizedTextIsReportedWithItsLength() {
        assertThat(rules.checkPreference("p".repeat(21), "a", "b"))
                .contains("prompt has 21 characters, more than the limit of 20");
        assertThat(rules.checkPreference("p", "c".repeat(13), "b"))
                .contains("chosen has 13 characters, more than the limit of 12");
        assertThat(rules.checkEdit("p", "a", "e".repeat(14)))
                .contains("edited has 14 characters, more than the limit of 12");
        // characters are code points: twelve emoji (24 UTF-16 units) fit a limit of twelve
        String twelveEmoji = "\uD83D\uDE00".repeat(12);
        assertThat(twelveEmoji.length()).isEqualTo(24);
        assertThat(rules.checkPreference("p", twelveEmoji, "b")).isEmpty();
        assertThat(rules.checkPreference("p", twelveEmoji + "!", "b"))
                .contains("chosen has 13 characters, more than the limit of 12");
        // oversized comes before identical
        assertThat(rules.checkPreference("p", "x".repeat(13), "x".repeat(13)))
                .contains("chosen has 13 characters, more than the limit of 12");
    }

    @Test
    void identicalPreferenceIsRejected() {
        assertThat(rules.checkPreference("p", "same", "same")).contains("chosen and rejected are identical");
        assertThat(rules.checkPreference("p", " same\n", "same")).contains("chosen and rejected are identical");
        assertThat(rules.checkPreference("p", "Same", "same")).isEmpty();
    }

    @Test
    void editEqualToTheOriginalIsRejected() {
        assertThat(rules.checkEdit("p", "It was ok", "It was ok")).contains("edited is the same as original");
        assertThat(rules.checkEdit("p", "It was ok", "It was ok  ")).contains("edited is the same as original");
        assertThat(rules.checkEdit("p", "It was ok", "It was ok.")).isEmpty();
    }

    @Test
    void rejectsBadLimits() {
        assertThatThrownBy(() -> new Limits(0, 10))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("character limits must be >= 1, got maxPromptChars=0 and maxResponseChars=10");
        assertThatThrownBy(() -> new FeedbackValidation(null)).hasMessageContaining("limits are required");
    }
}
