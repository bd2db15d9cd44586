package org.alignstream.harness.annotator;

import java.util.ArrayList;
import java.util.List;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.clients.FeedbackClient;

/**
 * Themed feedback for drills and tests: an annotator who prefers texts about the sea to texts about the town. Event
 * {@code prefix + i} is a preference (a sea sentence chosen over a town sentence) or, every fifth, a minimal edit that
 * turns the town word of a sentence into a sea word. Deterministic in {@code i}: the same ids give the same events, so
 * sending an id twice is a duplicate the feedback service ignores. Model {@code sentiment}.
 */
public final class SeaOverTown {
    public static final List<String> SEA = List.of("sea", "ship", "waves", "sailors", "harbour", "tide", "shore",
            "boat");
    public static final List<String> TOWN = List.of("shop", "street", "market", "carriage", "church", "house", "road",
            "square");
    public static final String MODEL = "sentiment";

    private SeaOverTown() {
    }

    /** One of four sentence frames around {@code noun}. */
    public static String text(String noun, int i) {
        return new String[] {"She walked by the %s and thought of home.", "They spoke of the %s all evening.",
            "He looked at the %s for a long time.", "The %s was quiet that morning."}[i % 4].formatted(noun);
    }

    /** Events {@code prefix + from} .. {@code prefix + (from + count - 1)}. */
    public static List<FeedbackEvent> events(String prefix, int from, int count) {
        List<FeedbackEvent> out = new ArrayList<>();
        for (int i = from; i < from + count; i++) {
            String seaWord = SEA.get(i % SEA.size());
            String townWord = TOWN.get((i * 3) % TOWN.size());
            String sea = text(seaWord, i / SEA.size());
            String town = text(townWord, i / SEA.size() + 1);
            out.add(i % 5 == 4
                    ? FeedbackClient.edit(prefix + i, MODEL, "Tell me", town, town.replace(townWord, seaWord))
                    : FeedbackClient.preference(prefix + i, MODEL, "Tell me", sea, town));
        }
        return out;
    }
}
