package org.alignstream.evaluation.bench;

import java.util.List;
import java.util.Locale;

/** The tokenwise section's summary, one row per stage configuration, as a Markdown table (pastes into BENCHMARKS.md). */
final class TokenwiseTable {

    /**
     * @param config             as written ({@code eos:100})
     * @param guarantee          processing guarantee as the stages parsed it
     * @param commitMs           commit.interval.ms as the stages parsed it
     * @param lingerMs           producer linger.ms as the stages parsed it
     * @param pollMs             Kafka Streams poll.ms as given to the stages (its default is 100)
     * @param bareMsPerToken     bare loop, one request at a time: median over repetitions
     * @param pipelineMsPerToken pipeline, one request in flight: median over repetitions
     * @param latencyRatio       median over repetitions of bare s/token ÷ pipeline s/token, one in flight
     * @param stageMsPerRound    the stages' own processing per round (median over requests, one in flight)
     * @param overheadMsPerRound {@link RoundOverhead#medianPerRoundMs}
     * @param overheadMsPerHop   {@link RoundOverhead#medianPerHopMs}
     * @param throughputRatio    bare s/token ÷ pipeline s/token with P in flight, or null if not measured
     * @param seconds            wall time of this configuration's part, broker and stage start included
     */
    record Row(String config, String guarantee, long commitMs, int lingerMs, String pollMs, double bareMsPerToken,
               double pipelineMsPerToken, double latencyRatio, double stageMsPerRound, double overheadMsPerRound,
               double overheadMsPerHop, Double throughputRatio, double seconds) {

        /**
         * The latency ratio the pipeline would show against a bare loop whose model calls took as long as the stages'
         * own: stage ms / (stage ms + transport ms) per round. Uses the pipeline's figures only, so it does not depend
         * on how the scheduler treats a bare loop that never sleeps on a loaded machine.
         */
        double equalModelTimeRatio() {
            return stageMsPerRound / (stageMsPerRound + overheadMsPerRound);
        }
    }

    private TokenwiseTable() {
    }

    static String markdown(List<Row> rows, int inFlight) {
        StringBuilder b = new StringBuilder();
        b.append("| config | guarantee | commit ms | linger ms | poll ms | bare ms/token | pipeline ms/token (1 in flight) "
                + "| latency ratio | stage ms/round | round_overhead_ms | per hop ms | latency ratio at equal model time "
                + "| throughput ratio (P=").append(inFlight).append(") | s |\n");
        b.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            b.append(String.format(Locale.ROOT,
                    "| %s | %s | %d | %d | %s | %.1f | %.1f | %.3f | %.1f | %.1f | %.1f | %.3f | %s | %.0f |%n",
                    r.config(), r.guarantee(), r.commitMs(), r.lingerMs(), r.pollMs(), r.bareMsPerToken(),
                    r.pipelineMsPerToken(), r.latencyRatio(), r.stageMsPerRound(), r.overheadMsPerRound(),
                    r.overheadMsPerHop(), r.equalModelTimeRatio(),
                    r.throughputRatio() == null ? "–" : String.format(Locale.ROOT, "%.3f", r.throughputRatio()),
                    r.seconds()));
        }
        return b.toString();
    }
}
