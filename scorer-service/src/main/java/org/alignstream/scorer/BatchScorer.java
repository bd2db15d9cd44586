package org.alignstream.scorer;

import org.alignstream.common.pipeline.Pipeline;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.BatchStageFunction;
import org.alignstream.common.stage.StageOutput;
import org.alignstream.common.topics.Topics;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.scorer.CandidateScorer.Job;
import org.alignstream.scorer.ScorerConfig.Batching;
import org.alignstream.scorer.ScorerConfig.Limits;

/**
 * The {@link CandidateScorer} as a {@link BatchStageFunction}: a set is checked as it arrives (the candidate
 * scorer's checks, its models resolved) and waits for batch mates only if its reward model (and baseline) is batch-invariant; a batch
 * is scored with one {@link RewardModel#scoreGroups} call per model, in chunks of at most
 * {@link Batching#maxRecords} sets and {@link Limits#maxCandidates} texts. A tokenwise round of a model that shares
 * prefixes ({@link Job#sharePrefix}) never waits and is always scored alone, through the same call as in the
 * candidate scorer. A failing merged call is retried set
 * by set, so only the bad set fails.
 */
final class BatchScorer implements BatchStageFunction<CandidateSet> {
    private static final AvroSerde<ScoredCandidateSet> SCORED = Pipeline.SCORED_CANDIDATES.serde();

    private final CandidateScorer scorer;
    private final RewardModelRegistry models;
    private final Limits limits;
    private final StageMetrics metrics;
    private final Batching batching;

    /** Scores with {@code scorer} (its models, limits, credit options and metrics) in batches as {@code batching} says. */
    BatchScorer(CandidateScorer scorer, Batching batching) {
        this.scorer = scorer;
        this.models = scorer.models();
        this.limits = scorer.limits();
        this.metrics = scorer.metrics();
        this.batching = batching;
    }

    @Override
    public boolean admit(CandidateSet set) {
        AlignmentMethod method = scorer.check(set);
        return models.read(() -> {
            Job job = scorer.job(set, method);
            return !job.sharePrefix() && models.batchInvariant(job.rewardModel())
                    && (job.baselineReward() == null || models.batchInvariant(job.baselineReward()));
        });
    }

    /** Whether a served reward-model version is batch-invariant (otherwise {@link #admit} is false for every set). */
    @Override
    public boolean mayBatch() {
        return models.anyBatchInvariant();
    }

    @Override
    public List<Outcome> apply(List<CandidateSet> sets) {
        if (sets.size() == 1) {
            return List.of(alone(sets.get(0)));
        }
        return models.read(() -> scoreMerged(sets));
    }

    private Outcome alone(CandidateSet set) {
        try {
            return scored(scorer.score(set));
        } catch (RuntimeException e) {
            return Outcome.failed(e);
        }
    }

    private static Outcome scored(ScoredCandidateSet scored) {
        return Outcome.of(List.of(StageOutput.of(Topics.SCORED_CANDIDATES, SCORED, scored)));
    }

    private List<Outcome> scoreMerged(List<CandidateSet> sets) {
        int n = sets.size();
        Outcome[] outcomes = new Outcome[n];
        Job[] jobs = new Job[n];
        RewardModel.Scores[] scores = new RewardModel.Scores[n];
        double[][] baselines = new double[n][];
        double[] seconds = new double[n];
        Map<RewardModel, List<Integer>> byModel = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            try {
                CandidateSet set = sets.get(i);
                jobs[i] = scorer.job(set, scorer.check(set));
                byModel.computeIfAbsent(jobs[i].rewardModel(), m -> new ArrayList<>()).add(i);
            } catch (RuntimeException e) {
                outcomes[i] = Outcome.failed(e);
            }
        }
        byModel.forEach((model, items) -> run(model, items, jobs, outcomes, seconds, false,
                (i, s) -> scores[i] = s));
        Map<RewardModel, List<Integer>> byBaseline = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            if (outcomes[i] == null && jobs[i].baselineReward() != null) {
                byBaseline.computeIfAbsent(jobs[i].baselineReward(), m -> new ArrayList<>()).add(i);
            }
        }
        byBaseline.forEach((model, items) -> run(model, items, jobs, outcomes, seconds, true,
                (i, s) -> baselines[i] = s.rewards()));
        for (int i = 0; i < n; i++) {
            if (outcomes[i] == null) {
                try {
                    outcomes[i] = scored(CandidateScorer.finish(jobs[i], scores[i], baselines[i], seconds[i]));
                } catch (RuntimeException e) {
                    outcomes[i] = Outcome.failed(e);
                }
            }
        }
        return List.of(outcomes);
    }

    /**
     * Scores {@code items} with {@code model}: merged in chunks if it is batch-invariant, else one call each;
     * for a baseline, rewards only (as {@link RewardModel#score(String, List)} in the per-set path).
     */
    private void run(RewardModel model, List<Integer> items, Job[] jobs, Outcome[] outcomes, double[] seconds,
                     boolean baseline, BiConsumer<Integer, RewardModel.Scores> result) {
        boolean merge = models.batchInvariant(model);
        List<Integer> chunk = new ArrayList<>();
        int texts = 0;
        for (int k = 0; k <= items.size(); k++) {
            int size = k < items.size() ? jobs[items.get(k)].texts().size() : 0;
            boolean last = k == items.size();
            // a prefix-shared set is scored alone, as the candidate scorer (and the bare loop) scores it
            boolean alone = !last && !baseline && jobs[items.get(k)].sharePrefix();
            if (!chunk.isEmpty() && (last || !merge || alone || chunk.size() >= batching.maxRecords()
                    || texts + size > limits.maxCandidates()
                    || (!baseline && jobs[chunk.get(0)].sharePrefix()))) {
                call(model, chunk, jobs, outcomes, seconds, baseline, result, texts);
                chunk = new ArrayList<>();
                texts = 0;
            }
            if (!last) {
                if (outcomes[items.get(k)] == null) {
                    chunk.add(items.get(k));
                    texts += size;
                }
            }
        }
    }

    private void call(RewardModel model, List<Integer> chunk, Job[] jobs, Outcome[] outcomes, double[] seconds,
                      boolean baseline, BiConsumer<Integer, RewardModel.Scores> result,
                      int texts) {
        if (chunk.size() > 1) {
            List<RewardModel.Group> groups = new ArrayList<>(chunk.size());
            for (int i : chunk) {
                Job job = jobs[i];
                groups.add(baseline ? new RewardModel.Group(job.prompt(), job.texts(), RewardModel.Outputs.REWARDS)
                        : job.group());
            }
            try {
                long start = System.nanoTime();
                List<RewardModel.Scores> merged = model.scoreGroups(groups);
                double s = (System.nanoTime() - start) / 1e9;
                if (merged.size() != chunk.size()) {
                    throw new IllegalStateException("reward model returned " + merged.size() + " results for "
                            + chunk.size() + " candidate sets (" + model.id() + ")");
                }
                metrics.observeInference(model.id(), s);
                if (!baseline) {
                    metrics.observeBatch(texts);
                }
                for (int c = 0; c < chunk.size(); c++) {
                    seconds[chunk.get(c)] += s;
                    result.accept(chunk.get(c), merged.get(c));
                }
                return;
            } catch (RuntimeException e) {
                // fall through: each set alone, so that only the bad one fails
            }
        }
        for (int i : chunk) {
            Job job = jobs[i];
            try {
                long start = System.nanoTime();
                RewardModel.Scores one = baseline
                        ? new RewardModel.Scores(model.score(job.prompt(), job.texts()), null, null)
                        : job.score();
                double s = (System.nanoTime() - start) / 1e9;
                metrics.observeInference(model.id(), s);
                if (!baseline) {
                    metrics.observeBatch(job.texts().size());
                }
                seconds[i] += s;
                result.accept(i, one);
            } catch (RuntimeException e) {
                outcomes[i] = Outcome.failed(e);
            }
        }
    }
}
