package org.alignstream.evaluation.bench;

import org.alignstream.core.decoding.AlignmentMethod;
import java.util.List;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;

/**
 * The tokenwise section's requests: ARGS (one token per round, the top-k next tokens scored by the reward model,
 * weight w) on the sample prompts cycled, request {@code i} using prompt {@code i mod P} and seed {@code seed + i}, so
 * the bare loop and the pipeline decode exactly the same tokens.
 */
record ArgsWorkload(List<String> prompts, int k, double w, boolean greedy, int maxNewTokens, long seed) {

    ArgsWorkload {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts");
        }
        if (k < 1 || maxNewTokens < 1) {
            throw new IllegalArgumentException("k and max_new_tokens must be >= 1, were " + k + " and " + maxNewTokens);
        }
        prompts = List.copyOf(prompts);
    }

    Strategy strategy(int i) {
        return Strategy.newBuilder().setMethod(AlignmentMethod.ARGS.wireName()).setN(1).setTopK(k).setBeta(w).setGreedy(greedy)
                .setTemperature(1.0).setTopP(1.0).setMaxNewTokens(maxNewTokens).setSeed(seed + i).build();
    }

    PromptRequest request(String id, int i) {
        return PromptRequest.newBuilder().setId(id).setPrompt(prompts.get(i % prompts.size())).setStrategy(strategy(i))
                .setCreatedAtMs(System.currentTimeMillis()).build();
    }
}
