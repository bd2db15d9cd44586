package org.alignstream.scorer;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.Strategy;
import org.alignstream.avro.TokenCredit;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.BatchStageFunction;
import org.alignstream.common.stage.BatchingStage;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.stage.StageOutput;
import org.alignstream.common.topics.Topics;
import org.alignstream.common.validation.RecordChecks;
import org.alignstream.common.validation.StrategyParameters;
import org.alignstream.avro.DecodeState;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.decoding.ResponseEnd;
import org.alignstream.inference.reward.ResponseCredit;
import org.alignstream.inference.reward.RewardModel;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;

/**
 * candidates → scored-candidates: scores all candidates of a record with the request's reward model in one padded
 * batch call and stamps the reward model's id, version and kind on the result. For rbon_wd it also emits each
 * candidate's sentence embedding (from the same encoder pass); for tq_star with indirect transfer, each candidate's
 * reward under the baseline's reward model. A decoding state rides along unchanged.
 *
 * <p>Per-token credit ({@link CreditOptions}): when the reward model has it (an encoder model whose encoder exposes
 * its attention: dense credit from attention, Chan et al. 2024; a token-level model: its own per-token rewards), each
 * candidate's reward spread over its tokens goes to {@code token_credits}, from the same encoder pass as the
 * rewards. A stepwise round gets it only if one of its candidates can end the response (the rounds in between never
 * become an answer, so they are not charged for it); other models and rounds leave {@code token_credits} empty.
 *
 * <p>Batching across requests ({@link Batching}): the candidate sets of concurrent requests that arrive together
 * (what one iteration of a stream thread's loop processed, over all its partitions) and use the same batch-invariant reward-model
 * version ({@link RewardModelRegistry#batchInvariant}, decided by {@link org.alignstream.inference.reward.BatchInvariance}
 * when the version is loaded) are scored in ONE padded batch ({@link RewardModel#scoreGroups}), buffered in a
 * changelogged store meanwhile ({@link BatchingStage}). Their outputs are bit-identical to scoring each set alone, so a
 * request's answer does not depend on which requests it met. Sets for a model that is not batch-invariant (the
 * shipped int8 encoders) are scored at once, one call per set, as without batching. Checks run first, per record.
 */
public final class ScorerTopology {
    public static final String STAGE = "scorer";

    /**
     * Whether to compute per-token credit and the share beta of the reward an encoder model spreads by attention
     * ({@code --token-credit}, {@code --dense-credit-beta}).
     */
    public record CreditOptions(boolean enabled, double beta) {
        public CreditOptions {
            if (!(beta >= 0 && beta <= 1)) {
                throw new IllegalArgumentException("credit beta must be in [0, 1], was " + beta);
            }
        }

        /** The scorer's defaults: on, beta 0.5. */
        public static final CreditOptions DEFAULT = new CreditOptions(true, 0.5);
        public static final CreditOptions OFF = new CreditOptions(false, 0.5);
    }

    private ScorerTopology() {
    }

    /**
     * What the scorer accepts before any model work: at most {@code maxCandidates} candidates in a set (one batch) and
     * texts (each candidate's, and the prompt) of at most {@code maxTextChars} characters.
     */
    public record Limits(int maxCandidates, int maxTextChars) {
        /** The default limits: 1000 candidates (the generator's largest top_k), 32,000 characters. */
        public static final Limits DEFAULT = new Limits(1000, 32_000);

        public Limits {
            if (maxCandidates < 1 || maxTextChars < 1) {
                throw new IllegalArgumentException("max candidates and max text chars must be >= 1, were "
                        + maxCandidates + " and " + maxTextChars);
            }
        }
    }

    /**
     * Cross-request batching: at most {@code maxRecords} candidate sets per call of a batch-invariant reward model
     * (and at most {@link Limits#maxCandidates} texts), handled from a wall-clock punctuation every
     * {@code maxWaitMs}. {@code maxRecords} 1 turns it off (one call per set, no buffer store).
     */
    public record Batching(int maxRecords, long maxWaitMs) {
        /** The scorer's defaults ({@code --max-batch-records}, {@code --batch-wait-ms}): 16 sets, 1 ms. */
        public static final Batching DEFAULT = new Batching(16, 1);
        /** One call per candidate set, as before cross-request batching. */
        public static final Batching OFF = new Batching(1, 1);

        public Batching {
            if (maxRecords < 1 || maxWaitMs < 1) {
                throw new IllegalArgumentException("max batch records and batch wait ms must be >= 1, were "
                        + maxRecords + " and " + maxWaitMs);
            }
        }

        public boolean enabled() {
            return maxRecords > 1;
        }
    }

    public static Topology build(RewardModel rewardModel, StageMetrics metrics) {
        return build(new RewardModelRegistry(rewardModel), metrics);
    }

    public static Topology build(RewardModelRegistry models, StageMetrics metrics) {
        return build(models, Limits.DEFAULT, metrics, CreditOptions.DEFAULT);
    }

    public static Topology build(RewardModelRegistry models, Limits limits, StageMetrics metrics) {
        return build(models, limits, metrics, CreditOptions.DEFAULT);
    }

    public static Topology build(RewardModelRegistry models, StageMetrics metrics, CreditOptions credit) {
        return build(models, Limits.DEFAULT, metrics, credit);
    }

    public static Topology build(RewardModelRegistry models, Limits limits, StageMetrics metrics, CreditOptions credit) {
        return build(models, limits, metrics, credit, Batching.DEFAULT);
    }

    public static Topology build(RewardModelRegistry models, Limits limits, StageMetrics metrics, CreditOptions credit,
                                 Batching batching) {
        models.reportTo(metrics);
        StreamsBuilder builder = new StreamsBuilder();
        if (!batching.enabled()) {
            SafeStage.add(builder, STAGE, Topics.CANDIDATES, AvroSerde.of(CandidateSet.class),
                    Topics.SCORED_CANDIDATES, AvroSerde.of(ScoredCandidateSet.class),
                    set -> score(set, models, limits, metrics, credit), metrics);
        } else {
            BatchingStage.add(builder, STAGE, Topics.CANDIDATES, AvroSerde.of(CandidateSet.class),
                    new BatchScorer(models, limits, metrics, credit, batching),
                    new BatchingStage.Options(batching.maxRecords(), Duration.ofMillis(batching.maxWaitMs())), metrics);
        }
        return builder.build();
    }

    static ScoredCandidateSet score(CandidateSet set, RewardModel rewardModel, StageMetrics metrics) {
        return score(set, new RewardModelRegistry(rewardModel), metrics, CreditOptions.DEFAULT);
    }

    /** {@link #score(CandidateSet, RewardModelRegistry, StageMetrics, CreditOptions)} with the default credit options. */
    public static ScoredCandidateSet score(CandidateSet set, RewardModelRegistry models, StageMetrics metrics) {
        return score(set, models, metrics, CreditOptions.DEFAULT);
    }

    /** Scores one candidate set (one batch per reward model used); no version is swapped meanwhile. */
    public static ScoredCandidateSet score(CandidateSet set, RewardModelRegistry models, StageMetrics metrics,
                                           CreditOptions credit) {
        return score(set, models, Limits.DEFAULT, metrics, credit);
    }

    /**
     * Checks one candidate set ({@link RecordChecks#checkSet}: the request, the decoding state and the candidates as
     * the generator makes them, within {@code limits}), then scores it; an invalid set never reaches a model.
     */
    public static ScoredCandidateSet score(CandidateSet set, RewardModelRegistry models, Limits limits,
                                           StageMetrics metrics, CreditOptions credit) {
        AlignmentMethod method = RecordChecks.checkSet(set.getRequest(), set.getDecodeState(), set.getCandidates(),
                limits.maxCandidates(), limits.maxTextChars());
        return models.read(() -> scoreWithVersionsFixed(set, method, models, metrics, credit));
    }

    private static ScoredCandidateSet scoreWithVersionsFixed(CandidateSet set, AlignmentMethod method,
                                                             RewardModelRegistry models, StageMetrics metrics,
                                                             CreditOptions credit) {
        Job job = prepare(set, method, models, credit);
        long start = System.nanoTime();
        RewardModel.Scores scores = job.rewardModel.score(job.prompt, job.texts, job.outputs);
        double seconds = (System.nanoTime() - start) / 1e9;
        metrics.observeInference(job.rewardModel.id(), seconds);
        metrics.observeBatch(job.texts.size());
        double[] baselineRewards = null;
        if (job.baselineReward != null) {
            long baselineStart = System.nanoTime();
            baselineRewards = job.baselineReward.score(job.prompt, job.texts);
            metrics.observeInference(job.baselineReward.id(), (System.nanoTime() - baselineStart) / 1e9);
            seconds = (System.nanoTime() - start) / 1e9;
        }
        return finish(job, scores, baselineRewards, seconds);
    }

    /** One candidate set ready to score: its models (resolved), texts and what it needs besides rewards. */
    private record Job(CandidateSet set, RewardModel rewardModel, RewardModel baselineReward, String prompt,
                       List<String> texts, RewardModel.Outputs outputs) {
        RewardModel.Group group() {
            return new RewardModel.Group(prompt, texts, outputs);
        }
    }

    /** Resolves a checked set's models (under the registry's read lock) and what it needs; bad requests throw. */
    private static Job prepare(CandidateSet set, AlignmentMethod method, RewardModelRegistry models,
                               CreditOptions credit) {
        Strategy strategy = set.getRequest().getStrategy();
        RewardModel rewardModel = models.resolve(strategy.getRewardModel(), strategy.getRewardModelVersion());
        RewardModel baselineReward = method.needsBaselineRewards(StrategyParameters.of(strategy))
                ? models.resolve(strategy.getBaselineRewardModel()) : null;
        if (method.needsEmbeddings() && !rewardModel.hasEmbeddings()) {
            throw new InvalidRecordException(method.wireName() + " needs sentence embeddings and reward model '"
                    + rewardModel.id() + "' has none");
        }
        List<String> texts = new ArrayList<>(set.getCandidates().size());
        for (Candidate c : set.getCandidates()) {
            texts.add(c.getText());
        }
        boolean withCredit = credit.enabled() && rewardModel.hasTokenCredit() && mayEndResponse(set);
        return new Job(set, rewardModel, baselineReward, set.getRequest().getPrompt(), texts,
                new RewardModel.Outputs(method.needsEmbeddings(), withCredit, credit.beta()));
    }

    /** The scored set from the model's results for it; results that do not fit the candidates throw. */
    private static ScoredCandidateSet finish(Job job, RewardModel.Scores scores, double[] baseline, double seconds) {
        CandidateSet set = job.set;
        RewardModel rewardModel = job.rewardModel;
        int n = job.texts.size();
        double[] rewards = scores.rewards();
        List<List<Float>> embeddings = scores.embeddings() == null ? List.of() : toLists(scores.embeddings());
        requireOnePerCandidate(rewards, n, rewardModel);
        List<List<TokenCredit>> credits = scores.credits() == null ? List.of() : toAvro(scores.credits());
        if (!credits.isEmpty() && credits.size() != n) {
            throw new IllegalStateException("reward model returned credit for " + credits.size() + " of " + n
                    + " candidates (" + rewardModel.id() + ")");
        }
        List<Double> baselineRewards = List.of();
        if (baseline != null) {
            requireOnePerCandidate(baseline, n, job.baselineReward);
            baselineRewards = toList(baseline);
        }
        Map<String, Double> timings = new HashMap<>(set.getTimingsMs());
        timings.put(STAGE, seconds * 1000.0);
        return ScoredCandidateSet.newBuilder()
                .setRequest(set.getRequest())
                .setPromptTokenIds(set.getPromptTokenIds())
                .setCandidates(set.getCandidates())
                .setRewards(toList(rewards))
                .setGeneratorModel(set.getGeneratorModel())
                .setRewardModel(new ModelRef(rewardModel.id(), rewardModel.version()))
                .setRewardModelKind(rewardModel.kind())
                .setEmbeddings(embeddings)
                .setBaselineRewards(baselineRewards)
                .setTimingsMs(timings)
                .setDecodeState(set.getDecodeState())
                .setTokenCredits(credits)
                .build();
    }

    /**
     * The scorer as a {@link BatchStageFunction}: a set is checked as it arrives ({@link RecordChecks#checkSet}, its
     * models resolved) and waits for batch mates only if its reward model (and baseline) is batch-invariant; a batch
     * is scored with one {@link RewardModel#scoreGroups} call per model, in chunks of at most
     * {@link Batching#maxRecords} sets and {@link Limits#maxCandidates} texts. A failing merged call is retried set
     * by set, so only the bad set fails.
     */
    static final class BatchScorer implements BatchStageFunction<CandidateSet> {
        private static final AvroSerde<ScoredCandidateSet> SCORED = AvroSerde.of(ScoredCandidateSet.class);

        private final RewardModelRegistry models;
        private final Limits limits;
        private final StageMetrics metrics;
        private final CreditOptions credit;
        private final Batching batching;

        BatchScorer(RewardModelRegistry models, Limits limits, StageMetrics metrics, CreditOptions credit,
                    Batching batching) {
            this.models = models;
            this.limits = limits;
            this.metrics = metrics;
            this.credit = credit;
            this.batching = batching;
        }

        @Override
        public boolean admit(CandidateSet set) {
            AlignmentMethod method = RecordChecks.checkSet(set.getRequest(), set.getDecodeState(), set.getCandidates(),
                    limits.maxCandidates(), limits.maxTextChars());
            return models.read(() -> {
                Job job = prepare(set, method, models, credit);
                return models.batchInvariant(job.rewardModel)
                        && (job.baselineReward == null || models.batchInvariant(job.baselineReward));
            });
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
                return scored(score(set, models, limits, metrics, credit));
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
                    AlignmentMethod method = RecordChecks.checkSet(set.getRequest(), set.getDecodeState(),
                            set.getCandidates(), limits.maxCandidates(), limits.maxTextChars());
                    jobs[i] = prepare(set, method, models, credit);
                    byModel.computeIfAbsent(jobs[i].rewardModel, m -> new ArrayList<>()).add(i);
                } catch (RuntimeException e) {
                    outcomes[i] = Outcome.failed(e);
                }
            }
            byModel.forEach((model, items) -> run(model, items, jobs, outcomes, seconds, false,
                    (i, s) -> scores[i] = s));
            Map<RewardModel, List<Integer>> byBaseline = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                if (outcomes[i] == null && jobs[i].baselineReward != null) {
                    byBaseline.computeIfAbsent(jobs[i].baselineReward, m -> new ArrayList<>()).add(i);
                }
            }
            byBaseline.forEach((model, items) -> run(model, items, jobs, outcomes, seconds, true,
                    (i, s) -> baselines[i] = s.rewards()));
            for (int i = 0; i < n; i++) {
                if (outcomes[i] == null) {
                    try {
                        outcomes[i] = scored(finish(jobs[i], scores[i], baselines[i], seconds[i]));
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
                         boolean baseline, java.util.function.BiConsumer<Integer, RewardModel.Scores> result) {
            boolean merge = models.batchInvariant(model);
            List<Integer> chunk = new ArrayList<>();
            int texts = 0;
            for (int k = 0; k <= items.size(); k++) {
                int size = k < items.size() ? jobs[items.get(k)].texts.size() : 0;
                boolean last = k == items.size();
                if (!chunk.isEmpty() && (last || !merge || chunk.size() >= batching.maxRecords()
                        || texts + size > limits.maxCandidates())) {
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
                          boolean baseline, java.util.function.BiConsumer<Integer, RewardModel.Scores> result,
                          int texts) {
            if (chunk.size() > 1) {
                List<RewardModel.Group> groups = new ArrayList<>(chunk.size());
                for (int i : chunk) {
                    Job job = jobs[i];
                    groups.add(baseline ? new RewardModel.Group(job.prompt, job.texts, RewardModel.Outputs.REWARDS)
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
                            ? new RewardModel.Scores(model.score(job.prompt, job.texts), null, null)
                            : model.score(job.prompt, job.texts, job.outputs);
                    double s = (System.nanoTime() - start) / 1e9;
                    metrics.observeInference(model.id(), s);
                    if (!baseline) {
                        metrics.observeBatch(job.texts.size());
                    }
                    seconds[i] += s;
                    result.accept(i, one);
                } catch (RuntimeException e) {
                    outcomes[i] = Outcome.failed(e);
                }
            }
        }
    }

    /**
     * Whether one of the set's candidates can become the answer: always for whole-response methods; for a stepwise
     * round, if choosing some candidate ends the response ({@link ResponseEnd}, as the selector decides).
     */
    static boolean mayEndResponse(CandidateSet set) {
        DecodeState state = set.getDecodeState();
        if (state == null) {
            return true;
        }
        int maxNewTokens = set.getRequest().getStrategy().getMaxNewTokens();
        for (Candidate c : set.getCandidates()) {
            if (ResponseEnd.reached(c.getFinishReason(), state.getTokenIds().size() + c.getTokenIds().size(),
                    maxNewTokens)) {
                return true;
            }
        }
        return false;
    }

    private static List<List<TokenCredit>> toAvro(List<ResponseCredit> credits) {
        List<List<TokenCredit>> out = new ArrayList<>(credits.size());
        for (ResponseCredit c : credits) {
            List<TokenCredit> tokens = new ArrayList<>(c.size());
            double[] values = c.credits();
            for (int t = 0; t < c.size(); t++) {
                tokens.add(new TokenCredit(c.tokens().get(t), values[t]));
            }
            out.add(tokens);
        }
        return out;
    }

    private static void requireOnePerCandidate(double[] rewards, int candidates, RewardModel model) {
        if (rewards.length != candidates) {
            throw new IllegalStateException("reward model returned " + rewards.length + " rewards for " + candidates
                    + " candidates (" + model.id() + ")");
        }
    }

    private static List<Double> toList(double[] values) {
        List<Double> list = new ArrayList<>(values.length);
        for (double v : values) {
            list.add(v);
        }
        return list;
    }

    private static List<List<Float>> toLists(float[][] rows) {
        List<List<Float>> out = new ArrayList<>(rows.length);
        for (float[] row : rows) {
            List<Float> list = new ArrayList<>(row.length);
            for (float v : row) {
                list.add(v);
            }
            out.add(list);
        }
        return out;
    }
}
