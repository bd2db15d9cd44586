package org.alignstream.evaluation.bench;

import java.util.HashMap;
import java.util.List;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.core.sampling.SamplingParams;
import org.alignstream.generator.CandidateSampler;
import org.alignstream.generator.LmCandidateSampler;

/**
 * The benchmark's requests: the sample prompts cycled, Best-of-N with the local run's sampling settings, request
 * {@code i} using prompt {@code i mod P} and seed {@code seed + i}, so every measurement sees the same work.
 */
record Workload(List<String> prompts, int n, int maxNewTokens, double temperature, double topP, long seed) {

    Workload {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts");
        }
        prompts = List.copyOf(prompts);
    }

    String prompt(int i) {
        return prompts.get(i % prompts.size());
    }

    long seed(int i) {
        return seed + i;
    }

    Strategy strategy(int i) {
        return Strategy.newBuilder().setMethod("best_of_n").setN(n).setTopK(0).setBeta(0.0)
                .setTemperature(temperature).setTopP(topP).setMaxNewTokens(maxNewTokens).setSeed(seed(i)).build();
    }

    PromptRequest request(String id, int i) {
        return PromptRequest.newBuilder().setId(id).setPrompt(prompt(i)).setStrategy(strategy(i))
                .setCreatedAtMs(System.currentTimeMillis()).build();
    }

    SamplingParams samplingParams() {
        return new SamplingParams(temperature, 0, topP);
    }

    /** Candidate sets for requests {@code 0 .. count-1}, sampled once with {@code sampler} (real generator output). */
    List<CandidateSet> candidateSets(LmCandidateSampler sampler, int count) {
        return java.util.stream.IntStream.range(0, count).mapToObj(i -> {
            PromptRequest request = request("pool-" + i, i);
            CandidateSampler.Sampled s = sampler.sample(request.getPrompt(), request.getStrategy());
            return CandidateSet.newBuilder().setRequest(request).setPromptTokenIds(s.promptTokenIds())
                    .setCandidates(s.candidates()).setGeneratorModel(sampler.model()).setTimingsMs(new HashMap<>())
                    .build();
        }).toList();
    }
}
