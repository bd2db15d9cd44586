package org.alignstream.clients;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * Prompts the brokers never acknowledged: the producer gave up on them (after its retries and
 * {@code delivery.timeout.ms}, or at once, e.g. a record over {@code max.request.size}). None was acknowledged, so a
 * caller must not count on an answer to any of them; after a timeout a prompt may still have reached the log.
 */
public final class PromptsNotSentException extends IllegalStateException {
    private final Map<String, String> reasons;

    PromptsNotSentException(Map<String, String> reasons) {
        super(reasons.size() + (reasons.size() == 1 ? " prompt was" : " prompts were")
                + " not acknowledged by the brokers and will get no answer: " + reasons.entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue() + ")").collect(Collectors.joining("; ")));
        this.reasons = Map.copyOf(reasons);
    }

    /** Each prompt id not sent, with the producer's reason. */
    public Map<String, String> reasons() {
        return reasons;
    }
}
