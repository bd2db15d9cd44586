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
import org.alignstream.common.stage.BatchingStage;
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

    /**
     * The stage with batching across requests ({@code --generator-batching}): when {@code sampler} may merge the LM
     * calls of concurrent requests ({@link LmCandidateSampler#merges()}), the records of each input topic that arrive
     * together (one loop iteration of a stream thread, at most {@code options.maxRecords()}) wait in a changelogged
     * store ({@link BatchingStage}: nothing buffered is lost under exactly-once) and are handled in one
     * {@link LmCandidateSampler#sampleAll} / {@link LmCandidateSampler#proposeAll} call; checks still run per record as
     * it arrives, and invalid records go to dead-letters before any model work. Otherwise exactly
     * {@link #build(RequestLimits, CandidateSampler, StepProposer, StageMetrics)}.
     */
    public static Topology build(RequestLimits limits, LmCandidateSampler sampler, StageMetrics metrics,
                                 BatchingStage.Options options) {
        if (!sampler.merges()) {
            return build(limits, sampler, sampler, metrics);
        }
        sampler.onMerged(metrics::observeMergedBatch);
        StreamsBuilder builder = new StreamsBuilder();
        BatchedGeneration batched = new BatchedGeneration(limits, sampler, metrics);
        BatchingStage.add(builder, STAGE, Topics.PROMPTS, Pipeline.PROMPTS.serde(), batched.prompts(), options,
                metrics);
        BatchingStage.add(builder, STAGE, Topics.DECODE_STEPS, Pipeline.DECODE_STEPS.serde(), batched.rounds(),
                options, metrics);
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
        return sampledSet(request, sampled, sampler.model(), (System.nanoTime() - start) / 1e9, metrics);
    }

    /** The candidate set of a Best-of-N sampling that took {@code seconds}; counted in {@code metrics}. */
    static CandidateSet sampledSet(PromptRequest request, CandidateSampler.Sampled sampled,
                                   org.alignstream.avro.ModelRef model, double seconds, StageMetrics metrics) {
        metrics.observeInference(model.getId(), seconds);
        metrics.observeBatch(request.getStrategy().getN());
        Map<String, Double> timings = new HashMap<>();
        timings.put(STAGE, seconds * 1000.0);
        return CandidateSet.newBuilder()
                .setRequest(request)
                .setPromptTokenIds(sampled.promptTokenIds())
                .setCandidates(sampled.candidates())
                .setGeneratorModel(model)
                .setTimingsMs(timings)
                .build();
    }

    /** The candidates of the next decoding round of {@code state}, carrying the state. */
    public static CandidateSet propose(DecodeState state, StepProposer proposer, StageMetrics metrics) {
        long start = System.nanoTime();
        List<Candidate> candidates = proposer.propose(state);
        return roundSet(state, candidates, proposer.model(), (System.nanoTime() - start) / 1e9, metrics);
    }

    /** The candidate set of a decoding round that took {@code seconds}, carrying the state; counted in metrics. */
    static CandidateSet roundSet(DecodeState state, List<Candidate> candidates, org.alignstream.avro.ModelRef model,
                                 double seconds, StageMetrics metrics) {
        metrics.observeInference(model.getId(), seconds);
        metrics.observeBatch(candidates.size());
        Map<String, Double> timings = new HashMap<>();
        timings.put(STAGE, seconds * 1000.0);
        return CandidateSet.newBuilder()
                .setRequest(state.getRequest())
                .setPromptTokenIds(state.getPromptTokenIds())
                .setCandidates(candidates)
                .setGeneratorModel(model)
                .setTimingsMs(timings)
                .setDecodeState(state)
                .build();
    }
}
