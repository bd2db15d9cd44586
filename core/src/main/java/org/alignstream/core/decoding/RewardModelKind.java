package org.alignstream.core.decoding;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * What a reward model scores, by the names the scorer stamps on its results ({@code reward_model_kind}) and a request
 * may ask for ({@code Strategy.reward_model_kind}).
 */
public enum RewardModelKind {
    /** Trained on complete responses. */
    FULL_SEQUENCE("full-sequence"),
    /** Trained to score prefixes of a response consistently (PARGS, Rashid et al. 2024). */
    PARTIAL_SEQUENCE("partial-sequence"),
    /** A reward per response token, the sequence reward being their sum. */
    TOKEN_LEVEL("token-level");

    private final String wireName;

    RewardModelKind(String wireName) {
        this.wireName = wireName;
    }

    /** The kind's name on the wire. */
    public String wireName() {
        return wireName;
    }

    /** The kind with this name, if any. */
    public static Optional<RewardModelKind> of(String wireName) {
        return Arrays.stream(values()).filter(k -> k.wireName.equals(wireName)).findFirst();
    }

    /** Every name, in declaration order. */
    public static List<String> wireNames() {
        return Arrays.stream(values()).map(RewardModelKind::wireName).toList();
    }
}
