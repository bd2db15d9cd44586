package org.alignstream.feedback;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;
import org.alignstream.avro.EditEvent;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.PreferenceEvent;
import org.alignstream.avro.TrainingExample;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.core.feedback.FeedbackValidation;
import org.alignstream.core.sampling.Seeds;
import org.alignstream.inference.reward.PrefixPairs;

/**
 * Turns one feedback event into a {@link TrainingExample}: checks it, decides whether it is held out (a pure function
 * of the event id), and computes the backbone's features of the preferred and the other text and of a few
 * equal-length word prefixes of both (Rashid et al. 2024: partial-sequence Bradley-Terry), all in one batch. An edit
 * gives the pair edited ≻ original (Xu et al. 2024).
 */
public final class ExampleBuilder {

    /** Equal-length prefix pairs kept per example (besides the full pair). */
    public static final int PREFIXES_PER_PAIR = 3;

    private final Featurizer featurizer;
    private final Set<String> trainable;
    private final FeedbackValidation rules;
    private final int holdoutPercent;

    /**
     * @param trainable      the reward model ids this service trains; feedback for another id is rejected
     * @param maxTextChars   longest prompt or response accepted
     * @param holdoutPercent share of events (0..90) held out for the validation gate
     */
    public ExampleBuilder(Featurizer featurizer, Set<String> trainable, int maxTextChars, int holdoutPercent) {
        if (holdoutPercent < 0 || holdoutPercent > 90) {
            throw new IllegalArgumentException("holdout percent must be within 0..90, was " + holdoutPercent);
        }
        this.featurizer = featurizer;
        this.trainable = Set.copyOf(trainable);
        this.rules = new FeedbackValidation(new FeedbackValidation.Limits(maxTextChars, maxTextChars));
        this.holdoutPercent = holdoutPercent;
    }

    /** The training example of {@code event}; throws {@link InvalidRecordException} naming the first broken rule. */
    public TrainingExample build(FeedbackEvent event) {
        String id = event.getId();
        if (id == null || id.isBlank()) {
            throw new InvalidRecordException("feedback event id is empty");
        }
        if (!trainable.contains(event.getRewardModel())) {
            throw new InvalidRecordException("feedback " + id + " is for reward model '" + event.getRewardModel()
                    + "', this service trains " + new java.util.TreeSet<>(trainable));
        }
        String source;
        String chosen;
        String rejected;
        Optional<String> problem;
        if (event.getEvent() instanceof PreferenceEvent p) {
            source = "preference";
            chosen = p.getChosen();
            rejected = p.getRejected();
            problem = rules.checkPreference(p.getPrompt(), chosen, rejected);
        } else if (event.getEvent() instanceof EditEvent e) {
            source = "edit";
            chosen = e.getEdited();
            rejected = e.getOriginal();
            problem = rules.checkEdit(e.getPrompt(), rejected, chosen);
        } else {
            throw new InvalidRecordException("feedback " + id + " carries no preference or edit");
        }
        if (problem.isPresent()) {
            throw new InvalidRecordException("feedback " + id + ": " + problem.get());
        }
        List<String> texts = new ArrayList<>();
        texts.add(chosen);
        texts.add(rejected);
        List<Integer> lengths = prefixLengths(id, PrefixPairs.wordCount(chosen), PrefixPairs.wordCount(rejected));
        for (int t : lengths) {
            texts.add(PrefixPairs.prefix(chosen, t));
            texts.add(PrefixPairs.prefix(rejected, t));
        }
        float[][] features = featurizer.features(texts);
        List<List<Float>> prefixChosen = new ArrayList<>();
        List<List<Float>> prefixRejected = new ArrayList<>();
        for (int i = 0; i < lengths.size(); i++) {
            prefixChosen.add(toList(features[2 + 2 * i]));
            prefixRejected.add(toList(features[3 + 2 * i]));
        }
        return TrainingExample.newBuilder()
                .setEventId(id)
                .setRewardModel(event.getRewardModel())
                .setSource(source)
                .setHoldout(heldOut(id))
                .setChosen(toList(features[0]))
                .setRejected(toList(features[1]))
                .setPrefixChosen(prefixChosen)
                .setPrefixRejected(prefixRejected)
                .setTimeMs(event.getTimeMs())
                .build();
    }

    /** Whether the event with this id is held out: a pure function of the id, the same on every instance. */
    public boolean heldOut(String eventId) {
        long h = Seeds.mix64(java.util.Arrays.hashCode(eventId.getBytes(StandardCharsets.UTF_8)));
        return Math.floorMod(h, 100) < holdoutPercent;
    }

    /** Up to {@link #PREFIXES_PER_PAIR} distinct word counts t < min length, drawn from the event id. */
    static List<Integer> prefixLengths(String eventId, int chosenWords, int rejectedWords) {
        int max = Math.min(chosenWords, rejectedWords) - 1;
        List<Integer> all = new ArrayList<>();
        for (int t = 1; t <= max; t++) {
            all.add(t);
        }
        SplittableRandom rng = new SplittableRandom(Seeds.mix64(eventId.hashCode()));
        List<Integer> out = new ArrayList<>();
        while (out.size() < PREFIXES_PER_PAIR && !all.isEmpty()) {
            out.add(all.remove(rng.nextInt(all.size())));
        }
        out.sort(null);
        return out;
    }

    private static List<Float> toList(float[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (float f : v) {
            out.add(f);
        }
        return out;
    }
}
