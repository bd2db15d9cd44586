package org.alignstream.evaluation.quality;

import static org.alignstream.evaluation.quality.ResultTable.sig3;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.inference.reward.RankAgreement;

/**
 * "Do the papers' claims hold here?": each claim's verdict computed from the measured rows, with the figures it rests
 * on and a paragraph saying why. Comparisons are paired over the same prompts ({@link PairedDifference}); a difference
 * counts only beyond {@value PairedDifference#NOISE_MULTIPLE} standard errors.
 */
public final class Claims {

    /** A claim's verdict. */
    public enum Answer {
        YES("yes"), PARTLY("partly"), NO("no"), NOT_MEASURED("not measured");

        private final String text;

        Answer(String text) {
            this.text = text;
        }

        public String text() {
            return text;
        }
    }

    /** One claim: its statement, verdict, the figures (one per line) and why. */
    public record Verdict(int number, String claim, Answer answer, List<String> figures, String why) {
    }

    /**
     * What the verdict texts need to know beyond the rows.
     *
     * @param baseline the Transfer Q* baseline model rho_BL, as the report names it
     * @param baselineStandIn whether rho_BL is a stand-in (lm-austen itself) rather than the aligned lm-austen-bon16
     */
    public record Context(String baseline, boolean baselineStandIn) {
    }

    private Claims() {
    }

    /**
     * "A beats B" over several paired checks: YES when every difference is positive beyond noise; NO when none is
     * positive beyond noise and at least one is not positive at all; PARTLY otherwise (some checks won beyond noise,
     * or every difference points the claimed way but within noise).
     */
    public static Answer direction(List<PairedDifference> checks) {
        if (checks.isEmpty()) {
            return Answer.NOT_MEASURED;
        }
        long wins = checks.stream().filter(PairedDifference::significantlyPositive).count();
        if (wins == checks.size()) {
            return Answer.YES;
        }
        boolean someNotPositive = checks.stream().anyMatch(c -> !(c.mean() > 0));
        if (wins == 0 && someNotPositive) {
            return Answer.NO;
        }
        return Answer.PARTLY;
    }

    /**
     * Every claim, from the rows present (a claim whose rows are missing is NOT_MEASURED): per proxy, in the order
     * given, whether Best-of-N's gold stops rising, whether RBoN keeps more gold than Best-of-N at the largest N, whether
     * speculative rejection matches Best-of-N at a quarter of the compute, and whether soft Best-of-N converges with N;
     * then PARGS against ARGS and Transfer Q* against ARGS on the tokenwise rows. Numbered in that order.
     */
    public static List<Verdict> assess(List<ProxyResults> proxies, List<RowResult> tokenwise, Context context) {
        List<Verdict> out = new ArrayList<>();
        proxies.forEach(p -> out.add(bestOfNGoldStopsRising(p)));
        proxies.forEach(p -> out.add(rbonKeepsMoreGoldThanBestOfN(p)));
        proxies.forEach(p -> out.add(speculativeRejectionMatchesBestOfNAtAQuarterOfTheCompute(p)));
        proxies.forEach(p -> out.add(softBestOfNConvergesWithN(p)));
        Map<String, RowResult> byKey = new LinkedHashMap<>();
        tokenwise.forEach(r -> byKey.put(r.key(), r));
        out.add(pargsPartialBeatsArgsFull(byKey));
        out.add(transferQStarBeatsArgs(byKey, context));
        List<Verdict> numbered = new ArrayList<>();
        for (int i = 0; i < out.size(); i++) {
            Verdict v = out.get(i);
            numbered.add(new Verdict(i + 1, v.claim(), v.answer(), v.figures(), v.why()));
        }
        return numbered;
    }

    /**
     * The smallest N of Best-of-N's grid from which the gold reward no longer rises beyond noise over at least two
     * further doublings: no larger N's gold is above it beyond {@value PairedDifference#NOISE_MULTIPLE} paired standard
     * errors, and at least two larger N were measured (one doubling without a significant rise is too little to call a
     * plateau: with 24 prompts a curve that keeps rising often misses 2 standard errors at its last step). The largest
     * N if there is no such plateau (the gold kept rising). {@code bon} is Best-of-N's rows by N ascending.
     */
    static int goldStopIndex(List<RowResult> bon) {
        for (int k = 0; k + 2 < bon.size(); k++) {
            boolean risesLater = false;
            for (int j = k + 1; j < bon.size(); j++) {
                risesLater |= PairedDifference.of(bon.get(j).gold(), bon.get(k).gold()).significantlyPositive();
            }
            if (!risesLater) {
                return k;
            }
        }
        return bon.size() - 1;
    }

    /**
     * Best-of-N over-optimises: YES when its gold levels off ({@link #goldStopIndex}) before the largest N while its
     * proxy still rises from there to the largest N beyond noise; NO when the gold rises up to the largest N; PARTLY when
     * the gold stops but the proxy does not rise beyond noise either.
     */
    static Verdict bestOfNGoldStopsRising(ProxyResults p) {
        String claim = "Best-of-N over-optimises the proxy `" + p.proxy() + "`: past some N its gold reward stops rising "
                + "while its proxy reward keeps rising (Gao et al. 2023; the regime Regularized Best-of-N targets).";
        List<RowResult> bon = p.bestOfN();
        if (bon.size() < 3) {
            return notMeasured(claim, "needs Best-of-N at three or more N");
        }
        int stop = goldStopIndex(bon);
        RowResult last = bon.get(bon.size() - 1);
        RowResult atStop = bon.get(stop);
        int peak = 0;
        for (int k = 1; k < bon.size(); k++) {
            peak = bon.get(k).meanGold() > bon.get(peak).meanGold() ? k : peak;
        }
        RowResult best = bon.get(peak);
        List<String> figures = new ArrayList<>();
        figures.add("mean proxy by N: " + series(bon, RowResult::meanProxy));
        figures.add("mean gold by N: " + series(bon, RowResult::meanGold));
        figures.add("KL of the choice from plain sampling's by N: " + series(bon, RowResult::meanKl));
        List<String> steps = new ArrayList<>();
        for (int k = 1; k < bon.size(); k++) {
            steps.add(bonN(bon.get(k - 1)) + "→" + bonN(bon.get(k)) + " "
                    + PairedDifference.of(bon.get(k).gold(), bon.get(k - 1).gold()).describe());
        }
        figures.add("gold change per doubling, paired over " + last.responses() + " prompts: " + String.join(", ", steps));
        Answer answer;
        StringBuilder why = new StringBuilder();
        if (stop == bon.size() - 1) {
            answer = Answer.NO;
            RowResult third = bon.get(bon.size() - 3);
            why.append("The gold reward does not level off: from every N up to N=").append(bonN(third))
                    .append(" some larger N is above it beyond noise (a plateau needs two doublings without a rise; "
                            + "the last doubling moved it by ").append(PairedDifference.of(last.gold(),
                            bon.get(bon.size() - 2).gold()).describe()).append("), so up to N=").append(bonN(last))
                    .append(" this proxy's gains carry over to the gold and Best-of-N does not over-optimise it. ");
        } else {
            PairedDifference proxyAfter = PairedDifference.of(last.proxy(), atStop.proxy());
            PairedDifference goldAfter = PairedDifference.of(last.gold(), atStop.gold());
            PairedDifference goldFromPeak = PairedDifference.of(last.gold(), best.gold());
            answer = proxyAfter.significantlyPositive() ? Answer.YES : Answer.PARTLY;
            figures.add("from N=" + bonN(atStop) + " (where the gold stops rising) to N=" + bonN(last) + ": proxy "
                    + proxyAfter.describe() + ", gold " + goldAfter.describe() + "; gold at N=" + bonN(last)
                    + " minus its peak (N=" + bonN(best) + ") " + goldFromPeak.describe());
            why.append("The gold reward stops rising at N=").append(bonN(atStop)).append(": no larger N is above it "
                    + "beyond noise. ");
            why.append(answer == Answer.YES ? "The proxy keeps rising beyond noise from there to N=" + bonN(last) + " ("
                    + proxyAfter.describe() + "): the further proxy gains are hacking it, not improvements the gold "
                    + "sees. " : "The proxy does not rise beyond noise from there either (" + proxyAfter.describe()
                    + "): both curves flatten, so this is saturation rather than over-optimisation. ");
            if (goldFromPeak.significantlyNegative()) {
                why.append("The gold even falls past its peak at N=").append(bonN(best)).append(" (")
                        .append(goldFromPeak.describe()).append(" at N=").append(bonN(last)).append("). ");
            }
        }
        why.append("The Best-of-N choices are nested (the first N of the same ").append(bonN(last))
                .append(" candidates per prompt), so the proxy of the chosen text can only rise with N.");
        return new Verdict(0, claim, answer, figures, why.toString());
    }

    /** RBoN against Best-of-N at the largest N (the same candidates) by gold reward: {@link #direction}. */
    static Verdict rbonKeepsMoreGoldThanBestOfN(ProxyResults p) {
        String claim = "With the proxy `" + p.proxy() + "`, Regularized Best-of-N keeps more gold reward than Best-of-N at "
                + "the largest N (Jinnai et al. 2024).";
        List<RowResult> bon = p.bestOfN();
        if (bon.isEmpty()) {
            return notMeasured(claim, "needs Best-of-N rows");
        }
        RowResult last = bon.get(bon.size() - 1);
        int n = bonN(last);
        List<RowResult> rbon = new ArrayList<>();
        for (String family : List.of(SelectionFamilies.RBON_KL, SelectionFamilies.RBON_WD)) {
            for (String variant : p.variants(family)) {
                p.curve(family, variant).stream().filter(r -> r.knob() == n).map(ProxyResults.Row::result)
                        .forEach(rbon::add);
            }
        }
        if (rbon.isEmpty()) {
            return notMeasured(claim, "needs RBoN rows at N=" + n);
        }
        List<PairedDifference> checks = new ArrayList<>();
        List<String> figures = new ArrayList<>();
        figures.add(last.label() + ": gold " + sig3(last.meanGold()) + ", proxy " + sig3(last.meanProxy()) + ", KL "
                + sig3(last.meanKl()) + ", " + sig3(last.tokensPerResponse()) + " tokens/response");
        List<String> better = new ArrayList<>();
        List<String> worse = new ArrayList<>();
        for (RowResult r : rbon) {
            PairedDifference gold = PairedDifference.of(r.gold(), last.gold());
            PairedDifference proxy = PairedDifference.of(r.proxy(), last.proxy());
            checks.add(gold);
            figures.add(r.label() + ": gold " + sig3(r.meanGold()) + " (vs Best-of-" + n + " " + gold.describe()
                    + "), proxy " + sig3(r.meanProxy()) + " (" + proxy.describe() + "), KL " + sig3(r.meanKl()) + ", "
                    + sig3(r.tokensPerResponse()) + " tokens/response");
            if (gold.significantlyPositive()) {
                better.add(r.label());
            } else if (gold.significantlyNegative()) {
                worse.add(r.label());
            }
        }
        double[] allProxy = bon.stream().flatMapToDouble(r -> Arrays.stream(r.proxy())).toArray();
        double[] allGold = bon.stream().flatMapToDouble(r -> Arrays.stream(r.gold())).toArray();
        double rho = RankAgreement.spearman(allProxy, allGold);
        figures.add("proxy–gold Spearman over the " + allProxy.length + " Best-of-N choices: " + sig3(rho));
        Answer answer = direction(checks);
        StringBuilder why = new StringBuilder();
        why.append(switch (answer) {
            case YES -> "Every RBoN setting keeps more gold reward than Best-of-" + n + " on the same candidates, beyond "
                    + "noise. ";
            case PARTLY -> better.isEmpty()
                    ? "The RBoN settings point the claimed way, but no gold difference from Best-of-" + n
                    + " is beyond noise. "
                    : "Only " + String.join(", ", better) + " keeps more gold reward than Best-of-" + n
                    + " beyond noise" + (worse.isEmpty() ? "" : "; " + String.join(", ", worse) + " keeps less") + ". ";
            default -> "No RBoN setting keeps more gold reward than Best-of-" + n + " beyond noise"
                    + (worse.isEmpty() ? "" : " (" + String.join(", ", worse) + (worse.size() == 1 ? " keeps" : " keep")
                    + " significantly less)") + ". ";
        });
        int stop = goldStopIndex(bon);
        why.append("RBoN chooses among exactly Best-of-").append(n).append("'s candidates, so the comparison isolates "
                + "the choice; it pays off when Best-of-N over-optimises, i.e. when the gold stops rising with N while "
                + "the proxy keeps rising. ");
        why.append(stop == bon.size() - 1
                ? "Here Best-of-N's gold does not level off up to N=" + n + ", so there is no over-optimisation for a regulariser "
                + "to undo, and trading proxy reward for closeness to π_ref gives up gold too. "
                : "Here Best-of-N's gold stops rising at N=" + bonN(bon.get(stop)) + ", the regime where a regulariser "
                + "can help. ");
        why.append("The proxy–gold rank agreement over the Best-of-N choices is ").append(sig3(rho))
                .append(" (Spearman).");
        return new Verdict(0, claim, answer, figures, why.toString());
    }

    /** The compute of Best-of-N at the proxy reward of a speculative rejection row, as the specrej bench computes it. */
    static SpeculativeRejectionCompute.Equal equalProxy(List<RowResult> bon, double reward) {
        int[] grid = bon.stream().mapToInt(Claims::bonN).toArray();
        SpeculativeRejectionCompute.Mean[] curve = bon.stream().map(r -> new SpeculativeRejectionCompute.Mean(
                r.meanProxy(), r.tokensPerResponse(), (double) r.rewardCalls() / r.responses()))
                .toArray(SpeculativeRejectionCompute.Mean[]::new);
        return SpeculativeRejectionCompute.equalReward(grid, curve, reward);
    }

    /**
     * Speculative rejection matches Best-of-N at a quarter of the compute: per setting, its proxy and gold reward
     * against Best-of-N at the smallest N whose generated tokens are at least 4 times its own (matching a Best-of-N
     * that costs 4 times as much is reaching its reward at a quarter of its compute), and its compute over Best-of-N's at
     * equal mean proxy reward (interpolated as the specrej bench does). A setting's answer: YES when such an N exists,
     * neither difference is negative beyond noise and the compute ratio is at most 0.25; NO when both differences are
     * negative beyond noise; PARTLY otherwise (one is, the ratio is above 0.25 though the paired test sees no shortfall,
     * or Best-of-N's largest N costs less than 4 times and the test is only a bound). The claim's
     * answer: YES or NO when every setting says so, else PARTLY.
     */
    static Verdict speculativeRejectionMatchesBestOfNAtAQuarterOfTheCompute(ProxyResults p) {
        String claim = "With the proxy `" + p.proxy() + "`, speculative rejection matches Best-of-N's proxy and gold "
                + "reward at a quarter of the compute or less (Sun et al. 2024; compute: generated tokens).";
        List<RowResult> bon = p.bestOfN();
        List<RowResult> spec = p.rows().stream().filter(r -> r.family().equals(SelectionFamilies.SPECREJ))
                .map(ProxyResults.Row::result).toList();
        if (bon.size() < 2 || spec.isEmpty()) {
            return notMeasured(claim, "needs Best-of-N at two or more N and a speculative rejection row");
        }
        List<String> figures = new ArrayList<>();
        figures.add("Best-of-N generated tokens/response by N: " + series(bon, RowResult::tokensPerResponse));
        List<Answer> answers = new ArrayList<>();
        StringBuilder why = new StringBuilder();
        for (RowResult s : spec) {
            double target = 4 * s.tokensPerResponse();
            RowResult at = null;
            for (RowResult b : bon) {
                if (b.tokensPerResponse() >= target) {
                    at = b;
                    break;
                }
            }
            boolean bound = at == null;
            if (bound) {
                at = bon.get(bon.size() - 1);
            }
            PairedDifference proxy = PairedDifference.of(s.proxy(), at.proxy());
            PairedDifference gold = PairedDifference.of(s.gold(), at.gold());
            SpeculativeRejectionCompute.Equal eq = equalProxy(bon, s.meanProxy());
            double ratio = s.tokensPerResponse() / eq.at().tokens();
            boolean quarter = ratio <= 0.25;
            Answer a;
            if (proxy.significantlyNegative() && gold.significantlyNegative()) {
                a = Answer.NO;
            } else if (!bound && quarter && !proxy.significantlyNegative() && !gold.significantlyNegative()) {
                a = Answer.YES;
            } else {
                a = Answer.PARTLY;
            }
            answers.add(a);
            figures.add(s.label() + ": proxy " + sig3(s.meanProxy()) + ", gold " + sig3(s.meanGold()) + ", "
                    + sig3(s.tokensPerResponse()) + " tokens/response, " + sig3((double) s.rewardCalls() / s.responses())
                    + " RM calls/response; vs " + at.label() + " (" + sig3(at.tokensPerResponse() / s.tokensPerResponse())
                    + "× its tokens): proxy " + proxy.describe() + ", gold " + gold.describe()
                    + "; Best-of-N at equal mean proxy: N = " + sig3(eq.n()) + eq.note() + ", compute ratio "
                    + sig3(ratio) + " → " + a.text());
            why.append(s.label()).append(": ");
            why.append(switch (a) {
                case YES -> "matches " + at.label() + ", which generates " + sig3(at.tokensPerResponse()
                        / s.tokensPerResponse()) + " times its tokens (neither difference is negative beyond noise), "
                        + "and reaches Best-of-N's mean proxy reward with " + sig3(ratio) + " of its compute. ";
                case NO -> "falls short of " + at.label() + " by proxy and gold beyond noise: at a quarter of Best-of-N's "
                        + "compute it does not reach its reward. ";
                default -> bound ? "Best-of-N's largest N generates only " + sig3(at.tokensPerResponse()
                        / s.tokensPerResponse()) + " times its tokens, so a quarter of the compute cannot be tested "
                        + "here (proxy " + proxy.describe() + ", gold " + gold.describe() + " against it). "
                        : proxy.significantlyNegative() || gold.significantlyNegative()
                        ? "falls short of " + at.label() + " beyond noise in " + (proxy.significantlyNegative()
                        ? "proxy" : "gold") + " only. "
                        : "is within noise of " + at.label() + ", but its mean proxy reward is Best-of-N's at N = "
                        + sig3(eq.n()) + ", which it reaches with " + sig3(ratio) + " of the compute, more than a "
                        + "quarter: the paired test cannot tell the shortfall from noise with these prompts. ";
            });
        }
        Answer answer = answers.stream().allMatch(a -> a == Answer.YES) ? Answer.YES
                : answers.stream().allMatch(a -> a == Answer.NO) ? Answer.NO : Answer.PARTLY;
        why.append("Speculative rejection here replays the same candidate streams as Best-of-N (candidate i is stream i) "
                + "and stops the low-reward partial texts at each checkpoint, scored by this proxy; the paper reports "
                + "16–32 times less compute at large N on GPUs, where its savings come from the batch's memory.");
        return new Verdict(0, claim, answer, figures, why.toString());
    }

    /**
     * Soft Best-of-N converges with N at fixed λ: per λ YES when its expected proxy reward rises beyond noise from the
     * smallest N to the largest and its last doubling's change is not positive beyond noise; NO when the last doubling
     * still rises beyond noise; PARTLY otherwise (no rise beyond noise at all). The claim's answer: YES or NO when every
     * λ says so, else PARTLY.
     */
    static Verdict softBestOfNConvergesWithN(ProxyResults p) {
        String claim = "With the proxy `" + p.proxy() + "`, soft Best-of-N converges as N grows at fixed λ (Verdun et al. "
                + "2025: to the tilted distribution π_ref·exp(r/λ)/Z at rate O(1/N) in KL and expected reward), unlike "
                + "Best-of-N, whose reward and KL keep growing with N.";
        List<String> variants = p.variants(SelectionFamilies.SOFT);
        List<RowResult> bon = p.bestOfN();
        if (variants.isEmpty() || bon.size() < 3) {
            return notMeasured(claim, "needs soft Best-of-N and Best-of-N at three or more N");
        }
        List<String> figures = new ArrayList<>();
        List<Answer> answers = new ArrayList<>();
        RowResult bonLast = bon.get(bon.size() - 1);
        RowResult bonPrev = bon.get(bon.size() - 2);
        PairedDifference bonGain = PairedDifference.of(bonLast.proxy(), bonPrev.proxy());
        figures.add("Best-of-N: proxy by N " + series(bon, RowResult::meanProxy) + "; last doubling N=" + bonN(bonPrev)
                + "→" + bonN(bonLast) + " " + bonGain.describe() + ", KL " + sig3(bonPrev.meanKl()) + "→"
                + sig3(bonLast.meanKl()));
        StringBuilder why = new StringBuilder();
        for (String v : variants) {
            List<RowResult> curve = p.curve(SelectionFamilies.SOFT, v).stream().map(ProxyResults.Row::result).toList();
            if (curve.size() < 3) {
                continue;
            }
            RowResult first = curve.get(0);
            RowResult prev = curve.get(curve.size() - 2);
            RowResult last = curve.get(curve.size() - 1);
            PairedDifference total = PairedDifference.of(last.proxy(), first.proxy());
            PairedDifference lastGain = PairedDifference.of(last.proxy(), prev.proxy());
            PairedDifference lastGold = PairedDifference.of(last.gold(), prev.gold());
            Answer a = lastGain.significantlyPositive() ? Answer.NO
                    : total.significantlyPositive() ? Answer.YES : Answer.PARTLY;
            answers.add(a);
            List<String> gains = new ArrayList<>();
            for (int k = 1; k < curve.size(); k++) {
                gains.add(sig3(PairedDifference.of(curve.get(k).proxy(), curve.get(k - 1).proxy()).mean()));
            }
            figures.add("soft " + v + ": expected proxy by N " + softSeries(p, v, RowResult::meanProxy) + "; gold "
                    + softSeries(p, v, RowResult::meanGold) + "; KL " + softSeries(p, v, RowResult::meanKl)
                    + "; proxy change per doubling " + String.join(", ", gains) + "; last doubling proxy "
                    + lastGain.describe() + ", gold " + lastGold.describe() + " → " + a.text());
            why.append("λ ").append(v.replace("λ=", "")).append(": ").append(switch (a) {
                case YES -> "rises from N=" + (int) knob(p, v, 0) + " (" + total.describe() + " in all) and has settled "
                        + "by the last doubling (" + lastGain.describe() + "). ";
                case NO -> "still rises at the last doubling (" + lastGain.describe() + "): N is too small for this λ "
                        + "(the rate's constant grows as λ shrinks, and λ → 0 is Best-of-N). ";
                default -> "does not rise beyond noise from N=" + (int) knob(p, v, 0) + " (" + total.describe()
                        + "): too few prompts to tell, or λ so large that the choice stays close to uniform. ";
            });
        }
        if (answers.isEmpty()) {
            return notMeasured(claim, "needs soft Best-of-N at three or more N");
        }
        Answer answer = answers.stream().allMatch(a -> a == Answer.YES) ? Answer.YES
                : answers.stream().allMatch(a -> a == Answer.NO) ? Answer.NO : Answer.PARTLY;
        why.append("Soft Best-of-N's figures are expectations over its choice distribution on the drawn candidates, its "
                + "KL the exact KL of that choice from the uniform one; Best-of-N's last doubling moved the proxy by ")
                .append(bonGain.describe()).append(".");
        return new Verdict(0, claim, answer, figures, why.toString());
    }

    private static double knob(ProxyResults p, String variant, int index) {
        return p.curve(SelectionFamilies.SOFT, variant).get(index).knob();
    }

    private static String softSeries(ProxyResults p, String variant, java.util.function.ToDoubleFunction<RowResult> f) {
        return String.join(", ", p.curve(SelectionFamilies.SOFT, variant).stream()
                .map(r -> (int) r.knob() + ": " + sig3(f.applyAsDouble(r.result()))).toList());
    }

    /**
     * PARGS with the partial-sequence reward model against ARGS with the full-sequence one at each w = β present, by
     * gold and by proxy (the full-sequence model): {@link #direction} over all the checks.
     */
    static Verdict pargsPartialBeatsArgsFull(Map<String, RowResult> rows) {
        String claim = "PARGS with a partial-sequence reward model beats ARGS with a full-sequence one fine-tuned the "
                + "same way (Rashid et al. 2024), by gold and by the full-sequence reward, at each w = β.";
        List<Check> checks = new ArrayList<>();
        List<String> figures = new ArrayList<>();
        List<RowResult> pairs = new ArrayList<>();
        for (RowResult args : rows.values()) {
            if (!args.key().startsWith("args-w")) {
                continue;
            }
            String w = args.key().substring("args-w".length());
            RowResult pargs = rows.get("pargs-b" + w);
            if (pargs == null) {
                continue;
            }
            checks.addAll(compare(figures, "w = β = " + w + ": PARGS (" + pargs.decodingReward() + ") vs ARGS ("
                    + args.decodingReward() + ")", "w=" + w, pargs, args));
            pairs.add(pargs);
            pairs.add(args);
        }
        if (checks.isEmpty()) {
            return notMeasured(claim, "needs args-wW and pargs-bW rows at one weight at least");
        }
        Answer answer = direction(differences(checks));
        String reverse = against(checks);
        StringBuilder why = new StringBuilder();
        why.append(switch (answer) {
            case YES -> "The partial-sequence reward model wins every comparison, by gold and by proxy, beyond noise. ";
            case PARTLY -> "The partial-sequence reward model wins some comparisons but not all (see the figures). ";
            default -> "The partial-sequence reward model does not win: no comparison favours it beyond noise. ";
        });
        if (!reverse.isEmpty()) {
            why.append("ARGS with the full-sequence model is ahead beyond noise in: ").append(reverse).append(". ");
        }
        why.append("At equal w = β the two are the same arithmetic (score = log π_ref + w·r over the same top-")
                .append(EvalRow.K).append(" tokens, greedy), so each pair differs only in the reward model that scores "
                        + "the prefixes. The proxy column is the full-sequence model ARGS optimises, so it leans "
                        + "towards ARGS; the gold column is the fairer judge. ");
        why.append(diversityNote(pairs.get(0), pairs.get(1)));
        return new Verdict(0, claim, answer, figures, why.toString().strip());
    }

    /** Transfer Q* (direct, each m) against greedy ARGS at w = 1 and equal k, by gold and proxy. */
    static Verdict transferQStarBeatsArgs(Map<String, RowResult> rows, Context context) {
        String claim = "Transfer Q* beats ARGS at equal k (Chakraborty et al. 2024), with m = 1 and more rollouts per "
                + "candidate.";
        RowResult args = rows.get("args-w1");
        List<RowResult> tq = rows.values().stream().filter(r -> r.key().startsWith("tq-m")).toList();
        if (args == null || tq.isEmpty()) {
            return notMeasured(claim, "needs the args w=1 and tq_star rows");
        }
        List<String> figures = new ArrayList<>();
        List<Check> checks = new ArrayList<>();
        for (RowResult t : tq) {
            String m = t.key().substring("tq-m".length());
            checks.addAll(compare(figures, "TQ* direct m = " + m + " (α = 1) vs ARGS greedy (w = 1), both k = " + EvalRow.K,
                    "m=" + m, t, args));
            figures.add("cost, m = " + m + ": RM calls/token " + sig3(t.callsPerToken()) + " vs " + sig3(args.callsPerToken())
                    + ", s/response " + sig3(t.secondsPerResponse()) + " vs " + sig3(args.secondsPerResponse()));
        }
        Answer answer = direction(differences(checks));
        String reverse = against(checks);
        StringBuilder why = new StringBuilder();
        why.append(switch (answer) {
            case YES -> "Transfer Q* beats ARGS by gold and by proxy with every m, beyond noise. ";
            case PARTLY -> "Transfer Q* beats ARGS on some measures only (see the figures). ";
            default -> "Transfer Q* does not beat ARGS here: no difference favours it beyond noise. ";
        });
        if (!reverse.isEmpty()) {
            why.append("ARGS is ahead beyond noise in: ").append(reverse).append(". ");
        }
        why.append("Both score the same top-" + EvalRow.K + " tokens with the same tilt; ARGS scores the prefix plus the "
                + "token, Transfer Q* the prefix plus the token plus L=" + EvalRow.ROLLOUT + "-token rollouts of ρ_BL "
                + "(sampled, m per candidate, their rewards averaged into Q). ");
        if (context.baselineStandIn()) {
            why.append("ρ_BL here is ").append(context.baseline()).append(", a stand-in: lm-austen itself, not an aligned "
                    + "model; the paper's advantage rests on an aligned baseline. ");
        } else {
            why.append("ρ_BL is ").append(context.baseline()).append(", lm-austen fine-tuned on its own Best-of-16 "
                    + "samples: the direct-transfer setting, at toy scale. ");
        }
        if (tq.size() > 1) {
            RowResult one = tq.get(0);
            RowResult more = tq.get(tq.size() - 1);
            why.append("More rollouts (m = ").append(more.key().substring("tq-m".length())).append(" against m = ")
                    .append(one.key().substring("tq-m".length())).append(") moved the gold by ")
                    .append(PairedDifference.of(more.gold(), one.gold()).describe()).append(": averaging rollouts "
                            + "lowers the noise of the one-sample look-ahead. ");
        }
        why.append(diversityNote(tq.get(0), args));
        return new Verdict(0, claim, answer, figures, why.toString().strip());
    }

    /** A paired difference and what it compares (e.g. "greedy gold"). */
    record Check(String label, PairedDifference difference) {
    }

    /** Paired gold and proxy differences of {@code a} over {@code b}, one figure line. */
    private static List<Check> compare(List<String> figures, String what, String shortLabel, RowResult a, RowResult b) {
        PairedDifference gold = PairedDifference.of(a.gold(), b.gold());
        PairedDifference proxy = PairedDifference.of(a.proxy(), b.proxy());
        figures.add(what + ": gold " + sig3(a.meanGold()) + " vs " + sig3(b.meanGold()) + " (" + gold.describe()
                + "), proxy " + sig3(a.meanProxy()) + " vs " + sig3(b.meanProxy()) + " (" + proxy.describe()
                + "), distinct-2 " + sig3(a.distinct2()) + " vs " + sig3(b.distinct2()));
        String prefix = shortLabel.isEmpty() ? "" : shortLabel + " ";
        return List.of(new Check(prefix + "gold", gold), new Check(prefix + "proxy", proxy));
    }

    private static List<PairedDifference> differences(List<Check> checks) {
        return checks.stream().map(Check::difference).toList();
    }

    /** The checks that go against the claim beyond noise, e.g. "greedy gold, greedy proxy"; empty if none. */
    static String against(List<Check> checks) {
        return String.join(", ", checks.stream().filter(c -> c.difference().significantlyNegative())
                .map(Check::label).toList());
    }

    /**
     * A sentence when the row ahead by gold writes clearly less varied text (distinct-2 lower by 0.1 or more): its lead
     * may partly be reward hacking the proxy and the gold model share. Empty otherwise.
     */
    static String diversityNote(RowResult a, RowResult b) {
        RowResult ahead = a.meanGold() >= b.meanGold() ? a : b;
        RowResult behind = ahead == a ? b : a;
        if (ahead.distinct2() > behind.distinct2() - 0.1) {
            return "";
        }
        return ahead.label() + " leads with much less varied text (distinct-2 " + sig3(ahead.distinct2()) + " vs "
                + sig3(behind.distinct2()) + "): greedy reward-guided decoding settles on stock positive phrases, "
                + "which the gold model may like as well, so part of the lead may be reward hacking the two models share "
                + "rather than better text. ";
    }

    /** On how many prompts two rows answered the same text. */
    static int identical(RowResult a, RowResult b) {
        int same = 0;
        for (int i = 0; i < Math.min(a.texts().size(), b.texts().size()); i++) {
            if (a.texts().get(i).equals(b.texts().get(i))) {
                same++;
            }
        }
        return same;
    }

    private static String series(List<RowResult> rows, java.util.function.ToDoubleFunction<RowResult> f) {
        return String.join(", ", rows.stream().map(r -> bonN(r) + ": " + sig3(f.applyAsDouble(r))).toList());
    }

    static int bonN(RowResult r) {
        return Integer.parseInt(r.key().substring("bon-".length()));
    }

    private static Verdict notMeasured(String claim, String reason) {
        return new Verdict(0, claim, Answer.NOT_MEASURED, List.of(), "Not measured in this run: " + reason + ".");
    }
}
