package org.alignstream.drills;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.clients.PromptClient;
import org.alignstream.harness.SamplePrompts;
import org.apache.kafka.common.TopicPartition;

/**
 * The load a drill breaks something under: the same seeded Best-of-N and tokenwise ARGS prompts in every drill (ids by
 * drill), sent at a steady pace with a burst in flight when the breakage starts; collects their answers and counts
 * what was dead-lettered meanwhile.
 */
final class PromptLoad {
    /** Prompts sent back to back right before the breakage starts (in flight when it does). */
    private static final int BURST = 10;
    private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(300);

    /** What a drill breaks (and repairs) while its prompts are sent. */
    @FunctionalInterface
    interface Breakage {
        void apply() throws Exception;
    }

    private final PromptClient client;
    private final ChaosDrills.Options options;
    private final CommittedRecords deadLetters;
    private final LostPrompts lostPrompts;

    PromptLoad(PromptClient client, ChaosDrills.Options options, CommittedRecords deadLetters,
               LostPrompts lostPrompts) {
        this.client = client;
        this.options = options;
        this.deadLetters = deadLetters;
        this.lostPrompts = lostPrompts;
    }

    /** Every answer the client has received so far, of every drill, in arrival order. */
    List<AlignedResponse> received() {
        return client.received();
    }

    /**
     * Sends the drill's prompts (pinned to reward-model {@code version} unless null); the breakage (if any) starts on
     * its own thread after a burst and runs while the rest are sent. With {@code holdBack}, the last quarter of the
     * prompts is sent only after the breakage is over (plus a second), so some are sure to meet its outcome (a new
     * reward-model version). Then waits for the answers (300 s at most) and 3 s more for duplicates, and says for each
     * prompt still unanswered whether its prompt and an answer are committed ({@link LostPrompts}). A send the brokers
     * never acknowledged ends the drill with {@link org.alignstream.clients.NotAcknowledgedException}.
     */
    DrillOutcome run(String name, String version, Breakage breakage, boolean holdBack) throws Exception {
        List<PromptRequest> requests = requests(name, version);
        int breakAt = options.breakAt();
        int holdAt = holdBack ? requests.size() - requests.size() / 4 : -1;
        Map<TopicPartition, Long> dlqStart = deadLetters.ends();
        int before = client.received().size();
        long t0 = System.nanoTime();
        Thread breaking = null;
        Exception[] failure = new Exception[1];
        for (int i = 0; i < requests.size(); i++) {
            if (i == holdAt && breaking != null) {
                breaking.join();
                Thread.sleep(1000);
            }
            client.send(requests.get(i));
            if (i >= breakAt && i < breakAt + BURST - 1) {
                continue; // a burst: these are in flight when the breakage starts
            }
            client.flush();
            if (i == breakAt + BURST - 1 && breakage != null) {
                int answered = client.received().size() - before;
                long b0 = System.nanoTime();
                breaking = new Thread(() -> {
                    try {
                        breakage.apply();
                        System.out.printf("chaos: %s done %.1f s after it began%n", name,
                                (System.nanoTime() - b0) / 1e9);
                    } catch (Exception e) {
                        failure[0] = e;
                    }
                }, "chaos-" + name);
                breaking.start();
                System.out.printf("chaos: %s begins with %d prompts sent, %d answered; the rest are sent meanwhile%n",
                        name, i + 1, answered);
            }
            client.pollFor(Duration.ofMillis(options.intervalMs()));
        }
        if (breaking != null) {
            breaking.join();
            if (failure[0] != null) {
                throw failure[0];
            }
        }
        List<String> ids = requests.stream().map(PromptRequest::getId).toList();
        client.await(ids, ANSWER_TIMEOUT);
        client.pollFor(Duration.ofSeconds(3));
        double seconds = (System.nanoTime() - t0) / 1e9;
        Set<String> wanted = new HashSet<>(ids);
        List<AlignedResponse> answers = client.received().subList(before, client.received().size()).stream()
                .filter(a -> wanted.contains(a.getId())).toList();
        Set<String> unanswered = new LinkedHashSet<>(ids);
        answers.forEach(a -> unanswered.remove(a.getId()));
        lostPrompts.explain(name, unanswered);
        return new DrillOutcome(requests, answers, deadLetters.since(dlqStart).size(), seconds);
    }

    /**
     * The same prompts and seeds in every drill, ids by drill; pinned to a reward-model version unless {@code version}
     * is null. Three in four are seeded Best-of-N (N = 2 or 3, 4 new tokens); every fourth is tokenwise ARGS (k = 3,
     * sampled, 4 new tokens: four trips around the pipeline), so a drill that breaks a stage also breaks stepwise
     * requests mid-response, which the next instance must continue from the decoding state alone (its KV cache of the
     * request is gone) and answer as the undisturbed run did.
     */
    private List<PromptRequest> requests(String drill, String version) {
        List<String> prompts = SamplePrompts.load(null);
        List<PromptRequest> out = new ArrayList<>();
        for (int i = 0; i < options.prompts(); i++) {
            boolean stepwise = i % 4 == 3;
            Strategy.Builder strategy = Strategy.newBuilder().setTemperature(0.9).setTopP(0.95).setMaxNewTokens(4)
                    .setSeed(7700L + i).setRewardModelVersion(version);
            if (stepwise) {
                strategy.setMethod("args").setN(1).setTopK(3).setBeta(1.0).setGreedy(false);
            } else {
                strategy.setMethod("best_of_n").setN(2 + i % 2).setTopK(0).setBeta(0.0);
            }
            out.add(PromptRequest.newBuilder().setId(drill + "-" + i).setPrompt(prompts.get(i % prompts.size()))
                    .setStrategy(strategy.build()).setCreatedAtMs(System.currentTimeMillis()).build());
        }
        return out;
    }
}
