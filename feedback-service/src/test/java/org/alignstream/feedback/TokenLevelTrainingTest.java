package org.alignstream.feedback;

import static org.alignstream.feedback.FeedbackTopologyTest.LETTERS;
import static org.alignstream.feedback.FeedbackTopologyTest.edit;
import static org.alignstream.feedback.FeedbackTopologyTest.head;
import static org.alignstream.feedback.FeedbackTopologyTest.preference;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.List;
import org.alignstream.avro.TokenSequence;
import org.alignstream.avro.TrainingExample;
import org.alignstream.core.feedback.ValidationGate;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.RewardModel;
import org.junit.jupiter.api.Test;

/** Token-level examples and training with the letters backbone of {@link FeedbackTopologyTest}. */
class TokenLevelTrainingTest {

    private final ExampleBuilder builder = new ExampleBuilder(LETTERS, FeedbackService.TARGETS.keySet(), 200, 25);

    @Test
    void anEditsTokensAreLabelledByTheMinimalEditScript() {
        TrainingExample e = builder.build(edit("e1", "the y film was y dull", "the film was x fine"));
        assertThat(e.getSource()).isEqualTo("edit");
        TokenSequence original = e.getRejectedTokens();
        TokenSequence edited = e.getChosenTokens();
        // original: the y film was y dull -> edited: the film was x fine
        // script: KEEP the, DELETE y, KEEP film, KEEP was, REPLACE y by x, REPLACE dull by fine
        assertThat(original.getLabels()).containsExactly(0, -1, 0, 0, -1, -1);
        assertThat(edited.getLabels()).containsExactly(0, 0, 0, 1, 1);
        assertThat(original.getTokenIds()).hasSize(6).startsWith("the".hashCode(), "y".hashCode());
        assertThat(original.getStates()).hasSize(6);
        assertThat(original.getStates().get(1)).containsExactly(0f, 1f, 1f);
        assertThat(edited.getAttention()).hasSize(5);
        // a preference carries tokens but no labels
        TrainingExample p = builder.build(preference("p1", "x x good", "y bad"));
        assertThat(p.getChosenTokens().getLabels()).isEmpty();
        assertThat(p.getRejectedTokens().getTokenIds()).hasSize(2);
        // the pooled features are those of the sequence models, as before
        assertThat(p.getChosen()).containsExactly(2f, 0f, 1f);
    }

    /** Events preferring 'x' words (every fifth an edit), built into examples; about a quarter held out. */
    private List<TrainingExample> examples(int n) {
        List<TrainingExample> out = new ArrayList<>();
        for (var event : FeedbackTopologyTest.preferX("t", n)) {
            out.add(builder.build(event));
        }
        return out;
    }

    @Test
    void laterRetrainingsAreCentredOnTheAnchorNotOnTheServingVersion() {
        LinearHead bundled = head("sentiment-token", RewardModel.TOKEN_LEVEL);
        LinearHead credit = head("sentiment", RewardModel.FULL_SEQUENCE);
        List<TrainingExample> examples = examples(40);
        RewardTrainer trainer = new RewardTrainer(0.01, 1.0, new RewardTrainer.TokenLevel(0.5, 1.0));
        LinearHead v2 = trainer.trainTokenLevel(bundled, credit, bundled.metadata(), examples, 2).head();
        // retraining on the same examples: around the anchor it gives the same head again (nothing counted twice) ...
        LinearHead again = trainer.trainTokenLevel(bundled, v2, credit, v2.metadata(), examples, 3).head();
        assertThat(again.weights()).containsExactly(v2.weights(), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(again.metadata().version()).isEqualTo("3");
        // ... while centring on the serving version moves further the same way: the same evidence counted again
        LinearHead twice = trainer.trainTokenLevel(v2, credit, v2.metadata(), examples, 3).head();
        assertThat(twice.weights()[0] - twice.weights()[1]).isGreaterThan(v2.weights()[0] - v2.weights()[1] + 1e-3);
    }

    @Test
    void trainsAroundTheServingHeadFromEditLabelsAndDenseCreditTargets() {
        LinearHead serving = head("sentiment-token", RewardModel.TOKEN_LEVEL);
        LinearHead credit = head("sentiment", RewardModel.FULL_SEQUENCE);
        List<TrainingExample> examples = examples(40);
        RewardTrainer.Outcome outcome = new RewardTrainer(0.01, 0.02, new RewardTrainer.TokenLevel(0.01, 1.0))
                .trainTokenLevel(serving, credit, serving.metadata(), examples, 2);
        assertThat(outcome.decision().publish()).isTrue();
        assertThat(outcome.decision().newAccuracy()).isGreaterThan(outcome.decision().servingAccuracy());
        LinearHead head = outcome.head();
        assertThat(head.metadata()).isEqualTo(new HeadMetadata("sentiment-token", "2", RewardModel.TOKEN_LEVEL, 3,
                "letters"));
        assertThat(head.weights()[0]).as("'x' words learnt to be good").isGreaterThan(head.weights()[1]);
        assertThat(outcome.figures().get("examples")).isEqualTo(40.0);
        assertThat(outcome.figures().get("examples_with_tokens")).isEqualTo(40.0);
        long edits = examples.stream().filter(e -> !e.getHoldout() && e.getSource().equals("edit")).count();
        long preferences = examples.stream().filter(e -> !e.getHoldout() && e.getSource().equals("preference")).count();
        assertThat(outcome.figures().get("edit_sequences")).isEqualTo(2.0 * edits);
        assertThat(outcome.figures().get("target_sequences")).isEqualTo(2.0 * preferences);
        assertThat(outcome.figures().get("train_pairs")).isEqualTo((double) (edits + preferences));
        assertThat(outcome.figures().get("credit_beta")).isEqualTo(1.0);
        assertThat(outcome.figures().get("l2")).isEqualTo(0.01);
    }

    @Test
    void withoutAPriorTheDenseCreditTargetsAloneTeachTheServingRewardPerToken() {
        // only preferences; serving reward: 'y' good; feedback prefers 'y' too. From zero, the token head learns the
        // credit reward's preference for 'y' words, and its sequence sums rank the held-out pairs like it
        List<TrainingExample> examples = new ArrayList<>();
        for (int i = 0; examples.size() < 60; i++) {
            String id = "y" + i;
            examples.add(builder.build(preference(id, "y ".repeat(1 + i % 3) + "w" + i, "x ".repeat(1 + i % 2) + "v" + i)));
        }
        LinearHead credit = head("sentiment", RewardModel.FULL_SEQUENCE);
        HeadMetadata metadata = new HeadMetadata("sentiment-token", "1", RewardModel.TOKEN_LEVEL, 3, "letters");
        RewardTrainer trainer = new RewardTrainer(1e-4, 0.02, new RewardTrainer.TokenLevel(1e-4, 1.0));
        RewardTrainer.Outcome outcome = trainer.trainTokenLevel(null, credit, metadata, examples, 1);
        assertThat(outcome.decision().reason()).isEqualTo(ValidationGate.Reason.FIRST_VERSION);
        assertThat(outcome.decision().newAccuracy()).isEqualTo(1.0);
        assertThat(outcome.head().weights()[1]).isGreaterThan(outcome.head().weights()[0]);
    }

    @Test
    void examplesWithoutTokensAreSkippedAndNothingIsTrainedWithoutAHeldOutOne() {
        LinearHead serving = head("sentiment-token", RewardModel.TOKEN_LEVEL);
        LinearHead credit = head("sentiment", RewardModel.FULL_SEQUENCE);
        List<TrainingExample> old = new ArrayList<>();
        for (TrainingExample e : examples(20)) {
            old.add(TrainingExample.newBuilder(e).setChosenTokens(null).setRejectedTokens(null).build());
        }
        RewardTrainer trainer = new RewardTrainer(0.01, 0.02);
        assertThat(trainer.trainTokenLevel(serving, credit, serving.metadata(), old, 2)).isNull();
        List<TrainingExample> trainOnly = examples(20).stream().filter(e -> !e.getHoldout()).toList();
        assertThat(trainer.trainTokenLevel(serving, credit, serving.metadata(), trainOnly, 2)).isNull();
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RewardTrainer.TokenLevel(1, 1.5))
                .hasMessageContaining("credit beta must be in [0, 1]");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new RewardTrainer.TokenLevel(0, 1))
                .hasMessageContaining("token-level l2 must be finite and > 0");
    }

    @Test
    void aPreferencesTargetsAreTheServingRewardSpreadByAttention() {
        LinearHead credit = head("sentiment", RewardModel.FULL_SEQUENCE);
        TrainingExample e = builder.build(preference("p", "y y fine", "x bad"));
        double r = credit.apply(new float[] {0, 2, 1}); // the chosen text's serving reward: 2 + 0.5
        assertThat(r).isEqualTo(2.5);
        // uniform attention over 3 tokens; beta 1: R / 3 each; beta 0.5: R / 6 each and R / 2 more on the last
        assertThat(RewardTrainer.tokenTargets(r, e.getChosenTokens(), 1.0))
                .containsExactly(new double[] {r / 3, r / 3, r / 3}, within(1e-7));
        double[] half = RewardTrainer.tokenTargets(r, e.getChosenTokens(), 0.5);
        assertThat(half).containsExactly(new double[] {r / 6, r / 6, r / 6 + r / 2}, within(1e-7));
        assertThat(half[0] + half[1] + half[2]).isCloseTo(r, within(1e-12));
        TokenSequence none = TokenSequence.newBuilder(e.getChosenTokens()).setAttention(List.of()).build();
        assertThat(RewardTrainer.tokenTargets(r, none, 1.0)).isNull();
    }
}
