package org.alignstream.generator;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.BatchStageFunction;
import org.alignstream.common.stage.StageOutput;
import org.alignstream.common.topics.Topics;
import org.alignstream.core.decoding.AlignmentMethod;

/**
 * The generator's work as {@link BatchStageFunction}s, one per input topic: a record is checked as it arrives
 * ({@link RequestLimits}, and a stepwise request's prompt against the model) and then waits for batch mates; a batch
 * of prompt requests is sampled with {@link LmCandidateSampler#sampleAll} (Best-of-N) and
 * {@link LmCandidateSampler#proposeAll} (first rounds of stepwise methods), a batch of decode states with
 * {@link LmCandidateSampler#proposeAll}, which merge the LM calls of the requests that may share them. A record's
 * candidate set is the one the unbatched stage writes (bit for bit when the sampler merges only batch-invariant
 * rows); its timing is the batch's.
 */
final class BatchedGeneration {
    private static final AvroSerde<CandidateSet> OUT = Pipeline.CANDIDATES.serde();

    private final RequestLimits limits;
    private final LmCandidateSampler sampler;
    private final StageMetrics metrics;

    BatchedGeneration(RequestLimits limits, LmCandidateSampler sampler, StageMetrics metrics) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.sampler = Objects.requireNonNull(sampler, "sampler");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** The stage function of the prompts topic. */
    BatchStageFunction<PromptRequest> prompts() {
        return new BatchStageFunction<>() {
            @Override
            public boolean admit(PromptRequest request) {
                limits.validate(request);
                if (stepwise(request)) {
                    sampler.start(request); // the prompt against the model: rejected before any model work
                }
                return true;
            }

            @Override
            public List<Outcome> apply(List<PromptRequest> requests) {
                return generate(requests);
            }
        };
    }

    /** The stage function of the decode-steps topic. */
    BatchStageFunction<DecodeState> rounds() {
        return new BatchStageFunction<>() {
            @Override
            public boolean admit(DecodeState state) {
                limits.validate(state);
                return true;
            }

            @Override
            public List<Outcome> apply(List<DecodeState> states) {
                long start = System.nanoTime();
                List<LmCandidateSampler.Result<List<org.alignstream.avro.Candidate>>> rounds =
                        sampler.proposeAll(states);
                double seconds = (System.nanoTime() - start) / 1e9;
                List<Outcome> out = new ArrayList<>(states.size());
                for (int i = 0; i < states.size(); i++) {
                    out.add(roundOutcome(states.get(i), rounds.get(i), seconds));
                }
                return out;
            }
        };
    }

    private static boolean stepwise(PromptRequest request) {
        return AlignmentMethod.of(request.getStrategy().getMethod()).orElseThrow().stepwise();
    }

    private List<BatchStageFunction.Outcome> generate(List<PromptRequest> requests) {
        int n = requests.size();
        BatchStageFunction.Outcome[] out = new BatchStageFunction.Outcome[n];
        List<Integer> sampling = new ArrayList<>();
        List<LmCandidateSampler.Prompt> prompts = new ArrayList<>();
        List<Integer> stepping = new ArrayList<>();
        List<DecodeState> states = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PromptRequest request = RequestLimits.fillDefaults(requests.get(i)); // (again after a restart)
            try {
                if (stepwise(request)) {
                    states.add(sampler.start(request));
                    stepping.add(i);
                } else {
                    prompts.add(new LmCandidateSampler.Prompt(request.getPrompt(), request.getStrategy()));
                    sampling.add(i);
                }
            } catch (RuntimeException e) {
                out[i] = BatchStageFunction.Outcome.failed(e);
            }
        }
        if (!prompts.isEmpty()) {
            long start = System.nanoTime();
            List<LmCandidateSampler.Result<CandidateSampler.Sampled>> sampled = sampler.sampleAll(prompts);
            double seconds = (System.nanoTime() - start) / 1e9;
            for (int j = 0; j < sampling.size(); j++) {
                int i = sampling.get(j);
                LmCandidateSampler.Result<CandidateSampler.Sampled> r = sampled.get(j);
                out[i] = r.failure() != null ? BatchStageFunction.Outcome.failed(r.failure())
                        : written(GeneratorTopology.sampledSet(requests.get(i), r.value(), sampler.model(), seconds,
                        metrics));
            }
        }
        if (!states.isEmpty()) {
            long start = System.nanoTime();
            List<LmCandidateSampler.Result<List<org.alignstream.avro.Candidate>>> rounds = sampler.proposeAll(states);
            double seconds = (System.nanoTime() - start) / 1e9;
            for (int j = 0; j < stepping.size(); j++) {
                out[stepping.get(j)] = roundOutcome(states.get(j), rounds.get(j), seconds);
            }
        }
        return List.of(out);
    }

    private BatchStageFunction.Outcome roundOutcome(DecodeState state,
                                                    LmCandidateSampler.Result<List<org.alignstream.avro.Candidate>> r,
                                                    double seconds) {
        return r.failure() != null ? BatchStageFunction.Outcome.failed(r.failure())
                : written(GeneratorTopology.roundSet(state, r.value(), sampler.model(), seconds, metrics));
    }

    private static BatchStageFunction.Outcome written(CandidateSet set) {
        return BatchStageFunction.Outcome.of(List.of(StageOutput.of(Topics.CANDIDATES, OUT, set)));
    }
}
