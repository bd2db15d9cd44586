package org.alignstream.core.selection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.alignstream.core.selection.SpeculativeRejection.Checkpoint;
import org.alignstream.core.selection.SpeculativeRejection.Scored;
import org.junit.jupiter.api.Test;

class SpeculativeRejectionTest {

    /** Python's {@code int(round(x))} for a float: the exact binary value rounded half to even. */
    private static int pythonRound(double x) {
        return new BigDecimal(x).setScale(0, RoundingMode.HALF_EVEN).intValueExact();
    }

    @Test
    void keepCountIsPythonsRoundHalfToEvenOfTheKeptFraction() {
        // int(round((1.0 - alpha) * n)) printed by Python 3 for these (alpha, n): 2 4 4 4 0 4
        assertThat(SpeculativeRejection.keepCount(0.5, 5)).isEqualTo(2);
        assertThat(SpeculativeRejection.keepCount(0.5, 7)).isEqualTo(4);
        assertThat(SpeculativeRejection.keepCount(0.3, 5)).isEqualTo(4);
        assertThat(SpeculativeRejection.keepCount(0.25, 6)).isEqualTo(4);
        assertThat(SpeculativeRejection.keepCount(0.9, 5)).isEqualTo(0);
        assertThat(SpeculativeRejection.keepCount(0.1, 5)).isEqualTo(4);
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 20_000; i++) {
            double alpha = r.nextInt(4) == 0 ? r.nextInt(20) / 20.0 : r.nextDouble();
            int n = r.nextInt(300);
            assertThat(SpeculativeRejection.keepCount(alpha, n)).as("alpha %s n %s", alpha, n)
                    .isEqualTo(pythonRound((1.0 - alpha) * n));
        }
    }

    @Test
    void aRateOutsideZeroToOneIsRefusedAsTheReferenceRefusesIt() {
        for (double alpha : new double[] {-0.1, 1.0, 1.5, Double.NaN}) {
            assertThatThrownBy(() -> SpeculativeRejection.keepCount(alpha, 4))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[0, 1)");
        }
    }

    /** Candidate i's reward after round t and the round it ends in (-1: never; it is then cut at the last round). */
    private record Table(double[][] rewards, int[] endRound, int rounds) {
        boolean ended(int id, int round) {
            return (endRound[id] >= 0 && endRound[id] <= round) || round == rounds - 1;
        }
    }

    /** The outcome of a whole decoding: candidates kept at each checkpoint and the chosen id. */
    private record Outcome(List<Integer> keptPerCheckpoint, int chosen) {
    }

    /**
     * The reference's loop transcribed (speculative_rejection.py: generate and perform_speculative_rejection), with
     * the model calls replaced by the table: the ranked list is the finished trajectories kept last time then this
     * round's, sorted by score (stable, reverse), the first int(round((1 - alpha) * len)) kept; finished ones kept
     * last time are appended to finished_trajectories; the loop stops when nothing kept is still generating or at the
     * token limit; the final pool is trajectories + current_trajectories + finished_trajectories. The reference's
     * trajectories at the token limit are not "finished" (no stop token) but the loop exits there.
     */
    private static Outcome reference(Table t, double alpha) {
        record Traj(int id, double score, boolean finished) {
        }
        List<Traj> trajectories = new ArrayList<>();
        List<Traj> finishedTrajectories = new ArrayList<>();
        List<Integer> generating = new ArrayList<>();
        for (int i = 0; i < t.endRound.length; i++) {
            generating.add(i);
        }
        List<Traj> current = List.of();
        List<Integer> kept = new ArrayList<>();
        for (int round = 0; round < t.rounds; round++) {
            List<Traj> cur = new ArrayList<>();
            for (int id : generating) {
                cur.add(new Traj(id, t.rewards[id][round], t.endRound[id] >= 0 && t.endRound[id] <= round));
            }
            current = cur;
            List<Traj> previousFinished = trajectories.stream().filter(Traj::finished).toList();
            finishedTrajectories.addAll(previousFinished);
            List<Traj> toRank = new ArrayList<>(previousFinished);
            toRank.addAll(cur);
            toRank.sort((a, b) -> Double.compare(b.score, a.score));
            // the one deliberate change: at least one kept (the reference's round may keep none of one ranked)
            int keepAmount = Math.max(1, pythonRound((1.0 - alpha) * toRank.size()));
            trajectories = new ArrayList<>(toRank.subList(0, keepAmount));
            kept.add(keepAmount);
            generating = trajectories.stream().filter(x -> !x.finished).map(Traj::id).toList();
            if (generating.isEmpty()) {
                break;
            }
        }
        List<Traj> pool = new ArrayList<>(trajectories);
        pool.addAll(current);
        pool.addAll(finishedTrajectories);
        Traj best = null;
        for (Traj x : pool) {
            // the choice among complete texts: ended, or cut at the token limit (the loop ran its last round)
            boolean complete = x.finished || (kept.size() == t.rounds && current.contains(x));
            if (!complete) {
                continue;
            }
            if (best == null) {
                best = x;
                continue;
            }
            if (x.score > best.score || (x.score == best.score && x.id < best.id)) {
                best = x;
            }
        }
        return new Outcome(kept, best.id);
    }

    /** The same decoding driven through {@link SpeculativeRejection}, as the pipeline's selector drives it. */
    private static Outcome driven(Table t, double alpha) {
        List<Integer> live = new ArrayList<>();
        for (int i = 0; i < t.endRound.length; i++) {
            live.add(i);
        }
        List<Scored> ended = List.of();
        List<Scored> retired = new ArrayList<>();
        List<Integer> kept = new ArrayList<>();
        for (int round = 0; ; round++) {
            List<Scored> current = new ArrayList<>();
            for (int id : live) {
                current.add(new Scored(id, t.rewards[id][round], t.ended(id, round)));
            }
            Checkpoint c = SpeculativeRejection.checkpoint(ended, current, alpha);
            kept.add(c.kept().size());
            if (c.done()) {
                return new Outcome(kept, SpeculativeRejection.choose(current, ended, retired).id());
            }
            retired.addAll(c.retired());
            ended = c.ended();
            live = c.live().stream().map(Scored::id).toList();
        }
    }

    @Test
    void aCheckpointKeepsAtLeastOneWhereTheReferenceWouldKeepNone() {
        assertThat(SpeculativeRejection.keepCount(0.5, 1)).isZero(); // Python: int(round(0.5)) == 0
        assertThat(SpeculativeRejection.kept(0.5, 1)).isEqualTo(1);
        assertThat(SpeculativeRejection.kept(0.9, 3)).isEqualTo(1);
        assertThat(SpeculativeRejection.kept(0.5, 0)).isZero();
        assertThat(SpeculativeRejection.kept(0.25, 6)).isEqualTo(4);
        Checkpoint c = SpeculativeRejection.checkpoint(List.of(), List.of(new Scored(3, 0.2, false)), 0.5);
        assertThat(c.live()).extracting(Scored::id).containsExactly(3);
        assertThat(c.done()).isFalse();
    }

    @Test
    void aDecodingEndsAsThePythonReferenceEndsIt() {
        // printed by the reference's perform_speculative_rejection (Python 3) for this table: ([3, 2, 1], 2) at
        // alpha 0.5 and ([4, 3, 2], 2) at alpha 0.25
        double[][] rewards = {{0.1, 0.5, 0.9}, {0.4, 0.2, 0.3}, {0.3, 0.8, 0.1}, {0.2, 0.1, 0.7}, {0.35, 0.6, 0.2},
                {0.0, 0.0, 0.0}};
        Table t = new Table(rewards, new int[] {-1, 0, 1, -1, -1, -1}, 3);
        assertThat(driven(t, 0.5)).isEqualTo(new Outcome(List.of(3, 2, 1), 2));
        assertThat(driven(t, 0.25)).isEqualTo(new Outcome(List.of(4, 3, 2), 2));
        assertThat(reference(t, 0.5)).isEqualTo(driven(t, 0.5));
    }

    @Test
    void randomDecodingsEndAsTheTranscribedReferenceEndsThem() {
        SplittableRandom r = new SplittableRandom(2024);
        for (int trial = 0; trial < 5_000; trial++) {
            int n = 1 + r.nextInt(12);
            int rounds = 1 + r.nextInt(6);
            double[][] rewards = new double[n][rounds];
            int[] ends = new int[n];
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < rounds; j++) {
                    // coarse values make ties, which both must break the same way
                    rewards[i][j] = r.nextInt(3) == 0 ? r.nextInt(4) / 4.0 : r.nextGaussian();
                }
                ends[i] = r.nextInt(3) == 0 ? r.nextInt(rounds) : -1;
            }
            double alpha = r.nextInt(3) == 0 ? r.nextInt(10) / 10.0 : r.nextDouble() * 0.95;
            Table t = new Table(rewards, ends, rounds);
            assertThat(driven(t, alpha)).as("trial %s", trial).isEqualTo(reference(t, alpha));
        }
    }

    @Test
    void keptAreTheBestByBruteForceAndTiesKeepTheRankedOrder() {
        SplittableRandom r = new SplittableRandom(7);
        for (int trial = 0; trial < 3_000; trial++) {
            int prev = r.nextInt(4);
            int cur = 1 + r.nextInt(8);
            List<Scored> previouslyEnded = new ArrayList<>();
            List<Scored> current = new ArrayList<>();
            for (int i = 0; i < prev + cur; i++) {
                double reward = r.nextInt(5) / 2.0;
                if (i < prev) {
                    previouslyEnded.add(new Scored(i, reward, true));
                } else {
                    current.add(new Scored(i, reward, r.nextBoolean()));
                }
            }
            double alpha = r.nextDouble() * 0.99;
            Checkpoint c = SpeculativeRejection.checkpoint(previouslyEnded, current, alpha);
            List<Scored> ranked = new ArrayList<>(previouslyEnded);
            ranked.addAll(current);
            int keep = Math.max(1, pythonRound((1.0 - alpha) * ranked.size()));
            // brute force: a candidate is kept iff fewer than keep candidates go before it (a higher reward, or the
            // same reward earlier in the ranked order)
            for (int i = 0; i < ranked.size(); i++) {
                int before = 0;
                for (int j = 0; j < ranked.size(); j++) {
                    double a = ranked.get(j).reward();
                    double b = ranked.get(i).reward();
                    if (a > b || (a == b && j < i)) {
                        before++;
                    }
                }
                assertThat(c.kept().contains(ranked.get(i))).as("trial %s candidate %s", trial, i)
                        .isEqualTo(before < keep);
            }
            assertThat(c.kept()).hasSize(keep);
            assertThat(c.live()).allMatch(s -> !s.ended());
            assertThat(c.live().size() + c.ended().size()).isEqualTo(keep);
            assertThat(c.retired()).allMatch(s -> previouslyEnded.contains(s) && !c.kept().contains(s));
        }
    }

    @Test
    void rateZeroKeepsEveryoneAndChoosesAsBestOfN() {
        SplittableRandom r = new SplittableRandom(5);
        for (int trial = 0; trial < 1_000; trial++) {
            int n = 1 + r.nextInt(10);
            int rounds = 1 + r.nextInt(5);
            double[][] rewards = new double[n][rounds];
            int[] ends = new int[n];
            double[] finalRewards = new double[n];
            for (int i = 0; i < n; i++) {
                ends[i] = r.nextInt(2) == 0 ? r.nextInt(rounds) : -1;
                for (int j = 0; j < rounds; j++) {
                    rewards[i][j] = r.nextInt(4) == 0 ? 1.0 : r.nextGaussian();
                }
                finalRewards[i] = rewards[i][ends[i] >= 0 ? ends[i] : rounds - 1];
            }
            Outcome o = driven(new Table(rewards, ends, rounds), 0.0);
            assertThat(o.chosen()).isEqualTo(BestOfN.select(finalRewards));
            assertThat(o.keptPerCheckpoint()).allMatch(k -> k == n);
        }
    }

    @Test
    void nanRanksLastAndNeverWins() {
        List<Scored> current = List.of(new Scored(0, Double.NaN, false), new Scored(1, -3.0, false),
                new Scored(2, 1.0, false));
        Checkpoint c = SpeculativeRejection.checkpoint(List.of(), current, 0.5);
        assertThat(c.kept()).extracting(Scored::id).containsExactly(2, 1); // round(1.5) = 2
        assertThat(SpeculativeRejection.choose(List.of(new Scored(0, Double.NaN, true), new Scored(1, -3.0, true)),
                List.of(), List.of()).id()).isEqualTo(1);
    }

    @Test
    void badInputsAreRefused() {
        assertThatThrownBy(() -> SpeculativeRejection.checkpoint(List.of(new Scored(0, 1, false)), List.of(), 0.5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("has not ended");
        assertThatThrownBy(() -> SpeculativeRejection.checkpoint(List.of(new Scored(0, 1, true)),
                List.of(new Scored(0, 2, false)), 0.5)).hasMessageContaining("distinct");
        assertThatThrownBy(() -> SpeculativeRejection.choose(List.of(new Scored(0, 1, false)), List.of(), List.of()))
                .hasMessageContaining("at least one ended");
    }
}
