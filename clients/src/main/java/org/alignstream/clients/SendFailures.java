package org.alignstream.clients;

import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.kafka.clients.producer.Callback;

/**
 * The sends of one client that failed since the last {@link #check()}, by record id: the producer's callbacks fill it
 * on its I/O thread, the client's thread checks it after a flush, so no failed send is dropped silently.
 */
final class SendFailures {
    private final String what;
    private final Map<String, String> failed = new LinkedHashMap<>();

    /** @param what the records, plural, for the error message (e.g. "prompts") */
    SendFailures(String what) {
        this.what = what;
    }

    /** The callback to pass with the send of record {@code id}. */
    Callback callback(String id) {
        return (metadata, error) -> {
            if (error != null) {
                synchronized (failed) {
                    failed.put(id, error.getClass().getSimpleName() + ": " + error.getMessage());
                }
            }
        };
    }

    /**
     * Call after the producer's flush. Each failure is reported once.
     *
     * @throws NotAcknowledgedException naming every record whose send failed since the last check, with its reason
     */
    void check() {
        Map<String, String> copy;
        synchronized (failed) {
            if (failed.isEmpty()) {
                return;
            }
            copy = new LinkedHashMap<>(failed);
            failed.clear();
        }
        throw new NotAcknowledgedException(what, copy);
    }
}
