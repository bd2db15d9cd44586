package org.alignstream.generator;

import org.alignstream.common.pipeline.Pipeline;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.topics.Topics;
import org.alignstream.core.decoding.AlignmentMethod;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;

/**
 * prompts → candidates and decode-steps → candidates. A {@link PromptRequest} is validated against the
 * {@link RequestLimits}; a whole-response method (best_of_n, rbon_*) gets its N candidates sampled in one batch, a
 * stepwise method (args, pargs, blockwise, tq_star) gets the candidates of its first decoding round. A
 * {@link DecodeState} from the selector gets the candidates of its next round. Invalid or unreadable records go to
 * dead-letters.
 */
public final class GeneratorTopology {
    public static final String STAGE = Pipeline.GENERATOR.name();

    private GeneratorTopology() {
    }

    public static Topology build(RequestLimits limits, CandidateSampler sampler, StepProposer proposer,
                                 StageMetrics metrics) {
        StreamsBuilder builder = new StreamsBuilder();
        AvroSerde<CandidateSet> out = Pipeline.CANDIDATES.serde();
        SafeStage.add(builder, STAGE, Topics.PROMPTS, Pipeline.PROMPTS.serde(), Topics.CANDIDATES, out,
                request -> generate(request, limits, sampler, proposer, metrics), metrics);
        SafeStage.add(builder, STAGE, Topics.DECODE_STEPS, Pipeline.DECODE_STEPS.serde(), Topics.CANDIDATES, out,
                state -> {
                    limits.validate(state);
                    return propose(state, proposer, metrics);
                }, metrics);
        return builder.build();
    }

    /** One prompt request to its candidate set (all N candidates, or the first round of a stepwise method). */
    public static CandidateSet generate(PromptRequest request, RequestLimits limits, CandidateSampler sampler,
                                 StepProposer proposer, StageMetrics metrics) {
        limits.validate(request);
        if (AlignmentMethod.of(request.getStrategy().getMethod()).orElseThrow().stepwise()) {
            return propose(proposer.start(request), proposer, metrics);
        }
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

    /** The candidates of the next decoding round of {@code state}, carrying the state. */
    public static CandidateSet propose(DecodeState state, StepProposer proposer, StageMetrics metrics) {
        long start = System.nanoTime();
        List<Candidate> candidates = proposer.propose(state);
        double seconds = (System.nanoTime() - start) / 1e9;
        metrics.observeInference(proposer.model().getId(), seconds);
        metrics.observeBatch(candidates.size());
        Map<String, Double> timings = new HashMap<>();
        timings.put(STAGE, seconds * 1000.0);
        return CandidateSet.newBuilder()
                .setRequest(state.getRequest())
                .setPromptTokenIds(state.getPromptTokenIds())
                .setCandidates(candidates)
                .setGeneratorModel(proposer.model())
                .setTimingsMs(timings)
                .setDecodeState(state)
                .build();
    }
}
