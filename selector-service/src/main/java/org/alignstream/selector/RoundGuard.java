package org.alignstream.selector;

import java.util.ArrayList;
import java.util.List;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ScoredCandidateSet;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Idempotent round handling for stepwise decoding: remembers, per request id, the next round the selector expects (in
 * a changelogged store), and turns away a scored round it has already advanced past. Under exactly-once nothing is
 * ever replayed and this never fires; under at-least-once a crash can replay a round (the generator and scorer then
 * reprocess it too), and without this guard the request would fork into two decodings and be answered twice.
 * Entries are kept for {@code retentionMs} after their last round, then purged.
 */
final class RoundGuard {
    static final String STORE = "selector-rounds";

    private static final Logger LOG = LoggerFactory.getLogger(RoundGuard.class);

    private final KeyValueStore<String, String> rounds;
    private final long retentionMs;

    RoundGuard(KeyValueStore<String, String> rounds, long retentionMs) {
        this.rounds = rounds;
        this.retentionMs = retentionMs;
    }

    static StoreBuilder<KeyValueStore<String, String>> storeBuilder() {
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.String(), Serdes.String());
    }

    /** Whether this set should be processed: whole-response sets always, a round only if not already passed. */
    boolean admits(ScoredCandidateSet set) {
        DecodeState state = set.getDecodeState();
        if (state == null) {
            return true;
        }
        String entry = rounds.get(set.getRequest().getId());
        if (entry == null) {
            return true;
        }
        int next = Integer.parseInt(entry.substring(0, entry.indexOf(',')));
        if (state.getRound() < next) {
            LOG.info("request {}: round {} was already handled (next expected {}); dropping the replayed round",
                    set.getRequest().getId(), state.getRound(), next);
            return false;
        }
        return true;
    }

    /** Records that the round of {@code set} was handled at {@code nowMs}. */
    void handled(ScoredCandidateSet set, long nowMs) {
        DecodeState state = set.getDecodeState();
        if (state != null) {
            rounds.put(set.getRequest().getId(), (state.getRound() + 1) + "," + nowMs);
        }
    }

    /** Deletes the entries not updated for {@code retentionMs}. */
    void purge(long nowMs) {
        List<String> expired = new ArrayList<>();
        try (KeyValueIterator<String, String> all = rounds.all()) {
            while (all.hasNext()) {
                KeyValue<String, String> kv = all.next();
                long updated = Long.parseLong(kv.value.substring(kv.value.indexOf(',') + 1));
                if (nowMs - updated > retentionMs) {
                    expired.add(kv.key);
                }
            }
        }
        expired.forEach(rounds::delete);
    }
}
