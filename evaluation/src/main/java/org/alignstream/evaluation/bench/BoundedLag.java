package org.alignstream.evaluation.bench;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether one step of the load ramp held its offered rate: the stages' consumer lag did not grow over the step and the
 * answers kept up with the prompts.
 *
 * <p>Lag is sampled through the step. The <em>middle lag</em> is the median of the samples taken between 40 % and 60 %
 * of the step, the <em>end lag</em> the median of those in its last 15 %. The step holds when
 * <ul>
 *   <li>end lag &le; middle lag + slack, the slack being {@code slackSeconds} of offered load (rate &times; slack
 *       seconds records, at least {@link #MIN_SLACK_RECORDS}): a queue that grows by less than that over half a step is
 *       indistinguishable from the batches and commit intervals in flight; and</li>
 *   <li>the answers received in the second half of the step came at no less than {@link #MIN_ANSWER_SHARE} of the
 *       offered rate.</li>
 * </ul>
 * Medians, not single samples, because an exactly-once stage's committed offsets move in jumps, one per commit.
 *
 * @param middleLag   median total lag (records) over 40-60 % of the step
 * @param endLag      median total lag (records) over the last 15 % of the step
 * @param slack       records the end lag may exceed the middle lag by
 * @param answerRate  answers per second in the second half of the step
 * @param offeredRate prompts per second sent
 */
record BoundedLag(double middleLag, double endLag, double slack, double answerRate, double offeredRate) {
    /** The least slack, in records, whatever the rate (a few records sit in batches and open transactions). */
    static final double MIN_SLACK_RECORDS = 3;
    /** The least share of the offered rate the answers must come at in the second half of a held step. */
    static final double MIN_ANSWER_SHARE = 0.9;

    /** One lag sample: seconds into the step and the total consumer lag of the stages (records). */
    record Sample(double seconds, long lag) {
    }

    /**
     * @param samples       the lag samples of the step, in time order
     * @param stepSeconds   length of the step
     * @param offeredRate   prompts per second sent during the step
     * @param answersInSecondHalf answers received in the second half of the step
     * @param slackSeconds  seconds of offered load the lag may grow by from the middle to the end
     */
    static BoundedLag of(List<Sample> samples, double stepSeconds, double offeredRate, long answersInSecondHalf,
                         double slackSeconds) {
        if (!(stepSeconds > 0) || !(offeredRate > 0) || slackSeconds < 0) {
            throw new IllegalArgumentException("need stepSeconds > 0, offeredRate > 0 and slackSeconds >= 0");
        }
        double middle = median(samples, 0.4 * stepSeconds, 0.6 * stepSeconds);
        double end = median(samples, 0.85 * stepSeconds, stepSeconds);
        return new BoundedLag(middle, end, Math.max(MIN_SLACK_RECORDS, offeredRate * slackSeconds),
                answersInSecondHalf / (stepSeconds / 2), offeredRate);
    }

    /** Whether the step held: bounded lag and answers at {@link #MIN_ANSWER_SHARE} of the offered rate. */
    boolean held() {
        return lagBounded() && answerRate >= MIN_ANSWER_SHARE * offeredRate;
    }

    boolean lagBounded() {
        return endLag <= middleLag + slack;
    }

    private static double median(List<Sample> samples, double from, double to) {
        List<Long> in = new ArrayList<>();
        for (Sample s : samples) {
            if (s.seconds() >= from && s.seconds() <= to) {
                in.add(s.lag());
            }
        }
        if (in.isEmpty()) {
            throw new IllegalArgumentException("no lag sample between " + from + " and " + to + " s of the step");
        }
        return Stats.median(in.stream().map(Long::doubleValue).toList());
    }
}
