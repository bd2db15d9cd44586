package org.alignstream.selector;

import org.alignstream.common.pipeline.Pipeline;
import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.Strategy;
import org.alignstream.avro.TokenCredit;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.testing.StageTestDriver;
import org.alignstream.common.topics.Topics;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class SelectorTopologyTest {

    private static final AvroSerde<ScoredCandidateSet> SCORED = Pipeline.SCORED_CANDIDATES.serde();
    private static final AvroSerde<AlignedResponse> ALIGNED = Pipeline.ALIGNED_RESPONSES.serde();
    private static final ModelRef LM = new ModelRef("lm-austen", "0123456789ab");
    private static final ModelRef RM = new ModelRef("sentiment", "feedbeef0001");
    private static final long CREATED = 1_700_000_000_000L;

    private final StageMetrics metrics = new StageMetrics(SelectorTopology.STAGE);
    private final AtomicLong clock = new AtomicLong(CREATED + 250);
    private StageTestDriver driver;

    @BeforeEach
    void start() {
        driver = new StageTestDriver(SelectorTopology.build(metrics, clock::get), SelectorTopology.STAGE,
                Topics.SCORED_CANDIDATES, Topics.ALIGNED_RESPONSES);
    }

    @AfterEach
    void close() {
        driver.close();
    }

    /** Candidate i has text "candidate i of id" and token ids {1000 + i, 2000 + i, 3000 + i}. */
    private static ScoredCandidateSet scored(String id, String method, int candidates, List<Double> rewards,
                                             long createdAtMs) {
        List<Candidate> list = new ArrayList<>();
        for (int i = 0; i < candidates; i++) {
            list.add(new Candidate(i, "candidate " + i + " of " + id, List.of(1000 + i, 2000 + i, 3000 + i),
                    List.of(-0.1f, -0.2f, -0.3f), "length", List.of(), null, List.of(), List.of()));
        }
        PromptRequest request = PromptRequest.newBuilder().setId(id).setPrompt("prompt of " + id)
                .setStrategy(Strategy.newBuilder().setMethod(method).setN(Math.max(1, candidates)).build())
                .setCreatedAtMs(createdAtMs).build();
        return ScoredCandidateSet.newBuilder()
                .setRequest(request)
                .setPromptTokenIds(List.of(4095, 5))
                .setCandidates(list)
                .setRewards(rewards)
                .setGeneratorModel(LM)
                .setRewardModel(RM)
                .setTimingsMs(Map.of("generator", 40.0, "scorer", 7.5))
                .build();
    }

    private static ScoredCandidateSet scored(String id, List<Double> rewards) {
        return scored(id, "best_of_n", rewards.size(), rewards, CREATED);
    }

    /** Brute-force Best-of-N: the first index of the largest non-NaN reward; 0 if all are NaN. */
    private static int bruteForceArgmax(List<Double> rewards) {
        int best = -1;
        for (int i = 0; i < rewards.size(); i++) {
            double r = rewards.get(i);
            if (Double.isNaN(r)) {
                continue;
            }
            boolean beatsAll = true;
            for (int j = 0; j < rewards.size(); j++) {
                double o = rewards.get(j);
                if (!Double.isNaN(o) && (o > r || (o == r && j < i))) {
                    beatsAll = false;
                    break;
                }
            }
            if (beatsAll) {
                best = i;
            }
        }
        return best < 0 ? 0 : best;
    }

    private AlignedResponse select(String id, ScoredCandidateSet set) {
        driver.pipe(id, SCORED.encode(set));
        return driver.readOutput(id, ALIGNED);
    }

    @Test
    void bestOfNPicksTheArgmaxOfRandomRewards() {
        Random random = new Random(20240611L);
        int records = 300;
        for (int r = 0; r < records; r++) {
            int n = 1 + random.nextInt(16);
            List<Double> rewards = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                double x = switch (r % 3) {
                    case 0 -> random.nextGaussian() * 3;
                    case 1 -> random.nextInt(3) - 1.0;          // many ties
                    default -> random.nextInt(10) == 0 ? Double.NaN : random.nextGaussian(); // some NaN
                };
                rewards.add(x);
            }
            String id = "r" + r;
            AlignedResponse a = select(id, scored(id, rewards));
            int expected = bruteForceArgmax(rewards);
            assertThat(a.getChosenIndex()).as("rewards %s", rewards).isEqualTo(expected);
            assertThat(a.getText()).isEqualTo("candidate " + expected + " of " + id);
            assertThat(a.getReward()).isEqualTo(rewards.get(expected));
            assertThat(a.getCandidateRewards()).isEqualTo(rewards);
            assertThat(a.getN()).isEqualTo(n);
        }
        assertThat(driver.deadLetters().isEmpty()).isTrue();
        assertThat(metrics.recordsIn()).isEqualTo(records);
        assertThat(metrics.recordsOut()).isEqualTo(records);
    }

    @Test
    void everyFieldIsCopiedFromTheChosenCandidateAndTheSet() {
        List<Double> rewards = List.of(0.5, 2.25, -1.0, 2.0);
        ScoredCandidateSet set = scored("full", rewards);
        AlignedResponse a = select("full", set);

        assertThat(a.getId()).isEqualTo("full");
        assertThat(a.getPrompt()).isEqualTo("prompt of full");
        assertThat(a.getChosenIndex()).isEqualTo(1);
        assertThat(a.getText()).isEqualTo("candidate 1 of full");
        assertThat(a.getReward()).isEqualTo(2.25);
        assertThat(a.getCandidateRewards()).containsExactly(0.5, 2.25, -1.0, 2.0);
        assertThat(a.getMethod()).isEqualTo("best_of_n");
        assertThat(a.getN()).isEqualTo(4);
        assertThat(a.getTokenIds()).containsExactly(1001, 2001, 3001);
        assertThat(a.getGeneratorModel()).isEqualTo(LM);
        assertThat(a.getRewardModel()).isEqualTo(RM);
        assertThat(a.getCreatedAtMs()).isEqualTo(CREATED);
        assertThat(a.getTimingsMs()).containsOnlyKeys("generator", "scorer", SelectorTopology.STAGE, "end_to_end")
                .containsEntry("generator", 40.0)
                .containsEntry("scorer", 7.5)
                .containsEntry("end_to_end", 250.0);
        assertThat(a.getTimingsMs().get(SelectorTopology.STAGE)).isBetween(0.0, 5_000.0);
    }

    @Test
    void pipelineTimeCountsFromTheGeneratorsFirstReadAndEndToEndFromTheClientsCreation() {
        ScoredCandidateSet set = scored("timed", List.of(0.5, 2.25));
        set.getRequest().setReceivedAtMs(CREATED + 200); // the client took 200 ms to send it
        AlignedResponse a = select("timed", set);
        assertThat(a.getTimingsMs()).containsEntry("end_to_end", 250.0).containsEntry("pipeline", 50.0);
    }

    @Test
    void singleCandidateIsPassedThrough() {
        AlignedResponse a = select("one", scored("one", List.of(-3.5)));
        assertThat(a.getChosenIndex()).isZero();
        assertThat(a.getN()).isEqualTo(1);
        assertThat(a.getText()).isEqualTo("candidate 0 of one");
        assertThat(a.getReward()).isEqualTo(-3.5);
        assertThat(a.getCandidateRewards()).containsExactly(-3.5);
        assertThat(a.getTokenIds()).containsExactly(1000, 2000, 3000);
    }

    @Test
    void endToEndIsMeasuredWithTheInjectedClockAtProcessingTime() {
        clock.set(CREATED + 1_234);
        assertThat(select("a", scored("a", List.of(1.0, 2.0))).getTimingsMs()).containsEntry("end_to_end", 1_234.0);
        clock.set(CREATED + 98_765);
        assertThat(select("b", scored("b", List.of(1.0, 2.0))).getTimingsMs()).containsEntry("end_to_end", 98_765.0);
        // no creation time (0, the schema default): no end-to-end figure rather than a meaningless one
        AlignedResponse unknown = select("c", scored("c", "best_of_n", 2, List.of(1.0, 2.0), 0L));
        assertThat(unknown.getTimingsMs()).doesNotContainKey("end_to_end").containsKey(SelectorTopology.STAGE);
        assertThat(unknown.getCreatedAtMs()).isZero();
    }

    @Test
    void badSetsGoToDeadLettersAndTheNextGoodOneIsSelected() {
        byte[] fewerRewards = SCORED.encode(scored("fewer", "best_of_n", 3, List.of(1.0, 2.0), CREATED));
        byte[] moreRewards = SCORED.encode(scored("more", "best_of_n", 1, List.of(1.0, 2.0), CREATED));
        byte[] empty = SCORED.encode(scored("empty", "best_of_n", 0, List.of(), CREATED));
        byte[] unknownMethod = SCORED.encode(scored("method", "mcts", 2, List.of(1.0, 2.0), CREATED));
        byte[] garbage = new byte[] {1, 2, 3};
        driver.pipe("fewer", fewerRewards);
        driver.pipe("more", moreRewards);
        driver.pipe("empty", empty);
        driver.pipe("method", unknownMethod);
        driver.pipe("garbage", garbage);

        assertThat(driver.readDeadLetter("fewer", fewerRewards).getReason())
                .isEqualTo("invalid ScoredCandidateSet: scored set for request fewer has 3 candidates and 2 rewards");
        assertThat(driver.readDeadLetter("more", moreRewards).getReason())
                .contains("scored set for request more has 1 candidates and 2 rewards");
        assertThat(driver.readDeadLetter("empty", empty).getReason())
                .contains("scored set for request empty has 0 candidates and 0 rewards");
        assertThat(driver.readDeadLetter("method", unknownMethod).getReason())
                .isEqualTo("invalid ScoredCandidateSet: unknown whole-response method 'mcts' (a stepwise method needs a"
                        + " decoding state)");
        assertThat(driver.readDeadLetter("garbage", garbage).getReason()).contains("cannot decode ScoredCandidateSet");
        assertThat(driver.deadLetters().isEmpty()).isTrue();
        assertThat(driver.output().isEmpty()).isTrue();

        AlignedResponse good = select("good", scored("good", List.of(3.0, 1.0)));
        assertThat(good.getChosenIndex()).isZero();
        assertThat(metrics.recordsIn()).isEqualTo(6);
        assertThat(metrics.recordsOut()).isEqualTo(1);
        assertThat(metrics.deadLetters(SafeStage.INVALID)).isEqualTo(4);
        assertThat(metrics.deadLetters(SafeStage.DECODE)).isEqualTo(1);
    }

    // ------------------------------------------------------------------ RBoN and stepwise methods

    @Test
    void rbonKlAndWdChooseByTheirRegularisedObjective() {
        // candidate logprobs are -0.1, -0.2, -0.3 each (sum -0.6): give candidate 1 a much likelier sequence
        ScoredCandidateSet kl = scored("kl", "rbon_kl", 3, List.of(1.0, 0.9, 0.2), CREATED);
        kl.getRequest().getStrategy().setBeta(1.0);
        kl.getCandidates().get(1).setLogprobs(List.of(-0.01f, -0.01f, -0.01f));
        AlignedResponse klAnswer = select("kl", kl);
        assertThat(klAnswer.getChosenIndex()).isEqualTo(1); // 0.9 - 0.03 > 1.0 - 0.6
        // exact over the three distinct candidates: Best-of-3 by the objective from pi_ref restricted to them
        double[] lp = {-0.6, -0.03, -0.6};
        double[] objective = {1.0 - 0.6, 0.9 - 0.03, 0.2 - 0.6};
        double expectedKl = org.alignstream.core.selection.CandidateChoiceKl.bestOfN(objective, lp, new int[] {0, 1, 2});
        assertThat(klAnswer.getKl()).isCloseTo(expectedKl, org.assertj.core.data.Offset.offset(1e-6))
                .isLessThan(Math.log(3) - 2.0 / 3);
        assertThat(klAnswer.getKlKind()).isEqualTo("exact_over_candidates");
        assertThat(klAnswer.getCandidateObjectives()).as("the regularised scores it chose by").hasSize(3);
        for (int i = 0; i < 3; i++) {
            assertThat(klAnswer.getCandidateObjectives().get(i)).isCloseTo(objective[i],
                    org.assertj.core.data.Offset.offset(1e-6));
        }

        // WD: candidates 1 and 2 are close to each other, 0 is far from both: objectives -0.27, 0.28, 0.20
        ScoredCandidateSet wd = scored("wd", "rbon_wd", 3, List.of(1.0, 0.95, 0.8), CREATED);
        wd.getRequest().getStrategy().setBeta(2.0);
        wd.setEmbeddings(List.of(List.of(1f, 0f), List.of(0f, 1f), List.of(0.1f, 1f)));
        AlignedResponse wdAnswer = select("wd", wd);
        assertThat(wdAnswer.getChosenIndex()).isEqualTo(1);
        assertThat(wdAnswer.getKl()).isEqualTo(Math.log(3)); // the bound of any choice among 3 draws
        assertThat(wdAnswer.getKlKind()).isEqualTo("upper_bound");

        byte[] noEmbeddings = SCORED.encode(scored("wd-bad", "rbon_wd", 3, List.of(1.0, 0.95, 0.9), CREATED));
        driver.pipe("wd-bad", noEmbeddings);
        assertThat(driver.readDeadLetter("wd-bad", noEmbeddings).getReason())
                .contains("rbon_wd for request wd-bad needs one embedding per candidate, the scored set has 0 for 3");
    }

    private static final AvroSerde<DecodeState> STEPS = Pipeline.DECODE_STEPS.serde();

    /** A scored round of an args request with 3 top tokens after a response of {@code done} tokens. */
    private static ScoredCandidateSet round(String id, int done, int maxNewTokens, List<Double> rewards, String lastFinish) {
        ScoredCandidateSet set = scored(id, "args", 3, rewards, CREATED);
        Strategy s = set.getRequest().getStrategy();
        s.setTopK(3);
        s.setBeta(1.0);
        s.setMaxNewTokens(maxNewTokens);
        for (int i = 0; i < 3; i++) {
            Candidate c = set.getCandidates().get(i);
            c.setTokenIds(List.of(500 + i));
            c.setLogprobs(List.of((float) Math.log(new double[] {0.5, 0.3, 0.2}[i])));
            c.setFinishReason(i == 2 ? lastFinish : "length");
        }
        List<Integer> tokens = new ArrayList<>();
        List<Float> logprobs = new ArrayList<>();
        for (int t = 0; t < done; t++) {
            tokens.add(7);
            logprobs.add(-1f);
        }
        set.setDecodeState(DecodeState.newBuilder().setRequest(set.getRequest()).setPromptTokenIds(List.of(4095, 5))
                .setTokenIds(tokens).setLogprobs(logprobs).setRound(done).setKl(0.25).setRewardCalls(3L * done)
                .setGeneratorModel(LM).setTimingsMs(Map.of("generator", 1.0)).build());
        return set;
    }

    @Test
    void anUnfinishedRoundGoesBackToTheGeneratorWithTheChosenTokenAppended() {
        ScoredCandidateSet set = round("step", 2, 8, List.of(0.0, 1.5, 0.1), "length");
        byte[] bytes = SCORED.encode(set);
        driver.pipe("step", bytes);
        assertThat(driver.output().isEmpty()).isTrue();
        DecodeState next = driver.readOutput(Topics.DECODE_STEPS, "step", STEPS);
        // ARGS greedy: argmax log pi_ref + w r = (-0.69 + 0, -1.20 + 1.5, -1.61 + 0.1) -> index 1
        assertThat(next.getTokenIds()).containsExactly(7, 7, 501);
        assertThat(next.getLogprobs()).hasSize(3);
        assertThat(next.getRound()).isEqualTo(3);
        assertThat(next.getKl()).isCloseTo(0.25 - Math.log(0.3), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(next.getReward()).isEqualTo(1.5);
        assertThat(next.getRewardCalls()).isEqualTo(9);
        assertThat(next.getFinished()).isFalse();
        assertThat(next.getText()).isEqualTo("candidate 1 of step");
        assertThat(next.getTimingsMs()).containsEntry("generator", 41.0).containsEntry("scorer", 7.5)
                .containsKey(SelectorTopology.STAGE);
        // the same scored round always gives the same next state (a restarted selector continues identically)
        assertThat(SelectorTopology.step(round("step", 2, 8, List.of(0.0, 1.5, 0.1), "length")).state().getTokenIds())
                .isEqualTo(next.getTokenIds());
    }

    @Test
    void aRoundThatEndsTheTextOrReachesMaxNewTokensAnswers() {
        // the eos candidate wins
        driver.pipe("eos", SCORED.encode(round("eos", 1, 8, List.of(0.0, 0.0, 5.0), "eos")));
        AlignedResponse byEos = driver.readOutput("eos", ALIGNED);
        assertThat(byEos.getTokenIds()).containsExactly(7, 502);
        assertThat(byEos.getRounds()).isEqualTo(2);
        assertThat(byEos.getReward()).isEqualTo(5.0);
        assertThat(byEos.getKl()).isCloseTo(0.25 - Math.log(0.2), org.assertj.core.data.Offset.offset(1e-6));
        assertThat(byEos.getMethod()).isEqualTo("args");
        assertThat(byEos.getCandidateRewards()).containsExactly(0.0, 0.0, 5.0);
        assertThat(byEos.getRewardCalls()).isEqualTo(6);
        assertThat(byEos.getTimingsMs()).containsEntry("end_to_end", 250.0);
        // the last allowed token
        driver.pipe("len", SCORED.encode(round("len", 3, 4, List.of(2.0, 0.0, 0.0), "length")));
        AlignedResponse byLength = driver.readOutput("len", ALIGNED);
        assertThat(byLength.getTokenIds()).containsExactly(7, 7, 7, 500);
        assertThat(byLength.getText()).isEqualTo("candidate 0 of len");
        assertThat(driver.output(Topics.DECODE_STEPS).isEmpty()).isTrue();
    }

    @Test
    void bestOfNAmongIdenticalCandidatesReportsNoKlNotTheBound() {
        // temperature 0: four copies of the greedy text
        ScoredCandidateSet same = scored("same", "best_of_n", 4, List.of(0.5, 0.5, 0.5, 0.5), CREATED);
        for (Candidate c : same.getCandidates()) {
            c.setTokenIds(List.of(11, 12, 13));
        }
        AlignedResponse answer = select("same", same);
        assertThat(answer.getKl()).isZero();
        assertThat(answer.getKlKind()).isEqualTo("exact_over_candidates");
        // distinct candidates: the exact figure over them, below Best-of-4's bound of 0.636
        AlignedResponse distinct = select("distinct", scored("distinct", "best_of_n", 4, List.of(0.1, 0.9, 0.3, 0.2),
                CREATED));
        assertThat(distinct.getKl()).isPositive().isLessThan(Math.log(4) - 0.75);
        assertThat(distinct.getKlKind()).isEqualTo("exact_over_candidates");
    }

    @Test
    void bestOfNAmongImprobableTextsReportsItsBoundNotTheFigureOverASliverOfTheSupport() {
        // four distinct texts of log pi_ref -21 each: together they hold 3e-9 of pi_ref's mass, so the figure over
        // them would describe a choice among a sliver of the support; the bound log N - (N-1)/N is the honest figure
        ScoredCandidateSet set = scored("long", "best_of_n", 4, List.of(0.1, 0.9, 0.3, 0.2), CREATED);
        for (Candidate c : set.getCandidates()) {
            c.setLogprobs(List.of(-7f, -7f, -7f));
        }
        AlignedResponse answer = select("long", set);
        assertThat(answer.getChosenIndex()).isEqualTo(1);
        assertThat(answer.getKlKind()).isEqualTo("upper_bound");
        assertThat(answer.getKl()).isCloseTo(Math.log(4) - 0.75, org.assertj.core.data.Offset.offset(1e-12));
        // RBoN-KL, a per-candidate score too, the same
        ScoredCandidateSet rbon = scored("long-kl", "rbon_kl", 4, List.of(0.1, 0.9, 0.3, 0.2), CREATED);
        rbon.getRequest().getStrategy().setBeta(0.5);
        rbon.getCandidates().forEach(c -> c.setLogprobs(List.of(-7f, -7f, -7f)));
        assertThat(select("long-kl", rbon).getKlKind()).isEqualTo("upper_bound");
        // four copies of one improbable text: the choice adds nothing whatever the mass
        ScoredCandidateSet same = scored("long-same", "best_of_n", 4, List.of(0.5, 0.5, 0.5, 0.5), CREATED);
        same.getCandidates().forEach(c -> {
            c.setTokenIds(List.of(11, 12, 13));
            c.setLogprobs(List.of(-7f, -7f, -7f));
        });
        AlignedResponse one = select("long-same", same);
        assertThat(one.getKlKind()).isEqualTo("exact_over_candidates");
        assertThat(one.getKl()).isZero();
    }

    @Test
    void softBestOfNDrawsFromTheRequestsSeedAndReportsItsKlFromTheUniformChoice() {
        List<Double> rewards = List.of(0.2, 1.1, 0.7, -0.4, 0.9);
        double[] r = rewards.stream().mapToDouble(Double::doubleValue).toArray();
        long[] counts = new long[r.length];
        for (int seed = 0; seed < 40; seed++) {
            ScoredCandidateSet set = scored("soft-" + seed, "soft_bon", 5, rewards, CREATED);
            set.getRequest().getStrategy().setBeta(0.5);
            set.getRequest().getStrategy().setSeed(seed);
            AlignedResponse answer = select("soft-" + seed, set);
            // the pick is the core draw from round 0's selection stream of the request's seed
            int expected = org.alignstream.core.selection.SoftBestOfN.select(r, 0.5,
                    org.alignstream.core.sampling.Seeds.forStep(org.alignstream.core.sampling.Seeds.forRound(seed, 0),
                            org.alignstream.core.sampling.Seeds.SELECTION_STREAM, 0));
            assertThat(answer.getChosenIndex()).isEqualTo(expected);
            assertThat(answer.getReward()).isEqualTo(r[expected]);
            assertThat(answer.getKlKind()).isEqualTo("one_sample_upper_bound");
            assertThat(answer.getKl()).isCloseTo(org.alignstream.core.selection.SoftBestOfN.kl(r, 0.5,
                    new int[] {0, 1, 2, 3, 4}), org.assertj.core.data.Offset.offset(1e-12)).isPositive()
                    .isLessThan(Math.log(5));
            counts[expected]++;
        }
        // over 40 seeds the choice is not always the best one (beta 0.5 is far from Best-of-N)
        assertThat(counts[1]).isPositive().isLessThan(40);
        // beta 0 is Best-of-N, with its exact figure over the candidates
        ScoredCandidateSet hardSet = scored("soft-hard", "soft_bon", 5, rewards, CREATED);
        hardSet.getRequest().getStrategy().setBeta(0.0);
        AlignedResponse hard = select("soft-hard", hardSet);
        assertThat(hard.getChosenIndex()).isEqualTo(1);
        assertThat(hard.getKlKind()).isEqualTo("exact_over_candidates");
        // NaN rewards cannot be exponentiated: dead-lettered with the reason
        byte[] nan = SCORED.encode(scored("soft-nan", "soft_bon", 2, List.of(1.0, Double.NaN), CREATED));
        driver.pipe("soft-nan", nan);
        assertThat(driver.readDeadLetter("soft-nan", nan).getReason())
                .contains("soft_bon for request soft-nan: reward 1 is NaN; soft_bon needs finite rewards");
    }

    @Test
    void argsSampledUsesTheRequestsTemperatureAndLabelsItsKlAsAOneSampleEstimate() {
        double[] lp = {Math.log(0.5), Math.log(0.3), Math.log(0.2)};
        double[] r = {0.0, 1.5, 0.1};
        for (double temperature : new double[] {1.0, 0.7, 0.25}) {
            ScoredCandidateSet set = round("t" + temperature, 1, 2, List.of(0.0, 1.5, 0.1), "length");
            set.getRequest().getStrategy().setGreedy(false);
            set.getRequest().getStrategy().setTemperature(temperature);
            set.getDecodeState().setRequest(set.getRequest());
            StepSelector.Step step = SelectorTopology.step(set);
            // the round's KL is the exact KL of softmax((log pi_ref + r) / T) from pi_ref
            double[] pi = new double[3];
            double z = 0;
            for (int i = 0; i < 3; i++) {
                pi[i] = Math.exp((lp[i] + r[i]) / temperature);
                z += pi[i];
            }
            double kl = 0;
            for (int i = 0; i < 3; i++) {
                pi[i] /= z;
                kl += pi[i] * (Math.log(pi[i]) - lp[i]);
            }
            assertThat(step.state().getKl()).as("T %s", temperature)
                    .isCloseTo(0.25 + kl, org.assertj.core.data.Offset.offset(1e-6));
            AlignedResponse answer = SelectorTopology.respond(step, set, CREATED);
            assertThat(answer.getKlKind()).isEqualTo("one_sample_estimate");
        }
    }

    @Test
    void aBarePargsRequestSamples() {
        ScoredCandidateSet set = round("pargs", 1, 8, List.of(0.0, 1.5, 0.1), "length");
        set.getRequest().getStrategy().setMethod("pargs");
        set.getDecodeState().setRequest(set.getRequest());
        assertThat(set.getRequest().getStrategy().getGreedy()).isNull();
        // sampled: the round's KL is that of the whole tilted distribution, not -log pi_ref of one token
        double klRound = SelectorTopology.step(set).state().getKl() - 0.25;
        assertThat(klRound).isNotCloseTo(-Math.log(0.3), org.assertj.core.data.Offset.offset(1e-3))
                .isNotCloseTo(-Math.log(0.5), org.assertj.core.data.Offset.offset(1e-3))
                .isNotCloseTo(-Math.log(0.2), org.assertj.core.data.Offset.offset(1e-3));
    }

    @Test
    void transferQStarAveragesItsRolloutsIntoQWithoutNormalisingAcrossCandidates() {
        ScoredCandidateSet set = round("tq", 1, 8, List.of(0.2, 1.0, 0.5), "length");
        Strategy s = set.getRequest().getStrategy();
        s.setMethod("tq_star");
        s.setRolloutLength(2);
        s.setRollouts(2);
        s.setTransfer("indirect");
        s.setBaselineRewardModel("other");
        s.setBaselineBeta(2.0);
        s.setBeta(1.0);
        for (Candidate c : set.getCandidates()) {
            c.setRolloutTokenIds(List.of(1, 2));
            c.setExtraRolloutTokenIds(List.of(List.of(3, 4)));
            c.setExtraRolloutTexts(List.of(c.getText() + " again"));
        }
        set.getDecodeState().setRequest(set.getRequest());
        set.setBaselineRewards(List.of(-4.0, -2.0, -3.0));
        set.setExtraRolloutRewards(List.of(List.of(0.2), List.of(-2.0), List.of(0.5)));
        set.setExtraRolloutBaselineRewards(List.of(List.of(-4.0), List.of(0.0), List.of(-3.0)));
        // Q_i = mean_j exp((r_ij - b_ij) / 2) r_ij
        double[] q = {Math.exp(2.1) * 0.2, (Math.exp(1.5) * 1.0 + Math.exp(-1.0) * -2.0) / 2, Math.exp(1.75) * 0.5};
        double[] lp = {Math.log(0.5), Math.log(0.3), Math.log(0.2)};
        int best = 0;
        for (int i = 1; i < 3; i++) {
            best = lp[i] + q[i] > lp[best] + q[best] ? i : best;
        }
        StepSelector.Step step = SelectorTopology.step(set);
        assertThat(step.chosenIndex()).isEqualTo(best);
        assertThat(step.state().getRewardCalls()).isEqualTo(3 + 3 + 3 + 3 + 3); // 3 before, 3 texts x 2 rollouts x 2 models
        // extra rollout rewards that do not fit the candidates are the record's error
        set.setExtraRolloutRewards(List.of(List.of(0.2), List.of(-2.0)));
        byte[] bad = SCORED.encode(set);
        driver.pipe("tq", bad);
        assertThat(driver.readDeadLetter("tq", bad).getReason()).contains("extra rollout rewards for 2 of 3 candidates");
    }

    @Test
    void aStepwiseMethodWithoutStateOrAStateWithAWholeResponseMethodIsDeadLettered() {
        byte[] noState = SCORED.encode(scored("nostate", "args", 2, List.of(1.0, 2.0), CREATED));
        driver.pipe("nostate", noState);
        assertThat(driver.readDeadLetter("nostate", noState).getReason())
                .contains("unknown whole-response method 'args' (a stepwise method needs a decoding state)");
        ScoredCandidateSet bon = round("bon", 1, 8, List.of(0.0, 1.0, 2.0), "length");
        bon.getRequest().getStrategy().setMethod("best_of_n");
        byte[] bonBytes = SCORED.encode(bon);
        driver.pipe("bon", bonBytes);
        assertThat(driver.readDeadLetter("bon", bonBytes).getReason()).contains("has a method that is not stepwise");
    }

    /** Sets the scorer would never write: each dead-lettered with its reason, nothing answered, nothing looped back. */
    @Test
    void setsThePipelineWouldNeverMakeAreDeadLetteredNotAnsweredOrLoopedBack() {
        java.util.function.Function<java.util.function.Consumer<ScoredCandidateSet>, ScoredCandidateSet> step = change -> {
            ScoredCandidateSet set = round("x", 2, 8, List.of(0.0, 1.5, 0.1), "length");
            change.accept(set);
            return set;
        };
        ScoredCandidateSet wd = scored("x", "rbon_wd", 3, List.of(1.0, 0.95, 0.8), CREATED);
        wd.setEmbeddings(List.of(List.of(1f, 0f), List.of(0f, 1f), List.of(0.1f)));
        ScoredCandidateSet wdNan = scored("x", "rbon_wd", 3, List.of(1.0, 0.95, 0.8), CREATED);
        wdNan.setEmbeddings(List.of(List.of(1f, 0f), List.of(0f, Float.NaN), List.of(0.1f, 1f)));
        ScoredCandidateSet klNan = scored("x", "rbon_kl", 2, List.of(1.0, 0.5), CREATED);
        klNan.getRequest().getStrategy().setBeta(Double.POSITIVE_INFINITY);
        ScoredCandidateSet nMismatch = scored("x", "best_of_n", 2, List.of(1.0, 0.5), CREATED);
        nMismatch.getRequest().getStrategy().setN(5);
        Object[][] cases = {
            {"finished", step.apply(s -> s.getDecodeState().setFinished(true)), "the decoding is already finished"},
            {"round", step.apply(s -> s.getDecodeState().setRound(5)),
                "decoding state is at round 5 but has 2 response tokens (args adds 1 per round)"},
            {"overfull", step.apply(s -> s.getRequest().getStrategy().setMaxNewTokens(2)),
                "decoding state already has 2 tokens, max_new_tokens is 2"},
            {"state-logprobs", step.apply(s -> s.getDecodeState().setLogprobs(List.of(-1f))),
                "decoding state has 2 tokens but 1 log-probabilities"},
            {"two-tokens", step.apply(s -> {
                s.getCandidates().get(1).setTokenIds(List.of(1, 2));
                s.getCandidates().get(1).setLogprobs(List.of(-1f, -1f));
            }), "request x: candidate 1 has 2 tokens, expected 1 to 1"},
            {"top-k", step.apply(s -> s.getRequest().getStrategy().setTopK(4)),
                "request x asks for 4 candidates (top_k) but the set has 3"},
            {"positive-logprob", step.apply(s -> s.getCandidates().get(0).setLogprobs(List.of(0.7f))),
                "request x: candidate 0 token 0 has log-probability 0.7"},
            {"other-request", step.apply(s -> s.setDecodeState(DecodeState.newBuilder(s.getDecodeState())
                    .setRequest(scored("y", "args", 3, List.of(0.0, 0.0, 0.0), CREATED).getRequest()).build())),
                "request x: the decoding state carries a different request (y)"},
            {"ragged", wd, "rbon_wd for request x: embedding 2 has 1 values, embedding 0 has 2"},
            {"nan-embedding", wdNan, "rbon_wd for request x: embedding 1 has the non-finite value NaN"},
            {"infinite-beta", klNan, "beta must be finite, was Infinity"},
            {"n", nMismatch, "request x asks for 5 candidates (n) but the set has 2"},
        };
        for (Object[] c : cases) {
            byte[] bytes = SCORED.encode((ScoredCandidateSet) c[1]);
            driver.pipe((String) c[0], bytes);
            assertThat(driver.readDeadLetter((String) c[0], bytes).getReason()).as((String) c[0])
                    .startsWith("invalid ScoredCandidateSet: ").contains((String) c[2]);
        }
        assertThat(driver.output().isEmpty()).isTrue();
        assertThat(driver.output(Topics.DECODE_STEPS).isEmpty()).isTrue();
        assertThat(metrics.deadLetters(SafeStage.INVALID)).isEqualTo(cases.length);
        assertThat(metrics.recordsOut()).isZero();
    }

    @Test
    void aReplayedRoundIsTurnedAwaySoAtLeastOnceNeverForksADecoding() {
        byte[] round2 = SCORED.encode(round("replay", 2, 8, List.of(0.0, 1.5, 0.1), "length"));
        driver.pipe("replay", round2);
        assertThat(driver.readOutput(Topics.DECODE_STEPS, "replay", STEPS).getRound()).isEqualTo(3);
        driver.pipe("replay", round2); // e.g. re-read after a crash under at-least-once
        assertThat(driver.output(Topics.DECODE_STEPS).isEmpty()).isTrue();
        // the next round is handled; a replay of the final round after the answer is turned away too
        byte[] round3 = SCORED.encode(round("replay", 3, 4, List.of(2.0, 0.0, 0.0), "length"));
        driver.pipe("replay", round3);
        assertThat(driver.readOutput("replay", ALIGNED).getTokenIds()).containsExactly(7, 7, 7, 500);
        driver.pipe("replay", round3);
        driver.pipe("replay", round2);
        assertThat(driver.output().isEmpty()).isTrue();
        assertThat(driver.output(Topics.DECODE_STEPS).isEmpty()).isTrue();
        assertThat(driver.deadLetters().isEmpty()).isTrue();
        // whole-response sets are not guarded; other requests are unaffected
        assertThat(select("other", scored("other", List.of(1.0, 2.0))).getChosenIndex()).isEqualTo(1);
        // after the retention the request is forgotten
        driver.advanceWallClockTime(SelectorTopology.DEFAULT_ROUND_RETENTION.plusMinutes(2));
        driver.pipe("replay", round3);
        assertThat(driver.readOutput("replay", ALIGNED).getTokenIds()).containsExactly(7, 7, 7, 500);
    }

    // ------------------------------------------------------------------ per-token credit

    /** Candidate i's credit: tokens "w{i}a", "w{i}b" with credits that sum to its reward. */
    private static List<List<TokenCredit>> credits(List<Double> rewards) {
        List<List<TokenCredit>> out = new ArrayList<>();
        for (int i = 0; i < rewards.size(); i++) {
            out.add(List.of(new TokenCredit("w" + i + "a", 0.25 * rewards.get(i)),
                    new TokenCredit("w" + i + "b", 0.75 * rewards.get(i))));
        }
        return out;
    }

    @Test
    void theAnswerCarriesTheChosenCandidatesCredit() {
        List<Double> rewards = List.of(0.5, 2.0, -1.0);
        for (String method : List.of("best_of_n", "rbon_kl")) {
            ScoredCandidateSet set = scored("c-" + method, method, 3, rewards, CREATED);
            set.setTokenCredits(credits(rewards));
            AlignedResponse a = select("c-" + method, set);
            assertThat(a.getChosenIndex()).isEqualTo(1);
            assertThat(a.getTokenCredit()).isEqualTo(credits(rewards).get(1));
        }
        // rbon_kl choosing another candidate than the reward argmax carries that one's credit
        ScoredCandidateSet kl = scored("c-kl2", "rbon_kl", 3, List.of(1.0, 0.9, 0.2), CREATED);
        kl.getRequest().getStrategy().setBeta(1.0);
        kl.getCandidates().get(1).setLogprobs(List.of(-0.01f, -0.01f, -0.01f));
        kl.setTokenCredits(credits(List.of(1.0, 0.9, 0.2)));
        AlignedResponse klAnswer = select("c-kl2", kl);
        assertThat(klAnswer.getChosenIndex()).isEqualTo(1);
        assertThat(klAnswer.getTokenCredit()).extracting(TokenCredit::getToken).containsExactly("w1a", "w1b");
        // no credit computed: none on the answer
        assertThat(select("c-none", scored("c-none", rewards)).getTokenCredit()).isEmpty();
    }

    @Test
    void aStepwiseAnswerCarriesTheLastRoundsChosenCandidatesCredit() {
        List<Double> rewards = List.of(0.0, 0.0, 5.0);
        ScoredCandidateSet last = round("c-eos", 1, 8, rewards, "eos");
        last.setTokenCredits(credits(rewards));
        driver.pipe("c-eos", SCORED.encode(last));
        AlignedResponse answer = driver.readOutput("c-eos", ALIGNED);
        assertThat(answer.getChosenIndex()).isEqualTo(2);
        assertThat(answer.getTokenCredit()).isEqualTo(credits(rewards).get(2));
        double sum = answer.getTokenCredit().stream().mapToDouble(TokenCredit::getCredit).sum();
        assertThat(sum).isEqualTo(answer.getReward());
    }

    @Test
    void creditsThatDoNotMatchTheCandidatesAreDeadLettered() {
        ScoredCandidateSet set = scored("c-bad", "best_of_n", 3, List.of(1.0, 2.0, 3.0), CREATED);
        set.setTokenCredits(credits(List.of(1.0, 2.0)));
        byte[] bytes = SCORED.encode(set);
        driver.pipe("c-bad", bytes);
        assertThat(driver.readDeadLetter("c-bad", bytes).getReason())
                .contains("has token credits for 2 of 3 candidates");
    }
}
