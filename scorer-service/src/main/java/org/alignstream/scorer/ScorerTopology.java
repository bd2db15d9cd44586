package org.alignstream.scorer;

import java.util.ArrayList;
import java.util.HashMap;
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
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.topics.Topics;
import org.alignstream.common.validation.RecordChecks;
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
 */
public final class ScorerTopology {
    public static final String STAGE = "scorer";

    /**
     * Whether to compute per-token credit and the share beta of the reward an encoder model spreads by attention
     * ({@code --token-credit}, {@code --credit-beta}).
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
        StreamsBuilder builder = new StreamsBuilder();
        SafeStage.add(builder, STAGE, Topics.CANDIDATES, AvroSerde.of(CandidateSet.class),
                Topics.SCORED_CANDIDATES, AvroSerde.of(ScoredCandidateSet.class),
                set -> score(set, models, limits, metrics, credit), metrics);
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
        List<Candidate> candidates = set.getCandidates();
        Strategy strategy = set.getRequest().getStrategy();
        RewardModel rewardModel = models.resolve(strategy.getRewardModel(), strategy.getRewardModelVersion());
        boolean indirect = method == AlignmentMethod.TQ_STAR && "indirect".equals(strategy.getTransfer());
        RewardModel baselineReward = indirect ? models.resolve(strategy.getBaselineRewardModel()) : null;
        if (method == AlignmentMethod.RBON_WD && !rewardModel.hasEmbeddings()) {
            throw new InvalidRecordException("rbon_wd needs sentence embeddings and reward model '" + rewardModel.id()
                    + "' has none");
        }
        List<String> texts = new ArrayList<>(candidates.size());
        for (Candidate c : candidates) {
            texts.add(c.getText());
        }
        String prompt = set.getRequest().getPrompt();
        long start = System.nanoTime();
        boolean withCredit = credit.enabled() && rewardModel.hasTokenCredit() && mayEndResponse(set);
        RewardModel.Scores scores = rewardModel.score(prompt, texts,
                new RewardModel.Outputs(method == AlignmentMethod.RBON_WD, withCredit, credit.beta()));
        double[] rewards = scores.rewards();
        List<List<Float>> embeddings = scores.embeddings() == null ? List.of() : toLists(scores.embeddings());
        double seconds = (System.nanoTime() - start) / 1e9;
        metrics.observeInference(rewardModel.id(), seconds);
        metrics.observeBatch(texts.size());
        requireOnePerCandidate(rewards, texts.size(), rewardModel);
        List<List<TokenCredit>> credits = scores.credits() == null ? List.of() : toAvro(scores.credits());
        if (!credits.isEmpty() && credits.size() != texts.size()) {
            throw new IllegalStateException("reward model returned credit for " + credits.size() + " of " + texts.size()
                    + " candidates (" + rewardModel.id() + ")");
        }
        List<Double> baselineRewards = List.of();
        if (baselineReward != null) {
            long baselineStart = System.nanoTime();
            double[] r = baselineReward.score(prompt, texts);
            metrics.observeInference(baselineReward.id(), (System.nanoTime() - baselineStart) / 1e9);
            requireOnePerCandidate(r, texts.size(), baselineReward);
            baselineRewards = toList(r);
            seconds = (System.nanoTime() - start) / 1e9;
        }
        Map<String, Double> timings = new HashMap<>(set.getTimingsMs());
        timings.put(STAGE, seconds * 1000.0);
        return ScoredCandidateSet.newBuilder()
                .setRequest(set.getRequest())
                .setPromptTokenIds(set.getPromptTokenIds())
                .setCandidates(candidates)
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
