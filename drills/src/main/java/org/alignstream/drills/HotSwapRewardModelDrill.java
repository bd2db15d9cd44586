package org.alignstream.drills;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.clients.FeedbackClient;
import org.alignstream.harness.annotator.SeaOverTown;

/**
 * {@code hot_swap_reward_model}: {@link DrillStages#RETRAIN_EVERY} feedback events sent mid-run make the feedback
 * service train and publish a new version of the serving reward model, which the scorer swaps in while prompts stream
 * through (the last quarter is held back until the version is out). Each answer must equal the reference of the
 * version it was scored by, and the answers must have been scored by both the old and the new version.
 */
final class HotSwapRewardModelDrill implements Drill {
    private final PromptLoad load;
    private final FeedbackClient feedback;
    private final RewardModelVersions versions;

    HotSwapRewardModelDrill(PromptLoad load, FeedbackClient feedback, RewardModelVersions versions) {
        this.load = load;
        this.feedback = feedback;
        this.versions = versions;
    }

    @Override
    public String name() {
        return "hot_swap_reward_model";
    }

    @Override
    public void run(DrillReport report) throws Exception {
        DrillOutcome o = load.run(name(), null, () -> {
            long before = versions.newest(Long.parseLong(ReferenceAnswers.BUNDLED_VERSION));
            SeaOverTown.events("hot-swap-", 0, DrillStages.RETRAIN_EVERY).forEach(feedback::send);
            feedback.flush();
            long v = versions.await(before + 1, Duration.ofSeconds(120));
            System.out.printf("chaos: %s: %s version %d published (was %d)%n", name(), versions.model(), v, before);
        }, true);
        if (report.answers(name(), o)) {
            report.check(swapped());
        }
    }

    /** The drill's answers were scored by both the old and the new version (else it swapped no load). */
    private boolean swapped() {
        Set<String> scoredBy = new HashSet<>();
        for (AlignedResponse a : load.received()) {
            if (a.getId().startsWith(name() + "-")) {
                scoredBy.add(a.getRewardModel().getVersion());
            }
        }
        boolean both = scoredBy.size() >= 2;
        System.out.printf("chaos: %s: answers scored by versions %s%s%n", name(), scoredBy,
                both ? "" : " (FAILED: the swap did not happen under load)");
        return both;
    }
}
