package org.alignstream.evaluation.quality;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole-response methods' rows for one proxy: one {@link RowResult} per method setting and N, with where it lies on
 * its family's curve. Built prompt by prompt from {@link SelectionFamilies.Outcome}s ({@link Builder}).
 *
 * @param proxy the proxy's label (its directory name)
 * @param rows  the rows in the order first seen
 */
public record ProxyResults(String proxy, List<Row> rows) {

    /** A row and its place on a curve: family, the family's fixed parameter, and the value the curve runs over. */
    public record Row(RowResult result, String family, String variant, double knob) {
    }

    /** The row of {@code key}, if measured. */
    public Optional<RowResult> row(String key) {
        return rows.stream().map(Row::result).filter(r -> r.key().equals(key)).findFirst();
    }

    /** The rows of one family and variant, by knob ascending. */
    public List<Row> curve(String family, String variant) {
        return rows.stream().filter(r -> r.family().equals(family) && r.variant().equals(variant))
                .sorted(Comparator.comparingDouble(Row::knob)).toList();
    }

    /** The variants of a family, in the order first seen. */
    public List<String> variants(String family) {
        return rows.stream().filter(r -> r.family().equals(family)).map(Row::variant).distinct().toList();
    }

    /** Best-of-N's rows by N ascending. */
    public List<RowResult> bestOfN() {
        return curve(SelectionFamilies.BON, "").stream().map(Row::result).toList();
    }

    /** Collects per-prompt outcomes into rows; prompts must come in order, each with the same methods. */
    public static final class Builder {
        private final String proxy;
        private final int prompts;
        private final int eosTokenId;
        private final Map<String, Acc> acc = new LinkedHashMap<>();
        private int prompt = -1;

        public Builder(String proxy, int prompts, int eosTokenId) {
            this.proxy = proxy;
            this.prompts = prompts;
            this.eosTokenId = eosTokenId;
        }

        private static final class Acc {
            final SelectionFamilies.Outcome first;
            final double[] proxy;
            final double[] gold;
            final double[] kl;
            final List<String> texts = new ArrayList<>();
            final List<int[]> tokens = new ArrayList<>();
            long generated;
            long calls;

            Acc(SelectionFamilies.Outcome first, int prompts) {
                this.first = first;
                proxy = new double[prompts];
                gold = new double[prompts];
                kl = new double[prompts];
            }
        }

        /** The outcomes of prompt {@code index} (0, 1, ... in order) on {@code pool}. */
        public void add(int index, CandidatePool pool, List<SelectionFamilies.Outcome> outcomes) {
            if (index != prompt + 1 || index >= prompts) {
                throw new IllegalArgumentException("prompt " + index + " after prompt " + prompt + " of " + prompts);
            }
            prompt = index;
            for (SelectionFamilies.Outcome o : outcomes) {
                Acc a = acc.computeIfAbsent(o.key(), k -> {
                    if (index != 0) {
                        throw new IllegalArgumentException("method " + k + " first seen at prompt " + index);
                    }
                    return new Acc(o, prompts);
                });
                a.proxy[index] = o.proxy();
                a.gold[index] = o.gold();
                a.kl[index] = o.kl();
                a.generated += o.tokens();
                a.calls += o.rewardCalls();
                a.texts.add(pool.texts()[o.chosen()]);
                a.tokens.add(pool.tokens()[o.chosen()]);
            }
        }

        public ProxyResults build() {
            if (prompt != prompts - 1) {
                throw new IllegalStateException(proxy + ": " + (prompt + 1) + " of " + prompts + " prompts added");
            }
            List<Row> rows = new ArrayList<>();
            for (Map.Entry<String, Acc> e : acc.entrySet()) {
                Acc a = e.getValue();
                if (a.texts.size() != prompts) {
                    throw new IllegalStateException(proxy + ": method " + e.getKey() + " ran on " + a.texts.size()
                            + " of " + prompts + " prompts");
                }
                RowResult r = new RowResult(e.getKey(), a.first.label(), proxy, a.proxy, a.gold, a.kl,
                        DistinctN.distinct(a.tokens, 1, eosTokenId), DistinctN.distinct(a.tokens, 2, eosTokenId),
                        a.calls, a.generated, Double.NaN, a.texts);
                rows.add(new Row(r, a.first.family(), a.first.variant(), a.first.knob()));
            }
            return new ProxyResults(proxy, List.copyOf(rows));
        }
    }
}
