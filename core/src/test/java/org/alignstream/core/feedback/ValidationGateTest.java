package org.alignstream.core.feedback;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.alignstream.core.feedback.ValidationGate.Accuracy;
import org.alignstream.core.feedback.ValidationGate.Decision;
import org.alignstream.core.feedback.ValidationGate.Reason;
import org.junit.jupiter.api.Test;

class ValidationGateTest {

    private static final double[] FINITE = {0.5, -1.25, 3.0};

    @Test
    void nonFiniteParametersAreRejectedWhateverTheAccuracy() {
        ValidationGate gate = new ValidationGate(0.05);
        Decision nan = gate.decide(new double[] {0.1, Double.NaN, 2}, new Accuracy(10, 10), new Accuracy(5, 10));
        assertThat(nan.publish()).isFalse();
        assertThat(nan.reason()).isEqualTo(Reason.NON_FINITE_PARAMETERS);
        assertThat(nan.message()).isEqualTo("parameter 1 of 3 is NaN");
        assertThat(nan.newAccuracy()).isEqualTo(1.0);
        assertThat(nan.servingAccuracy()).isEqualTo(0.5);
        Decision inf = gate.decide(new double[] {Double.NEGATIVE_INFINITY}, new Accuracy(9, 10), null);
        assertThat(inf.publish()).isFalse();
        assertThat(inf.reason()).isEqualTo(Reason.NON_FINITE_PARAMETERS);
        assertThat(inf.message()).isEqualTo("parameter 0 of 1 is -Infinity");
    }

    @Test
    void worseModelIsRejectedWithItsFigures() {
        Decision d = new ValidationGate(0.1).decide(FINITE, new Accuracy(6, 10), new Accuracy(8, 10));
        assertThat(d.publish()).isFalse();
        assertThat(d.reason()).isEqualTo(Reason.ACCURACY_REGRESSION);
        assertThat(d.newAccuracy()).isEqualTo(0.6);
        assertThat(d.servingAccuracy()).isEqualTo(0.8);
        assertThat(d.margin()).isEqualTo(0.1);
        assertThat(d.message()).isEqualTo("held-out accuracy 6/10 = 0.6 against the serving 8/10 = 0.8 with margin 0.1:"
                + " worse by more than the margin");
    }

    @Test
    void equalOrBetterModelIsAccepted() {
        ValidationGate strict = new ValidationGate(0);
        Decision equal = strict.decide(FINITE, new Accuracy(7, 10), new Accuracy(70, 100));
        assertThat(equal.publish()).isTrue();
        assertThat(equal.reason()).isEqualTo(Reason.ACCEPTED);
        assertThat(equal.newAccuracy()).isEqualTo(0.7);
        assertThat(equal.servingAccuracy()).isEqualTo(0.7);
        Decision better = strict.decide(FINITE, new Accuracy(71, 100), new Accuracy(7, 10));
        assertThat(better.publish()).isTrue();
        assertThat(better.reason()).isEqualTo(Reason.ACCEPTED);
        assertThat(strict.decide(FINITE, new Accuracy(69, 100), new Accuracy(7, 10)).publish()).isFalse();
    }

    @Test
    void marginBoundaryIsExact() {
        ValidationGate gate = new ValidationGate(0.1);
        // 0.8 - 0.7 = 0.10000000000000009 in doubles, yet the drop is exactly the margin: published
        assertThat(0.8 - 0.7 > 0.1).isTrue();
        Decision atBoundary = gate.decide(FINITE, new Accuracy(7, 10), new Accuracy(8, 10));
        assertThat(atBoundary.publish()).isTrue();
        assertThat(atBoundary.reason()).isEqualTo(Reason.ACCEPTED);
        // one held-out pair in a thousand past the boundary: rejected
        Decision justPast = gate.decide(FINITE, new Accuracy(699, 1000), new Accuracy(8, 10));
        assertThat(justPast.publish()).isFalse();
        assertThat(justPast.reason()).isEqualTo(Reason.ACCURACY_REGRESSION);
        // different held-out sizes: 3/4 - 1/2 = 0.25 exactly
        ValidationGate quarter = new ValidationGate(0.25);
        assertThat(quarter.decide(FINITE, new Accuracy(1, 2), new Accuracy(3, 4)).publish()).isTrue();
        assertThat(quarter.decide(FINITE, new Accuracy(49, 100), new Accuracy(3, 4)).publish()).isFalse();
        // 0.3 - 0.1 = 0.19999999999999998 in doubles: still exactly at a 0.2 margin
        ValidationGate fifth = new ValidationGate(0.2);
        assertThat(fifth.decide(FINITE, new Accuracy(1, 10), new Accuracy(3, 10)).publish()).isTrue();
        assertThat(fifth.decide(FINITE, new Accuracy(99, 1000), new Accuracy(3, 10)).publish()).isFalse();
    }

    @Test
    void firstVersionNeedsOnlyFiniteParameters() {
        Decision d = new ValidationGate(0).decide(FINITE, new Accuracy(1, 4), null);
        assertThat(d.publish()).isTrue();
        assertThat(d.reason()).isEqualTo(Reason.FIRST_VERSION);
        assertThat(d.newAccuracy()).isEqualTo(0.25);
        assertThat(d.servingAccuracy()).isNaN();
        assertThat(d.message()).isEqualTo("no serving version; held-out accuracy 1/4 = 0.25");
    }

    @Test
    void accuracyFromHeldOutRewardsCountsTiesAndNaNAsWrong() {
        Accuracy a = Accuracy.of(new double[] {1, 2, 3, Double.NaN, 0.5}, new double[] {0, 2, 4, 1, Double.NaN});
        assertThat(a).isEqualTo(new Accuracy(1, 5));
        assertThat(a.value()).isEqualTo(0.2);
        // serving ranks 3 of 4 right, the new version 2 of 4: a 0.25 drop
        double[] servingChosen = {1, 1, 1, 0};
        double[] servingRejected = {0, 0, 0, 1};
        double[] newChosen = {1, 1, 0, 0};
        double[] newRejected = {0, 0, 1, 1};
        Decision rejected = new ValidationGate(0.2).decide(FINITE, newChosen, newRejected, servingChosen, servingRejected);
        assertThat(rejected.publish()).isFalse();
        assertThat(rejected.newAccuracy()).isEqualTo(0.5);
        assertThat(rejected.servingAccuracy()).isEqualTo(0.75);
        assertThat(new ValidationGate(0.25).decide(FINITE, newChosen, newRejected, servingChosen, servingRejected)
                .publish()).isTrue();
        assertThat(new ValidationGate(0.25).decide(FINITE, newChosen, newRejected, null, null).reason())
                .isEqualTo(Reason.FIRST_VERSION);
    }

    @Test
    void rejectsBadInput() {
        assertThatThrownBy(() -> new ValidationGate(-0.01))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("margin must be in [0, 1], got -0.01");
        assertThatThrownBy(() -> new ValidationGate(Double.NaN)).hasMessageContaining("margin must be in [0, 1]");
        assertThatThrownBy(() -> new Accuracy(0, 0)).hasMessageContaining("at least one pair, got 0");
        assertThatThrownBy(() -> new Accuracy(5, 4)).hasMessageContaining("correct must be in [0, 4], got 5");
        assertThatThrownBy(() -> Accuracy.of(new double[] {1, 2}, new double[] {1}))
                .hasMessageContaining("got 2 chosen and 1 rejected rewards");
        ValidationGate gate = new ValidationGate(0.1);
        assertThatThrownBy(() -> gate.decide(new double[0], new Accuracy(1, 1), null))
                .hasMessageContaining("parameters are required");
        assertThatThrownBy(() -> gate.decide(FINITE, null, null)).hasMessageContaining("held-out accuracy is required");
        assertThatThrownBy(() -> gate.decide(FINITE, new double[] {1}, new double[] {0}, new double[] {1}, null))
                .hasMessageContaining("both chosen and rejected rewards, or neither");
    }
}
