package org.alignstream.core.decoding;

import java.util.Arrays;
import java.util.List;
import java.util.Optional;

/**
 * How Transfer Q* uses its baseline model's rollouts ({@code Strategy.transfer}, a string on the wire).
 *
 * <p>{@link #DIRECT}: the baseline was aligned to the target reward, so a rollout's target reward is Q itself.
 * {@link #INDIRECT}: the baseline was aligned to another reward ({@code baseline_reward_model}), so each rollout is
 * importance-weighted by exp((r − r_BL) / α); the scorer also scores every candidate with the baseline's reward.
 */
public enum Transfer {
    /** Q is the target reward of the baseline's rollout. */
    DIRECT("direct"),
    /** Q is the target reward weighted by the importance ratio against the baseline's own reward. */
    INDIRECT("indirect");

    private final String wireName;

    Transfer(String wireName) {
        this.wireName = wireName;
    }

    /** The name in {@code Strategy.transfer}. */
    public String wireName() {
        return wireName;
    }

    /** The transfer with this wire name, if any. */
    public static Optional<Transfer> of(String wireName) {
        for (Transfer t : values()) {
            if (t.wireName.equals(wireName)) {
                return Optional.of(t);
            }
        }
        return Optional.empty();
    }

    /** Every wire name, in declaration order. */
    public static List<String> wireNames() {
        return Arrays.stream(values()).map(Transfer::wireName).toList();
    }
}
