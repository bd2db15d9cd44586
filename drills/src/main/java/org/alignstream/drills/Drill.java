package org.alignstream.drills;

/**
 * One chaos drill: breaks something in the running pipeline (a stage, the broker, the serving reward model) while
 * load runs, and records what was lost, duplicated or dead-lettered in the report.
 */
interface Drill {

    /** The drill's name in its report line. */
    String name();

    /** Runs the drill and records its line (and any further check) in {@code report}. */
    void run(DrillReport report) throws Exception;
}
