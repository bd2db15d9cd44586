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
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.topics.Topics;
import org.alignstream.common.validation.RecordChecks;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.inference.reward.RewardModel;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;

/**
 * candidates → scored-candidates: scores all candidates of a record with the request's reward model in one padded
 * batch call and stamps the reward model's id, version and kind on the result. For rbon_wd it also emits each
 * candidate's sentence embedding (from the same encoder pass); for tq_star with indirect transfer, each candidate's
 * reward under the baseline's reward model. A decoding state rides along unchanged.
 */
public final class ScorerTopology {
    public static final String STAGE = "scorer";

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
        return build(models, Limits.DEFAULT, metrics);
    }

    public static Topology build(RewardModelRegistry models, Limits limits, StageMetrics metrics) {
        StreamsBuilder builder = new StreamsBuilder();
        SafeStage.add(builder, STAGE, Topics.CANDIDATES, AvroSerde.of(CandidateSet.class),
                Topics.SCORED_CANDIDATES, AvroSerde.of(ScoredCandidateSet.class),
                set -> score(set, models, limits, metrics), metrics);
        return builder.build();
    }

    static ScoredCandidateSet score(CandidateSet set, RewardModel rewardModel, StageMetrics metrics) {
        return score(set, new RewardModelRegistry(rewardModel), metrics);
    }

    /** Scores one candidate set (one batch per reward model used); no version is swapped meanwhile. */
    public static ScoredCandidateSet score(CandidateSet set, RewardModelRegistry models, StageMetrics metrics) {
        return score(set, models, Limits.DEFAULT, metrics);
    }

    /**
     * Checks one candidate set ({@link RecordChecks#checkSet}: the request, the decoding state and the candidates as
     * the generator makes them, within {@code limits}), then scores it; an invalid set never reaches a model.
     */
    public static ScoredCandidateSet score(CandidateSet set, RewardModelRegistry models, Limits limits,
                                           StageMetrics metrics) {
        AlignmentMethod method = RecordChecks.checkSet(set.getRequest(), set.getDecodeState(), set.getCandidates(),
                limits.maxCandidates(), limits.maxTextChars());
        return models.read(() -> scoreWithVersionsFixed(set, method, models, metrics));
    }

    private static ScoredCandidateSet scoreWithVersionsFixed(CandidateSet set, AlignmentMethod method,
                                                             RewardModelRegistry models, StageMetrics metrics) {
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
        double[] rewards;
        List<List<Float>> embeddings = List.of();
        if (method == AlignmentMethod.RBON_WD) {
            RewardModel.RewardsAndEmbeddings scored = rewardModel.scoreAndEmbed(prompt, texts);
            rewards = scored.rewards();
            embeddings = toLists(scored.embeddings());
        } else {
            rewards = rewardModel.score(prompt, texts);
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        metrics.observeInference(rewardModel.id(), seconds);
        metrics.observeBatch(texts.size());
        requireOnePerCandidate(rewards, texts.size(), rewardModel);
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
                .build();
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
