package org.alignstream.drills;

import org.alignstream.common.pipeline.StageSpec;

/**
 * {@code kill_<stage>}: the stage SIGKILLed mid-run, down for 2 s while prompts keep coming, then restarted on its
 * state directory. Every prompt must be answered once, as in the undisturbed run.
 */
final class KillStageDrill implements Drill {
    private final StageSpec stage;
    private final DrillStages stages;
    private final PromptLoad load;

    KillStageDrill(StageSpec stage, DrillStages stages, PromptLoad load) {
        this.stage = stage;
        this.stages = stages;
        this.load = load;
    }

    @Override
    public String name() {
        return "kill_" + stage.name();
    }

    @Override
    public void run(DrillReport report) throws Exception {
        report.answers(name(), load.run(name(), null, () -> {
            stages.kill(stage);
            Thread.sleep(2000); // down for a while: prompts keep coming
            stages.start(stage);
        }, false));
    }
}
