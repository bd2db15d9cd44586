package org.alignstream.local.eval;

import java.util.ArrayList;
import java.util.List;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.PromptRequest;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.local.BareDecodingLoop;

/**
 * Runs one row: every prompt through the bare decoding loop (prompt i at seed {@code baseSeed + i}, the same in every
 * row), timed, then the row's final texts scored in one batch by the proxy and in one by the gold model.
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

    RowResult run(EvalRow row) {
        List<String> texts = new ArrayList<>();
        List<int[]> tokens = new ArrayList<>();
        double[] kl = new double[prompts.size()];
        long rewardCalls = 0;
        long tokenCount = 0;
        long nanos = 0;
        for (int i = 0; i < prompts.size(); i++) {
            PromptRequest request = PromptRequest.newBuilder().setId(row.key() + "/" + i).setPrompt(prompts.get(i))
                    .setStrategy(row.strategy(maxNewTokens, baseSeed + i)).setCreatedAtMs(0).build();
            long start = System.nanoTime();
            AlignedResponse response = loop.run(request);
            nanos += System.nanoTime() - start;
            texts.add(response.getText());
            int[] ids = response.getTokenIds().stream().mapToInt(Integer::intValue).toArray();
            tokens.add(ids);
            tokenCount += ids.length;
            rewardCalls += response.getRewardCalls();
            kl[i] = response.getKl() == null ? Double.NaN : response.getKl();
        }
        double[] proxyRewards = proxy.score("", texts);
        double[] goldRewards = gold.score("", texts);
        return new RowResult(row.key(), row.label(), row.decodingReward(), proxyRewards, goldRewards, kl,
                DistinctN.distinct(tokens, 1, eosTokenId), DistinctN.distinct(tokens, 2, eosTokenId), rewardCalls,
                tokenCount, nanos / 1e9, texts);
    }
}
