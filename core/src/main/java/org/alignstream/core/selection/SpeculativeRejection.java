package org.alignstream.core.selection;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Speculative rejection (Sun et al., "Fast Best-of-N Decoding via Speculative Rejection", NeurIPS 2024): N candidates
 * are sampled together; at each checkpoint every candidate's text so far is scored by a reward model, the lowest-reward
 * fraction alpha (the rejection rate) is stopped, and the rest continue; in the end the candidate with the highest
 * reward is chosen. This class is the pruning arithmetic of one checkpoint and the final choice, as the authors'
 * reference code ({@code speculative_rejection.py}, {@code perform_speculative_rejection}, github.com/Zanette-Labs/
 * SpeculativeRejection) computes them:
 *
 * <ul>
 *   <li>The ranked set of a checkpoint is the candidates that ended and were kept at the previous checkpoint (an ended
 *       candidate is not extended but keeps its reward and keeps competing for a place), followed by this round's
 *       candidates, in that order; it is sorted by reward, highest first, stably (ties keep that order).</li>
 *   <li>The first {@code round((1 - alpha) * size)} are kept (at least one, see below), {@code round} being Python's (half to even: 2.5 → 2,
 *       3.5 → 4), computed in double precision as Python does. Kept candidates that have not ended continue; the
 *       others stop.</li>
 *   <li>An ended candidate kept at a checkpoint enters the pool of the final choice for good (the reference's
 *       {@code finished_trajectories}), even if a later checkpoint drops it from the ranking.</li>
 *   <li>The decoding ends when no kept candidate is still going (the reference's empty {@code current_generations});
 *       the reference also ends at its token limit, where every candidate is cut: a candidate that reaches
 *       max_new_tokens counts here as ended, which gives the same outcome. The final choice is the highest reward
 *       among this last round's candidates (all of them, kept or not) and the ended candidates of the pool.</li>
 * </ul>
 *
 * <p>Where this differs from the reference: a checkpoint keeps at least one candidate ({@link #kept}), where the
 * reference's round keeps none of one ranked candidate at alpha &gt;= 0.5 (round(0.5) = 0) and then answers with a text
 * cut mid-way; so the final choice is always among complete candidates (ended, or cut at max_new_tokens). The
 * reference sizes N and the checkpoint schedule from the GPU's memory
 * (the first checkpoint when the batch's key/value cache fills it); here N and the interval between checkpoints (in
 * tokens) are request parameters. Ties in the final choice go to the lowest candidate id (the reference keeps every
 * trajectory and leaves the choice to post-processing), and a NaN reward ranks below every other reward (Python's sort
 * leaves NaN's place undefined). With alpha = 0 nothing is stopped and the choice is Best-of-N's among the same N
 * candidates ({@link BestOfN#select}).
 */
public final class SpeculativeRejection {

    private SpeculativeRejection() {
    }

    /**
     * One candidate at a checkpoint.
     *
     * @param id     the candidate's identity (its sampling stream, 0..N-1)
     * @param reward the reward of its text so far (of the whole text once it ended)
     * @param ended  whether it ended (end of text, or max_new_tokens reached): it is not extended any more
     */
    public record Scored(int id, double reward, boolean ended) {
    }

    /**
     * What a checkpoint decided.
     *
     * @param kept    the kept candidates, highest reward first
     * @param live    the kept candidates that have not ended, highest reward first: those to extend, in the order in
     *                which the next checkpoint ranks them (ties at the next checkpoint keep it, as in the reference)
     * @param ended   the kept candidates that ended, highest reward first: they compete again at the next checkpoint,
     *                ranked before the round's candidates
     * @param retired the ended candidates of the previous checkpoint that this one dropped from the ranking: they stay
     *                in the final choice
     */
    public record Checkpoint(List<Scored> kept, List<Scored> live, List<Scored> ended, List<Scored> retired) {
        /** Whether the decoding ends here: no kept candidate is still going. */
        public boolean done() {
            return live.isEmpty();
        }
    }

    /**
     * How many of {@code ranked} candidates a checkpoint keeps: Python's {@code int(round((1.0 - alpha) * ranked))},
     * rounding half to even.
     */
    public static int keepCount(double alpha, int ranked) {
        requireRate(alpha);
        if (ranked < 0) {
            throw new IllegalArgumentException("ranked must be >= 0, was " + ranked);
        }
        return (int) Math.rint((1.0 - alpha) * ranked);
    }

    /**
     * How many of {@code ranked} (at least one) candidates a checkpoint keeps here: {@link #keepCount}, but at least
     * one, so that the best candidate always reaches its end.
     */
    public static int kept(double alpha, int ranked) {
        return Math.min(ranked, Math.max(1, keepCount(alpha, ranked)));
    }

    /**
     * One checkpoint: ranks {@code previouslyEnded} (the ended candidates kept at the previous checkpoint, none at the
     * first) followed by {@code current} (this round's candidates, extended and scored, in the order of the previous
     * checkpoint's {@link Checkpoint#live}), keeps the best
     * {@link #kept} and says which continue.
     */
    public static Checkpoint checkpoint(List<Scored> previouslyEnded, List<Scored> current, double alpha) {
        requireRate(alpha);
        for (Scored s : previouslyEnded) {
            if (!s.ended()) {
                throw new IllegalArgumentException("candidate " + s.id() + " is among the ended ones but has not ended");
            }
        }
        List<Scored> ranked = new ArrayList<>(previouslyEnded.size() + current.size());
        ranked.addAll(previouslyEnded);
        ranked.addAll(current);
        requireDistinctIds(ranked);
        ranked.sort(HIGHEST_FIRST); // List.sort is stable: ties keep the ranked order, as Python's sort
        List<Scored> kept = List.copyOf(ranked.subList(0, kept(alpha, ranked.size())));
        List<Scored> live = new ArrayList<>();
        List<Scored> ended = new ArrayList<>();
        for (Scored s : kept) {
            (s.ended() ? ended : live).add(s);
        }
        java.util.Set<Integer> keptIds = new java.util.HashSet<>();
        kept.forEach(s -> keptIds.add(s.id()));
        List<Scored> retired = new ArrayList<>();
        for (Scored s : previouslyEnded) {
            if (!keptIds.contains(s.id())) {
                retired.add(s);
            }
        }
        return new Checkpoint(kept, List.copyOf(live), List.copyOf(ended), List.copyOf(retired));
    }

    /**
     * The final choice once a checkpoint is {@link Checkpoint#done() done}: the highest reward among the ended
     * candidates of {@code current} (the last round's), {@code previouslyEnded} (the ended candidates ranked at that
     * checkpoint) and {@code retired} (every ended candidate dropped from the ranking before); ties go to the lowest id,
     * NaN loses. The reference's pool also holds the last round's candidates that have not ended, but once a checkpoint
     * that keeps at least one is done its best ranked candidate has ended, so they can only tie.
     */
    public static Scored choose(List<Scored> current, List<Scored> previouslyEnded, List<Scored> retired) {
        List<Scored> pool = new ArrayList<>(current.stream().filter(Scored::ended).toList());
        pool.addAll(previouslyEnded);
        pool.addAll(retired);
        if (pool.isEmpty()) {
            throw new IllegalArgumentException("speculative rejection needs at least one ended candidate to choose "
                    + "from");
        }
        requireDistinctIds(pool);
        pool.sort(Comparator.comparingInt(Scored::id));
        double[] rewards = pool.stream().mapToDouble(Scored::reward).toArray();
        return pool.get(BestOfN.select(rewards));
    }

    /** Highest reward first; NaN after every number. */
    private static final Comparator<Scored> HIGHEST_FIRST = (a, b) -> {
        boolean aNaN = Double.isNaN(a.reward());
        boolean bNaN = Double.isNaN(b.reward());
        if (aNaN || bNaN) {
            return Boolean.compare(aNaN, bNaN);
        }
        return Double.compare(b.reward() == 0.0 ? 0.0 : b.reward(), a.reward() == 0.0 ? 0.0 : a.reward());
    };

    private static void requireRate(double alpha) {
        if (!(alpha >= 0.0 && alpha < 1.0)) {
            throw new IllegalArgumentException("the rejection rate alpha must be in [0, 1), was " + alpha);
        }
    }

    private static void requireDistinctIds(List<Scored> candidates) {
        long distinct = candidates.stream().mapToInt(Scored::id).distinct().count();
        if (distinct != candidates.size()) {
            throw new IllegalArgumentException("candidate ids must be distinct: " + candidates.stream()
                    .map(Scored::id).toList());
        }
    }
}
