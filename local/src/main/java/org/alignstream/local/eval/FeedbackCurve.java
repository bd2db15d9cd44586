package org.alignstream.local.eval;

import java.awt.Color;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.embedded.EmbeddedKafkaCluster;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.local.LocalPipeline;
import org.alignstream.local.SamplePrompts;
import org.alignstream.local.feedback.AgreementSet;
import org.alignstream.local.feedback.FeedbackPhase;
import org.alignstream.local.feedback.FeedbackRounds;
import org.alignstream.local.feedback.SimulatedAnnotator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The feedback learning curve ({@code ops/eval.sh --section feedback}): the whole pipeline and the feedback service on
 * an embedded broker; the {@link SimulatedAnnotator} (gold judge) streams feedback on the pipeline's Best-of-N
 * candidates in steps of {@code --step} events, the service retrains once per step; after each retraining the new
 * proxy version's held-out pairwise accuracy (its own figures, on the held-out feedback events) and its agreement with
 * the gold judge on a fixed evaluation set ({@link AgreementSet}) are recorded. Writes a table and a PNG plot into the
 * {@code feedback-curve} section of docs/EVALUATION.md (other sections of the file are left alone). With several
 * {@code --prior-l2} values, one curve per value, each on a fresh broker.
 */
@Command(name = "eval-feedback", mixinStandardHelpOptions = true, sortOptions = false,
        description = "Learning curve of the feedback loop: held-out accuracy and proxy-gold agreement against events seen.")
public final class FeedbackCurve implements Callable<Integer> {

    static final String SECTION = "feedback-curve";

    @Option(names = "--step", defaultValue = "50",
            description = "Events per retraining (the service's --retrain-every-events) (default: ${DEFAULT-VALUE})")
    int step;

    @Option(names = "--max-events", defaultValue = "800", description = "Events in all (default: ${DEFAULT-VALUE})")
    int maxEvents;

    @Option(names = "--prior-l2", split = ",", defaultValue = "0.01",
            description = "The service's --prior-l2; several (comma-separated) give one curve each (default: ${DEFAULT-VALUE}, the service's default)")
    List<Double> priorL2;

    @Option(names = "--gate-margin", defaultValue = "1.0",
            description = "The service's --gate-margin; the default 1 lets every retraining through so that each is "
                    + "recorded (the table says which the service's default margin 0.02 would have refused) (default: ${DEFAULT-VALUE})")
    double gateMargin;

    @Option(names = "--edit-fraction", defaultValue = "0.25",
            description = "Share of prompts the annotator also edits (0 = preferences only) (default: ${DEFAULT-VALUE})")
    double editFraction;

    @Option(names = "--eval-sets", defaultValue = "48",
            description = "Generated candidate sets in the agreement set (default: ${DEFAULT-VALUE})")
    int evalSets;

    @Option(names = "--n", defaultValue = "8", description = "Candidates per prompt (default: ${DEFAULT-VALUE})")
    int n;

    @Option(names = "--max-new-tokens", defaultValue = "32", description = "(default: ${DEFAULT-VALUE})")
    int maxNewTokens;

    @Option(names = "--out", defaultValue = "docs/EVALUATION.md",
            description = "The report whose feedback-curve section is written; '-' writes none (default: ${DEFAULT-VALUE})")
    String out;

    @Option(names = "--plot", defaultValue = "docs/feedback-learning-curve.png", description = "(default: ${DEFAULT-VALUE})")
    Path plot;

    @Option(names = "--command-line", hidden = true, defaultValue = "ops/eval.sh --section feedback")
    String commandLine;

    static final double DEFAULT_GATE_MARGIN = 0.02;
    static final double TEMPERATURE = 0.9;
    static final double TOP_P = 0.95;

    /** One point of a curve: after {@code events} events, the proxy version serving and its figures. */
    record Row(int events, long version, double heldoutPairs, double heldoutAccuracy, double servingHeldoutAccuracy,
               AgreementSet.Figures agreement, double seconds) {
        /** Whether the service's default gate would have let this version through (true for the bundled one). */
        boolean passesDefaultGate() {
            return Double.isNaN(heldoutAccuracy) || heldoutAccuracy >= servingHeldoutAccuracy - DEFAULT_GATE_MARGIN - 1e-12;
        }
    }

    /** One curve: its prior strength and rows. */
    record Curve(double priorL2, List<Row> rows) {
    }

    @Override
    public Integer call() throws Exception {
        if (step < 1 || maxEvents < step || n < 2) {
            throw new CommandLine.ParameterException(new CommandLine(this), "need --step >= 1, --max-events >= --step, --n >= 2");
        }
        long started = System.nanoTime();
        List<String> prompts = SamplePrompts.load(null);
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        List<Curve> curves = new ArrayList<>();
        int evalTexts = 0;
        for (double l2 : priorL2) {
            System.out.printf(Locale.ROOT, "%n== feedback learning curve: prior-l2 %s, gate margin %s, %d events in steps of %d%n",
                    l2, gateMargin, maxEvents, step);
            try (EmbeddedKafkaCluster kafka = EmbeddedKafkaCluster.start();
                 LocalPipeline pipeline = LocalPipeline.start(kafka.bootstrapServers(), "--http-port=-1");
                 EncoderRewardModel gold = RewardModels.goldSentiment(OnnxDevice.CPU, 1)) {
                AgreementSet eval = FeedbackPhase.agreementSet(pipeline, gold, prompts, evalSets, n, maxNewTokens,
                        TEMPERATURE, TOP_P);
                evalTexts = eval.size();
                List<Row> rows = new ArrayList<>();
                rows.add(new Row(0, 1, Double.NaN, Double.NaN, Double.NaN, eval.measure(AgreementSet.bundledProxyHead()), 0));
                print(rows.get(0));
                List<String> args = new ArrayList<>(FeedbackPhase.serviceArgs(step));
                args.add("--prior-l2=" + l2);
                args.add("--gate-margin=" + gateMargin);
                pipeline.startFeedback(args);
                SimulatedAnnotator.Options d = SimulatedAnnotator.Options.defaults();
                SimulatedAnnotator annotator = new SimulatedAnnotator(t -> gold.score("", t), new SimulatedAnnotator.Options(
                        editFraction, d.replacements(), d.minEditGain(), d.maxEditWords(), d.seed()));
                FeedbackRounds.Requests requests = new FeedbackRounds.Requests(prompts, "curve-", FeedbackPhase.FEEDBACK_SEED_BASE,
                        n, maxNewTokens, TEMPERATURE, TOP_P);
                long t0 = System.nanoTime();
                try (FeedbackRounds rounds = new FeedbackRounds(kafka.clientConfig(), pipeline, annotator, requests, step,
                        Duration.ofSeconds(180))) {
                    Row last = rows.get(0);
                    for (int events = step; events <= maxEvents; events += step) {
                        FeedbackRounds.Round r = rounds.next();
                        double seconds = (System.nanoTime() - t0) / 1e9;
                        Row row;
                        if (r.version() == null) {
                            System.out.println("  no new version after " + events + " events"
                                    + (r.refused() ? " (refused by the gate)" : ""));
                            row = new Row(events, last.version(), Double.NaN, Double.NaN, Double.NaN, last.agreement(), seconds);
                        } else {
                            RewardModelVersion v = r.version();
                            Map<String, Double> f = v.getFigures();
                            row = new Row(events, v.getVersion(), f.getOrDefault("heldout_pairs", Double.NaN),
                                    f.getOrDefault("heldout_accuracy", Double.NaN),
                                    f.getOrDefault("serving_heldout_accuracy", Double.NaN),
                                    eval.measure(FeedbackPhase.head(v)), seconds);
                        }
                        rows.add(row);
                        print(row);
                        last = row;
                    }
                }
                curves.add(new Curve(l2, rows));
            }
        }
        double minutes = (System.nanoTime() - started) / 6e10;
        System.out.printf(Locale.ROOT, "%nrun time %.1f min%n", minutes);
        if (!"-".equals(out)) {
            writePlot(plot, curves);
            Path file = Path.of(out);
            String old = Files.exists(file) ? Files.readString(file) : null;
            String body = markdown(curves, new Setup(commandLine, LocalDate.now().toString(), minutes, load,
                    Runtime.getRuntime().availableProcessors(), evalTexts, evalSets, n, maxNewTokens, step, gateMargin,
                    editFraction, relative(file, plot)));
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            Files.writeString(file, MarkedSection.put(old, SECTION, body));
            System.out.println("wrote " + plot + " and the " + SECTION + " section of " + file);
        }
        return 0;
    }

    private static String relative(Path doc, Path plot) {
        Path dir = doc.toAbsolutePath().getParent();
        return dir == null ? plot.toString() : dir.relativize(plot.toAbsolutePath()).toString();
    }

    private static void print(Row r) {
        System.out.printf(Locale.ROOT, "  events %4d: sentiment v%-3d held-out accuracy %s (serving %s, %s pairs)  "
                        + "agreement %s  %.0f s%n", r.events(), r.version(), f3(r.heldoutAccuracy()),
                f3(r.servingHeldoutAccuracy()), Double.isNaN(r.heldoutPairs()) ? "-" : String.format(Locale.ROOT, "%.0f",
                        r.heldoutPairs()), r.agreement().line(), r.seconds());
    }

    /** How the run was made, for the report. */
    record Setup(String command, String date, double minutes, double loadAverage, int cores, int evalTexts, int evalSets,
                 int n, int maxNewTokens, int step, double gateMargin, double editFraction, String plotPath) {
    }

    static final Color[] COLORS = {new Color(31, 119, 180), new Color(214, 39, 40), new Color(44, 160, 44),
        new Color(148, 103, 189)};

    static void writePlot(Path file, List<Curve> curves) {
        List<CurvePlot.Series> series = new ArrayList<>();
        for (int c = 0; c < curves.size(); c++) {
            Curve curve = curves.get(c);
            String suffix = curves.size() > 1 ? String.format(Locale.ROOT, " (prior-l2 %s)", curve.priorL2()) : "";
            List<Row> rows = curve.rows();
            double[] x = rows.stream().mapToDouble(Row::events).toArray();
            Color base = COLORS[c % COLORS.length];
            series.add(new CurvePlot.Series("held-out pairwise accuracy of the new version (feedback held out)" + suffix,
                    base, true, x, rows.stream().mapToDouble(Row::heldoutAccuracy).toArray()));
            series.add(new CurvePlot.Series("proxy-gold pairwise agreement, all evaluation texts" + suffix, base, false, x,
                    rows.stream().mapToDouble(r -> r.agreement().pairwise()).toArray()));
            series.add(new CurvePlot.Series("proxy-gold pairwise agreement within a candidate set" + suffix,
                    base.darker().darker(), false, x, rows.stream().mapToDouble(r -> r.agreement().withinSet()).toArray()));
        }
        CurvePlot.write(file, "Feedback learning curve: proxy 'sentiment' retrained from simulated gold feedback",
                "feedback events seen", "accuracy / agreement", series);
    }

    static String f3(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.3f", v);
    }

    static String signed(double v) {
        return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%+.3f", v);
    }

    /** The section's markdown (between the markers). */
    static String markdown(List<Curve> curves, Setup s) {
        StringBuilder md = new StringBuilder();
        md.append("## Learning from feedback: the learning curve\n\n");
        md.append("Written by `").append(s.command()).append("` (`org.alignstream.local.eval.FeedbackCurve`) from the run "
                + "below; re-run it rather than editing the figures. Only this section (between the `feedback-curve` "
                + "markers) is rewritten.\n\n");
        md.append("### How it was run\n\n");
        md.append(String.format(Locale.ROOT, "- **Date**: %s; whole run %.1f minutes on %d cores (load average %.1f at "
                + "start; a shared machine).%n", s.date(), s.minutes(), s.cores(), s.loadAverage()));
        md.append(String.format(Locale.ROOT, "- **Loop**: the generator, scorer and selector stages and the feedback "
                + "service on an embedded broker. The sample prompts cycled at seeds %d + k, Best-of-%d, %d new tokens, "
                + "temperature %s, top_p %s. A **simulated annotator** (`SimulatedAnnotator`, its taste the gold judge "
                + "`gold-sentiment`, e5-small-v2 encoder) reads each prompt's scored candidates from `scored-candidates` "
                + "and sends one preference (the proxy's Best-of-%d pick against another of the prompt's candidates drawn "
                + "at random; the gold judge decides which is chosen) and, for a share %s of the prompts, a "
                + "minimal edit of the pick (the one word whose deletion or replacement by \"good\"/\"happy\" raises the "
                + "gold reward most, if by more than 0.05).%n", FeedbackPhase.FEEDBACK_SEED_BASE, s.n(), s.maxNewTokens(),
                TEMPERATURE, TOP_P, s.n(), s.editFraction()));
        md.append(String.format(Locale.ROOT, "- **Retraining**: every %d events (`--retrain-every-events=%d`, no time "
                + "trigger), on all events so far, around the serving head (`--prior-l2` per curve below); 20 %% of the "
                + "events held out (by id) for the validation gate. `--gate-margin=%s`%s. The scorer hot-swaps each "
                + "version; the next step's picks are made by it (the loop is closed).%n", s.step(), s.step(),
                s.gateMargin(), s.gateMargin() >= 1 ? " lets every version through so that each retraining is recorded; "
                        + "the *default gate* column says whether the service's default margin (0.02) would have "
                        + "published it (later versions then build on it all the same)" : ""));
        md.append(String.format(Locale.ROOT, "- **Held-out accuracy**: the version's own figure `heldout_accuracy`, the "
                + "share of held-out feedback pairs it orders as the annotator did (the serving version's on the same "
                + "pairs beside it). The held-out set grows with the events, so early values rest on few pairs.%n"));
        md.append(String.format(Locale.ROOT, "- **Proxy-gold agreement** on a fixed set of %d texts: the %d held-out "
                + "sentences of `models/reward-sentiment/sentences.tsv` (the split both heads report on) and %d sets of "
                + "%d candidates sampled at seeds %d + i (never annotated). *pairwise*: share of all text pairs both models "
                + "order the same way; *within a set*: the same among the candidates of one prompt (what Best-of-N "
                + "selection depends on), averaged over the sets; *gold of pick*: mean gold reward of the proxy's Best-of-%d "
                + "pick per set.%n%n", s.evalTexts(), s.evalTexts() - s.evalSets() * s.n(), s.evalSets(), s.n(),
                FeedbackPhase.EVAL_SEED_BASE, s.n()));
        md.append("![feedback learning curve](").append(s.plotPath()).append(")\n\n");
        for (Curve c : curves) {
            md.append(String.format(Locale.ROOT, "### prior-l2 %s%s%n%n", c.priorL2(),
                    c.priorL2() == 0.01 ? " (the service's default)" : ""));
            md.append("| events seen | version | held-out pairs | held-out accuracy | serving on the same | default gate "
                    + "| pairwise agreement | sentences | generated | within a set | Spearman | gold of pick |\n");
            md.append("| ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |\n");
            for (Row r : c.rows()) {
                AgreementSet.Figures a = r.agreement();
                md.append(String.format(Locale.ROOT, "| %d | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                        r.events(), r.version(), Double.isNaN(r.heldoutPairs()) ? "-" : String.format(Locale.ROOT, "%.0f",
                                r.heldoutPairs()), f3(r.heldoutAccuracy()), f3(r.servingHeldoutAccuracy()),
                        r.events() == 0 ? "(bundled)" : Double.isNaN(r.heldoutAccuracy()) ? "no version"
                                : r.passesDefaultGate() ? "pass" : "**refuse**",
                        f3(a.pairwise()), f3(a.pairwiseSentences()), f3(a.pairwiseGenerated()), f3(a.withinSet()),
                        f3(a.spearman()), signed(a.goldOfPick())));
            }
            md.append('\n').append(reading(c)).append("\n\n");
        }
        md.append("### Caveats\n\n");
        md.append("- The proxy is a linear head on frozen MiniLM-L6 features and only that head is retrained; the gold "
                + "judge reads e5-small-v2 features. How far the proxy can follow the gold is bounded by what a linear "
                + "function of MiniLM features can express, whatever the amount of feedback.\n");
        md.append("- The annotator is deterministic and noiseless (the gold judge decides every pair), unlike people; "
                + "its pairs are chosen around the proxy's pick, so they over-represent the texts the proxy likes.\n");
        md.append("- A bound measured once while this was built (not recomputed by this run): a linear head fitted "
                + "straight to the gold rewards of 9,600 generated candidates (ridge regression on the MiniLM features, "
                + "i.e. with the gold scores in hand, which feedback never gives) reached pairwise agreement 0.81 "
                + "overall, 0.79 within a set and a gold reward of the pick of +0.49 on a smaller set of the same kind (24 candidate sets), from 0.80, "
                + "0.75 and +0.36 for the bundled head: the room a MiniLM linear proxy has to follow this gold judge "
                + "is small.\n");
        md.append("- Also measured once (not recomputed by this run): the same loop with preferences only "
                + "(`--edit-fraction 0`, prior-l2 0.01) went the same way, 0.774 -> 0.751 pairwise, 0.742 -> 0.734 within "
                + "a set, +0.422 -> +0.409 gold of pick after 800 events, so the minimal edits are not what pulls the "
                + "agreement down; nor is it the pair rule alone: offline, with pairs of two random candidates, agreement "
                + "also dipped first and recovered slowly.\n");
        md.append("- One run, one seed: differences of about 0.01 in agreement over these texts are within what another "
                + "seed moves; held-out accuracies over fewer than 50 pairs move by 0.02 or more per pair.\n");
        return md.toString();
    }

    /** What a curve shows, computed from its rows. */
    static String reading(Curve c) {
        List<Row> rows = c.rows();
        Row first = rows.get(0);
        Row last = rows.get(rows.size() - 1);
        Row best = first;
        for (Row r : rows) {
            if (r.agreement().pairwise() > best.agreement().pairwise()) {
                best = r;
            }
        }
        long refused = rows.stream().filter(r -> r.events() > 0 && !Double.isNaN(r.heldoutAccuracy())
                && !r.passesDefaultGate()).count();
        double dAll = last.agreement().pairwise() - first.agreement().pairwise();
        double dWithin = last.agreement().withinSet() - first.agreement().withinSet();
        double dGold = last.agreement().goldOfPick() - first.agreement().goldOfPick();
        double dHeld = last.heldoutAccuracy() - (rows.size() > 1 ? rows.get(1).heldoutAccuracy() : Double.NaN);
        String divergence = dHeld > 0.02 && dAll < -0.01
                ? " So the versions learn the annotator's own kind of pairs (held-out accuracy up) while their agreement "
                        + "with the gold judge on the fixed texts goes down: what these pairs teach does not carry over "
                        + "to ranking texts in general."
                : "";
        return String.format(Locale.ROOT, "**What it shows.** After %d events the proxy's pairwise agreement with the "
                        + "gold judge %s (%s -> %s, %s; on generated text %s -> %s; within a candidate set %s -> %s, %s), "
                        + "the gold reward of its Best-of-N pick %s (%s -> %s; a mean over the candidate sets, so a change "
                        + "under 0.1 is within noise). The highest agreement on the way was %s "
                        + "after %d events. The held-out pairwise accuracy of the versions went from %s (the first "
                        + "retraining) to %s; %d of %d retrainings would have been refused by the default gate.%s",
                last.events(), verb(dAll), f3(first.agreement().pairwise()), f3(last.agreement().pairwise()), signed(dAll),
                f3(first.agreement().pairwiseGenerated()), f3(last.agreement().pairwiseGenerated()),
                f3(first.agreement().withinSet()), f3(last.agreement().withinSet()), signed(dWithin),
                verbAbove(dGold, 0.1), signed(first.agreement().goldOfPick()), signed(last.agreement().goldOfPick()),
                f3(best.agreement().pairwise()), best.events(),
                f3(rows.size() > 1 ? rows.get(1).heldoutAccuracy() : Double.NaN), f3(last.heldoutAccuracy()), refused,
                rows.size() - 1, divergence);
    }

    /** "rose", "fell" or "stayed level" for a change beyond {@code threshold} either way. */
    static String verbAbove(double delta, double threshold) {
        return Double.isNaN(delta) ? "is not known" : delta > threshold ? "rose" : delta < -threshold ? "fell"
                : String.format(Locale.ROOT, "moved by less than %s", threshold);
    }

    /** "rose", "fell" or "stayed level" for a change beyond 0.01 either way. */
    static String verb(double delta) {
        return Double.isNaN(delta) ? "is not known" : delta > 0.01 ? "rose" : delta < -0.01 ? "fell" : "stayed level (within 0.01)";
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new FeedbackCurve()).execute(args));
    }
}
