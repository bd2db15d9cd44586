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
import org.alignstream.avro.TokenSequence;
import org.alignstream.avro.TrainingExample;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.core.feedback.FeedbackValidation;
import org.alignstream.core.feedback.MinimalEditAlignment;
import org.alignstream.core.sampling.Seeds;
import org.alignstream.inference.reward.PrefixPairs;

/**
 * Turns one feedback event into a {@link TrainingExample}: checks it, decides whether it is held out (a pure function
 * of the event id), and computes the backbone's features of the preferred and the other text and of a few
 * equal-length word prefixes of both (Rashid et al. 2024: partial-sequence Bradley-Terry), all in one batch. An edit
 * gives the pair edited ≻ original (Xu et al. 2024).
 *
 * <p>Token-level training (when the backbone gives tokens, {@link Featurizer#tokenLevel()}): the same batch also
 * gives the preferred and the other text's tokens ({@link TokenSequence}: reward-tokenizer ids, backbone state rows,
 * attention); for an edit, the minimal edit script over the two id sequences labels them
 * ({@link MinimalEditAlignment}: −1 on original tokens deleted or replaced, +1 on edited tokens inserted or written as
 * a replacement, 0 on kept ones). A preference's token targets are made at training time from the serving reward
 * (dense credit, {@link RewardTrainer#trainTokenLevel}).
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
        Featurizer.Encoded encoded = featurizer.encode(texts, featurizer.tokenLevel() ? 2 : 0);
        float[][] features = encoded.features();
        List<List<Float>> prefixChosen = new ArrayList<>();
        List<List<Float>> prefixRejected = new ArrayList<>();
        for (int i = 0; i < lengths.size(); i++) {
            prefixChosen.add(toList(features[2 + 2 * i]));
            prefixRejected.add(toList(features[3 + 2 * i]));
        }
        TrainingExample.Builder example = TrainingExample.newBuilder()
                .setEventId(id)
                .setRewardModel(event.getRewardModel())
                .setSource(source)
                .setHoldout(heldOut(id))
                .setChosen(toList(features[0]))
                .setRejected(toList(features[1]))
                .setPrefixChosen(prefixChosen)
                .setPrefixRejected(prefixRejected)
                .setTimeMs(event.getTimeMs());
        if (!encoded.tokens().isEmpty()) {
            Featurizer.Tokens c = encoded.tokens().get(0);
            Featurizer.Tokens r = encoded.tokens().get(1);
            int[] chosenLabels = new int[0];
            int[] rejectedLabels = new int[0];
            if (event.getEvent() instanceof EditEvent) {
                MinimalEditAlignment alignment = MinimalEditAlignment.align(r.ids(), c.ids());
                rejectedLabels = alignment.originalLabels();
                chosenLabels = alignment.editedLabels();
            }
            example.setChosenTokens(sequence(c, chosenLabels)).setRejectedTokens(sequence(r, rejectedLabels));
        }
        return example.build();
    }

    /** A text's tokens as stored for training, with its edit labels (none for a preference). */
    public static TokenSequence sequence(Featurizer.Tokens tokens, int[] labels) {
        List<Integer> ids = new ArrayList<>(tokens.ids().length);
        for (int id : tokens.ids()) {
            ids.add(id);
        }
        List<List<Float>> states = new ArrayList<>(tokens.states().length);
        for (float[] row : tokens.states()) {
            states.add(toList(row));
        }
        List<Integer> labelList = new ArrayList<>(labels.length);
        for (int l : labels) {
            labelList.add(l);
        }
        return TokenSequence.newBuilder().setTokenIds(ids).setStates(states).setAttention(toList(tokens.attention()))
                .setLabels(labelList).build();
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

    public static List<Float> toList(float[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (float f : v) {
            out.add(f);
        }
        return out;
    }
}
