package org.alignstream.inference.reward;

/** Which text a reward model reads for a (prompt, response) pair. */
public enum ScoredText {
    /** The response alone (default; e.g. sentiment of what the model says). */
    RESPONSE,
    /**
     * Prompt and response together: {@code prompt + " " + response} for a sentence encoder, a
     * text pair (segments A and B) for a sequence classifier.
     */
    PROMPT_AND_RESPONSE;

    static void requireInputs(String prompt, java.util.List<String> responses) {
        if (prompt == null) {
            throw new IllegalArgumentException("prompt must not be null (use \"\" for none)");
        }
        if (responses == null) {
            throw new IllegalArgumentException("responses must not be null");
        }
        for (int i = 0; i < responses.size(); i++) {
            if (responses.get(i) == null) {
                throw new IllegalArgumentException("response " + i + " is null");
            }
        }
    }
}
