package org.alignstream.local.bench;

import java.util.List;
import java.util.Locale;

/** The tokenwise section's summary, one row per stage configuration, as a Markdown table (pastes into BENCHMARKS.md). */
final class TokenwiseTable {

    /**
     * @param config             as written ({@code eos:100})
     * @param guarantee          processing guarantee as the stages parsed it
     * @param commitMs           commit.interval.ms as the stages parsed it
     * @param lingerMs           producer linger.ms as the stages parsed it
     * @param bareMsPerToken     bare loop, one request at a time: median over repetitions
     * @param pipelineMsPerToken pipeline, one request in flight: median over repetitions
     * @param latencyRatio       median over repetitions of bare s/token ÷ pipeline s/token, one in flight
     * @param stageMsPerRound    the stages' own processing per round (median over requests, one in flight)
     * @param overheadMsPerRound {@link RoundOverhead#medianPerRoundMs}
     * @param overheadMsPerHop   {@link RoundOverhead#medianPerHopMs}
     * @param throughputRatio    bare s/token ÷ pipeline s/token with P in flight, or null if not measured
     * @param seconds            wall time of this configuration's part, broker and stage start included
     */
    record Row(String config, String guarantee, long commitMs, int lingerMs, double bareMsPerToken,
               double pipelineMsPerToken, double latencyRatio, double stageMsPerRound, double overheadMsPerRound,
               double overheadMsPerHop, Double throughputRatio, double seconds) {
    }

    private TokenwiseTable() {
    }

    static String markdown(List<Row> rows, int inFlight) {
        StringBuilder b = new StringBuilder();
        b.append("| config | guarantee | commit ms | linger ms | bare ms/token | pipeline ms/token (1 in flight) "
                + "| latency ratio | stage ms/round | round_overhead_ms | per hop ms | throughput ratio (P=")
                .append(inFlight).append(") | s |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %d | %d | %.1f | %.1f | %.3f | %.1f | %.1f | %.1f | %s | %.0f |%n",
                    r.config(), r.guarantee(), r.commitMs(), r.lingerMs(), r.bareMsPerToken(), r.pipelineMsPerToken(),
                    r.latencyRatio(), r.stageMsPerRound(), r.overheadMsPerRound(), r.overheadMsPerHop(),
                    r.throughputRatio() == null ? "–" : String.format(Locale.ROOT, "%.3f", r.throughputRatio()),
                    r.seconds()));
        }
        return b.toString();
    }
}
