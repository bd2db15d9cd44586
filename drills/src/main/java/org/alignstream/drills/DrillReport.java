package org.alignstream.drills;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.alignstream.avro.AlignedResponse;

/**
 * The drills' verdict: one line per drill, {@code drill NAME lost=L duplicated=D dead_lettered=X}, and the exit code,
 * 0 only if every count is 0, no answer differs from the reference of its reward-model version and every other check
 * a drill makes passed.
 */
final class DrillReport {
    private final ReferenceAnswers references;
    private final List<String> lines = new ArrayList<>();
    private boolean passed = true;

    DrillReport(ReferenceAnswers references) {
        this.references = references;
    }

    /**
     * Counts the prompts of a drill not answered (lost) and answered more than once (duplicated), compares every
     * answer with the reference answer of the reward-model version it was scored by, prints a summary and adds the
     * drill's line.
     *
     * @return whether nothing was lost, duplicated, dead-lettered or different
     */
    boolean answers(String name, DrillOutcome o) throws Exception {
        Map<String, Integer> count = new HashMap<>();
        o.answers().forEach(a -> count.merge(a.getId(), 1, Integer::sum));
        long lost = o.sent().stream().filter(r -> !count.containsKey(r.getId())).count();
        long duplicated = count.values().stream().mapToInt(c -> c - 1).sum();
        int differs = 0;
        Map<String, Integer> versions = new TreeMap<>();
        for (AlignedResponse a : o.answers()) {
            String version = a.getRewardModel().getVersion();
            versions.merge(version, 1, Integer::sum);
            AlignedResponse want = references.of(version).get(DrillOutcome.index(a));
            if (!want.getTokenIds().equals(a.getTokenIds()) || want.getChosenIndex() != a.getChosenIndex()
                    || !want.getCandidateRewards().equals(a.getCandidateRewards())) {
                differs++;
                if (differs <= 5) {
                    System.out.printf("chaos: %s: %s differs from the reference of version %s%n", name, a.getId(),
                            version);
                }
            }
        }
        System.out.printf("chaos: %s: %d answers for %d prompts in %.1f s (answers per reward-model version %s), %d "
                + "differ from the undisturbed run of their version%n", name, o.answers().size(), o.sent().size(),
                o.seconds(), versions, differs);
        return counts(name, lost, duplicated, o.deadLettered(), differs == 0);
    }

    /**
     * Adds a drill's line with counts the drill made itself.
     *
     * @param otherwise whether the drill's other checks passed
     * @return whether every count is 0 and {@code otherwise} holds
     */
    boolean counts(String name, long lost, long duplicated, long deadLettered, boolean otherwise) {
        lines.add(String.format("drill %s lost=%d duplicated=%d dead_lettered=%d", name, lost, duplicated,
                deadLettered));
        return check(lost == 0 && duplicated == 0 && deadLettered == 0 && otherwise);
    }

    /** Adds a drill's longest stall: {@code stall NAME longest_s=S}, seconds between two consecutive answers. */
    void stall(String name, double seconds) {
        lines.add(String.format(java.util.Locale.ROOT, "stall %s longest_s=%.1f", name, seconds));
    }

    /** Records a check beyond the counts (e.g. that a hot swap met load); returns {@code ok}. */
    boolean check(boolean ok) {
        passed &= ok;
        return ok;
    }

    /** A blank line, then the drills' lines. */
    void print(PrintStream out) {
        out.println();
        lines.forEach(out::println);
    }

    /** 0 if every drill passed, else 1. */
    int exitCode() {
        return passed ? 0 : 1;
    }
}
