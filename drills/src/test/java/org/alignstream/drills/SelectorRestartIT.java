package org.alignstream.drills;

import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.clients.PromptClient;
import org.alignstream.harness.BareDecodingLoop;
import org.alignstream.harness.LocalPipeline;
import org.alignstream.harness.SamplePrompts;

import static org.alignstream.drills.ServiceProcesses.awaitReady;
import static org.alignstream.drills.ServiceProcesses.freePort;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.common.runtime.RunningStage;
import org.alignstream.common.runtime.StreamsCommand;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.topics.Topics;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.drills.ServiceProcesses.ServiceProcess;
import org.alignstream.selector.SelectorService;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A stepwise (tokenwise and blockwise) decoding through the embedded broker equals the same decoding in a bare
 * in-process loop ({@link BareDecodingLoop}), token for token, even when the selector is ended mid-request and a new
 * one continues: SIGKILL of a selector running as its own JVM (its open transaction is aborted, a new process resumes
 * from the committed offsets), and a clean close of an in-process selector. The requests sample (greedy = false), so
 * the continuation must reproduce the random draws of the rounds it takes over (they are a function of seed and
 * round). The generator and the scorer run in this JVM throughout ({@link LocalPipeline} without the selector).
 *
 * <p>Asserted per request: the run was really interrupted mid-request (some but not all of its rounds were committed
 * to decode-steps when the selector was ended, and no answer), exactly one answer (none repeated after a settle
 * period), equal to the bare loop's in token ids, text, reward, KL, rounds and reward calls, and every round
 * 1..rounds-1 committed to decode-steps exactly once, each a prefix of the answer.
 */
class SelectorRestartIT {
    private static final Duration READY_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration ROUNDS_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration SETTLE = Duration.ofMillis(2000);
    /** The selector is ended once every request has at least this many rounds committed (or all but its last). */
    private static final int KILL_AFTER_ROUNDS = 2;
    /**
     * For the selector process: a SIGKILLed member stays in the group until its session times out (45 s by default;
     * 6 s is the broker's minimum), and its open transaction blocks readers until it times out (10 s by default) and
     * the broker's periodic check (10 s by default, lowered below) aborts it.
     */
    private static final String SELECTOR_CONFIG = "consumer.session.timeout.ms=6000,consumer.heartbeat.interval.ms=1000,"
            + "producer.transaction.timeout.ms=5000";

    private static final AvroSerde<DecodeState> STEPS = Pipeline.DECODE_STEPS.serde();

    private static EmbeddedKafkaCluster kafka;
    private static LocalPipeline pipeline;
    private static ServiceProcesses processes;

    /** The broker (its check for timed-out transactions lowered to 1 s) and the processes; logs printed on failure. */
    @RegisterExtension
    static final ProcessFixture FIXTURE = ProcessFixture.onEmbeddedBroker("selector-restart-it-",
            Map.of("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000"));

    @BeforeAll
    static void start() {
        kafka = FIXTURE.kafka();
        processes = FIXTURE.processes();
        pipeline = FIXTURE.closeLater(LocalPipeline.start(kafka.bootstrapServers(), List.of("--http-port=-1"), List.of(),
                List.of(), false));
    }

    @Test
    void aSigkilledSelectorProcessIsContinuedByANewOneTokenForToken() throws Exception {
        List<PromptRequest> requests = requests("kill-", 7100L);
        Map<String, AlignedResponse> expected = expected(requests);

        Map<String, String> env = processes.environment(Pipeline.SELECTOR, freePort());
        env.put("ALIGNSTREAM_CONFIG", SELECTOR_CONFIG);
        ServiceProcess selector1 = processes.launch("selector-1", Pipeline.SELECTOR, env);
        awaitReady(selector1, READY_TIMEOUT);

        try (PromptClient client = new PromptClient(kafka.clientConfig());
             StepTail steps = new StepTail(kafka.clientConfig(), ids(requests))) {
            long t0 = System.nanoTime();
            requests.forEach(client::send);
            client.flush();
            steps.pollUntil(killPoint(expected), ROUNDS_TIMEOUT);

            selector1.process.destroyForcibly(); // SIGKILL: no commit, no leaving the group
            assertThat(selector1.process.waitFor(10, TimeUnit.SECONDS)).as("selector-1 is dead").isTrue();
            long killedAt = System.nanoTime();
            Map<String, Integer> before = committedBefore(steps, client);
            System.out.printf("selector-1 SIGKILLed %.1f s after sending; rounds committed before: %s of %s%n",
                    (killedAt - t0) / 1e9, before, rounds(expected));

            ServiceProcess selector2 = processes.launch("selector-2", Pipeline.SELECTOR, env);
            awaitReady(selector2, READY_TIMEOUT);
            double readyS = (System.nanoTime() - killedAt) / 1e9;
            Map<String, AlignedResponse> answers = awaitExactlyOnce(client, requests);
            System.out.printf("selector-2 ready %.1f s after the kill; all answered %.1f s after the kill%n", readyS,
                    (System.nanoTime() - killedAt) / 1e9);

            assertInterruptedMidRequest(before, expected);
            assertEqualToBareLoop(answers, expected);
            assertEachRoundCommittedOnce(steps, expected);

            selector2.process.destroy();
            assertThat(selector2.process.waitFor(30, TimeUnit.SECONDS)).as("selector-2 exits on SIGTERM").isTrue();
        }
    }

    @Test
    void aClosedInProcessSelectorIsContinuedByANewOneTokenForToken() throws Exception {
        List<PromptRequest> requests = requests("close-", 8100L);
        Map<String, AlignedResponse> expected = expected(requests);
        Path stateDir = Files.createTempDirectory(processes.workDir(), "in-process-selector-");

        RunningStage selector1 = startInProcessSelector(stateDir); // before the client: it creates aligned-responses
        try (PromptClient client = new PromptClient(kafka.clientConfig());
             StepTail steps = new StepTail(kafka.clientConfig(), ids(requests))) {
            try {
                requests.forEach(client::send);
                client.flush();
                steps.pollUntil(killPoint(expected), ROUNDS_TIMEOUT);
            } finally {
                selector1.close(); // commits what it processed and leaves the group
            }
            Map<String, Integer> before = committedBefore(steps, client);
            System.out.printf("in-process selector closed; rounds committed before: %s of %s%n", before,
                    rounds(expected));

            try (RunningStage selector2 = startInProcessSelector(stateDir)) {
                Map<String, AlignedResponse> answers = awaitExactlyOnce(client, requests);
                assertInterruptedMidRequest(before, expected);
                assertEqualToBareLoop(answers, expected);
                assertEachRoundCommittedOnce(steps, expected);
            }
        } finally {
            selector1.close();
        }
    }

    // ------------------------------------------------------------------ requests and the reference

    /** Sampled args and pargs (top 10 tokens, beta 1) and sampled blockwise (4 blocks of 4 tokens), 24 tokens. */
    private static List<PromptRequest> requests(String prefix, long seed) {
        List<String> prompts = SamplePrompts.load(null);
        Strategy.Builder base = Strategy.newBuilder().setN(1).setTopK(10).setBeta(1.0).setTemperature(1.0)
                .setTopP(1.0).setMaxNewTokens(24).setGreedy(false);
        List<Strategy> strategies = List.of(
                Strategy.newBuilder(base.build()).setMethod("args").setSeed(seed).build(),
                Strategy.newBuilder(base.build()).setMethod("pargs").setSeed(seed + 1).build(),
                Strategy.newBuilder(base.build()).setMethod("blockwise").setTopK(0).setN(4).setBlockSize(4)
                        .setSeed(seed + 2).build());
        List<PromptRequest> out = new ArrayList<>();
        for (int i = 0; i < strategies.size(); i++) {
            Strategy s = strategies.get(i);
            out.add(PromptRequest.newBuilder()
                    .setId(prefix + s.getMethod())
                    .setPrompt(prompts.get(i % prompts.size()))
                    .setStrategy(s)
                    .setCreatedAtMs(System.currentTimeMillis())
                    .build());
        }
        return out;
    }

    /**
     * The bare loop's answers, on the models the in-process generator and scorer loaded (computed before anything is
     * sent, so the loop and the stream threads never use the models at the same time); each must take a few rounds,
     * else a kill could not fall in the middle.
     */
    private static Map<String, AlignedResponse> expected(List<PromptRequest> requests) {
        BareDecodingLoop loop = pipeline.bareLoop();
        Map<String, AlignedResponse> out = new LinkedHashMap<>();
        for (PromptRequest r : requests) {
            AlignedResponse a = loop.run(r);
            assertThat(a.getRounds()).as("bare-loop rounds of %s (too few to interrupt in the middle)", r.getId())
                    .isGreaterThan(KILL_AFTER_ROUNDS + 1);
            out.put(r.getId(), a);
        }
        return out;
    }

    private static Set<String> ids(List<PromptRequest> requests) {
        return requests.stream().map(PromptRequest::getId).collect(Collectors.toSet());
    }

    private static Map<String, Integer> rounds(Map<String, AlignedResponse> answers) {
        Map<String, Integer> out = new TreeMap<>();
        answers.forEach((id, a) -> out.put(id, a.getRounds()));
        return out;
    }

    /** Every request has {@link #KILL_AFTER_ROUNDS} rounds committed (and none is complete). */
    private static Predicate<Map<String, Integer>> killPoint(Map<String, AlignedResponse> expected) {
        return maxRounds -> expected.keySet().stream()
                .allMatch(id -> maxRounds.getOrDefault(id, 0) >= KILL_AFTER_ROUNDS);
    }

    private static RunningStage startInProcessSelector(Path stateDir) {
        RunningStage s = StreamsCommand.parse(new SelectorService(), "--bootstrap-servers=" + kafka.bootstrapServers(),
                "--state-dir=" + stateDir, "--http-port=-1").start();
        try {
            s.awaitRunning(READY_TIMEOUT);
        } catch (RuntimeException e) {
            s.close();
            throw e;
        }
        return s;
    }

    // ------------------------------------------------------------------ assertions

    private static Map<String, AlignedResponse> awaitExactlyOnce(PromptClient client, List<PromptRequest> requests) {
        List<String> ids = requests.stream().map(PromptRequest::getId).toList();
        List<AlignedResponse> answered = client.await(ids, ANSWER_TIMEOUT);
        assertThat(answered.stream().map(AlignedResponse::getId).collect(Collectors.toSet()))
                .as("every request is answered within %s", ANSWER_TIMEOUT).containsExactlyInAnyOrderElementsOf(ids);
        client.pollFor(SETTLE);
        List<AlignedResponse> all = client.received();
        assertThat(all.stream().map(AlignedResponse::getId).toList())
                .as("exactly one response per request, no duplicates, nothing else")
                .containsExactlyInAnyOrderElementsOf(ids);
        return all.stream().collect(Collectors.toMap(AlignedResponse::getId, a -> a));
    }

    /**
     * What the ended selector committed: the highest round per request on decode-steps (read to the last stable
     * offset; an open transaction of a killed selector is not committed); asserts that it committed no answer.
     */
    private static Map<String, Integer> committedBefore(StepTail steps, PromptClient client) {
        steps.readToEnd(Duration.ofSeconds(10));
        client.pollFor(Duration.ofMillis(500));
        assertThat(client.received()).as("answers committed before the selector was ended").isEmpty();
        return steps.maxRounds();
    }

    /** The selector was ended in the middle of every request: some of its rounds, not all, were committed before. */
    private static void assertInterruptedMidRequest(Map<String, Integer> before, Map<String, AlignedResponse> expected) {
        for (Map.Entry<String, AlignedResponse> e : expected.entrySet()) {
            int seen = before.getOrDefault(e.getKey(), 0);
            assertThat(seen).as("rounds of %s committed before the selector was ended (of %d)", e.getKey(),
                    e.getValue().getRounds()).isBetween(1, e.getValue().getRounds() - 1);
        }
    }

    /** Token for token what the bare loop answers (timings aside: they are wall-clock). */
    private static void assertEqualToBareLoop(Map<String, AlignedResponse> answers,
                                              Map<String, AlignedResponse> expected) {
        for (Map.Entry<String, AlignedResponse> e : expected.entrySet()) {
            AlignedResponse want = e.getValue();
            AlignedResponse got = answers.get(e.getKey());
            String what = "answer to " + e.getKey();
            assertThat(got.getTokenIds()).as(what + " token ids").isEqualTo(want.getTokenIds());
            assertThat(got.getText()).as(what + " text").isEqualTo(want.getText());
            assertThat(got.getReward()).as(what + " reward").isEqualTo(want.getReward());
            assertThat(got.getKl()).as(what + " kl").isEqualTo(want.getKl());
            assertThat(got.getRounds()).as(what + " rounds").isEqualTo(want.getRounds());
            assertThat(got.getRewardCalls()).as(what + " reward calls").isEqualTo(want.getRewardCalls());
            assertThat(got.getChosenIndex()).as(what + " chosen index").isEqualTo(want.getChosenIndex());
            assertThat(got.getCandidateRewards()).as(what + " last round's rewards").isEqualTo(want.getCandidateRewards());
            assertThat(got.getMethod()).as(what + " method").isEqualTo(want.getMethod());
            assertThat(got.getN()).as(what + " n").isEqualTo(want.getN());
            assertThat(got.getGeneratorModel()).as(what + " generator model").isEqualTo(want.getGeneratorModel());
            assertThat(got.getRewardModel()).as(what + " reward model").isEqualTo(want.getRewardModel());
        }
    }

    /**
     * decode-steps holds (read committed) every intermediate round 1..rounds-1 of each request exactly once: the
     * ended selector's uncommitted work is invisible and the new one repeats nothing it committed. Each state's tokens
     * are a prefix of the answer's.
     */
    private static void assertEachRoundCommittedOnce(StepTail steps, Map<String, AlignedResponse> expected) {
        steps.pollUntil(maxRounds -> expected.entrySet().stream()
                .allMatch(e -> maxRounds.getOrDefault(e.getKey(), 0) >= e.getValue().getRounds() - 1), ROUNDS_TIMEOUT);
        steps.readToEnd(Duration.ofSeconds(10));
        for (Map.Entry<String, AlignedResponse> e : expected.entrySet()) {
            List<DecodeState> states = steps.states(e.getKey());
            assertThat(states.stream().map(DecodeState::getRound).toList())
                    .as("rounds of %s on decode-steps", e.getKey())
                    .isEqualTo(IntStream.range(1, e.getValue().getRounds()).boxed().toList());
            List<Integer> answer = e.getValue().getTokenIds();
            for (DecodeState s : states) {
                assertThat(answer.subList(0, Math.min(answer.size(), s.getTokenIds().size())))
                        .as("%s round %d tokens are a prefix of the answer", e.getKey(), s.getRound())
                        .isEqualTo(s.getTokenIds());
            }
        }
    }

    // ------------------------------------------------------------------ decode-steps, read committed

    /** Follows decode-steps from the beginning, read committed, keeping the states of the given requests. */
    private static final class StepTail implements AutoCloseable {
        private final KafkaConsumer<byte[], byte[]> consumer;
        private final List<TopicPartition> partitions = new ArrayList<>();
        private final Set<String> ids;
        private final Map<String, List<DecodeState>> states = new HashMap<>();

        StepTail(Map<String, Object> clientConfig, Set<String> ids) {
            this.ids = Set.copyOf(ids);
            Map<String, Object> c = new HashMap<>(clientConfig);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
            c.put(ConsumerConfig.CLIENT_ID_CONFIG, "decode-steps-tail-" + UUID.randomUUID());
            consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
            for (PartitionInfo info : consumer.partitionsFor(Topics.DECODE_STEPS, Duration.ofSeconds(30))) {
                partitions.add(new TopicPartition(info.topic(), info.partition()));
            }
            assertThat(partitions).as("partitions of %s", Topics.DECODE_STEPS).isNotEmpty();
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
        }

        private void pollOnce() {
            for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(100))) {
                String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
                if (ids.contains(key)) {
                    DecodeState s = STEPS.decode(r.value());
                    assertThat(s.getRequest().getId()).as("record key is the request id").isEqualTo(key);
                    states.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
                }
            }
        }

        /** Polls until {@code done} holds for the highest committed round per request; fails at the timeout. */
        void pollUntil(Predicate<Map<String, Integer>> done, Duration timeout) {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (!done.test(maxRounds())) {
                assertThat(System.nanoTime()).as("rounds on decode-steps within %s, got %s", timeout, maxRounds())
                        .isLessThan(deadline);
                pollOnce();
            }
        }

        /** Polls until every partition is read up to its last stable offset as of now. */
        void readToEnd(Duration timeout) {
            Map<TopicPartition, Long> end = consumer.endOffsets(partitions); // read committed: the last stable offsets
            long deadline = System.nanoTime() + timeout.toNanos();
            while (end.entrySet().stream().anyMatch(e -> consumer.position(e.getKey()) < e.getValue())) {
                assertThat(System.nanoTime()).as("decode-steps read to %s within %s", end, timeout).isLessThan(deadline);
                pollOnce();
            }
        }

        Map<String, Integer> maxRounds() {
            Map<String, Integer> out = new TreeMap<>();
            states.forEach((id, list) -> out.put(id, list.stream().mapToInt(DecodeState::getRound).max().orElse(0)));
            return out;
        }

        List<DecodeState> states(String id) {
            return List.copyOf(states.getOrDefault(id, List.of()));
        }

        @Override
        public void close() {
            consumer.close(Duration.ofSeconds(5));
        }
    }
}
