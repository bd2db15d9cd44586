package org.alignstream.evaluation.bench;

import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * What a stepwise decoding spent outside the stages' own processing: the client-measured wall time of one request
 * minus the processing time the stages report in the response's {@code timings_ms} (generator, scorer and selector ms,
 * each summed over the rounds by the selector), per decoding round. With one request in flight this is the Kafka
 * transport of a round: three hops (decode-steps, candidates, scored-candidates), each waiting for the writing stage's
 * commit under exactly-once, plus Avro and Kafka Streams bookkeeping. The first round's prompts hop and the last
 * round's aligned-responses hop (3 × rounds + 1 hops in all) are spread over the rounds.
 *
 * @param wallMs  from publishing the request to reading its response
 * @param stageMs the stages' own processing, summed over {@link #STAGES} and rounds
 * @param rounds  decoding rounds of the response, at least 1
 */
public record RoundOverhead(double wallMs, double stageMs, int rounds) {

    /** The {@code timings_ms} keys summed as stage processing ({@code end_to_end} is not processing). */
    public static final List<String> STAGES = List.of("generator", "scorer", "selector");

    public RoundOverhead {
        if (rounds < 1) {
            throw new IllegalArgumentException("a stepwise response has at least 1 round, was " + rounds);
        }
        if (!(wallMs >= 0) || !(stageMs >= 0) || Double.isInfinite(wallMs) || Double.isInfinite(stageMs)) {
            throw new IllegalArgumentException("wall and stage ms must be finite and >= 0, were " + wallMs + " and "
                    + stageMs);
        }
    }

    /**
     * @param timingsMs a response's {@code timings_ms}
     * @throws IllegalArgumentException if a stage's time is missing (not a stepwise response, or a stage that does not
     *                                  report its time)
     */
    public static RoundOverhead of(double wallMs, Map<String, Double> timingsMs, int rounds) {
        double stage = 0;
        for (String s : STAGES) {
            Double ms = timingsMs.get(s);
            if (ms == null) {
                throw new IllegalArgumentException("timings_ms has no '" + s + "' entry: " + timingsMs.keySet());
            }
            stage += ms;
        }
        return new RoundOverhead(wallMs, stage, rounds);
    }

    /** Transport ms per round: (wall − stage processing) / rounds. May come out slightly negative only through clock noise. */
    public double perRoundMs() {
        return (wallMs - stageMs) / rounds;
    }

    /** Stage processing ms per round. */
    public double stageMsPerRound() {
        return stageMs / rounds;
    }

    /** Transport ms per hop: (wall − stage processing) / (3 × rounds + 1). */
    public double perHopMs() {
        return (wallMs - stageMs) / (3.0 * rounds + 1);
    }

    /** The median over requests of {@link #perRoundMs()}. */
    public static double medianPerRoundMs(Collection<RoundOverhead> requests) {
        return Stats.median(requests.stream().map(RoundOverhead::perRoundMs).toList());
    }

    /** The median over requests of {@link #perHopMs()}. */
    public static double medianPerHopMs(Collection<RoundOverhead> requests) {
        return Stats.median(requests.stream().map(RoundOverhead::perHopMs).toList());
    }

    /** The median over requests of {@link #stageMsPerRound()}. */
    public static double medianStageMsPerRound(Collection<RoundOverhead> requests) {
        return Stats.median(requests.stream().map(RoundOverhead::stageMsPerRound).toList());
    }
}
