package org.alignstream.harness.annotator;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.avro.Strategy;
import org.alignstream.generator.CandidateSampler;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.harness.LocalPipeline;

/**
 * The feedback phase of the local run ({@code ops/run-local.sh --feedback-rounds R}): the feedback service is started,
 * the {@link SimulatedAnnotator} (its taste a {@link GoldTaste}) turns the pipeline's scored candidates into preference and
 * minimal-edit events, round by round ({@link FeedbackRounds}); each new proxy version is printed as it goes live in the
 * scorer, and the proxy's agreement with the gold judge on a fixed evaluation set ({@link AgreementSet}) before the
 * first round and after the last.
 */
public final class FeedbackPhase {

    /** Seeds of the evaluation candidates (far from the local run's and the annotator's). */
    public static final long EVAL_SEED_BASE = 900_000;
    /** Seeds of the annotated requests. */
    public static final long FEEDBACK_SEED_BASE = 100_000;

    /**
     * @param rounds         retrainings to drive
     * @param eventsPerRound feedback events per round (the service retrains every this many)
     * @param evalSets       generated candidate sets in the evaluation set
     */
    public record Settings(int rounds, int eventsPerRound, int evalSets, int n, int maxNewTokens, double temperature,
                           double topP, Duration timeout, GoldTaste.Kind gold) {
        public Settings {
            java.util.Objects.requireNonNull(gold, "gold");
        }
    }

    /** What the phase did: the agreement before and after, versions that went live, events sent. */
    public record Result(AgreementSet.Figures before, AgreementSet.Figures after, int events, int versionsLive,
                         String finalVersion) {
    }

    private FeedbackPhase() {
    }

    /** The feedback service's flags for rounds of {@code eventsPerRound} events: one retraining per round. */
    public static List<String> serviceArgs(int eventsPerRound) {
        return List.of("--retrain-every-events=" + eventsPerRound, "--retrain-every-ms=3600000");
    }

    /** Candidate texts of {@code sets} requests (prompt i mod P, seed {@code seedBase + i}), from the pipeline's LM. */
    public static List<List<String>> candidateSets(CandidateSampler sampler, List<String> prompts, int sets, int n,
                                                   int maxNewTokens, double temperature, double topP, long seedBase) {
        List<List<String>> out = new ArrayList<>();
        for (int i = 0; i < sets; i++) {
            Strategy s = Strategy.newBuilder().setMethod("best_of_n").setN(n).setTopK(0).setBeta(0.0)
                    .setTemperature(temperature).setTopP(topP).setMaxNewTokens(maxNewTokens).setSeed(seedBase + i)
                    .build();
            out.add(sampler.sample(prompts.get(i % prompts.size()), s).candidates().stream().map(Candidate::getText)
                    .toList());
        }
        return out;
    }

    /**
     * The evaluation set: the held-out sentences and {@code sets} generated candidate sets, scored by {@code gold} and
     * featurised by {@code proxyFeatures} (the proxy backbone's).
     */
    public static AgreementSet agreementSet(LocalPipeline pipeline, SimulatedAnnotator.Judge gold,
                                            AgreementSet.Features proxyFeatures, List<String> prompts, int sets, int n,
                                            int maxNewTokens, double temperature, double topP) {
        return AgreementSet.build(AgreementSet.heldOutSentences(), candidateSets(pipeline.generator().sampler(), prompts,
                sets, n, maxNewTokens, temperature, topP, EVAL_SEED_BASE), gold, proxyFeatures);
    }

    /**
     * The models a gold taste needs: the gold sentiment judge (e5) and a MiniLM encoder of its own (the proxy's
     * backbone, for the taste's second preference and the evaluation set's features; not the scorer's instance).
     */
    public static final class GoldModels implements AutoCloseable {
        private final EncoderRewardModel sentiment;
        private final EncoderRewardModel proxyBackbone;
        private final GoldTaste taste;

        public GoldModels(GoldTaste.Kind kind) {
            sentiment = RewardModels.goldSentiment(OnnxDevice.CPU, 1);
            EncoderRewardModel p = null;
            try {
                p = RewardModels.defaultSentiment(OnnxDevice.CPU, 1);
                proxyBackbone = p;
                taste = GoldTaste.of(kind, texts -> sentiment.score("", texts), p::features);
            } catch (RuntimeException e) {
                if (p != null) {
                    p.close();
                }
                sentiment.close();
                throw e;
            }
        }

        public GoldTaste taste() {
            return taste;
        }

        /** The proxy backbone's features (MiniLM), as the evaluation set needs them. */
        public AgreementSet.Features proxyFeatures() {
            return proxyBackbone::features;
        }

        @Override
        public void close() {
            try {
                proxyBackbone.close();
            } finally {
                sentiment.close();
            }
        }
    }

    /** The head of a published version. */
    public static LinearHead head(RewardModelVersion v) {
        byte[] bytes = new byte[v.getHeadOnnx().remaining()];
        v.getHeadOnnx().duplicate().get(bytes);
        return RewardHeadOnnx.read(bytes, v.getModelId() + " v" + v.getVersion());
    }

    /** Runs the phase on a running pipeline (without its feedback service), printing to {@code out}. */
    public static Result run(LocalPipeline pipeline, Map<String, Object> clientConfig, List<String> prompts,
                             Settings s, PrintStream out) {
        long start = System.nanoTime();
        try (GoldModels models = new GoldModels(s.gold())) {
            GoldTaste gold = models.taste();
            out.printf(Locale.ROOT, "%n== feedback: a simulated annotator judges the proxy's Best-of-%d picks by its gold "
                    + "taste (%s: %s); %d round%s of %d events%n", s.n(), s.gold().label(), gold.describe(), s.rounds(),
                    s.rounds() == 1 ? "" : "s", s.eventsPerRound());
            AgreementSet eval = agreementSet(pipeline, gold, models.proxyFeatures(), prompts, s.evalSets(), s.n(),
                    s.maxNewTokens(), s.temperature(), s.topP());
            AgreementSet.Figures before = eval.measure(AgreementSet.bundledProxyHead());
            out.printf(Locale.ROOT, "proxy-gold agreement before feedback (sentiment v1) on %d fixed texts (%d held-out "
                    + "sentences + %d candidate sets of %d): %s%n", eval.size(), eval.sentences(), eval.sets(), s.n(),
                    before.line());
            pipeline.startFeedback(serviceArgs(s.eventsPerRound()));
            out.println("feedback service started (retrains sentiment and sentiment-partial every " + s.eventsPerRound()
                    + " events)");
            SimulatedAnnotator annotator = new SimulatedAnnotator(gold, SimulatedAnnotator.Options.defaults());
            FeedbackRounds.Requests requests = new FeedbackRounds.Requests(prompts, "feedback-", FEEDBACK_SEED_BASE,
                    s.n(), s.maxNewTokens(), s.temperature(), s.topP());
            int live = 0;
            RewardModelVersion last = null;
            try (FeedbackRounds rounds = new FeedbackRounds(clientConfig, pipeline, annotator, requests,
                    s.eventsPerRound(), s.timeout())) {
                for (int r = 0; r < s.rounds(); r++) {
                    FeedbackRounds.Round round = rounds.next();
                    out.printf(Locale.ROOT, "round %d: %d prompts annotated, %d events sent (%d preferences, %d edits; "
                            + "%d in all)%n", round.number(), round.prompts(), round.eventsSent(), round.preferences(),
                            round.edits(), round.eventsTotal());
                    if (round.number() == 1 && round.example() != null) {
                        SimulatedAnnotator.Edit e = round.example().annotation().edit();
                        out.printf(Locale.ROOT, "  example edit (%s, gold %+.2f -> %+.2f): \"%s\" -> \"%s\"%n",
                                e.describe(), e.goldBefore(), e.goldAfter(), e.original().strip(), e.edited().strip());
                    }
                    if (round.version() != null) {
                        live++;
                        last = round.version();
                        out.printf(Locale.ROOT, "  live: %s%s%n", describe(round.version(), round.secondsToLive()),
                                round.partial() == null ? "" : "; " + round.partial().getModelId() + " v"
                                        + round.partial().getVersion());
                    } else {
                        out.println(round.refused() ? "  no new version: the validation gate refused it (held-out "
                                + "accuracy dropped); the serving version stays"
                                : "  no new version within " + s.timeout().toSeconds() + " s");
                    }
                }
            }
            AgreementSet.Figures after = last == null ? before : eval.measure(head(last));
            String version = last == null ? "1" : Long.toString(last.getVersion());
            out.printf(Locale.ROOT, "proxy-gold agreement after feedback (sentiment v%s): %s%n", version, after.line());
            out.printf(Locale.ROOT, "feedback: events=%d versions_live=%d agreement_pairwise %.3f -> %.3f, within a set "
                    + "%.3f -> %.3f, gold of the pick %+.3f -> %+.3f (%.1f s)%n", s.rounds() * s.eventsPerRound(), live,
                    before.pairwise(), after.pairwise(), before.withinSet(), after.withinSet(), before.goldOfPick(),
                    after.goldOfPick(), (System.nanoTime() - start) / 1e9);
            return new Result(before, after, s.rounds() * s.eventsPerRound(), live, version);
        }
    }

    /** {@code sentiment v3 (trained on 80 examples; held-out accuracy 0.812, serving 0.750) 2.1 s after the last event}. */
    static String describe(RewardModelVersion v, double secondsToLive) {
        Map<String, Double> f = v.getFigures();
        return String.format(Locale.ROOT, "%s v%d (trained on %.0f examples; held-out pairwise accuracy %.3f, serving "
                        + "version %.3f on the same %.0f held-out pairs) %s", v.getModelId(), v.getVersion(),
                f.getOrDefault("examples", Double.NaN), f.getOrDefault("heldout_accuracy", Double.NaN),
                f.getOrDefault("serving_heldout_accuracy", Double.NaN), f.getOrDefault("heldout_pairs", Double.NaN),
                Double.isNaN(secondsToLive) ? "published" : String.format(Locale.ROOT,
                        "served %.1f s after the round's last event", secondsToLive));
    }
}
