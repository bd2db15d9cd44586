package org.alignstream.local.bench;

import java.util.List;

/**
 * Steady-state rate of a stream of outputs: the units carried by outputs {@code warmup+1 .. last} divided by the time
 * from output {@code warmup} to the last output. The first {@code warmup} outputs absorb start-up effects (first poll,
 * JIT, ONNX Runtime's first runs) and the pipeline filling.
 *
 * @param units   units counted in the window (e.g. candidate sequences, tokens)
 * @param seconds length of the window
 */
public record SteadyRate(long units, double seconds) {

    /** One output: when it was seen ({@link System#nanoTime()}) and how many units it carries. */
    public record Arrival(long nanos, long units) {
    }

    public SteadyRate {
        if (units < 0 || !(seconds > 0)) {
            throw new IllegalArgumentException("need units >= 0 and seconds > 0, got " + units + " units in " + seconds
                    + " s");
        }
    }

    public double perSecond() {
        return units / seconds;
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
        for (int i = warmup; i < arrivals.size(); i++) {
            units += arrivals.get(i).units();
        }
        if (end <= start) {
            throw new IllegalStateException("outputs " + warmup + " to " + arrivals.size()
                    + " arrived in the same instant; use more records or a smaller warm-up");
        }
        return new SteadyRate(units, (end - start) / 1e9);
    }
}
