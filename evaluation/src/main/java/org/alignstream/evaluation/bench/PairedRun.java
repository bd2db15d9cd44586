package org.alignstream.evaluation.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ToLongFunction;

/**
 * Repetitions of a bare measurement and a pipeline measurement of the same work, interleaved (bare first in even
 * repetitions, pipeline first in odd ones) so that noise on a shared machine hits both alike, after untimed warm-up
 * rounds of both (the first pass through the broker and client code runs while the JIT compiles it, which a
 * long-running stage has long finished). The ratio is the median of the per-repetition ratios pipeline/bare.
 */
final class PairedRun {

    /**
     * One measurement.
     *
     * @param rate        units per second
     * @param wallMs      wall-clock milliseconds per record
     * @param modelMs     of which inside the model call (mean per record)
     * @param cpuMs       CPU milliseconds per record used by the whole process (all threads, broker included)
     */
    record Measurement(double rate, double wallMs, double modelMs, double cpuMs) {

        /**
         * The pipeline's measurement from the outputs a stage wrote: the steady rate after {@code warmup} outputs
         * (see {@link SteadyRate}), the stage's own model time from each output's {@code timings_ms[stage]}, and the
         * process CPU between the warm-up's last output and the last one.
         *
         * @param units what one output counts for (sequences scored, tokens generated)
         */
        static <V> Measurement ofOutputs(List<TopicTail.Received<V>> out, int warmup, ToLongFunction<V> units,
                                         Function<V, Map<String, Double>> timingsMs, String stage) {
            List<SteadyRate.Arrival> arrivals = new ArrayList<>(out.size());
            for (TopicTail.Received<V> r : out) {
                arrivals.add(new SteadyRate.Arrival(r.nanos(), units.applyAsLong(r.value())));
            }
            SteadyRate rate = SteadyRate.of(arrivals, warmup);
            double modelMs = 0;
            for (int i = 0; i < out.size(); i++) {
                if (SteadyRate.counted(arrivals, warmup, i)) {
                    modelMs += timingsMs.apply(out.get(i).value()).getOrDefault(stage, 0.0);
                }
            }
            double cpuMs = (out.get(out.size() - 1).cpuNanos() - out.get(warmup - 1).cpuNanos()) / 1e6;
            int timed = rate.outputs();
            return new Measurement(rate.perSecond(), rate.seconds() * 1000 / timed, modelMs / timed, cpuMs / timed);
        }
    }

    interface Measure {
        Measurement run(int repetition) throws Exception;
    }

    private final List<Measurement> bare = new ArrayList<>();
    private final List<Measurement> pipeline = new ArrayList<>();
    private final List<Double> ratios = new ArrayList<>();

    /**
     * @param warmupRounds   untimed rounds (bare, then pipeline) before the repetitions
     * @param profileRecords if above 0, prints each measurement's CPU time per thread group divided by this many records
     */
    static PairedRun run(int warmupRounds, int repetitions, Measure bareRun, Measure pipelineRun, String unit,
                         int profileRecords) throws Exception {
        return run(warmupRounds, repetitions, bareRun, pipelineRun, unit, "record", profileRecords);
    }

    /** As above; {@code per} names what the per-record figures are per (e.g. {@code round}). */
    static PairedRun run(int warmupRounds, int repetitions, Measure bareRun, Measure pipelineRun, String unit,
                         String per, int profileRecords) throws Exception {
        PairedRun r = new PairedRun();
        for (int w = 0; w < warmupRounds; w++) {
            Measurement b = bareRun.run(repetitions + w);
            Measurement p = pipelineRun.run(repetitions + w);
            System.out.printf(java.util.Locale.ROOT, "  warm-up round %d (not counted): bare %.1f %s, pipeline %.1f %s%n",
                    w + 1, b.rate(), unit, p.rate(), unit);
        }
        for (int rep = 0; rep < repetitions; rep++) {
            Measurement b;
            Measurement p;
            if (rep % 2 == 0) {
                b = profiled("bare", bareRun, rep, profileRecords);
                p = profiled("pipeline", pipelineRun, rep, profileRecords);
            } else {
                p = profiled("pipeline", pipelineRun, rep, profileRecords);
                b = profiled("bare", bareRun, rep, profileRecords);
            }
            r.bare.add(b);
            r.pipeline.add(p);
            r.ratios.add(p.rate() / b.rate());
            System.out.printf(java.util.Locale.ROOT,
                    "  rep %d: bare %.1f %s (per %s: %.1f ms, model %.1f, cpu %.1f)"
                            + "  pipeline %.1f %s (per %s: %.1f ms, model %.1f, cpu %.1f)  ratio %.3f%n",
                    rep + 1, b.rate(), unit, per, b.wallMs(), b.modelMs(), b.cpuMs(), p.rate(), unit, per, p.wallMs(),
                    p.modelMs(), p.cpuMs(), p.rate() / b.rate());
        }
        return r;
    }

    private static Measurement profiled(String what, Measure measure, int rep, int profileRecords) throws Exception {
        if (profileRecords <= 0) {
            return measure.run(rep);
        }
        ThreadCpuProfile profile = ThreadCpuProfile.start();
        Measurement m = measure.run(rep);
        System.out.println("  " + what + " (rep " + (rep + 1) + ", whole measurement incl. warm-up):");
        ThreadCpuProfile.print(profile.stop(), profileRecords);
        return m;
    }

    double ratio() {
        return Stats.median(ratios);
    }

    /** The timed repetitions' bare measurements, in order. */
    List<Measurement> bare() {
        return List.copyOf(bare);
    }

    /** The timed repetitions' pipeline measurements, in order. */
    List<Measurement> pipeline() {
        return List.copyOf(pipeline);
    }

    double bareRate() {
        return Stats.median(bare.stream().map(Measurement::rate).toList());
    }

    double pipelineRate() {
        return Stats.median(pipeline.stream().map(Measurement::rate).toList());
    }
}
