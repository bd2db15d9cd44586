package org.alignstream.core.feedback;

import java.util.Optional;

/**
 * Admission rules for one piece of human feedback, before it reaches training: a preference (prompt,
 * chosen, rejected) or a minimal edit (prompt, original, edited). The rules are checked in this order and
 * the first one violated is reported:
 * <ol>
 *   <li>empty text: each field, in argument order, must have a non-whitespace character;</li>
 *   <li>oversized: the prompt must have at most {@code maxPromptChars} characters and each response at
 *       most {@code maxResponseChars}, counted as Unicode code points of the text as given;</li>
 *   <li>identical pair: the chosen and rejected responses must differ (a preference between equal texts
 *       says nothing), and the edit must differ from the original (an edit that changes nothing has no
 *       changed tokens to learn from).</li>
 * </ol>
 * Texts are compared after removing leading and trailing whitespace ({@link String#strip()}), so a
 * difference in surrounding whitespace alone counts as identical. Pure and thread-safe; it checks no
 * duplicates across records.
 */
public final class FeedbackValidation {

    /** Size limits in characters (Unicode code points), each at least 1. */
    public record Limits(int maxPromptChars, int maxResponseChars) {
        public Limits {
            if (maxPromptChars < 1 || maxResponseChars < 1) {
                throw new IllegalArgumentException("character limits must be >= 1, got maxPromptChars="
                        + maxPromptChars + " and maxResponseChars=" + maxResponseChars);
            }
        }
    }

    private final Limits limits;

    public FeedbackValidation(Limits limits) {
        if (limits == null) {
            throw new IllegalArgumentException("limits are required");
        }
        this.limits = limits;
    }

    public Limits limits() {
        return limits;
    }

    /** The first rule a preference violates, as a message; empty if it may be used. */
    public Optional<String> checkPreference(String prompt, String chosen, String rejected) {
        return check(prompt, "chosen", chosen, "rejected", rejected, "chosen and rejected are identical");
    }

    /** The first rule a minimal edit violates, as a message; empty if it may be used. */
    public Optional<String> checkEdit(String prompt, String original, String edited) {
        return check(prompt, "original", original, "edited", edited, "edited is the same as original");
    }

    private Optional<String> check(String prompt, String firstName, String first, String secondName, String second,
            String identical) {
        if (isEmpty(prompt)) {
            return Optional.of("prompt is empty");
        }
        if (isEmpty(first)) {
            return Optional.of(firstName + " is empty");
        }
        if (isEmpty(second)) {
            return Optional.of(secondName + " is empty");
        }
        Optional<String> tooLong = oversized("prompt", prompt, limits.maxPromptChars());
        if (tooLong.isEmpty()) {
            tooLong = oversized(firstName, first, limits.maxResponseChars());
        }
        if (tooLong.isEmpty()) {
            tooLong = oversized(secondName, second, limits.maxResponseChars());
        }
        if (tooLong.isPresent()) {
            return tooLong;
        }
        if (first.strip().equals(second.strip())) {
            return Optional.of(identical);
        }
        return Optional.empty();
    }

    private static boolean isEmpty(String text) {
        return text == null || text.isBlank();
    }

    private static Optional<String> oversized(String name, String text, int limit) {
        int chars = text.codePointCount(0, text.length());
        return chars > limit
                ? Optional.of(name + " has " + chars + " characters, more than the limit of " + limit)
                : Optional.empty();
    }
}
