package org.alignstream.clients;

import java.util.Map;
import java.util.stream.Collectors;

/**
 * Records a client sent that the brokers never acknowledged: the producer gave up on them (after its retries and
 * {@code delivery.timeout.ms}, or at once, e.g. a record over {@code max.request.size}). None was acknowledged, so a
 * caller must not count on the pipeline having them (no answer will come for such a prompt); after a timeout a record
 * may still have reached the log.
 */
public final class NotAcknowledgedException extends IllegalStateException {
    private final Map<String, String> reasons;

    NotAcknowledgedException(String what, Map<String, String> reasons) {
        super(reasons.size() + " " + what + " not acknowledged by the brokers: " + reasons.entrySet().stream()
                .map(e -> e.getKey() + " (" + e.getValue() + ")").collect(Collectors.joining("; ")));
        this.reasons = Map.copyOf(reasons);
    }

    /** Each record's id (its key) that was not acknowledged, with the producer's reason. */
    public Map<String, String> reasons() {
        return reasons;
    }
}
