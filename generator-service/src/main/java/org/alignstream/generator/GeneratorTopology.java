package org.alignstream.generator;

import java.util.HashMap;
import java.util.Map;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;

/**
 * prompts → candidates: validates each {@link PromptRequest} against the {@link RequestLimits} and
 * samples its N candidates in one batch. Invalid or unreadable requests go to dead-letters.
 */
public final class GeneratorTopology {
    public static final String STAGE = "generator";

    private GeneratorTopology() {
    }

    public static Topology build(RequestLimits limits, CandidateSampler sampler, StageMetrics metrics) {
        StreamsBuilder builder = new StreamsBuilder();
        SafeStage.add(builder, STAGE, Topics.PROMPTS, AvroSerde.of(PromptRequest.class),
                Topics.CANDIDATES, AvroSerde.of(CandidateSet.class),
                request -> generate(request, limits, sampler, metrics), metrics);
        return builder.build();
    }

    /** One prompt request to its candidate set. */
    static CandidateSet generate(PromptRequest request, RequestLimits limits, CandidateSampler sampler,
                                 StageMetrics metrics) {
        limits.validate(request);
        long start = System.nanoTime();
        CandidateSampler.Sampled sampled = sampler.sample(request.getPrompt(), request.getStrategy());
        double seconds = (System.nanoTime() - start) / 1e9;
        metrics.observeInference(sampler.model().getId(), seconds);
        metrics.observeBatch(request.getStrategy().getN());
        Map<String, Double> timings = new HashMap<>();
        timings.put(STAGE, seconds * 1000.0);
        return CandidateSet.newBuilder()
                .setRequest(request)
                .setPromptTokenIds(sampled.promptTokenIds())
                .setCandidates(sampled.candidates())
                .setGeneratorModel(sampler.model())
                .setTimingsMs(timings)
                .build();
    }
}
