package org.alignstream.harness;

import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.clients.PromptClient;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.Strategy;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.reward.RewardModel;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** Happy-path assertions shared by the pipeline integration tests (embedded broker and Testcontainers). */
public final class AlignmentChecks {
    public static final AvroSerde<ScoredCandidateSet> SCORED = Pipeline.SCORED_CANDIDATES.serde();

    /**
     * Largest |batch score − score alone| accepted. The int8 encoder's per-batch quantisation moves a text's features;
     * the head turns that into log-odds in proportion to its weight norm. Measured with the early lm-austen export
     * (near-gibberish text at temperature 1) and the version-1 head (weight norm 8.2): up to 0.32 over 320 candidates,
     * mean a few 1e-2; the version-2 head's norm is 18.7 (2.28 times), so up to about 0.73; see {@link #check}.
     */
    public static final double ALONE_TOLERANCE = 0.9;

    /** Largest mean of |batch score − score alone| over a run's responses: 0.1 with the version-1 head, times 2.28. */
    public static final double MEAN_ALONE_TOLERANCE = 0.25;

    private AlignmentChecks() {
    }

    public static PromptRequest request(String id, String prompt, int n, double temperature, int topK, double topP,
                                 int maxNewTokens, long seed) {
        return PromptRequest.newBuilder()
                .setId(id)
                .setPrompt(prompt)
                .setStrategy(Strategy.newBuilder().setMethod("best_of_n").setN(n).setTopK(topK).setBeta(0.0)
                        .setTemperature(temperature).setTopP(topP).setMaxNewTokens(maxNewTokens).setSeed(seed).build())
                .setCreatedAtMs(System.currentTimeMillis())
                .build();
    }

    /**
     * The pipeline's answer {@code got} decodes exactly as {@code want} (the bare loop's): tokens, text, reward, the
     * last round's candidate rewards, KL, rounds, reward-model calls and the reward model that scored it.
     */
    public static void assertSameDecoding(String id, AlignedResponse got, AlignedResponse want) {
        assertThat(got.getTokenIds()).as(id).isEqualTo(want.getTokenIds());
        assertThat(got.getText()).as(id).isEqualTo(want.getText());
        assertThat(got.getReward()).as(id).isEqualTo(want.getReward());
        assertThat(got.getCandidateRewards()).as(id).isEqualTo(want.getCandidateRewards());
        assertThat(got.getKl()).as(id).isEqualTo(want.getKl());
        assertThat(got.getRounds()).as(id).isEqualTo(want.getRounds());
        assertThat(got.getRewardCalls()).as(id).isEqualTo(want.getRewardCalls());
        assertThat(got.getRewardModel()).as(id).isEqualTo(want.getRewardModel());
        assertThat(got.getGeneratedTokens()).as(id).isEqualTo(want.getGeneratedTokens());
        assertThat(got.getKeptPerCheckpoint()).as(id).isEqualTo(want.getKeptPerCheckpoint());
        assertThat(got.getChosenIndex()).as(id).isEqualTo(want.getChosenIndex());
    }

    /**
     * Sends the requests, waits for their answers, keeps reading for {@code settle} more, and asserts
     * that exactly one answer arrived per request and nothing else; returns the answers by id.
     */
    public static Map<String, AlignedResponse> sendAndAwaitExactlyOnce(PromptClient client, List<PromptRequest> requests,
                                                                Duration timeout, Duration settle) {
        List<String> ids = requests.stream().map(PromptRequest::getId).toList();
        assertThat(new HashSet<>(ids)).as("request ids are unique").hasSize(ids.size());
        int before = client.received().size();
        requests.forEach(client::send);
        client.flush();
        List<AlignedResponse> answered = client.await(ids, timeout);
        assertThat(answered.stream().map(AlignedResponse::getId).collect(Collectors.toSet()))
                .as("every request is answered within %s", timeout).containsExactlyInAnyOrderElementsOf(ids);
        client.pollFor(settle);
        List<AlignedResponse> all = client.received().subList(before, client.received().size());
        assertThat(all.stream().map(AlignedResponse::getId).toList())
                .as("exactly one response per request, no duplicates, nothing else")
                .containsExactlyInAnyOrderElementsOf(ids);
        return all.stream().collect(Collectors.toMap(AlignedResponse::getId, Function.identity()));
    }

    /** The scored candidate sets of {@code ids} from scored-candidates (read committed), exactly one each. */
    public static Map<String, ScoredCandidateSet> scoredSets(Map<String, Object> clientConfig, Collection<String> ids) {
        Set<String> wanted = new HashSet<>(ids);
        List<ConsumerRecord<byte[], byte[]>> records = TopicReader.readCommitted(clientConfig, Topics.SCORED_CANDIDATES,
                got -> got.stream().map(r -> key(r)).collect(Collectors.toSet()).containsAll(wanted),
                Duration.ofMillis(500), Duration.ofSeconds(60));
        Map<String, List<ScoredCandidateSet>> byId = new HashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : records) {
            if (wanted.contains(key(r))) {
                ScoredCandidateSet set = SCORED.decode(r.value());
                assertThat(set.getRequest().getId()).as("record key is the request id").isEqualTo(key(r));
                byId.computeIfAbsent(key(r), k -> new ArrayList<>()).add(set);
            }
        }
        assertThat(byId.keySet()).as("a scored set for every id").containsExactlyInAnyOrderElementsOf(wanted);
        Map<String, ScoredCandidateSet> out = new HashMap<>();
        byId.forEach((id, sets) -> {
            assertThat(sets).as("scored sets of %s", id).hasSize(1);
            out.put(id, sets.get(0));
        });
        return out;
    }

    public static String key(ConsumerRecord<byte[], byte[]> r) {
        return r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
    }

    /**
     * Checks one response against its request, its scored candidate set, and the reward model loaded
     * in the test: fields and timings set; (a) the reward equals the model's score of the chosen text
     * scored in one batch with its set (exactly); (c) the chosen index is the argmax (first on ties).
     *
     * @return |reward − the model's score of the chosen text alone| for check (b), asserted below
     *     {@link #ALONE_TOLERANCE}
     */
    public static double check(PromptRequest req, AlignedResponse r, ScoredCandidateSet set, RewardModel rewardModel) {
        Strategy s = req.getStrategy();
        String what = "response " + r.getId();
        assertThat(r.getId()).isEqualTo(req.getId());
        assertThat(r.getPrompt()).as(what).isEqualTo(req.getPrompt());
        assertThat(r.getMethod()).as(what).isEqualTo("best_of_n");
        assertThat(r.getN()).as(what).isEqualTo(s.getN());
        assertThat(r.getCreatedAtMs()).as(what).isEqualTo(req.getCreatedAtMs());
        assertThat(r.getGeneratorModel().getId()).as(what).isEqualTo("lm-austen");
        assertThat(r.getGeneratorModel().getVersion()).as(what).matches("[0-9a-f]{12}");
        assertThat(r.getRewardModel().getId()).as(what).isEqualTo(rewardModel.id());
        assertThat(r.getRewardModel().getVersion()).as(what).isEqualTo(rewardModel.version());
        assertThat(r.getTimingsMs()).as(what + " timings").containsKeys("generator", "scorer", "selector", "end_to_end");
        r.getTimingsMs().forEach((stage, ms) -> assertThat(ms).as(what + " timing " + stage).isFinite().isNotNegative());

        // the scored set is the one this response was chosen from
        // (stamped by the generator when it first read the request, where the answer's pipeline time starts)
        assertThat(set.getRequest().getReceivedAtMs()).as(what + " received at").isBetween(req.getCreatedAtMs(),
                req.getCreatedAtMs() + r.getTimingsMs().get("end_to_end").longValue());
        assertThat(r.getTimingsMs().get("pipeline")).as(what + " pipeline time within end-to-end time")
                .isBetween(0.0, r.getTimingsMs().get("end_to_end"));
        assertThat(PromptRequest.newBuilder(set.getRequest()).setReceivedAtMs(req.getReceivedAtMs()).build())
                .as(what + " scored set request").isEqualTo(req);
        assertThat(set.getGeneratorModel()).isEqualTo(r.getGeneratorModel());
        assertThat(set.getRewardModel()).isEqualTo(r.getRewardModel());
        List<Candidate> candidates = set.getCandidates();
        assertThat(candidates).as(what + " candidates").hasSize(s.getN());
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            assertThat(c.getIndex()).isEqualTo(i);
            assertThat(c.getTokenIds()).as(what + " candidate " + i).isNotEmpty().hasSizeLessThanOrEqualTo(s.getMaxNewTokens());
            assertThat(c.getLogprobs()).hasSameSizeAs(c.getTokenIds());
            assertThat(c.getFinishReason()).isIn("eos", "length");
            if (c.getFinishReason().equals("length")) {
                assertThat(c.getTokenIds()).hasSize(s.getMaxNewTokens());
            }
        }
        assertThat(r.getCandidateRewards()).as(what + " candidate rewards").isEqualTo(set.getRewards());
        Candidate chosen = candidates.get(r.getChosenIndex());
        assertThat(r.getText()).as(what + " text").isEqualTo(chosen.getText());
        assertThat(r.getTokenIds()).as(what + " token ids").isEqualTo(chosen.getTokenIds());
        // per-token credit: the chosen candidate's, summing to the reward (none if the scorer computed none)
        if (set.getTokenCredits().isEmpty()) {
            assertThat(r.getTokenCredit()).as(what + " token credit").isEmpty();
        } else {
            assertThat(r.getTokenCredit()).as(what + " token credit").isEqualTo(set.getTokenCredits().get(r.getChosenIndex()));
            if (!r.getTokenCredit().isEmpty()) {
                double credit = r.getTokenCredit().stream().mapToDouble(org.alignstream.avro.TokenCredit::getCredit).sum();
                assertThat(credit).as(what + " credits sum to the reward").isCloseTo(r.getReward(),
                        org.assertj.core.data.Offset.offset(1e-9));
            }
        }

        // (a) the reward model in this test, scoring the whole set in one batch as the scorer does
        List<String> texts = candidates.stream().map(Candidate::getText).toList();
        double[] direct = rewardModel.score(req.getPrompt(), texts);
        assertThat(r.getReward()).as(what + ": reward == direct batch score of the chosen text")
                .isEqualTo(direct[r.getChosenIndex()]);
        for (int i = 0; i < direct.length; i++) {
            assertThat(set.getRewards().get(i)).as(what + " candidate " + i + " reward == direct batch score")
                    .isEqualTo(direct[i]);
        }
        // (c) Best-of-N: the first index of the largest reward (brute force)
        int argmax = 0;
        for (int i = 1; i < direct.length; i++) {
            if (direct[i] > direct[argmax]) {
                argmax = i;
            }
        }
        assertThat(r.getChosenIndex()).as(what + " chosen index is the argmax of " + set.getRewards()).isEqualTo(argmax);
        // (b) the chosen text scored alone: the int8 MiniLM quantises activations per batch (ranges over all
        // rows, padding included), so a text's score depends on its batch-mates: close, not equal
        double alone = rewardModel.score(req.getPrompt(), r.getText());
        double twice = rewardModel.score(req.getPrompt(), List.of(r.getText(), r.getText()))[0];
        assertThat(twice).as(what + ": a batch of two copies (no padding, same ranges) scores as alone").isEqualTo(alone);
        double diff = Math.abs(r.getReward() - alone);
        assertThat(diff).as(what + ": |reward − score of the chosen text alone|").isLessThan(ALONE_TOLERANCE);
        return diff;
    }
}
