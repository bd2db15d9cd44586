package org.alignstream.drills;

import java.util.HashMap;
import java.util.Map;
import org.alignstream.avro.AlignedResponse;

/**
 * The answers a drill's answers are compared with, per reward-model version (seeded sampling is deterministic): the
 * bundled version from the undisturbed run; any other version an answer is stamped with gets a run of the same prompts pinned to
 * that version (strategy.reward_model_version), made when it is first asked for.
 */
final class ReferenceAnswers {
    /** The version the stages serve before any retraining (the bundled one). */
    static final String BUNDLED_VERSION = org.alignstream.inference.reward.RewardModels.bundledSentimentVersion();

    private final PromptLoad load;
    private final Map<String, Map<Integer, AlignedResponse>> byVersion = new HashMap<>();

    ReferenceAnswers(PromptLoad load) {
        this.load = load;
    }

    /**
     * Takes the outcome of an undisturbed run as the reference of {@code version}.
     *
     * @throws IllegalStateException if a prompt was not answered or an answer was scored by another version
     */
    void add(String version, DrillOutcome o) {
        Map<Integer, AlignedResponse> out = o.answersByIndex();
        System.out.printf("chaos: reference run for version %s: %d of %d answered in %.1f s%n", version,
                out.size(), o.sent().size(), o.seconds());
        if (out.size() != o.sent().size()) {
            throw new IllegalStateException("the reference run for version " + version
                    + " did not answer every prompt");
        }
        for (AlignedResponse a : out.values()) {
            if (!a.getRewardModel().getVersion().equals(version)) {
                throw new IllegalStateException("reference run for version " + version + ": " + a.getId()
                        + " was scored by version " + a.getRewardModel().getVersion());
            }
        }
        byVersion.put(version, out);
    }

    /** The reference answers of {@code version} by prompt index; runs the prompts pinned to it the first time. */
    Map<Integer, AlignedResponse> of(String version) throws Exception {
        if (!byVersion.containsKey(version)) {
            add(version, load.run("reference_v" + version, version, null, false));
        }
        return byVersion.get(version);
    }
}
