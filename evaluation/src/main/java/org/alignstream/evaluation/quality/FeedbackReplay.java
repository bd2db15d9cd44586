package org.alignstream.evaluation.quality;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import org.alignstream.avro.TrainingExample;
import org.alignstream.core.sampling.Seeds;
import org.alignstream.feedback.RewardTrainer;
import org.alignstream.generator.LmCandidateSampler;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.harness.SamplePrompts;
import org.alignstream.harness.annotator.AgreementSet;
import org.alignstream.harness.annotator.FeedbackPhase;
import org.alignstream.harness.annotator.GoldTaste;
import org.alignstream.harness.annotator.ProxyCeiling;
import org.alignstream.harness.annotator.SimulatedAnnotator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The feedback loop replayed offline (no Kafka, a few minutes): candidate sets of the annotated kind (seeds 100000 + k)
 * and the evaluation set are sampled, gold-scored and featurised once; then, for each setting, the annotator's
 * preferences (no edits) are made on the proxy's current picks and the feedback service's {@link RewardTrainer}
 * retrains every {@code --step} events on all of them, with the prior centred on the bundled head (the service's rule)
 * or on the last version (the rule that counts each event again at every retraining, for comparison). Prints the
 * proxy-gold agreement along the way and the ceiling of the proxy class ({@link ProxyCeiling}); writes no file.
 *
 * <pre>ops/eval.sh --section feedback-replay --gold sentiment --pairs pick,random --prior-l2 0.01,0.1</pre>
 */
@Command(name = "feedback-replay", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Offline replay of the feedback loop: proxy-gold agreement against events, per training rule.")
public final class FeedbackReplay implements Callable<Integer> {

    @Option(names = "--gold", defaultValue = "sentiment+family", description = "sentiment+family or sentiment (default: ${DEFAULT-VALUE})")
    String gold;

    @Option(names = "--sets", defaultValue = "400", description = "Annotated candidate sets, cycled (default: ${DEFAULT-VALUE})")
    int sets;

    @Option(names = "--eval-sets", defaultValue = "48", description = "(default: ${DEFAULT-VALUE})")
    int evalSets;

    @Option(names = "--events", defaultValue = "800", description = "(default: ${DEFAULT-VALUE})")
    int events;

    @Option(names = "--step", defaultValue = "50", description = "Events per retraining (default: ${DEFAULT-VALUE})")
    int step;

    @Option(names = "--prior-l2", split = ",", defaultValue = "0.01", description = "(default: ${DEFAULT-VALUE})")
    List<Double> priorL2;

    @Option(names = "--centre", split = ",", defaultValue = "bundled,serving",
            description = "The prior's centre: bundled (the service's rule) or serving (the old rule) (default: ${DEFAULT-VALUE})")
    List<String> centres;

    @Option(names = "--pairs", split = ",", defaultValue = "pick",
            description = "pick (the annotator's rule: the proxy's pick against a random other) or random (two random "
                    + "candidates) (default: ${DEFAULT-VALUE})")
    List<String> pairs;

    static final int N = 8;
    static final int MAX_NEW_TOKENS = 32;

    @Override
    public Integer call() {
        List<String> prompts = SamplePrompts.load(null);
        AgreementSet pool;
        AgreementSet eval;
        try (LmCandidateSampler sampler = LmCandidateSampler.load(null, 1, true);
             FeedbackPhase.GoldModels models = new FeedbackPhase.GoldModels(GoldTaste.Kind.parse(gold))) {
            System.out.println("gold taste " + gold + ": " + models.taste().describe());
            pool = AgreementSet.build(List.of(), FeedbackPhase.candidateSets(sampler, prompts, sets, N, MAX_NEW_TOKENS,
                    FeedbackCurve.TEMPERATURE, FeedbackCurve.TOP_P, FeedbackPhase.FEEDBACK_SEED_BASE), models.taste(),
                    models.proxyFeatures());
            eval = AgreementSet.build(AgreementSet.heldOutSentences(), FeedbackPhase.candidateSets(sampler, prompts,
                    evalSets, N, MAX_NEW_TOKENS, FeedbackCurve.TEMPERATURE, FeedbackCurve.TOP_P,
                    FeedbackPhase.EVAL_SEED_BASE), models.taste(), models.proxyFeatures());
        }
        LinearHead bundled = AgreementSet.bundledProxyHead();
        ProxyCeiling.Result ceiling = ProxyCeiling.measure(pool, eval, bundled.metadata());
        System.out.printf(Locale.ROOT, "ceiling of the proxy class (ridge, lambda %s, %d texts): %s%n", ceiling.lambda(),
                ceiling.texts(), ceiling.figures().line());
        for (String p : pairs) {
            for (String c : centres) {
                for (double l2 : priorL2) {
                    System.out.println(replay(pool, eval, bundled, p, c, l2));
                }
            }
        }
        return 0;
    }

    /** One replay; returns its line of figures. */
    String replay(AgreementSet pool, AgreementSet eval, LinearHead bundled, String pairRule, String centre, double l2) {
        if (!pairRule.equals("pick") && !pairRule.equals("random")) {
            throw new IllegalArgumentException("--pairs: pick or random, was " + pairRule);
        }
        if (!centre.equals("bundled") && !centre.equals("serving")) {
            throw new IllegalArgumentException("--centre: bundled or serving, was " + centre);
        }
        List<String> texts = pool.texts();
        float[][] features = pool.features();
        double[] goldRewards = pool.gold();
        Map<String, Double> goldOf = new HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            goldOf.putIfAbsent(texts.get(i), goldRewards[i]);
        }
        SimulatedAnnotator annotator = new SimulatedAnnotator(t -> t.stream().mapToDouble(goldOf::get).toArray(),
                new SimulatedAnnotator.Options(0, List.of("good"), 0.05, 24, 7));
        RewardTrainer trainer = new RewardTrainer(l2, 1.0);
        SplittableRandom rng = new SplittableRandom(17);
        LinearHead head = bundled;
        List<TrainingExample> examples = new ArrayList<>();
        StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "pairs %-6s centre %-7s prior-l2 %-6s: "
                + "events 0: %.3f/%.3f", pairRule, centre, l2, eval.measure(bundled).pairwise(),
                eval.measure(bundled).withinSet()));
        int sent = 0;
        for (int k = 0; sent < events && k < 100 * events; k++) {
            int from = (k % pool.sets()) * N;
            List<String> set = texts.subList(from, from + N);
            int chosen;
            int rejected;
            if (pairRule.equals("pick")) {
                double[] proxy = new double[N];
                for (int c = 0; c < N; c++) {
                    proxy[c] = head.apply(features[from + c]);
                }
                SimulatedAnnotator.Preference p = annotator.annotate("replay-" + k, set, proxy).preference();
                if (p == null) {
                    continue;
                }
                chosen = from + p.chosen();
                rejected = from + p.rejected();
            } else {
                int a = rng.nextInt(N);
                int b = rng.nextInt(N - 1);
                b = b >= a ? b + 1 : b;
                if (goldRewards[from + a] == goldRewards[from + b] || set.get(a).strip().equals(set.get(b).strip())) {
                    continue;
                }
                boolean aWins = goldRewards[from + a] > goldRewards[from + b];
                chosen = from + (aWins ? a : b);
                rejected = from + (aWins ? b : a);
            }
            String id = "pref-replay-" + k;
            examples.add(TrainingExample.newBuilder().setEventId(id).setRewardModel("sentiment").setSource("preference")
                    .setHoldout(heldOut(id)).setChosen(floats(features[chosen])).setRejected(floats(features[rejected]))
                    .setPrefixChosen(List.of()).setPrefixRejected(List.of()).setTimeMs(0).build());
            sent++;
            if (sent % step == 0) {
                RewardTrainer.Outcome o = trainer.train(centre.equals("bundled") ? bundled : head, head, examples, false,
                        sent / step + 1L);
                if (o != null && o.head() != null) {
                    head = o.head();
                }
                if (sent % Math.max(step, events / 8) == 0 || sent == events) {
                    AgreementSet.Figures f = eval.measure(head);
                    line.append(String.format(Locale.ROOT, " | %d: %.3f/%.3f", sent, f.pairwise(), f.withinSet()));
                }
            }
        }
        double norm = Math.sqrt(Arrays.stream(head.weights()).map(w -> w * w).sum());
        double norm0 = Math.sqrt(Arrays.stream(bundled.weights()).map(w -> w * w).sum());
        return line.append(String.format(Locale.ROOT, "  (pairwise/within a set; weight norm %.1f -> %.1f)", norm0, norm))
                .toString();
    }

    /** 20 % held out by id, as the feedback service's default. */
    static boolean heldOut(String id) {
        return Math.floorMod(Seeds.mix64(Arrays.hashCode(id.getBytes(StandardCharsets.UTF_8))), 100) < 20;
    }

    static List<Float> floats(float[] v) {
        List<Float> out = new ArrayList<>(v.length);
        for (float f : v) {
            out.add(f);
        }
        return out;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new FeedbackReplay()).execute(args));
    }
}
