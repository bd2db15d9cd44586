package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.function.DoubleToLongFunction;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class BoundedLagTest {

    /** Samples every 0.25 s over a 16 s step. */
    private static List<BoundedLag.Sample> samples(DoubleToLongFunction lagAt) {
        List<BoundedLag.Sample> out = new ArrayList<>();
        for (int i = 0; i <= 64; i++) {
            double t = i * 0.25;
            out.add(new BoundedLag.Sample(t, lagAt.applyAsLong(t)));
        }
        return out;
    }

    @Test
    void aSteadyLagHolds() {
        // the lag jumps between 2 and 9 with the commits, without a trend; answers at the offered rate
        BoundedLag v = BoundedLag.of(samples(t -> ((long) (t * 4)) % 3 == 0 ? 9 : 2), 16, 10, 80, 1.0);
        assertThat(v.middleLag()).isEqualTo(2.0);
        assertThat(v.slack()).isEqualTo(10.0);
        assertThat(v.answerRate()).isEqualTo(10.0);
        assertThat(v.lagBounded()).isTrue();
        assertThat(v.held()).isTrue();
    }

    @Test
    void aLagGrowingFasterThanTheSlackDoesNotHold() {
        // 3 records/s more in than out: +24 from the middle to the end of a 16 s step, above the slack of 10
        BoundedLag v = BoundedLag.of(samples(t -> (long) (3 * t)), 16, 10, 76, 1.0);
        assertThat(v.endLag() - v.middleLag()).isGreaterThan(v.slack());
        assertThat(v.lagBounded()).isFalse();
        assertThat(v.held()).isFalse();
        // a growth under the slack (0.5 records/s: +4) counts as bounded
        assertThat(BoundedLag.of(samples(t -> (long) (0.5 * t)), 16, 10, 80, 1.0).lagBounded()).isTrue();
    }

    @Test
    void answersBehindTheOfferedRateDoNotHoldEvenWithBoundedLag() {
        BoundedLag v = BoundedLag.of(samples(t -> 3), 16, 10, 70, 1.0); // 8.75/s for 10/s offered
        assertThat(v.lagBounded()).isTrue();
        assertThat(v.held()).isFalse();
        assertThat(BoundedLag.of(samples(t -> 3), 16, 10, 72, 1.0).held()).isTrue(); // exactly 90 %
    }

    @Test
    void theSlackHasAFloorAndNeedsSamplesInBothWindows() {
        assertThat(BoundedLag.of(samples(t -> 0), 16, 1, 8, 1.0).slack()).isEqualTo(BoundedLag.MIN_SLACK_RECORDS);
        assertThatThrownBy(() -> BoundedLag.of(List.of(new BoundedLag.Sample(1, 0)), 16, 1, 8, 1.0))
                .hasMessageContaining("no lag sample between 6.4 and 9.6 s");
        assertThatThrownBy(() -> BoundedLag.of(samples(t -> 0), 16, 0, 8, 1.0))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void loadOptionsAreCheckedAndTheSectionRunsOnlyWhenNamed() {
        Bench b = new Bench();
        new CommandLine(b).parseArgs("--sections=load", "--load-rates=1,3,5", "--load-step-s=12");
        assertThat(b.sections).containsExactly(Bench.Section.load);
        assertThat(b.loadOptions.rates).containsExactly(1.0, 3.0, 5.0);
        assertThat(b.loadOptions.stepSeconds).isEqualTo(12.0);
        Workload w = new Workload(List.of("p"), 8, 32, 0.9, 0.95, 1);
        Bench decreasing = new Bench();
        new CommandLine(decreasing).parseArgs("--load-rates=4,2");
        assertThatThrownBy(() -> new LoadRampBench(decreasing.loadOptions, false, w, List.of(), List.of(), null))
                .hasMessageContaining("--load-rates must increase");
        Bench flat = new Bench();
        new CommandLine(flat).parseArgs("--load-overload-factor=1");
        assertThatThrownBy(() -> new LoadRampBench(flat.loadOptions, false, w, List.of(), List.of(), null))
                .hasMessageContaining("--load-overload-factor > 1");
    }
}
