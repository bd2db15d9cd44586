package org.alignstream.inference.reward;

import static org.alignstream.inference.reward.DecoderRewardModelTest.ENDINGS;
import static org.alignstream.inference.reward.DecoderRewardModelTest.PATH_TOLERANCE;
import static org.alignstream.inference.reward.DecoderRewardModelTest.dir;
import static org.alignstream.inference.reward.DecoderRewardModelTest.load;
import static org.alignstream.inference.reward.DecoderRewardModelTest.references;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.alignstream.core.decoding.Args;
import org.alignstream.inference.lm.KvCacheStore;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.onnx.OnnxModelException;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The shared-past scoring graph ({@value DecoderRewardModel#SHARED_PAST_FILE}, written beside each decoder fixture by
 * {@code ops/lm-fixtures/make_hf_reward_fixtures.py} from the same weights): a tokenwise round's k texts scored over
 * ONE batch-1 prefix cache give the rewards of the fallback path (the same fixture without that file, whose rows get
 * copies of the prefix cache) within {@link DecoderRewardModelTest#PATH_TOLERANCE} (1e-5: the shared graph splits the
 * attention-weighted sum in two, so float sums differ in order), round after round with the cross-round cache, and a
 * greedy ARGS run over those rewards chooses the same candidate in every round. A file of another layout is refused.
 */
class SharedPastScoringTest {

    /** The fixture directory copied to {@code tmp/<name>} (same id and version) without the shared-past graph. */
    private static Path withoutSharedPast(String name, Path tmp) throws Exception {
        Path copy = Files.createDirectories(tmp.resolve(name));
        for (String f : List.of("model.onnx", "config.json", "tokenizer.json")) {
            Files.copy(dir(name).resolve(f), copy.resolve(f), StandardCopyOption.REPLACE_EXISTING);
        }
        return copy;
    }

    private static DecoderRewardModel loadFrom(Path directory) {
        return (DecoderRewardModel) RewardModels.fromDirectory(directory, OnnxDevice.CPU, 1, ScoredText.RESPONSE);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void aRoundScoredOverTheSharedPastEqualsTheCopiedPrefixPath(String name, @TempDir Path tmp) throws Exception {
        String response = references(name).get(2).text();
        List<String> candidates = ENDINGS.stream().map(e -> response + e).toList();
        try (DecoderRewardModel shared = load(name, ScoredText.RESPONSE);
             DecoderRewardModel copied = loadFrom(withoutSharedPast(name, tmp))) {
            assertThat(shared.sharedPastScoring()).isTrue();
            assertThat(shared.toString()).contains("shared-past scoring graph");
            assertThat(copied.sharedPastScoring()).as("fallback without the file").isFalse();
            assertThat(copied.cacheKey()).isEqualTo(shared.cacheKey());
            assertThat(shared.sharedPrefixTokens("", candidates)).isGreaterThanOrEqualTo(DecoderRewardModel.MIN_SHARED_TOKENS);
            double[] a = shared.scoreWithSharedPrefix("", candidates, RewardModel.Outputs.REWARDS).rewards();
            double[] b = copied.scoreWithSharedPrefix("", candidates, RewardModel.Outputs.REWARDS).rewards();
            double worst = 0;
            for (int i = 0; i < candidates.size(); i++) {
                assertThat(a[i]).as("'%s'", candidates.get(i)).isCloseTo(b[i], within(PATH_TOLERANCE));
                // and both are the text's reward from scratch
                assertThat(a[i]).isCloseTo(shared.score("", candidates.get(i)), within(PATH_TOLERANCE));
                worst = Math.max(worst, Math.abs(a[i] - b[i]));
            }
            assertThat(a).doesNotHaveDuplicates(); // the k extensions are really scored, not one row copied
            System.out.printf("%s: shared past vs copied prefix, max |diff| %.2e%n", name, worst);
        }
    }

    /**
     * Greedy ARGS (w = 1) over 24 rounds, each round's candidates the response plus each of {@link #ENDINGS} except EOS
     * with fixed reference log-probabilities, the chosen text appended: both paths with their own round cache choose
     * the same candidate in every round and end with the same response. The rewards of each round agree within the
     * path tolerance, and the decisions differ somewhere from what the log-probabilities alone would choose (so the
     * rewards decide).
     */
    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void aGreedyArgsRunChoosesTheSameCandidatesOnBothPaths(String name, @TempDir Path tmp) throws Exception {
        List<String> endings = ENDINGS.stream().filter(e -> !e.isEmpty()).toList();
        double[] logProbs = new double[endings.size()];
        for (int i = 0; i < logProbs.length; i++) {
            logProbs[i] = -0.05 * (i + 1); // close together: the rewards decide
        }
        String start = references(name).get(2).text();
        int rounds = 24;
        try (DecoderRewardModel shared = load(name, ScoredText.RESPONSE);
             DecoderRewardModel copied = loadFrom(withoutSharedPast(name, tmp));
             KvCacheStore<PrefixKv> sharedStore = new KvCacheStore<>(64L << 20);
             KvCacheStore<PrefixKv> copiedStore = new KvCacheStore<>(64L << 20)) {
            String a = start;
            String b = start;
            List<Integer> choices = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                boolean last = r == rounds - 1;
                String ra = a;
                String rb = b;
                double[] rewardsA = shared.scoreWithSharedPrefix("", endings.stream().map(e -> ra + e).toList(),
                        RewardModel.Outputs.REWARDS, new RewardModel.RoundCache(sharedStore, "q", r > 0, !last)).rewards();
                double[] rewardsB = copied.scoreWithSharedPrefix("", endings.stream().map(e -> rb + e).toList(),
                        RewardModel.Outputs.REWARDS, new RewardModel.RoundCache(copiedStore, "q", r > 0, !last)).rewards();
                for (int i = 0; i < rewardsA.length; i++) {
                    assertThat(rewardsA[i]).as("round %d candidate %d", r, i).isCloseTo(rewardsB[i], within(PATH_TOLERANCE));
                }
                int ia = Args.choose(logProbs, rewardsA, 1.0, true, null).index();
                int ib = Args.choose(logProbs, rewardsB, 1.0, true, null).index();
                assertThat(ia).as("round %d", r).isEqualTo(ib);
                choices.add(ia);
                a += endings.get(ia);
                b += endings.get(ib);
            }
            assertThat(a).isEqualTo(b);
            // the round cache is really used (a re-tokenisation that changes earlier tokens is a miss), alike on both
            assertThat(sharedStore.hits()).isGreaterThan(rounds / 2).isEqualTo(copiedStore.hits());
            Set<Integer> distinct = new HashSet<>(choices);
            assertThat(distinct.size() > 1 || !distinct.contains(0)).as("the rewards move the choice: %s", choices).isTrue();
            System.out.printf("%s: greedy ARGS choices %s%n", name, choices);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void aSharedPastFileOfAnotherLayoutIsRefused(String name, @TempDir Path tmp) throws Exception {
        Path copy = withoutSharedPast(name, tmp);
        // the plain graph takes a past per row (dynamic batch), not one shared batch-1 past
        Files.copy(copy.resolve("model.onnx"), copy.resolve(DecoderRewardModel.SHARED_PAST_FILE));
        assertThatThrownBy(() -> loadFrom(copy))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining(DecoderRewardModel.SHARED_PAST_FILE);
        // another model's shared-past graph (other heads and head size)
        String other = name.equals("gpt2-reward") ? "llama-reward" : "gpt2-reward";
        Files.copy(dir(other).resolve(DecoderRewardModel.SHARED_PAST_FILE), copy.resolve(DecoderRewardModel.SHARED_PAST_FILE),
                StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> loadFrom(copy))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining(DecoderRewardModel.SHARED_PAST_FILE);
    }
}
