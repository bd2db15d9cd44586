package org.alignstream.evaluation.bench;

import java.util.List;

/**
 * Steady-state rate of a stream of outputs: the units carried by the outputs seen after output {@code warmup} divided
 * by the time from output {@code warmup} to the last output. The first {@code warmup} outputs absorb start-up effects
 * (first poll, JIT, ONNX Runtime's first runs) and the pipeline filling.
 *
 * <p>Outputs of an exactly-once stage become visible in bursts, one per transaction commit; outputs seen at the same
 * instant as output {@code warmup} were produced before the clock started and are not counted, otherwise a long commit
 * interval would inflate the rate.
 *
 * @param outputs outputs counted in the window
 * @param units   units they carry (e.g. candidate sequences, tokens)
 * @param seconds length of the window
 */
public record SteadyRate(int outputs, long units, double seconds) {

    /** One output: when it was seen ({@link System#nanoTime()}) and how many units it carries. */
    public record Arrival(long nanos, long units) {
    }

    public SteadyRate {
        if (outputs < 1 || units < 0 || !(seconds > 0)) {
            throw new IllegalArgumentException("need outputs >= 1, units >= 0 and seconds > 0, got " + outputs
                    + " outputs, " + units + " units in " + seconds + " s");
        }
    }

    public double perSecond() {
        return units / seconds;
    }

    /** Whether output {@code i} counts in the window that starts at output {@code warmup} (1-based). */
    public static boolean counted(List<Arrival> arrivals, int warmup, int i) {
        return i >= warmup && arrivals.get(i).nanos() > arrivals.get(warmup - 1).nanos();
    }

    /**
     * @param arrivals outputs in the order they were seen
     * @param warmup   how many leading outputs only start the clock (at least 1)
     */
    public static SteadyRate of(List<Arrival> arrivals, int warmup) {
        if (warmup < 1 || warmup >= arrivals.size()) {
            throw new IllegalArgumentException("warmup must be in [1, " + (arrivals.size() - 1) + "] for "
                    + arrivals.size() + " outputs, was " + warmup);
        }
        long start = arrivals.get(warmup - 1).nanos();
        long end = arrivals.get(arrivals.size() - 1).nanos();
        long units = 0;
        int outputs = 0;
        for (int i = warmup; i < arrivals.size(); i++) {
            if (counted(arrivals, warmup, i)) {
                units += arrivals.get(i).units();
                outputs++;
            }
        }
        if (end <= start) {
            throw new IllegalStateException("outputs " + warmup + " to " + arrivals.size()
                    + " arrived in the same instant; use more records or a smaller warm-up");
        }
        return new SteadyRate(outputs, units, (end - start) / 1e9);
    }
}
