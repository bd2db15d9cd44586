package org.alignstream.evaluation.quality;

import org.alignstream.core.decoding.Transfer;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.decoding.RewardModelKind;
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
 * @param decodingReward the reward model used while decoding ({@code Strategy.reward_model}; never the gold model)
 * @param parameters sets the method's fields on a strategy that already has the shared settings
 */
public record EvalRow(String key, String label, String decodingReward, Consumer<Strategy.Builder> parameters) {

    /** The full-sequence proxy reward model. */
    public static final String PROXY = "sentiment";
    /** The partial-sequence reward model (PARGS). */
    public static final String PARTIAL = "sentiment-partial";

    /** Top-k of the tokenwise methods (ARGS, PARGS, Transfer Q*). */
    public static final int K = 10;
    /** Transfer Q* rollout length L. */
    public static final int ROLLOUT = 8;
    /** Blockwise continuations per block. */
    public static final int BLOCK_K = 4;
    /**
     * The parameters that come in several values.
     *
     * @param rbonKlBetas RBoN-KL strengths beta (objective R + beta log pi_ref(y); log pi_ref of a whole response is
     *                    about -100)
     * @param rbonWdBetas RBoN-WD strengths beta (objective R - beta WD, WD a mean cosine distance to the N samples)
     * @param argsWeights ARGS reward weights w (w = 1 is the one compared with PARGS and Transfer Q*)
     */
    public record Grid(List<Double> rbonKlBetas, List<Double> rbonWdBetas, List<Double> argsWeights) {
        public static final Grid DEFAULT = new Grid(List.of(0.02, 0.05), List.of(10.0, 20.0), List.of(1.0, 3.0));
    }

    /** The request's strategy: shared settings (temperature 1, top_p 1, top_k 0) and this row's parameters. */
    public Strategy strategy(int maxNewTokens, long seed) {
        Strategy.Builder b = Strategy.newBuilder().setTemperature(1.0).setTopP(1.0).setTopK(0).setN(1).setBeta(0.0)
                .setMaxNewTokens(maxNewTokens).setSeed(seed).setRewardModel(decodingReward);
        parameters.accept(b);
        return b.build();
    }

    /** The rows of docs/EVALUATION.md, in table order; {@code withTransferQStar} false leaves out tq_star. */
    public static List<EvalRow> standard(int maxNewTokens, boolean withTransferQStar) {
        return standard(maxNewTokens, withTransferQStar, Grid.DEFAULT);
    }

    /** As {@link #standard(int, boolean)} with these parameter values. */
    public static List<EvalRow> standard(int maxNewTokens, boolean withTransferQStar, Grid grid) {
        List<EvalRow> rows = new ArrayList<>();
        for (int n : new int[] {1, 2, 4, 8, 16}) {
            rows.add(new EvalRow("bon-" + n, "best_of_n N=" + n, PROXY, b -> b.setMethod(AlignmentMethod.BEST_OF_N.wireName()).setN(n)));
        }
        for (double beta : grid.rbonKlBetas()) {
            rows.add(new EvalRow("rbon_kl-" + num(beta), "rbon_kl N=16 β=" + num(beta), PROXY,
                    b -> b.setMethod(AlignmentMethod.RBON_KL.wireName()).setN(16).setBeta(beta)));
        }
        for (double beta : grid.rbonWdBetas()) {
            rows.add(new EvalRow("rbon_wd-" + num(beta), "rbon_wd N=16 β=" + num(beta), PROXY,
                    b -> b.setMethod(AlignmentMethod.RBON_WD.wireName()).setN(16).setBeta(beta)));
        }
        for (double w : grid.argsWeights()) {
            rows.add(new EvalRow("args-w" + num(w), "args k=" + K + " greedy w=" + num(w), PROXY,
                    b -> b.setMethod(AlignmentMethod.ARGS.wireName()).setTopK(K).setBeta(w).setGreedy(true)));
        }
        rows.add(new EvalRow("pargs-partial", "pargs k=" + K + " sampled β=1", PARTIAL,
                b -> b.setMethod(AlignmentMethod.PARGS.wireName()).setTopK(K).setBeta(1.0).setGreedy(false)));
        rows.add(new EvalRow("pargs-g-partial", "pargs-g k=" + K + " greedy β=1", PARTIAL,
                b -> b.setMethod(AlignmentMethod.PARGS.wireName()).setTopK(K).setBeta(1.0).setGreedy(true)));
        rows.add(new EvalRow("pargs-g2-partial", "pargs-g k=" + K + " greedy β=2", PARTIAL,
                b -> b.setMethod(AlignmentMethod.PARGS.wireName()).setTopK(K).setBeta(2.0).setGreedy(true)));
        // pargs with the full-sequence proxy: the request must say that it means it (reward_model_kind)
        rows.add(new EvalRow("pargs-full", "pargs k=" + K + " sampled β=1", PROXY,
                b -> b.setMethod(AlignmentMethod.PARGS.wireName()).setTopK(K).setBeta(1.0).setGreedy(false)
                        .setRewardModelKind(RewardModelKind.FULL_SEQUENCE.wireName())));
        rows.add(new EvalRow("pargs-g-full", "pargs-g k=" + K + " greedy β=1", PROXY,
                b -> b.setMethod(AlignmentMethod.PARGS.wireName()).setTopK(K).setBeta(1.0).setGreedy(true)
                        .setRewardModelKind(RewardModelKind.FULL_SEQUENCE.wireName())));
        for (int m : new int[] {1, 4, maxNewTokens}) {
            rows.add(new EvalRow("blockwise-m" + m, "blockwise K=" + BLOCK_K + " M=" + m + " greedy", PROXY,
                    b -> b.setMethod(AlignmentMethod.BLOCKWISE.wireName()).setN(BLOCK_K).setBlockSize(m).setGreedy(true)));
        }
        if (withTransferQStar) {
            rows.add(new EvalRow("tq-direct", "tq_star k=" + K + " L=" + ROLLOUT + " direct α=1", PROXY,
                    b -> b.setMethod(AlignmentMethod.TQ_STAR.wireName()).setTopK(K).setRolloutLength(ROLLOUT).setBeta(1.0).setGreedy(true)
                            .setTransfer(Transfer.DIRECT.wireName())));
            rows.add(new EvalRow("tq-indirect", "tq_star k=" + K + " L=" + ROLLOUT + " indirect α=1 r_BL=" + PROXY,
                    PROXY, b -> b.setMethod(AlignmentMethod.TQ_STAR.wireName()).setTopK(K).setRolloutLength(ROLLOUT).setBeta(1.0)
                            .setGreedy(true).setTransfer(Transfer.INDIRECT.wireName()).setBaselineRewardModel(PROXY)));
        }
        return rows;
    }

    /** A parameter as written in keys and labels: {@code 1}, {@code 0.02}. */
    static String num(double v) {
        return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%s", v);
    }
}
