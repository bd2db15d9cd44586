package org.alignstream.evaluation.quality;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.harness.BareDecodingLoop;

/**
 * Runs the rows: every prompt through the bare decoding loop (prompt i at seed {@code baseSeed + i}, the same in every
 * row), timed, then the final texts scored by the proxy (for the tokenwise rows: the full-sequence reward model) and the
 * gold model, one batch per prompt and model.
 */
final class RowRunner {
    private final BareDecodingLoop loop;
    private final RewardModel proxy;
    private final RewardModel gold;
    private final int eosTokenId;
    private final List<String> prompts;
    private final int maxNewTokens;
    private final long baseSeed;

    RowRunner(BareDecodingLoop loop, RewardModel proxy, RewardModel gold, int eosTokenId, List<String> prompts,
              int maxNewTokens, long baseSeed) {
        this.loop = loop;
        this.proxy = proxy;
        this.gold = gold;
        this.eosTokenId = eosTokenId;
        this.prompts = prompts;
        this.maxNewTokens = maxNewTokens;
        this.baseSeed = baseSeed;
    }

    /** One row's responses so far. */
    private static final class Accumulator {
        final EvalRow row;
        final List<String> texts = new ArrayList<>();
        final List<int[]> tokens = new ArrayList<>();
        final double[] kl;
        long rewardCalls;
        long tokenCount;
        long nanos;

        Accumulator(EvalRow row, int prompts) {
            this.row = row;
            this.kl = new double[prompts];
        }
    }

    /**
     * Every row on every prompt, interleaved (prompt by prompt, each row in turn) so that a shared machine's changing
     * load spreads over all rows instead of landing on whichever rows ran while it was high; then each row's texts
     * are scored.
     */
    List<RowResult> run(List<EvalRow> rows, IntConsumer afterPrompt) {
        List<Accumulator> acc = new ArrayList<>();
        for (EvalRow row : rows) {
            acc.add(new Accumulator(row, prompts.size()));
        }
        for (int i = 0; i < prompts.size(); i++) {
            for (Accumulator a : acc) {
                PromptRequest request = PromptRequest.newBuilder().setId(a.row.key() + "/" + i)
                        .setPrompt(prompts.get(i)).setStrategy(a.row.strategy(maxNewTokens, baseSeed + i))
                        .setCreatedAtMs(0).build();
                long start = System.nanoTime();
                AlignedResponse response = loop.run(request);
                a.nanos += System.nanoTime() - start;
                a.texts.add(response.getText());
                int[] ids = response.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
                a.tokens.add(ids);
                a.tokenCount += ids.length;
                a.rewardCalls += response.getRewardCalls();
                a.kl[i] = response.getKl() == null ? Double.NaN : response.getKl();
            }
            afterPrompt.accept(i);
        }
        // each prompt's final texts of every row scored in one batch per model, with that prompt (a model may read the
        // prompt and the response)
        double[][] proxyRewards = new double[acc.size()][prompts.size()];
        double[][] goldRewards = new double[acc.size()][prompts.size()];
        for (int i = 0; i < prompts.size(); i++) {
            List<String> texts = new ArrayList<>();
            for (Accumulator a : acc) {
                texts.add(a.texts.get(i));
            }
            double[] p = proxy.score(prompts.get(i), texts);
            double[] g = gold.score(prompts.get(i), texts);
            for (int r = 0; r < acc.size(); r++) {
                proxyRewards[r][i] = p[r];
                goldRewards[r][i] = g[r];
            }
        }
        List<RowResult> out = new ArrayList<>();
        for (int r = 0; r < acc.size(); r++) {
            Accumulator a = acc.get(r);
            out.add(new RowResult(a.row.key(), a.row.label(), a.row.decodingReward(), proxyRewards[r], goldRewards[r],
                    a.kl, DistinctN.distinct(a.tokens, 1, eosTokenId), DistinctN.distinct(a.tokens, 2, eosTokenId),
                    a.rewardCalls, a.tokenCount, a.nanos / 1e9, a.texts));
        }
        return out;
    }
}
