package org.alignstream.drills;

/**
 * What the three-broker drills share: the same prompts as every drill ({@link PromptLoad}) while a broker breaks, the
 * drill's line in the report, and the longest stall (seconds without an answer) beside it.
 */
final class BrokerDrills {
    private BrokerDrills() {
    }

    /** Runs {@code load} with {@code breakage}, records the drill's line and its longest stall; returns the outcome. */
    static boolean run(String name, PromptLoad load, AnswerStalls stalls, PromptLoad.Breakage breakage,
                       DrillReport report) throws Exception {
        int mark = stalls.mark();
        DrillOutcome outcome = load.run(name, null, breakage, false);
        boolean ok = report.answers(name, outcome);
        report.stall(name, stalls.longestStallSince(mark));
        return ok;
    }
}
