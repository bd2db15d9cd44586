package org.alignstream.core.feedback;

import java.math.BigDecimal;

/**
 * Decides whether a newly trained reward-model version may be published in place of the serving one.
 * A version is turned away if
 * <ol>
 *   <li>any of its parameters is not finite (NaN or infinite: a diverged fit), or</li>
 *   <li>its held-out pairwise accuracy (the fraction of held-out preference pairs whose chosen response
 *       it rewards strictly higher than the rejected one) is worse than the serving version's by more
 *       than {@code margin}: published iff {@code newAccuracy >= servingAccuracy - margin}.</li>
 * </ol>
 * With no serving version (the first publication) only the first rule applies.
 *
 * <p>The comparison is exact at the boundary: accuracies are kept as fractions correct / total and the
 * margin is taken as the decimal it prints as ({@link BigDecimal#valueOf(double)}), so 7/10 against a
 * serving 8/10 with margin 0.1 is published, which the floating-point test {@code 0.8 - 0.7 > 0.1} would
 * reject.
 */
public final class ValidationGate {

    /** Why a version was or was not published. */
    public enum Reason {
        /** Finite parameters and held-out accuracy within the margin of the serving version's. */
        ACCEPTED,
        /** Finite parameters and no serving version to compare with. */
        FIRST_VERSION,
        /** Some parameter is NaN or infinite. */
        NON_FINITE_PARAMETERS,
        /** Held-out accuracy worse than the serving version's by more than the margin. */
        ACCURACY_REGRESSION
    }

    /**
     * Held-out pairwise accuracy as an exact fraction: {@code correct} of {@code total} pairs ranked right.
     */
    public record Accuracy(int correct, int total) {
        public Accuracy {
            if (total < 1) {
                throw new IllegalArgumentException("held-out accuracy needs at least one pair, got " + total);
            }
            if (correct < 0 || correct > total) {
                throw new IllegalArgumentException("correct must be in [0, " + total + "], got " + correct);
            }
        }

        /**
         * Accuracy of a model's rewards on held-out pairs: pair i is right iff
         * {@code chosenRewards[i] > rejectedRewards[i]}; ties and NaN rewards count as wrong.
         */
        public static Accuracy of(double[] chosenRewards, double[] rejectedRewards) {
            if (chosenRewards == null || rejectedRewards == null || chosenRewards.length != rejectedRewards.length) {
                throw new IllegalArgumentException("held-out accuracy needs one chosen and one rejected reward per pair, got "
                        + length(chosenRewards) + " chosen and " + length(rejectedRewards) + " rejected rewards");
            }
            int correct = 0;
            for (int i = 0; i < chosenRewards.length; i++) {
                if (chosenRewards[i] > rejectedRewards[i]) {
                    correct++;
                }
            }
            return new Accuracy(correct, chosenRewards.length);
        }

        /** correct / total. */
        public double value() {
            return (double) correct / total;
        }

        private static String length(double[] a) {
            return a == null ? "no" : String.valueOf(a.length);
        }
    }

    /**
     * The gate's verdict with its figures. {@code servingAccuracy} is NaN when there is no serving version;
     * {@code message} explains the reason in words.
     */
    public record Decision(boolean publish, Reason reason, double newAccuracy, double servingAccuracy, double margin,
            String message) {}

    private final double margin;

    /** @param margin largest tolerated drop in held-out accuracy, in [0, 1] */
    public ValidationGate(double margin) {
        if (!(margin >= 0 && margin <= 1)) {
            throw new IllegalArgumentException("margin must be in [0, 1], got " + margin);
        }
        this.margin = margin;
    }

    public double margin() {
        return margin;
    }

    /**
     * Decides on a version with parameters {@code newParameters} and held-out accuracy {@code newAccuracy},
     * against the serving version's {@code servingAccuracy} ({@code null} if nothing is serving yet).
     */
    public Decision decide(double[] newParameters, Accuracy newAccuracy, Accuracy servingAccuracy) {
        if (newParameters == null || newParameters.length == 0) {
            throw new IllegalArgumentException("the new version's parameters are required");
        }
        if (newAccuracy == null) {
            throw new IllegalArgumentException("the new version's held-out accuracy is required");
        }
        double fresh = newAccuracy.value();
        double serving = servingAccuracy == null ? Double.NaN : servingAccuracy.value();
        for (int i = 0; i < newParameters.length; i++) {
            if (!Double.isFinite(newParameters[i])) {
                return new Decision(false, Reason.NON_FINITE_PARAMETERS, fresh, serving, margin,
                        "parameter " + i + " of " + newParameters.length + " is " + newParameters[i]);
            }
        }
        if (servingAccuracy == null) {
            return new Decision(true, Reason.FIRST_VERSION, fresh, serving, margin,
                    "no serving version; held-out accuracy " + describe(newAccuracy));
        }
        // serving - new > margin  <=>  s_c n_t - n_c s_t > margin n_t s_t   (n_t, s_t > 0), in exact arithmetic
        long n = (long) servingAccuracy.correct() * newAccuracy.total()
                - (long) newAccuracy.correct() * servingAccuracy.total();
        BigDecimal allowed = BigDecimal.valueOf(margin)
                .multiply(BigDecimal.valueOf((long) newAccuracy.total() * servingAccuracy.total()));
        String figures = "held-out accuracy " + describe(newAccuracy) + " against the serving " + describe(servingAccuracy)
                + " with margin " + margin;
        if (BigDecimal.valueOf(n).compareTo(allowed) > 0) {
            return new Decision(false, Reason.ACCURACY_REGRESSION, fresh, serving, margin, figures + ": worse by more than the margin");
        }
        return new Decision(true, Reason.ACCEPTED, fresh, serving, margin, figures);
    }

    /**
     * Decides from held-out rewards: {@code newChosen[i]} / {@code newRejected[i]} are the new version's
     * rewards for pair i, {@code servingChosen} / {@code servingRejected} the serving version's (both
     * {@code null} if nothing is serving yet); see {@link Accuracy#of}.
     */
    public Decision decide(double[] newParameters, double[] newChosen, double[] newRejected, double[] servingChosen,
            double[] servingRejected) {
        if ((servingChosen == null) != (servingRejected == null)) {
            throw new IllegalArgumentException("the serving version needs both chosen and rejected rewards, or neither");
        }
        Accuracy serving = servingChosen == null ? null : Accuracy.of(servingChosen, servingRejected);
        return decide(newParameters, Accuracy.of(newChosen, newRejected), serving);
    }

    private static String describe(Accuracy a) {
        return a.correct() + "/" + a.total() + " = " + a.value();
    }
}
