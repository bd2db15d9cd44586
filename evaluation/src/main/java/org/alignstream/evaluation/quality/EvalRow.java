package org.alignstream.evaluation.quality;

import org.alignstream.core.decoding.Transfer;
import org.alignstream.core.decoding.AlignmentMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.alignstream.avro.Strategy;

/**
 * One configuration of the evaluation: a method with its parameters, run on every prompt.
 *
 * @param key stable identifier (the verdicts look rows up by it)
 * @param label what the table shows
 * @param decodingReward id of the reward model used while decoding ({@code Strategy.reward_model}; never the gold model)
 * @param parameters sets the method's fields on a strategy that already has the shared settings
 */
public record EvalRow(String key, String label, String decodingReward, Consumer<Strategy.Builder> parameters) {

    /** Top-k of the tokenwise methods (ARGS, PARGS, Transfer Q*). */
    public static final int K = 10;
    /** Transfer Q* rollout length L. */
    public static final int ROLLOUT = 8;

    /** The request's strategy: shared settings (temperature 1, top_p 1, top_k 0) and this row's parameters. */
    public Strategy strategy(int maxNewTokens, long seed) {
        Strategy.Builder b = Strategy.newBuilder().setTemperature(1.0).setTopP(1.0).setTopK(0).setN(1).setBeta(0.0)
                .setMaxNewTokens(maxNewTokens).setSeed(seed).setRewardModel(decodingReward);
        parameters.accept(b);
        return b.build();
    }

    /**
     * The tokenwise rows of docs/EVALUATION.md, in table order: greedy ARGS with the full-sequence reward model and
     * greedy PARGS with the partial-sequence one at each weight w = β (like for like: the same decoding rule, score =
     * log π_ref + w·r over the same top-k tokens, only the reward model differs), then Transfer Q* (direct transfer,
     * α = 1, greedy, k and L as above) with each number of rollouts m, to compare with ARGS at w = 1.
     *
     * @param weights      the ARGS weights w, each also PARGS's β
     * @param full         id of the full-sequence reward model (ARGS, Transfer Q*)
     * @param partial      id of the partial-sequence reward model (PARGS)
     * @param partialKind  null when the partial model declares itself partial-sequence; else its declared kind, which
     *                     PARGS's request then names explicitly (the scorer refuses a full-sequence model for PARGS
     *                     unless the request says so)
     * @param rollouts     Transfer Q*'s rollouts per candidate, one row each; empty leaves Transfer Q* out
     */
    public static List<EvalRow> tokenwise(List<Double> weights, String full, String partial, String partialKind,
                                          List<Integer> rollouts) {
        List<EvalRow> rows = new ArrayList<>();
        for (double w : weights) {
            rows.add(new EvalRow("args-w" + num(w), "args k=" + K + " greedy w=" + num(w), full,
                    b -> b.setMethod(AlignmentMethod.ARGS.wireName()).setTopK(K).setBeta(w).setGreedy(true)));
        }
        for (double w : weights) {
            rows.add(new EvalRow("pargs-b" + num(w), "pargs k=" + K + " greedy β=" + num(w), partial,
                    b -> {
                        b.setMethod(AlignmentMethod.PARGS.wireName()).setTopK(K).setBeta(w).setGreedy(true);
                        if (partialKind != null) {
                            b.setRewardModelKind(partialKind);
                        }
                    }));
        }
        for (int m : rollouts) {
            rows.add(new EvalRow("tq-m" + m, "tq_star k=" + K + " L=" + ROLLOUT + " m=" + m + " direct α=1", full,
                    b -> b.setMethod(AlignmentMethod.TQ_STAR.wireName()).setTopK(K).setRolloutLength(ROLLOUT)
                            .setRollouts(m).setBeta(1.0).setGreedy(true).setTransfer(Transfer.DIRECT.wireName())));
        }
        return rows;
    }

    /** A parameter as written in keys and labels: {@code 1}, {@code 0.02}. */
    static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
