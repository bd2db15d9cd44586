package org.alignstream.inference.reward;

/**
 * Which text a reward model reads for a (prompt, response) pair. A model declares what it was trained on in its ONNX
 * metadata ({@value #KEY}: {@code response} or {@code prompt_and_response}; {@link #declared}); the loaders
 * ({@link RewardModels}) use that declaration, and the caller's default only for a model that declares nothing.
 */
public enum ScoredText {
    /** The response alone (default; e.g. sentiment of what the model says). */
    RESPONSE,
    /**
     * Prompt and response together: {@code prompt + " " + response} for a sentence encoder, a
     * text pair (segments A and B) for a sequence classifier.
     */
    PROMPT_AND_RESPONSE;

    /** The ONNX metadata property in which a reward model declares what it was trained on. */
    public static final String KEY = "alignstream.reward.scored_text";

    /** The value of {@value #KEY} that declares this. */
    public String declaration() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * What {@code metadata} declares under {@value #KEY} ({@code response} or {@code prompt_and_response}, any case),
     * or empty if it declares nothing.
     *
     * @param source names the model in the error message
     * @throws IllegalArgumentException on any other value
     */
    public static java.util.Optional<ScoredText> declared(java.util.Map<String, String> metadata, String source) {
        String value = metadata.get(KEY);
        if (value == null || value.isBlank()) {
            return java.util.Optional.empty();
        }
        for (ScoredText t : values()) {
            if (t.declaration().equalsIgnoreCase(value.trim())) {
                return java.util.Optional.of(t);
            }
        }
        throw new IllegalArgumentException("reward model " + source + " declares " + KEY + " = '" + value
                + "'; expected 'response' or 'prompt_and_response'");
    }

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
