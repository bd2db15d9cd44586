package org.alignstream.evaluation.quality;

import static org.alignstream.evaluation.quality.ResultTable.sig3;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
     * Whether Best-of-N raises the proxy reward with N: YES when the mean proxy never falls as N doubles and N=16 beats N=1 beyond noise; PARTLY when only
     * one of the two holds (with N=16 at least above N=1); NO otherwise.
     *
     * @param meanProxyByN mean proxy reward of each Best-of-N row, N ascending
     * @param largestVsSmallest paired proxy difference of the largest N over the smallest
     */
    public static Answer bestOfNRises(double[] meanProxyByN, PairedDifference largestVsSmallest) {
        boolean monotone = true;
        for (int i = 1; i < meanProxyByN.length; i++) {
            monotone &= meanProxyByN[i] >= meanProxyByN[i - 1];
        }
        if (largestVsSmallest.significantlyPositive()) {
            return monotone ? Answer.YES : Answer.PARTLY;
        }
        return monotone && largestVsSmallest.mean() > 0 ? Answer.PARTLY : Answer.NO;
    }

    /** All four claims, from the rows present (a claim whose rows are missing is NOT_MEASURED). */
    public static List<Verdict> assess(List<RowResult> rows, Context context) {
        Map<String, RowResult> byKey = new LinkedHashMap<>();
        rows.forEach(r -> byKey.put(r.key(), r));
        return List.of(bestOfNRaisesProxyWithN(byKey), rbonKeepsMoreGoldThanBestOfN(byKey), pargsPartialBeatsArgsFull(byKey), transferQStarBeatsArgs(byKey, context));
    }

    private static final String BEST_OF_N_RISES = "Best-of-N raises the proxy reward with N.";
    private static final String RBON_KEEPS_GOLD = "RBoN keeps more of the gold reward than Best-of-N when the proxy is imperfect "
            + "(Jinnai et al. 2024).";
    private static final String PARGS_PARTIAL_BEATS_ARGS = "PARGS with a partial-sequence reward model beats ARGS with a full-sequence one "
            + "(Rashid et al. 2024), by gold and by proxy.";
    private static final String TRANSFER_Q_STAR_BEATS_ARGS = "Transfer Q* beats ARGS at equal k (Chakraborty et al. 2024).";

    /** Claim 1: the Best-of-N rows' mean proxy rises with N, and whether the gain carries over to the gold reward. */
    static Verdict bestOfNRaisesProxyWithN(Map<String, RowResult> rows) {
        List<RowResult> bon = rows.values().stream().filter(r -> r.key().startsWith("bon-"))
                .sorted(Comparator.comparingInt(Claims::bonN)).toList();
        if (bon.size() < 2) {
            return notMeasured(1, BEST_OF_N_RISES, "needs at least two best_of_n rows");
        }
        RowResult first = bon.get(0);
        RowResult last = bon.get(bon.size() - 1);
        double[] means = bon.stream().mapToDouble(RowResult::meanProxy).toArray();
        PairedDifference proxy = PairedDifference.of(last.proxy(), first.proxy());
        PairedDifference gold = PairedDifference.of(last.gold(), first.gold());
        Answer answer = bestOfNRises(means, proxy);
        List<String> figures = new ArrayList<>();
        figures.add("mean proxy by N: " + series(bon, RowResult::meanProxy));
        figures.add("mean gold by N: " + series(bon, RowResult::meanGold));
        figures.add("N=" + bonN(last) + " minus N=" + bonN(first) + ", paired over " + proxy.n() + " prompts: proxy "
                + proxy.describe() + ", gold " + gold.describe());
        List<String> falls = new ArrayList<>();
        for (int i = 1; i < bon.size(); i++) {
            if (means[i] < means[i - 1]) {
                falls.add("N=" + bonN(bon.get(i - 1)) + "→" + bonN(bon.get(i)));
            }
        }
        StringBuilder why = new StringBuilder();
        why.append(switch (answer) {
            case YES -> "The mean proxy reward rises at every doubling of N, from " + sig3(first.meanProxy()) + " (N="
                    + bonN(first) + ") to " + sig3(last.meanProxy()) + " (N=" + bonN(last) + "), a paired gain of "
                    + proxy.describe() + " (one standard error), well beyond noise. ";
            case PARTLY -> falls.isEmpty()
                    ? "The mean proxy reward never falls with N, but the gain from N=" + bonN(first) + " to N="
                    + bonN(last) + " (" + proxy.describe() + ") is within noise. "
                    : "N=" + bonN(last) + " beats N=" + bonN(first) + " beyond noise (" + proxy.describe()
                    + "), but the mean falls at " + String.join(", ", falls) + ". ";
            default -> "The proxy reward does not rise reliably with N here: N=" + bonN(last) + " minus N="
                    + bonN(first) + " is " + proxy.describe() + ". ";
        });
        why.append("Here it is nearly guaranteed by construction: candidate i of every Best-of-N row uses random stream i "
                + "at the same seed, so Best-of-16's candidates include Best-of-8's, and the chosen text's proxy can only "
                + "fall with N through the int8 encoder's batch-dependent jitter (the table re-scores each row's final "
                + "texts in one batch). The interesting part is the gold reward: it moved by " + gold.describe());
        if (proxy.mean() > 0) {
            double share = gold.mean() / proxy.mean();
            why.append(", ").append(sig3(share)).append(" times the proxy's gain (both are log-odds)");
        }
        why.append(gold.significantlyPositive() ? ", so the proxy's gain carries over to the gold reward."
                : gold.significantlyNegative() ? ", so optimising the proxy harms the gold reward here."
                : ", within noise: the proxy's gain does not clearly carry over to the gold reward.");
        return new Verdict(1, BEST_OF_N_RISES, answer, figures, why.toString());
    }

    /** Claim 2: each RBoN row against Best-of-16 (the same candidates) by gold reward. */
    static Verdict rbonKeepsMoreGoldThanBestOfN(Map<String, RowResult> rows) {
        RowResult bon = rows.get("bon-16");
        List<RowResult> rbon = rows.values().stream().filter(r -> r.key().startsWith("rbon_")).toList();
        if (bon == null || rbon.isEmpty()) {
            return notMeasured(2, RBON_KEEPS_GOLD, "needs the best_of_n N=16 row and at least one rbon row");
        }
        List<PairedDifference> checks = new ArrayList<>();
        List<String> figures = new ArrayList<>();
        figures.add(bon.label() + ": gold " + sig3(bon.meanGold()) + ", proxy " + sig3(bon.meanProxy())
                + ", proxy − gold gap " + sig3(bon.proxyGoldGap()) + ", " + sig3(bon.tokensPerResponse())
                + " tokens/response");
        List<String> better = new ArrayList<>();
        List<String> worse = new ArrayList<>();
        for (RowResult r : rbon) {
            PairedDifference gold = PairedDifference.of(r.gold(), bon.gold());
            PairedDifference proxy = PairedDifference.of(r.proxy(), bon.proxy());
            checks.add(gold);
            figures.add(r.label() + ": gold " + sig3(r.meanGold()) + " (vs BoN-16 " + gold.describe() + "), proxy "
                    + sig3(r.meanProxy()) + " (" + proxy.describe() + "), gap " + sig3(r.proxyGoldGap())
                    + ", " + sig3(r.tokensPerResponse()) + " tokens/response");
            if (gold.significantlyPositive()) {
                better.add(r.label());
            } else if (gold.significantlyNegative()) {
                worse.add(r.label());
            }
        }
        double[] allProxy = rows.values().stream().flatMapToDouble(r -> java.util.Arrays.stream(r.proxy())).toArray();
        double[] allGold = rows.values().stream().flatMapToDouble(r -> java.util.Arrays.stream(r.gold())).toArray();
        double rho = RankAgreement.spearman(allProxy, allGold);
        figures.add("proxy–gold Spearman over all " + allProxy.length + " responses of the table: " + sig3(rho));
        Optional<RowResult> bon8 = Optional.ofNullable(rows.get("bon-8"));
        Answer answer = direction(checks);
        StringBuilder why = new StringBuilder();
        why.append(switch (answer) {
            case YES -> "Every RBoN row keeps more gold reward than Best-of-16 on the same 16 candidates, beyond noise. ";
            case PARTLY -> better.isEmpty()
                    ? "The RBoN rows point the claimed way, but no gold difference from Best-of-16 is beyond noise. "
                    : "Only " + String.join(", ", better) + " keeps more gold reward than Best-of-16 beyond noise"
                    + (worse.isEmpty() ? "" : "; " + String.join(", ", worse) + " keeps less") + ". ";
            default -> "No RBoN row keeps more gold reward than Best-of-16 beyond noise"
                    + (worse.isEmpty() ? "" : " (" + String.join(", ", worse) + (worse.size() == 1 ? " keeps" : " keep")
                    + " significantly less)") + ". ";
        });
        why.append("All RBoN rows choose among exactly Best-of-16's candidates, so the comparison isolates the choice. "
                + "RBoN pays off when Best-of-N over-optimises an imperfect proxy, i.e. when the gold reward stops "
                + "rising (or falls) with N while the proxy keeps rising. ");
        if (bon8.isPresent()) {
            PairedDifference p = PairedDifference.of(bon.proxy(), bon8.get().proxy());
            PairedDifference g = PairedDifference.of(bon.gold(), bon8.get().gold());
            why.append("From N=8 to N=16 the proxy moved by ").append(p.describe()).append(" and the gold by ")
                    .append(g.describe()).append(g.significantlyPositive()
                            ? ": the gold still rises with N, so at N=16 Best-of-N is not in the reward-hacking regime "
                            + "here, and trading proxy reward for closeness to π_ref mostly gives up gold too. "
                            : g.mean() > 0
                            ? ": the gold still rises a little with N (within noise), so there is no clear sign of reward "
                            + "hacking at N=16 for a regulariser to undo. "
                            : ": the gold no longer rises while the proxy does, the regime where a regulariser can help. ");
        }
        List<String> shorter = rbon.stream().filter(r -> r.key().startsWith("rbon_kl")
                && r.tokensPerResponse() < bon.tokensPerResponse() - 1).map(r -> sig3(r.tokensPerResponse()) + " ("
                + r.label() + ")").toList();
        if (!shorter.isEmpty()) {
            why.append("RBoN-KL's β·log π_ref(y) favours short responses (a sum over fewer tokens): tokens per response ")
                    .append(String.join(", ", shorter)).append(" against ").append(sig3(bon.tokensPerResponse()))
                    .append(" for Best-of-16. ");
        }
        why.append("The proxy is imperfect (Spearman ").append(sig3(rho)).append(" with the gold over all responses; the "
                + "gold model's card gives its agreement with the proxy on held-out sentences), but both heads were trained on the same 424 sentences, "
                + "so they share blind spots and the proxy's errors are only partly visible to this gold model. The "
                + "proxy − gold gap compares two log-odds scales, so only its differences between rows mean anything: ")
                .append(sig3(bon.proxyGoldGap())).append(" for Best-of-16 against ")
                .append(String.join(", ", rbon.stream().map(r -> sig3(r.proxyGoldGap())).toList()))
                .append(" for the RBoN rows");
        boolean narrower = rbon.stream().allMatch(r -> r.proxyGoldGap() < bon.proxyGoldGap());
        boolean lessGold = rbon.stream().allMatch(r -> r.meanGold() <= bon.meanGold());
        why.append(narrower && lessGold ? ": RBoN narrows the gap only by giving up more proxy than gold, not by "
                + "keeping more gold." : ".");
        return new Verdict(2, RBON_KEEPS_GOLD, answer, figures, why.toString());
    }

    /**
     * Claim 3: PARGS with the partial-sequence model against ARGS with the full-sequence one, greedy and sampled, by
     * gold and proxy.
     */
    static Verdict pargsPartialBeatsArgsFull(Map<String, RowResult> rows) {
        RowResult args = rows.get("args-w1");
        RowResult pargsG = rows.get("pargs-g-partial");
        RowResult pargs = rows.get("pargs-partial");
        RowResult pargsFull = rows.get("pargs-full");
        if (args == null || pargsG == null) {
            return notMeasured(3, PARGS_PARTIAL_BEATS_ARGS, "needs the args w=1 and pargs-g (partial) rows");
        }
        List<Check> checks = new ArrayList<>();
        List<String> figures = new ArrayList<>();
        checks.addAll(compare(figures, "greedy: PARGS-G (" + EvalRow.PARTIAL + ") vs ARGS (" + EvalRow.PROXY + "), β = w = 1",
                "greedy", pargsG, args));
        if (pargs != null && pargsFull != null) {
            checks.addAll(compare(figures, "sampled: PARGS (" + EvalRow.PARTIAL + ") vs PARGS with " + EvalRow.PROXY
                    + " (= ARGS-stochastic), β = 1", "sampled", pargs, pargsFull));
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
            why.append("The full-sequence model is ahead beyond noise in: ").append(reverse).append(". ");
        }
        why.append("At equal β = w the two decoding rules are the same arithmetic (score = log π_ref + β·r over the same "
                + "top-" + EvalRow.K + " tokens), so each pair differs only in the reward model that scores the prefixes");
        RowResult pargsGFull = rows.get("pargs-g-full");
        if (pargsGFull != null) {
            why.append(" (the pargs-g row with ").append(EvalRow.PROXY).append(" reproduces ARGS w=1 on ")
                    .append(identical(pargsGFull, args)).append(" of ").append(args.responses())
                    .append(" prompts token for token)");
        }
        why.append(". ");
        if (answer != Answer.YES) {
            why.append("This is what the partial model's card (`models/reward-sentiment-partial/MODEL_CARD.md`) "
                    + "predicts: with a frozen MiniLM encoder and a linear head it ranks short prefixes worse than the "
                    + "full-sequence head (its held-out prefix-pair accuracy by prefix length), and its rewards are "
                    + "smaller (its *Scale*), so at the same β it tilts π_ref less. ");
            RowResult scaled = rows.get("pargs-g2-partial");
            if (scaled != null) {
                PairedDifference g = PairedDifference.of(scaled.gold(), args.gold());
                PairedDifference p = PairedDifference.of(scaled.proxy(), args.proxy());
                why.append("With β = 2 to match the scale, PARGS-G (").append(EvalRow.PARTIAL)
                        .append(") against ARGS w=1 is gold ").append(g.describe()).append(", proxy ")
                        .append(p.describe()).append(". ");
            }
            why.append("Rashid et al. fine-tune their partial-sequence models on prefixes; a head on frozen features "
                    + "cannot learn prefix-specific features. ");
        }
        why.append(diversityNote(pargsG, args));
        why.append("By proxy the comparison leans towards the full-model rows, which optimise the very model the proxy "
                + "column reads; the gold column is the fairer judge.");
        return new Verdict(3, PARGS_PARTIAL_BEATS_ARGS, answer, figures, why.toString());
    }

    /** Claim 4: Transfer Q* (direct) against greedy ARGS at equal k, by gold and proxy. */
    static Verdict transferQStarBeatsArgs(Map<String, RowResult> rows, Context context) {
        RowResult args = rows.get("args-w1");
        RowResult tq = rows.get("tq-direct");
        if (args == null || tq == null) {
            return notMeasured(4, TRANSFER_Q_STAR_BEATS_ARGS, "needs the args w=1 and tq_star direct rows");
        }
        List<String> figures = new ArrayList<>();
        List<Check> checks = compare(figures, "TQ* direct (α = 1) vs ARGS greedy (w = 1), both k = "
                + EvalRow.K, "", tq, args);
        figures.add("cost: RM calls/token " + sig3(tq.callsPerToken()) + " vs " + sig3(args.callsPerToken())
                + ", s/response " + sig3(tq.secondsPerResponse()) + " vs " + sig3(args.secondsPerResponse()));
        Answer answer = direction(differences(checks));
        String reverse = against(checks);
        StringBuilder why = new StringBuilder();
        why.append(switch (answer) {
            case YES -> "Transfer Q* beats ARGS by gold and by proxy, beyond noise. ";
            case PARTLY -> "Transfer Q* beats ARGS on some measures only (see the figures). ";
            default -> "Transfer Q* does not beat ARGS here: neither difference favours it beyond noise. ";
        });
        if (!reverse.isEmpty()) {
            why.append("ARGS is ahead beyond noise in: ").append(reverse).append(". ");
        }
        why.append("Both score the same top-" + EvalRow.K + " tokens with the same tilt; ARGS scores the prefix plus the "
                + "token, Transfer Q* the prefix plus the token plus an L=" + EvalRow.ROLLOUT + "-token rollout of ρ_BL. ");
        if (context.baselineStandIn()) {
            why.append("ρ_BL here is ").append(context.baseline()).append(", a stand-in: lm-austen itself, not an aligned "
                    + "model, because the bundled lm-austen-bon16 was not available. Q is then the proxy reward of one "
                    + "random π_ref continuation, a noisy one-sample look-ahead of π_ref's value rather than of the "
                    + "aligned policy's Q*, and the paper's advantage rests on an aligned baseline. ");
        } else {
            why.append("ρ_BL is ").append(context.baseline()).append(", lm-austen fine-tuned on its own Best-of-16 "
                    + "samples under ").append(EvalRow.PROXY).append(": the direct-transfer setting, at toy scale. ");
        }
        if (answer != Answer.YES) {
            why.append("ARGS maximises at every step the reward of exactly the text it will be judged on, while Transfer "
                    + "Q* judges each candidate token by the reward of the prefix plus one random continuation that is "
                    + "then thrown away; with a single rollout per candidate, the differences between the candidates' "
                    + "rollouts can outweigh the differences between the tokens themselves. ");
        }
        why.append(diversityNote(tq, args));
        RowResult indirect = rows.get("tq-indirect");
        if (indirect != null) {
            why.append("The indirect row uses r_BL = ").append(EvalRow.PROXY).append(" = r, so every importance weight "
                    + "is 1 and it must equal the direct row: identical on ").append(identical(indirect, tq))
                    .append(" of ").append(tq.responses()).append(" prompts, at ")
                    .append(sig3(indirect.callsPerToken())).append(" RM calls per token instead of ")
                    .append(sig3(tq.callsPerToken())).append(".");
        }
        return new Verdict(4, TRANSFER_Q_STAR_BEATS_ARGS, answer, figures, why.toString().strip());
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
                + "which the gold model, trained on the same sentences as the proxy, likes as well, so part of the lead "
                + "may be reward hacking the two models share rather than better text. ";
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

    private static Verdict notMeasured(int number, String claim, String reason) {
        return new Verdict(number, claim, Answer.NOT_MEASURED, List.of(), "Not measured in this run: " + reason + ".");
    }
}
