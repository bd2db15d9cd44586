package org.alignstream.scorer;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.Strategy;
import org.alignstream.avro.TokenCredit;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.common.validation.RecordChecks;
import org.alignstream.common.validation.StrategyParameters;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.decoding.MethodParameters;
import org.alignstream.core.decoding.ResponseEnd;
import org.alignstream.core.decoding.RewardModelKind;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.scorer.ScorerConfig.CreditOptions;
import org.alignstream.scorer.ScorerConfig.Limits;

/**
 * Scores candidate sets, free of Kafka: checks a set ({@link RecordChecks#checkSet}: the request, the decoding state
 * and the candidates as the generator makes them, within {@link Limits}), then scores all its candidates with the
 * request's reward model (resolved in a {@link RewardModelRegistry}) in one padded batch call and stamps the reward
 * model's id, version and kind on the result. For rbon_wd it also gives each candidate's sentence embedding (from the
 * same encoder pass); for tq_star with indirect transfer, each candidate's reward under the baseline's reward model. A
 * decoding state rides along unchanged. An invalid set never reaches a model; a bad request (an unknown model, rbon_wd
 * with a model without embeddings) throws {@link InvalidRecordException}.
 *
 * <p>A tokenwise round (its candidates extend the response so far by one token each) scored by a model that
 * {@link RewardModel#sharesPrefix() shares prefixes} (a decoder reward model) goes through
 * {@link RewardModel#scoreWithSharedPrefix}: the common prefix is encoded once, the candidates' rewards equal full
 * scoring within float rounding, and every path that scores the set (this class, {@link BatchScorer}, the bare loop)
 * takes that call, so a request's response does not depend on the path. The prefix's key/value cache is kept between
 * the request's rounds in the registry's {@link RewardModelRegistry#roundCache() round cache} (looked up from the
 * second round on, dropped when every candidate of a round ends the response; a request that ends on a candidate
 * chosen while others would have continued is not seen to end here and ages out of the cache, least recently used
 * first). A hit reads only the tokens the prefix gained since; its rewards equal the uncached call's within the
 * model's stated tolerance.
 *
 * <p>Per-token credit ({@link CreditOptions}): when the reward model has it (an encoder model whose encoder exposes
 * its attention: dense credit from attention, Chan et al. 2024; a token-level model: its own per-token rewards), each
 * candidate's reward spread over its tokens goes to {@code token_credits}, from the same encoder pass as the
 * rewards. A stepwise round gets it only if one of its candidates can end the response (the rounds in between never
 * become an answer, so they are not charged for it); other models and rounds leave {@code token_credits} empty.
 *
 * <p>Inference time and batch sizes go to the {@link StageMetrics}; the time spent goes to the result's
 * {@code timings_ms} under {@link ScorerTopology#STAGE}.
 */
public final class CandidateScorer {

    private final RewardModelRegistry models;
    private final Limits limits;
    private final CreditOptions credit;
    private final StageMetrics metrics;

    public CandidateScorer(RewardModelRegistry models, Limits limits, CreditOptions credit, StageMetrics metrics) {
        this.models = Objects.requireNonNull(models, "models");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.credit = Objects.requireNonNull(credit, "credit");
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    /** Checks one candidate set, then scores it (one batch per reward model used); no version is swapped meanwhile. */
    public ScoredCandidateSet score(CandidateSet set) {
        AlignmentMethod method = check(set);
        return models.read(() -> scoreWithVersionsFixed(set, method));
    }

    /**
     * What scoring {@code set} asks of its reward model besides the rewards ({@link RewardModel.Outputs}: embeddings,
     * per-token credit), exactly as {@link #score} asks it; the set must pass the same checks (else they throw).
     */
    public RewardModel.Outputs outputs(CandidateSet set) {
        AlignmentMethod method = check(set);
        return models.read(() -> job(set, method).outputs());
    }

    RewardModelRegistry models() {
        return models;
    }

    Limits limits() {
        return limits;
    }

    StageMetrics metrics() {
        return metrics;
    }

    /** The checks of {@link #score} ({@link RecordChecks#checkSet} within the limits): the set's method, or a throw. */
    AlignmentMethod check(CandidateSet set) {
        return RecordChecks.checkSet(set.getRequest(), set.getDecodeState(), set.getCandidates(),
                limits.maxCandidates(), limits.maxTextChars());
    }

    /** A checked set ready to score; call under the registry's read lock ({@link RewardModelRegistry#read}). */
    Job job(CandidateSet set, AlignmentMethod method) {
        return prepare(set, method, models, credit);
    }

    private ScoredCandidateSet scoreWithVersionsFixed(CandidateSet set, AlignmentMethod method) {
        Job job = job(set, method);
        long start = System.nanoTime();
        RewardModel.Scores scores = job.score();
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

    /**
     * One candidate set ready to score: its models (resolved), texts and what it needs besides rewards. The texts are
     * the candidates' (one each, in order), then each candidate's extra rollouts (tq_star with rollouts m > 1,
     * {@code extraRollouts} = m - 1 per candidate, candidate by candidate). {@code sharePrefix}: a tokenwise round
     * scored by a model that {@link RewardModel#sharesPrefix() shares prefixes}, scored set by set through
     * {@link RewardModel#scoreWithSharedPrefix} and never merged with other sets, so that the pipeline and the bare loop
     * compute its rewards the same way.
     */
    record Job(CandidateSet set, RewardModel rewardModel, RewardModel baselineReward, String prompt,
               List<String> texts, RewardModel.Outputs outputs, int extraRollouts, boolean sharePrefix,
               RewardModel.RoundCache roundCache) {
        RewardModel.Group group() {
            return new RewardModel.Group(prompt, texts, outputs);
        }

        /** The rewards (and outputs) of this set alone, with prefix sharing if {@link #sharePrefix}. */
        RewardModel.Scores score() {
            return sharePrefix ? rewardModel.scoreWithSharedPrefix(prompt, texts, outputs, roundCache)
                    : rewardModel.score(prompt, texts, outputs);
        }
    }

    /** Resolves a checked set's models (under the registry's read lock) and what it needs; bad requests throw. */
    private static Job prepare(CandidateSet set, AlignmentMethod method, RewardModelRegistry models,
                               CreditOptions credit) {
        Strategy strategy = set.getRequest().getStrategy();
        MethodParameters p = StrategyParameters.of(strategy);
        RewardModel rewardModel = models.resolve(strategy.getRewardModel(), strategy.getRewardModelVersion(),
                method.expectedRewardModelKind(p).map(RewardModelKind::wireName).orElse(null), method.wireName(),
                strategy.getRewardModelKind() != null);
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
        int extras = set.getCandidates().get(0).getExtraRolloutTexts().size();
        for (Candidate c : set.getCandidates()) {
            if (c.getExtraRolloutTexts().size() != extras) {
                throw new InvalidRecordException("request " + set.getRequest().getId() + ": candidate " + c.getIndex()
                        + " has " + c.getExtraRolloutTexts().size() + " extra rollouts, candidate 0 has " + extras);
            }
            texts.addAll(c.getExtraRolloutTexts());
        }
        boolean withCredit = credit.enabled() && rewardModel.hasTokenCredit() && mayEndResponse(set);
        boolean sharePrefix = method.tokenwise() && rewardModel.sharesPrefix();
        return new Job(set, rewardModel, baselineReward, set.getRequest().getPrompt(), texts,
                new RewardModel.Outputs(method.needsEmbeddings(), withCredit, credit.beta(), credit.row()), extras,
                sharePrefix, sharePrefix ? roundCache(set, models) : null);
    }

    /**
     * Where a tokenwise round keeps its shared prefix for the next: looked up unless this is the request's first round
     * (nothing can be cached yet), kept unless every candidate ends the response (the request surely ends here).
     */
    private static RewardModel.RoundCache roundCache(CandidateSet set, RewardModelRegistry models) {
        DecodeState state = set.getDecodeState();
        boolean first = state == null || state.getTokenIds().isEmpty();
        return new RewardModel.RoundCache(models.roundCache(), set.getRequest().getId(), !first, !allEndResponse(set));
    }

    /**
     * The scored set from the model's results for a job ({@code baseline}: the baseline's rewards, null without one)
     * and the seconds its inference took; results that do not fit the candidates throw.
     */
    static ScoredCandidateSet finish(Job job, RewardModel.Scores scores, double[] baseline, double seconds) {
        CandidateSet set = job.set;
        RewardModel rewardModel = job.rewardModel;
        int texts = job.texts.size();
        int n = set.getCandidates().size();
        double[] all = scores.rewards();
        requireOnePerCandidate(all, texts, rewardModel);
        double[] rewards = java.util.Arrays.copyOf(all, n);
        List<List<Float>> embeddings = scores.embeddings() == null ? List.of()
                : AvroScores.embeddings(scores.embeddings());
        List<List<TokenCredit>> credits = scores.credits() == null ? List.of()
                : AvroScores.tokenCredits(scores.credits());
        if (!credits.isEmpty() && credits.size() != n && credits.size() != texts) {
            throw new IllegalStateException("reward model returned credit for " + credits.size() + " of " + n
                    + " candidates (" + rewardModel.id() + ")");
        }
        credits = credits.size() > n ? credits.subList(0, n) : credits; // the extra rollouts' credit is not used
        List<Double> baselineRewards = List.of();
        List<List<Double>> extraBaseline = List.of();
        if (baseline != null) {
            requireOnePerCandidate(baseline, texts, job.baselineReward);
            baselineRewards = AvroScores.doubles(java.util.Arrays.copyOf(baseline, n));
            extraBaseline = extraRollouts(baseline, n, job.extraRollouts);
        }
        List<List<Double>> extraRewards = extraRollouts(all, n, job.extraRollouts);
        Map<String, Double> timings = new HashMap<>(set.getTimingsMs());
        timings.put(ScorerTopology.STAGE, seconds * 1000.0);
        return ScoredCandidateSet.newBuilder()
                .setRequest(set.getRequest())
                .setPromptTokenIds(set.getPromptTokenIds())
                .setCandidates(set.getCandidates())
                .setRewards(AvroScores.doubles(rewards))
                .setGeneratorModel(set.getGeneratorModel())
                .setRewardModel(new ModelRef(rewardModel.id(), rewardModel.version()))
                .setRewardModelKind(rewardModel.kind())
                .setEmbeddings(embeddings)
                .setBaselineRewards(baselineRewards)
                .setTimingsMs(timings)
                .setDecodeState(set.getDecodeState())
                .setTokenCredits(credits)
                .setExtraRolloutRewards(extraRewards)
                .setExtraRolloutBaselineRewards(extraBaseline)
                .build();
    }

    /** Per candidate, the scores of its {@code extras} extra rollouts (after the n candidates' own); none if 0. */
    private static List<List<Double>> extraRollouts(double[] all, int n, int extras) {
        if (extras == 0) {
            return List.of();
        }
        List<List<Double>> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(AvroScores.doubles(java.util.Arrays.copyOfRange(all, n + i * extras, n + (i + 1) * extras)));
        }
        return out;
    }

    private static void requireOnePerCandidate(double[] rewards, int candidates, RewardModel model) {
        if (rewards.length != candidates) {
            throw new IllegalStateException("reward model returned " + rewards.length + " rewards for " + candidates
                    + " candidates (" + model.id() + ")");
        }
    }

    /** Whether every candidate of the set ends the response if chosen ({@link ResponseEnd}): the request ends here. */
    static boolean allEndResponse(CandidateSet set) {
        DecodeState state = set.getDecodeState();
        if (state == null) {
            return true;
        }
        int maxNewTokens = set.getRequest().getStrategy().getMaxNewTokens();
        for (Candidate c : set.getCandidates()) {
            if (!ResponseEnd.reached(c.getFinishReason(), state.getTokenIds().size() + c.getTokenIds().size(),
                    maxNewTokens)) {
                return false;
            }
        }
        return true;
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
        Strategy s = set.getRequest().getStrategy();
        int maxNewTokens = s.getMaxNewTokens();
        // speculative_rejection's candidates each have round * M tokens before the round, its state none
        int done = AlignmentMethod.of(s.getMethod()).filter(AlignmentMethod::prunes).isPresent()
                ? state.getRound() * s.getBlockSize() : state.getTokenIds().size();
        for (Candidate c : set.getCandidates()) {
            if (ResponseEnd.reached(c.getFinishReason(), done + c.getTokenIds().size(), maxNewTokens)) {
                return true;
            }
        }
        return false;
    }
}
