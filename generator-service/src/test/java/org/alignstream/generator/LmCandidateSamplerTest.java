package org.alignstream.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.onnxruntime.OrtException;
import java.util.Arrays;
import java.util.List;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.Strategy;
import org.alignstream.inference.lm.GeneratedSequence;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The generator's sampler on the REAL bundled language model (lm-austen) and its tokenizer. */
class LmCandidateSamplerTest {

    private static final String PROMPT = "It is a truth universally acknowledged";
    private static final int MAX_NEW_TOKENS = 12;

    private static LmCandidateSampler sampler;

    @BeforeAll
    static void load() {
        sampler = LmCandidateSampler.load(null, 1, true);
    }

    @AfterAll
    static void close() {
        if (sampler != null) {
            sampler.close();
        }
    }

    private static Strategy strategy(int n, double temperature, long seed) {
        return Strategy.newBuilder().setMethod("best_of_n").setN(n).setMaxNewTokens(MAX_NEW_TOKENS)
                .setTemperature(temperature).setTopK(0).setTopP(1.0).setSeed(seed).build();
    }

    private static int[] ints(List<Integer> list) {
        return list.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void samplesNWellFormedCandidates() {
        int eos = sampler.generator().eosTokenId();
        assertThat(eos).isEqualTo(sampler.tokenizer().tokenId("<|endoftext|>"));

        CandidateSampler.Sampled sampled = sampler.sample(PROMPT, strategy(4, 1.0, 1234L));

        assertThat(sampled.promptTokenIds()).isEqualTo(Arrays.stream(sampler.promptIds(PROMPT)).boxed().toList());
        assertThat(sampled.candidates()).hasSize(4);
        for (int i = 0; i < 4; i++) {
            Candidate c = sampled.candidates().get(i);
            assertThat(c.getIndex()).isEqualTo(i);
            assertThat(c.getTokenIds()).isNotEmpty().hasSameSizeAs(c.getLogprobs())
                    .hasSizeLessThanOrEqualTo(MAX_NEW_TOKENS);
            assertThat(c.getTokenIds()).allSatisfy(id -> assertThat(id).isBetween(0, eos));
            assertThat(c.getLogprobs()).allSatisfy(lp -> assertThat(lp).isLessThanOrEqualTo(0f).isGreaterThan(-1e4f));

            List<Integer> ids = c.getTokenIds();
            boolean endsWithEos = ids.get(ids.size() - 1) == eos;
            // EOS can only be the last token: the row stops as soon as it is sampled
            assertThat(ids.subList(0, ids.size() - 1)).doesNotContain(eos);
            if (GeneratedSequence.EOS.equals(c.getFinishReason())) {
                assertThat(endsWithEos).as("finish reason eos needs a final EOS token").isTrue();
            } else {
                assertThat(c.getFinishReason()).isEqualTo(GeneratedSequence.LENGTH);
                assertThat(endsWithEos).isFalse();
                assertThat(ids).hasSize(MAX_NEW_TOKENS);
            }
            int[] withoutEos = ints(endsWithEos ? ids.subList(0, ids.size() - 1) : ids);
            assertThat(c.getText()).isEqualTo(sampler.tokenizer().decode(withoutEos, false));
        }
    }

    @Test
    void logprobsAreThoseOfTheModelsRawDistribution() throws OrtException {
        // under greedy decoding the first token's logprob is the model's log-softmax at the arg-max:
        // it must be the largest logprob any first token can get, so no sampled first token beats it
        Candidate greedy = sampler.sample(PROMPT, strategy(1, 0.0, 0L)).candidates().get(0);
        List<Candidate> sampled = sampler.sample(PROMPT, strategy(8, 1.5, 77L)).candidates();
        for (Candidate c : sampled) {
            if (c.getTokenIds().get(0).equals(greedy.getTokenIds().get(0))) {
                assertThat(c.getLogprobs().get(0)).isEqualTo(greedy.getLogprobs().get(0));
            } else {
                assertThat(c.getLogprobs().get(0)).isLessThanOrEqualTo(greedy.getLogprobs().get(0));
            }
        }
        // the sampler passes the generator's tokens and logprobs through unchanged
        GeneratedSequence direct = sampler.generator().greedy(sampler.promptIds(PROMPT), MAX_NEW_TOKENS);
        assertThat(greedy.getLogprobs()).hasSize(direct.logprobs().length);
        for (int t = 0; t < direct.logprobs().length; t++) {
            assertThat(greedy.getLogprobs().get(t)).isEqualTo(direct.logprobs()[t]);
        }
    }

    @Test
    void sameSeedGivesIdenticalCandidates() {
        CandidateSampler.Sampled a = sampler.sample(PROMPT, strategy(4, 1.0, 42L));
        CandidateSampler.Sampled b = sampler.sample(PROMPT, strategy(4, 1.0, 42L));
        assertThat(b.candidates()).isEqualTo(a.candidates());
        assertThat(b.promptTokenIds()).isEqualTo(a.promptTokenIds());
    }

    @Test
    void differentSeedGivesDifferentCandidates() {
        List<Candidate> a = sampler.sample(PROMPT, strategy(4, 1.0, 42L)).candidates();
        List<Candidate> b = sampler.sample(PROMPT, strategy(4, 1.0, 43L)).candidates();
        assertThat(b.stream().map(Candidate::getTokenIds).toList())
                .isNotEqualTo(a.stream().map(Candidate::getTokenIds).toList());
        // and within one request the N rows are not copies of each other
        assertThat(a.stream().map(Candidate::getTokenIds).distinct().count()).isGreaterThan(1);
    }

    @Test
    void temperatureZeroIsGreedyAndGivesNIdenticalCandidates() throws OrtException {
        List<Candidate> a = sampler.sample(PROMPT, strategy(4, 0.0, 1L)).candidates();
        List<Candidate> b = sampler.sample(PROMPT, strategy(4, 0.0, 999L)).candidates();
        GeneratedSequence greedy = sampler.generator().greedy(sampler.promptIds(PROMPT), MAX_NEW_TOKENS);
        List<Integer> greedyIds = Arrays.stream(greedy.tokenIds()).boxed().toList();
        assertThat(a).hasSize(4);
        for (int i = 0; i < 4; i++) {
            assertThat(a.get(i).getTokenIds()).isEqualTo(greedyIds);
            assertThat(a.get(i).getText()).isEqualTo(a.get(0).getText());
            assertThat(a.get(i).getLogprobs()).isEqualTo(a.get(0).getLogprobs());
            assertThat(a.get(i).getFinishReason()).isEqualTo(greedy.finishReason());
            // the seed does not matter under greedy decoding
            assertThat(b.get(i)).isEqualTo(a.get(i));
        }
    }

    @Test
    void promptStartsWithTheEosTokenWhenPrependBos() {
        int eos = sampler.generator().eosTokenId();
        int[] plain = sampler.tokenizer().encode(PROMPT);
        int[] ids = sampler.promptIds(PROMPT);
        assertThat(ids).hasSize(plain.length + 1);
        assertThat(ids[0]).isEqualTo(eos);
        assertThat(Arrays.copyOfRange(ids, 1, ids.length)).isEqualTo(plain);
        assertThat(sampler.sample(PROMPT, strategy(1, 1.0, 5L)).promptTokenIds().get(0)).isEqualTo(eos);

        try (LmCandidateSampler noBos = LmCandidateSampler.load(null, 1, false)) {
            assertThat(noBos.promptIds(PROMPT)).isEqualTo(plain);
            assertThat(noBos.sample(PROMPT, strategy(1, 1.0, 5L)).promptTokenIds())
                    .isEqualTo(Arrays.stream(plain).boxed().toList());
        }
    }

    @Test
    void requestBeyondTheModelsContextIsRejectedNamingThePositions() {
        int contextLength = sampler.generator().model().config().maxPositions().orElseThrow();
        int promptLength = sampler.promptIds(PROMPT).length;
        int tooMany = contextLength - promptLength + 2; // one more than fits (the last token is never fed back)
        Strategy tooLong = Strategy.newBuilder(strategy(2, 1.0, 1L)).setMaxNewTokens(tooMany).build();
        assertThatThrownBy(() -> sampler.sample(PROMPT, tooLong)) // the user's to fix: dead-lettered as invalid
                .isInstanceOf(org.alignstream.common.stage.InvalidRecordException.class)
                .hasMessageContaining("maxNewTokens " + tooMany)
                .hasMessageContaining("the model has " + contextLength);
        // exactly what fits is accepted
        Strategy fits = Strategy.newBuilder(tooLong).setMaxNewTokens(tooMany - 1).setTemperature(0.0).build();
        assertThat(sampler.sample(PROMPT, fits).candidates()).hasSize(2);
    }

    @Test
    void modelRefNamesTheBundledModelAndItsHash() {
        assertThat(sampler.model().getId()).isEqualTo("lm-austen");
        assertThat(sampler.model().getVersion()).matches("[0-9a-f]{12}");
    }

    @Test
    void theVersionIsTheShaOfTheModelFileReadInPiecesOrWhole() throws Exception {
        byte[] model;
        try (java.io.InputStream in = getClass().getClassLoader()
                .getResourceAsStream(LmCandidateSampler.DEFAULT_MODEL_RESOURCE + "/model.onnx")) {
            model = in.readAllBytes();
        }
        String whole = java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                .digest(model)).substring(0, 12);
        assertThat(sampler.model().getVersion()).isEqualTo(whole);
        java.nio.file.Path dir = java.nio.file.Files.createTempDirectory("lm-copy");
        for (String f : new String[] {"model.onnx", "tokenizer.json", "config.json"}) {
            try (java.io.InputStream in = getClass().getClassLoader()
                    .getResourceAsStream(LmCandidateSampler.DEFAULT_MODEL_RESOURCE + "/" + f)) {
                java.nio.file.Files.copy(in, dir.resolve(f));
            }
        }
        try (LmCandidateSampler fromDir = LmCandidateSampler.load(dir, 1, true)) {
            assertThat(fromDir.model().getVersion()).isEqualTo(whole); // > 1 MiB: read in several pieces
        }
        assertThat(model.length).isGreaterThan(1 << 20);
    }
}
