package org.alignstream.harness.annotator;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.avro.Strategy;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.runtime.RunningStage;
import org.alignstream.feedback.FeedbackTopology;
import org.alignstream.clients.FeedbackClient;
import org.alignstream.harness.LocalPipeline;
import org.alignstream.clients.PromptClient;

/**
 * The feedback loop driven in rounds over a running {@link LocalPipeline} with its feedback service: each round
 * publishes prompts (Best-of-N), lets the {@link SimulatedAnnotator} judge their scored candidates until it has
 * {@code eventsPerRound} events (the rest carry over to the next round), publishes exactly that many on
 * {@code feedback}, and waits until the feedback service has published the next version of the proxy and the scorer
 * serves it (or the validation gate refused it). With the service's {@code --retrain-every-events} equal to
 * {@code eventsPerRound} (and no time trigger), each round is one retraining on every event sent so far.
 */
public final class FeedbackRounds implements AutoCloseable {

    /** The proxy trained by the feedback and its partial-sequence sibling. */
    public static final String PROXY = "sentiment";
    public static final String PARTIAL = "sentiment-partial";

    /** The feedback requests: prompt k mod P at seed {@code seedBase + k}, Best-of-N with the local run's sampling. */
    public record Requests(List<String> prompts, String idPrefix, long seedBase, int n, int maxNewTokens,
                           double temperature, double topP) {
        public Requests {
            prompts = List.copyOf(prompts);
        }

        public PromptRequest request(int k) {
            return PromptRequest.newBuilder().setId(idPrefix + k).setPrompt(prompts.get(k % prompts.size()))
                    .setStrategy(Strategy.newBuilder().setMethod("best_of_n").setN(n).setTopK(0).setBeta(0.0)
                            .setTemperature(temperature).setTopP(topP).setMaxNewTokens(maxNewTokens)
                            .setSeed(seedBase + k).build())
                    .setCreatedAtMs(System.currentTimeMillis()).build();
        }
    }

    /**
     * One round.
     *
     * @param eventsTotal   events sent in all rounds so far
     * @param version       the proxy's new version (null: none within the timeout, or refused by the gate)
     * @param partial       the partial-sequence model's new version, if one came with it
     * @param refused       whether the validation gate refused the proxy's new version
     * @param secondsToLive from the round's last event sent to the new version served by the scorer (NaN if none)
     * @param example       an annotation of the round with an edit, for showing (null if none)
     */
    public record Round(int number, int prompts, int eventsSent, int eventsTotal, int preferences, int edits,
                        RewardModelVersion version, RewardModelVersion partial, boolean refused, double secondsToLive,
                        double seconds, AnnotatorLoop.Annotated example) {
    }

    private final LocalPipeline pipeline;
    private final Requests requests;
    private final int eventsPerRound;
    private final Duration timeout;
    private final PromptClient prompts;
    private final FeedbackClient feedback;
    private final AnnotatorLoop annotator;
    private final VersionWatch watch;
    private final Deque<FeedbackEvent> queue = new ArrayDeque<>();
    private final double editFraction;
    private int nextRequest;
    private int rounds;
    private int eventsTotal;

    /**
     * @param pipeline the running pipeline, its feedback service started
     * @param timeout  how long to wait for scored candidates, and for a new version after a round's events
     */
    public FeedbackRounds(Map<String, Object> clientConfig, LocalPipeline pipeline, SimulatedAnnotator annotator,
                          Requests requests, int eventsPerRound, Duration timeout) {
        if (eventsPerRound < 1) {
            throw new IllegalArgumentException("events per round must be >= 1, was " + eventsPerRound);
        }
        if (pipeline.feedback() == null) {
            throw new IllegalStateException("start the feedback service first (LocalPipeline.startFeedback)");
        }
        this.pipeline = pipeline;
        this.requests = requests;
        this.eventsPerRound = eventsPerRound;
        this.timeout = timeout;
        this.editFraction = annotator.options().editFraction();
        this.prompts = new PromptClient(clientConfig);
        this.feedback = new FeedbackClient(clientConfig);
        this.annotator = new AnnotatorLoop(clientConfig, annotator, PROXY, "simulated-gold");
        this.watch = new VersionWatch(clientConfig);
        watch.poll(Duration.ofMillis(200));
    }

    /** The versions read from {@code reward-models}. */
    public VersionWatch versions() {
        return watch;
    }

    /** Runs one round. */
    public Round next() {
        long start = System.nanoTime();
        int round = ++rounds;
        int promptsUsed = 0;
        AnnotatorLoop.Annotated example = null;
        while (queue.size() < eventsPerRound) {
            int need = eventsPerRound - queue.size();
            int count = Math.max(2, (int) Math.ceil(need / (1 + editFraction / 2)));
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < count; i++) {
                PromptRequest r = requests.request(nextRequest++);
                ids.add(r.getId());
                prompts.send(r);
            }
            prompts.flush();
            for (AnnotatorLoop.Annotated a : annotator.annotate(ids, timeout)) {
                queue.addAll(a.events());
                if (example == null && a.annotation().edit() != null) {
                    example = a;
                }
            }
            promptsUsed += count;
        }
        int preferences = 0;
        int edits = 0;
        long versionBefore = newestPublished(PROXY);
        long partialBefore = newestPublished(PARTIAL);
        StageMetrics metrics = feedbackMetrics();
        double refusedBefore = metrics.modelVersions(PROXY, "rejected");
        for (int i = 0; i < eventsPerRound; i++) {
            FeedbackEvent e = queue.removeFirst();
            if (e.getId().startsWith("edit-")) {
                edits++;
            } else {
                preferences++;
            }
            feedback.send(e);
        }
        feedback.flush();
        long sent = System.nanoTime();
        eventsTotal += eventsPerRound;
        RewardModelVersion version = null;
        boolean refused = false;
        long deadline = sent + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            watch.poll(Duration.ofMillis(50));
            if (watch.newestVersion(PROXY) > versionBefore) {
                version = watch.newest(PROXY).version();
                break;
            }
            if (metrics.modelVersions(PROXY, "rejected") > refusedBefore) {
                refused = true;
                break;
            }
        }
        double toLive = Double.NaN;
        if (version != null) {
            String v = Long.toString(version.getVersion());
            while (!v.equals(pipeline.scorer().rewardModels().newestVersion(PROXY)) && System.nanoTime() < deadline) {
                sleep(20);
            }
            if (v.equals(pipeline.scorer().rewardModels().newestVersion(PROXY))) {
                toLive = (System.nanoTime() - sent) / 1e9;
            }
        }
        long partialDeadline = System.nanoTime() + Duration.ofSeconds(2).toNanos();
        while (version != null && watch.newestVersion(PARTIAL) <= partialBefore && System.nanoTime() < partialDeadline) {
            watch.poll(Duration.ofMillis(50));
        }
        RewardModelVersion partial = watch.newestVersion(PARTIAL) > partialBefore ? watch.newest(PARTIAL).version() : null;
        return new Round(round, promptsUsed, eventsPerRound, eventsTotal, preferences, edits, version, partial, refused,
                toLive, (System.nanoTime() - start) / 1e9, example);
    }

    private long newestPublished(String model) {
        watch.poll(Duration.ofMillis(10));
        return watch.newestVersion(model);
    }

    private StageMetrics feedbackMetrics() {
        for (RunningStage s : pipeline.stages()) {
            if (s.name().equals(FeedbackTopology.STAGE)) {
                return s.metrics();
            }
        }
        throw new IllegalStateException("the feedback service is not running");
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    @Override
    public void close() {
        watch.close();
        annotator.close();
        feedback.close();
        prompts.close();
    }
}
