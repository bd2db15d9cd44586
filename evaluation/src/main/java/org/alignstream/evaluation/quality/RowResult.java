package org.alignstream.evaluation.quality;

import java.util.Arrays;
import java.util.List;

/**
 * The measured figures of one evaluation row (one method configuration over every prompt, one response per prompt,
 * response i answering prompt i).
 *
 * @param key stable identifier the verdicts look rows up by (e.g. {@code bon-16})
 * @param label what the table shows (e.g. {@code best_of_n N=16})
 * @param decodingReward id of the reward model used while decoding
 * @param proxy per-response reward of the final text under the full-sequence proxy {@code sentiment}
 * @param gold per-response reward of the final text under {@code gold-sentiment}
 * @param kl per-response KL figure ({@code AlignedResponse.kl}; what it is: {@code AlignedResponse.kl_kind})
 * @param distinct1 unique unigrams / unigrams over the row (tokenizer tokens)
 * @param distinct2 unique bigrams / bigrams over the row (tokenizer tokens)
 * @param rewardCalls texts scored by the decoding reward model(s), summed over the row
 * @param tokens generated tokens, summed over the row
 * @param seconds wall time of the bare decoding loop over the row
 * @param texts the final responses
 */
public record RowResult(String key, String label, String decodingReward, double[] proxy, double[] gold, double[] kl,
                        double distinct1, double distinct2, long rewardCalls, long tokens, double seconds,
                        List<String> texts) {

    public RowResult {
        if (proxy.length != gold.length || proxy.length != kl.length || proxy.length != texts.size()) {
            throw new IllegalArgumentException("row " + key + ": " + proxy.length + " proxy, " + gold.length + " gold, "
                    + kl.length + " kl values and " + texts.size() + " texts");
        }
        if (proxy.length == 0) {
            throw new IllegalArgumentException("row " + key + " has no responses");
        }
    }

    public int responses() {
        return proxy.length;
    }

    public double meanProxy() {
        return mean(proxy);
    }

    public double meanGold() {
        return mean(gold);
    }

    public double meanKl() {
        return mean(kl);
    }

    /** Mean proxy minus mean gold (each on its own log-odds scale). */
    public double proxyGoldGap() {
        return meanProxy() - meanGold();
    }

    /** Reward-model calls per generated token, as a ratio of the row's totals. */
    public double callsPerToken() {
        return tokens == 0 ? Double.NaN : (double) rewardCalls / tokens;
    }

    /** Mean generated tokens per response. */
    public double tokensPerResponse() {
        return (double) tokens / responses();
    }

    public double secondsPerResponse() {
        return seconds / responses();
    }

    static double mean(double[] values) {
        return Arrays.stream(values).average().orElse(Double.NaN);
    }
}
