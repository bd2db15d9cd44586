package org.alignstream.inference.reward;

import static org.alignstream.inference.reward.DecoderRewardModelTest.ENDINGS;
import static org.alignstream.inference.reward.DecoderRewardModelTest.PATH_TOLERANCE;
import static org.alignstream.inference.reward.DecoderRewardModelTest.load;
import static org.alignstream.inference.reward.DecoderRewardModelTest.references;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.alignstream.inference.lm.KvCacheStore;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The cross-round prefix cache of {@link DecoderRewardModel} ({@link RewardModel.RoundCache}) on the decoder fixtures:
 * over the rounds of a tokenwise decoding (the response growing by one candidate's text per round), every round's
 * rewards with the cache equal the uncached {@link DecoderRewardModel#scoreWithSharedPrefix(String, List,
 * RewardModel.Outputs)} within {@link DecoderRewardModelTest#PATH_TOLERANCE} (1e-5: a hit reads the added tokens
 * against the cached keys and values, the uncached path reads the whole prefix in one run, so float sums differ in
 * order), on hits, on misses (another store: a restart or another instance; a prefix that does not extend the cached
 * one) and after evictions; the last round leaves nothing cached.
 */
class DecoderRoundCacheTest {

    private static final int ROUNDS = 8;

    /** The text the request chooses in {@code round}: rotates over the non-empty endings (some merge with the text). */
    private static String chosen(int round) {
        List<String> texts = ENDINGS.stream().filter(e -> !e.isEmpty()).toList();
        return texts.get((round * 3) % texts.size());
    }

    private static List<String> candidates(String response) {
        return ENDINGS.stream().map(e -> response + e).toList();
    }

    /** Scores one round with {@code cache} and without, asserts they agree; returns the largest difference. */
    private static double round(DecoderRewardModel model, String prompt, String response, RewardModel.RoundCache cache) {
        List<String> texts = candidates(response);
        double[] cached = model.scoreWithSharedPrefix(prompt, texts, RewardModel.Outputs.REWARDS, cache).rewards();
        double[] plain = model.scoreWithSharedPrefix(prompt, texts, RewardModel.Outputs.REWARDS).rewards();
        double worst = 0;
        for (int i = 0; i < texts.size(); i++) {
            assertThat(cached[i]).as("'%s'", texts.get(i)).isCloseTo(plain[i], within(PATH_TOLERANCE));
            worst = Math.max(worst, Math.abs(cached[i] - plain[i]));
        }
        assertThat(cached).doesNotHaveDuplicates(); // the extensions are really scored
        return worst;
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void roundsHitAndScoreAsTheUncachedPath(String name) throws Exception {
        String start = references(name).get(2).text();
        try (DecoderRewardModel model = load(name, ScoredText.RESPONSE);
             KvCacheStore<PrefixKv> store = new KvCacheStore<>(64L << 20)) {
            String response = start;
            double worst = 0;
            for (int r = 0; r < ROUNDS; r++) {
                boolean last = r == ROUNDS - 1;
                worst = Math.max(worst, round(model, "", response, new RewardModel.RoundCache(store, "a", r > 0, !last)));
                assertThat(store.contains(model.cacheKey(), "a")).as("round %d", r).isEqualTo(!last);
                response += chosen(r);
            }
            // round 0 is not looked up; every later round extends the cached prefix (merges included)
            assertThat(store.hits()).isEqualTo(ROUNDS - 1);
            assertThat(store.misses()).isZero();
            assertThat(store.size()).as("the last round drops the request").isZero();
            assertThat(store.bytesHeld()).isZero();
            System.out.printf("%s: %d rounds with the round cache vs without, max |diff| %.2e%n", name, ROUNDS, worst);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void aMissReadsThePrefixAgainAndLaterRoundsHit(String name) throws Exception {
        String start = references(name).get(2).text();
        try (DecoderRewardModel model = load(name, ScoredText.RESPONSE);
             KvCacheStore<PrefixKv> first = new KvCacheStore<>(64L << 20);
             KvCacheStore<PrefixKv> other = new KvCacheStore<>(64L << 20)) {
            String response = start;
            for (int r = 0; r < ROUNDS; r++) {
                // rounds 0-2 on one instance, the rest on another that has nothing of the request (a restart)
                KvCacheStore<PrefixKv> store = r < 3 ? first : other;
                round(model, "", response, new RewardModel.RoundCache(store, "a", r > 0, true));
                response += chosen(r);
            }
            assertThat(first.hits()).isEqualTo(2);
            assertThat(other.misses()).as("the take-over round").isEqualTo(1);
            assertThat(other.hits()).isEqualTo(ROUNDS - 4);
            // a round whose prefix does not extend the cached one (another text under the same id): a miss, same scores
            round(model, "", "A quite different text that shares nothing with the response so far",
                    new RewardModel.RoundCache(other, "a", true, true));
            assertThat(other.misses()).isEqualTo(2);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void evictedRequestsAreReadAgainWithinTheBound(String name) throws Exception {
        String start = references(name).get(2).text();
        try (DecoderRewardModel model = load(name, ScoredText.PROMPT_AND_RESPONSE)) {
            long one;
            try (KvCacheStore<PrefixKv> probe = new KvCacheStore<>(64L << 20)) {
                round(model, start, "It", new RewardModel.RoundCache(probe, "p", false, true));
                one = probe.bytesHeld();
                assertThat(one).isPositive();
            }
            // room for about one request: three interleaved requests evict each other
            try (KvCacheStore<PrefixKv> store = new KvCacheStore<>(one * 3 / 2)) {
                String[] responses = {"It", "She", "They"};
                for (int r = 0; r < 4; r++) {
                    for (int q = 0; q < responses.length; q++) {
                        round(model, start, responses[q], new RewardModel.RoundCache(store, "q" + q, r > 0, true));
                        responses[q] += chosen(r + q);
                        assertThat(store.bytesHeld()).isLessThanOrEqualTo(store.maxBytes());
                    }
                }
                assertThat(store.evictions()).isPositive();
                assertThat(store.misses()).isPositive();
                assertThat(store.size()).isEqualTo(1);
            }
        }
    }
}
