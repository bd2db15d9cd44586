package org.alignstream.clients;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.avro.TokenCredit;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class AlignClientTest {
    private static AlignedResponse response() {
        return AlignedResponse.newBuilder().setId("r1").setPrompt("She was").setText(" very \"happy\"\nindeed")
                .setReward(1.25).setChosenIndex(1).setCandidateRewards(List.of(-0.5, 1.25, 0.75)).setMethod("best_of_n")
                .setN(3).setTokenIds(List.of(5, 6, 7)).setGeneratorModel(new ModelRef("lm-austen", "abc"))
                .setRewardModel(new ModelRef("sentiment", "1"))
                .setTimingsMs(Map.of("generator", 12.5, "scorer", 3.25, "selector", 0.5, "end_to_end", 40.0))
                .setCreatedAtMs(1234).build();
    }

    @Test
    void jsonIsAvroJsonThatReadsBackToTheSameResponse() throws Exception {
        AlignedResponse r = response();
        String json = AlignClient.toJson(r);
        AlignedResponse back = new SpecificDatumReader<>(AlignedResponse.class)
                .read(null, DecoderFactory.get().jsonDecoder(r.getSchema(), json));
        assertThat(back).isEqualTo(r);
        assertThat(json).contains("\"candidate_rewards\" : [ -0.5, 1.25, 0.75 ]");
    }

    @Test
    void describeShowsTextRewardCandidateRewardsTimingsAndModels() {
        String text = AlignClient.describe(response(), 42);
        assertThat(text.lines()).containsExactly(
                "id: r1 (method best_of_n, n=3, seed 42)",
                "prompt: She was",
                "text:  very \"happy\"",
                "indeed",
                "reward: +1.2500 (candidate 2 of 3, counting from 1)",
                "candidate rewards: [-0.5000, +1.2500, +0.7500]",
                "credit: -",
                "KL: -, reward-model calls: 0",
                "timings ms: end_to_end=40.0 generator=12.5 scorer=3.3 selector=0.5",
                "models: generator lm-austen@abc, reward sentiment@1 (full-sequence)");
    }

    @Test
    void describeShowsRbonsRegularisedScoreAndItsTerms() {
        AlignedResponse r = response();
        r.setMethod("rbon_kl");
        r.setCandidateObjectives(List.of(-0.9, 0.85, 0.8));
        assertThat(AlignClient.describe(r, 42).lines()).contains("regularised score: +0.8500 = reward +1.2500 - "
                + "regulariser 0.4000; candidate scores: [-0.9000, +0.8500, +0.8000]");
        assertThat(AlignClient.describe(response(), 42)).as("best_of_n chooses by the reward alone")
                .doesNotContain("regularised");
    }

    @Test
    void describeShowsTheTokensWithTheLargestCreditAndTheLastToken() {
        AlignedResponse r = response();
        r.setTokenCredit(List.of(new TokenCredit("i", -0.031),
                new TokenCredit("absolutely", -0.056),
                new TokenCredit("hated", -0.221), new TokenCredit("this", -0.087),
                new TokenCredit("terrible", -0.210), new TokenCredit(",", 0.034),
                new TokenCredit("boring", -0.344), new TokenCredit("movie", -0.135),
                new TokenCredit(".", -1.209)));
        assertThat(AlignClient.describe(r, 1).lines()).contains(
                "credit: boring(-0.344) hated(-0.221) terrible(-0.210) movie(-0.135) this(-0.087) | last .(-1.209) (9 tokens)");
        r.setTokenCredit(List.of(new TokenCredit("fine", 0.5)));
        assertThat(AlignClient.describe(r, 1).lines()).contains("credit: | last fine(+0.500)");
    }

    @Test
    void describeShowsRoundsAndKlOfAStepwiseResponse() {
        AlignedResponse r = response();
        r.setMethod("pargs");
        r.setRounds(12);
        r.setKl(1.23456);
        r.setRewardCalls(120);
        r.setRewardModelKind("partial-sequence");
        r.setKlKind("one_sample_estimate");
        assertThat(AlignClient.describe(r, 7).lines()).contains(
                "reward: +1.2500 (candidate 2 of 3 in the last of 12 rounds, counting from 1)",
                "KL: 1.2346 (one_sample_estimate), reward-model calls: 120",
                "models: generator lm-austen@abc, reward sentiment@1 (partial-sequence)");
    }

    @Test
    void stepwiseOptionsBecomeTheStrategy() {
        CommandLine cl = AlignClient.commandLine(Map.of());
        cl.parseArgs("--prompt", "She was", "--method", "tq_star", "--top-k", "10", "--rollout-length", "8",
                "--transfer", "indirect", "--baseline-reward-model", "sentiment", "--greedy", "false",
                "--reward-model", "sentiment-partial", "--block-size", "4", "--seed", "1", "--rollouts", "4",
                "--baseline-beta", "0.5", "--reward-model-kind", "partial-sequence");
        Strategy s = ((AlignClient) cl.getCommand()).request().getStrategy();
        assertThat(s.getMethod()).isEqualTo("tq_star");
        assertThat(s.getRolloutLength()).isEqualTo(8);
        assertThat(s.getTransfer()).isEqualTo("indirect");
        assertThat(s.getBaselineRewardModel()).isEqualTo("sentiment");
        assertThat(s.getGreedy()).isFalse();
        assertThat(s.getRewardModel()).isEqualTo("sentiment-partial");
        assertThat(s.getBlockSize()).isEqualTo(4);
        assertThat(s.getRollouts()).isEqualTo(4);
        assertThat(s.getBaselineBeta()).isEqualTo(0.5);
        assertThat(s.getRewardModelKind()).isEqualTo("partial-sequence");
        // without --greedy the method decides (pargs samples)
        cl.parseArgs("--prompt", "She was", "--method", "pargs");
        assertThat(((AlignClient) cl.getCommand()).request().getStrategy().getGreedy()).isNull();
    }

    @Test
    void optionsBecomeTheRequestAndDefaultsAreFilledIn() {
        CommandLine cl = AlignClient.commandLine(Map.of("ALIGNSTREAM_N", "5"));
        cl.parseArgs("--prompt", "Mr. Darcy", "--top-k", "7", "--seed", "9", "--beta", "0.5", "--id", "x");
        AlignClient client = cl.getCommand();
        PromptRequest req = client.request();
        assertThat(req.getId()).isEqualTo("x");
        assertThat(req.getPrompt()).isEqualTo("Mr. Darcy");
        assertThat(req.getStrategy()).isEqualTo(Strategy.newBuilder().setMethod("best_of_n").setN(5).setTopK(7)
                .setBeta(0.5).setMaxNewTokens(32).setSeed(9).build());
        assertThat(req.getCreatedAtMs()).isPositive();

        CommandLine plain = AlignClient.commandLine(Map.of());
        plain.parseArgs("--prompt", "Mr. Darcy");
        PromptRequest random = ((AlignClient) plain.getCommand()).request();
        assertThat(UUID.fromString(random.getId())).isNotNull();
        Strategy schemaDefaults = Strategy.newBuilder().build();
        assertThat(random.getStrategy()).as("the schema's defaults, left to the method where the schema says so")
                .usingRecursiveComparison().ignoringFields("seed").isEqualTo(schemaDefaults);
        assertThat(random.getStrategy().getN()).isZero();
        assertThat(random.getStrategy().getBeta()).isNull();
    }
}
