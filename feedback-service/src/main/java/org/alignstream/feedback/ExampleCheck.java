package org.alignstream.feedback;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import org.alignstream.avro.TrainingExample;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.inference.reward.LinearHead;

/**
 * What a {@link TrainingExample} read from {@code feedback-examples} must be before it is stored for training, as
 * {@link ExampleBuilder} makes it: an event id; a reward model this service trains; a known source; the chosen and
 * rejected features and each of at most {@link ExampleBuilder#PREFIXES_PER_PAIR} prefix pairs with exactly as many
 * finite values as the heads it trains read. The topic is internal, but anything can write to it: one example with
 * the wrong dimension or a NaN would make every later retraining of its model fail (or be refused by the gate) for
 * good, since stored examples are never dropped.
 */
final class ExampleCheck {

    /** The sources {@link ExampleBuilder} writes. */
    static final List<String> SOURCES = List.of("preference", "edit");

    private final Function<String, List<TrainingLoop.Target>> targets;
    private final Function<String, LinearHead> bundledHead;
    private final Map<String, Integer> dimensions = new ConcurrentHashMap<>();

    /**
     * @param targets     for a feedback target (the example's reward model id), the models trained from its examples
     * @param bundledHead the head serving a model before any version (its feature dimension is the one examples need)
     */
    ExampleCheck(Function<String, List<TrainingLoop.Target>> targets, Function<String, LinearHead> bundledHead) {
        this.targets = targets;
        this.bundledHead = bundledHead;
    }

    /** Throws {@link InvalidRecordException} naming the first broken rule. */
    void check(TrainingExample e) {
        String id = e.getEventId();
        if (id == null || id.isBlank()) {
            throw new InvalidRecordException("training example has no event id");
        }
        String what = "training example " + id;
        List<TrainingLoop.Target> trained = targets.apply(e.getRewardModel());
        if (trained == null || trained.isEmpty()) {
            throw new InvalidRecordException(what + " is for reward model '" + e.getRewardModel()
                    + "', which this service does not train");
        }
        if (!SOURCES.contains(e.getSource())) {
            throw new InvalidRecordException(what + " has source '" + e.getSource() + "', expected one of " + SOURCES);
        }
        int dim = dimension(e.getRewardModel(), trained);
        checkFeatures(e.getChosen(), dim, what + ": chosen features");
        checkFeatures(e.getRejected(), dim, what + ": rejected features");
        int prefixes = e.getPrefixChosen().size();
        if (prefixes != e.getPrefixRejected().size()) {
            throw new InvalidRecordException(what + " has " + prefixes + " chosen prefixes but "
                    + e.getPrefixRejected().size() + " rejected ones");
        }
        if (prefixes > ExampleBuilder.PREFIXES_PER_PAIR) {
            throw new InvalidRecordException(what + " has " + prefixes + " prefix pairs, at most "
                    + ExampleBuilder.PREFIXES_PER_PAIR + " are made");
        }
        for (int i = 0; i < prefixes; i++) {
            checkFeatures(e.getPrefixChosen().get(i), dim, what + ": chosen prefix " + i + " features");
            checkFeatures(e.getPrefixRejected().get(i), dim, what + ": rejected prefix " + i + " features");
        }
    }

    /** The feature dimension every model trained from {@code feedbackModel}'s examples reads (they must agree). */
    private int dimension(String feedbackModel, List<TrainingLoop.Target> trained) {
        return dimensions.computeIfAbsent(feedbackModel, m -> {
            int dim = -1;
            for (TrainingLoop.Target t : trained) {
                int d = bundledHead.apply(t.modelId()).metadata().featureDim();
                if (dim >= 0 && d != dim) {
                    throw new IllegalStateException("the models trained from " + m + " feedback read features of "
                            + "different sizes (" + dim + " and " + d + ")");
                }
                dim = d;
            }
            return dim;
        });
    }

    private static void checkFeatures(List<Float> features, int dim, String what) {
        if (features.size() != dim) {
            throw new InvalidRecordException(what + " have " + features.size() + " values, the backbone's have " + dim);
        }
        for (int i = 0; i < features.size(); i++) {
            if (!Float.isFinite(features.get(i))) {
                throw new InvalidRecordException(what + " have the non-finite value " + features.get(i) + " at " + i);
            }
        }
    }
}
