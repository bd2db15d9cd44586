package org.alignstream.inference.reward;

import java.util.List;

/**
 * Scores many texts through a {@link RewardModel} in fixed batches of {@link #SIZE}, in list order, with the empty
 * prompt. Batching is fixed so that a reward is the same number whichever caller computed it (the int8 encoders are
 * not batch-invariant): the trainers' reports, the partial-sequence pairs and the feedback stage all score this way.
 */
public final class RewardBatches {

    /** Texts per reward-model call. */
    public static final int SIZE = 16;

    private RewardBatches() {
    }

    /** Rewards of {@code texts} (prompt ""), scored through {@code model} in batches of {@link #SIZE}. */
    public static double[] score(RewardModel model, List<String> texts) {
        double[] out = new double[texts.size()];
        for (int from = 0; from < texts.size(); from += SIZE) {
            double[] rewards = model.score("", texts.subList(from, Math.min(texts.size(), from + SIZE)));
            System.arraycopy(rewards, 0, out, from, rewards.length);
        }
        return out;
    }
}
