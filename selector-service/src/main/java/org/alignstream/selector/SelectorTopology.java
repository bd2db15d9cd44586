package org.alignstream.selector;

import org.alignstream.common.pipeline.Pipeline;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.Strategy;
import org.alignstream.avro.TokenCredit;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.common.stage.SafeStage;
import org.alignstream.common.stage.StageOutput;
import org.alignstream.common.topics.Topics;
import org.alignstream.common.validation.RecordChecks;
import org.alignstream.common.validation.StrategyParameters;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.decoding.KlKind;
import org.alignstream.core.sampling.Seeds;
import org.alignstream.core.selection.BestOfN;
import org.alignstream.core.selection.CandidateChoiceKl;
import org.alignstream.core.selection.RegularizedBestOfN;
import org.alignstream.core.selection.SoftBestOfN;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * scored-candidates → aligned-responses | decode-steps. A whole-response method (best_of_n, rbon_kl, rbon_wd, soft_bon)
 * chooses one of the N candidates and answers. A stepwise method (args, pargs, blockwise, tq_star) chooses this round's
 * extension ({@link StepSelector}); speculative_rejection keeps the best candidates at this checkpoint
 * ({@link SpeculativeRejectionStep}) and answers with the best complete one once none is still going; when the response is complete (end of text or max_new_tokens) it answers, else it
 * sends the new {@link DecodeState} to decode-steps for the generator's next round. The answer carries the chosen
 * candidate's per-token credit when the scorer computed it (for a stepwise method, the last round's chosen candidate,
 * whose text is the whole response; with tq_star rollouts, the text that was scored).
 */
public final class SelectorTopology {
    public static final String STAGE = Pipeline.SELECTOR.name();

    private static final AvroSerde<AlignedResponse> RESPONSES = Pipeline.ALIGNED_RESPONSES.serde();
    private static final AvroSerde<DecodeState> STEPS = Pipeline.DECODE_STEPS.serde();

    private SelectorTopology() {
    }

    /** How long the round guard remembers a request after its last round. */
    public static final Duration DEFAULT_ROUND_RETENTION = Duration.ofHours(1);

    public static Topology build(StageMetrics metrics) {
        return build(metrics, System::currentTimeMillis, DEFAULT_ROUND_RETENTION);
    }

    public static Topology build(StageMetrics metrics, LongSupplier clock) {
        return build(metrics, clock, DEFAULT_ROUND_RETENTION);
    }

    /**
     * @param roundRetention how long a request's last round is remembered to turn away replays (at-least-once)
     */
    public static Topology build(StageMetrics metrics, LongSupplier clock, Duration roundRetention) {
        StreamsBuilder builder = new StreamsBuilder();
        SafeStage.addRoutedPerTask(builder, STAGE, Topics.SCORED_CANDIDATES, Pipeline.SCORED_CANDIDATES.serde(),
                context -> {
                    KeyValueStore<String, String> store = context.getStateStore(RoundGuard.STORE);
                    RoundGuard guard = new RoundGuard(store, roundRetention.toMillis());
                    context.schedule(Duration.ofMinutes(1), PunctuationType.WALL_CLOCK_TIME, guard::purge);
                    return set -> {
                        check(set); // before the guard: a bad set is dead-lettered, never silently dropped
                        if (!guard.admits(set)) {
                            return List.of();
                        }
                        List<StageOutput> out = routeChecked(set, clock.getAsLong());
                        guard.handled(set, context.currentSystemTimeMs());
                        return out;
                    };
                }, metrics, RoundGuard.storeBuilder());
        return builder.build();
    }

    /**
     * What a scored set must be before the selector chooses from it, else {@link InvalidRecordException} (the set goes
     * to dead-letters): one reward per candidate; a known whole-response method without a decoding state or a stepwise
     * one with it; the request, state and candidates as the generator makes them ({@link RecordChecks#checkSet}); for
     * rbon_wd one embedding per candidate, all of one finite dimension; for indirect tq_star one baseline reward per
     * candidate; for soft_bon finite rewards. Returns the method.
     */
    public static AlignmentMethod check(ScoredCandidateSet set) {
        StepSelector.rewards(set); // one reward per candidate
        Strategy s = set.getRequest().getStrategy();
        String id = set.getRequest().getId();
        DecodeState state = set.getDecodeState();
        Optional<AlignmentMethod> known = AlignmentMethod.of(s.getMethod());
        if (state == null && known.filter(m -> !m.stepwise()).isEmpty()) {
            throw new InvalidRecordException("unknown whole-response method '" + s.getMethod() + "' (a stepwise method "
                    + "needs a decoding state)");
        }
        if (state != null && known.filter(AlignmentMethod::stepwise).isEmpty()) {
            throw new InvalidRecordException("decoding state for request " + id + " has a method that is not stepwise: '"
                    + s.getMethod() + "'");
        }
        AlignmentMethod method = RecordChecks.checkSet(set.getRequest(), state, set.getCandidates(), Integer.MAX_VALUE,
                Integer.MAX_VALUE);
        int n = set.getCandidates().size();
        if (method.needsEmbeddings()) {
            List<List<Float>> rows = set.getEmbeddings();
            if (rows.size() != n) {
                throw new InvalidRecordException(method.wireName() + " for request " + id + " needs one embedding per candidate, the "
                        + "scored set has " + rows.size() + " for " + n);
            }
            int dim = rows.get(0).size();
            for (int i = 0; i < n; i++) {
                List<Float> row = rows.get(i);
                if (row.isEmpty() || row.size() != dim) {
                    throw new InvalidRecordException(method.wireName() + " for request " + id + ": embedding " + i + " has "
                            + row.size() + " values, embedding 0 has " + dim + " (all must have the same size > 0)");
                }
                for (float v : row) {
                    if (!Float.isFinite(v)) {
                        throw new InvalidRecordException(method.wireName() + " for request " + id + ": embedding " + i
                                + " has the non-finite value " + v);
                    }
                }
            }
        }
        if (method.needsBaselineRewards(StrategyParameters.of(s)) && set.getBaselineRewards().size() != n) {
            throw new InvalidRecordException("indirect transfer for request " + id + " needs " + n
                    + " baseline rewards, the scored set has " + set.getBaselineRewards().size());
        }
        StepSelector.rolloutRewards(set, method); // the extra rollouts' rewards fit the candidates
        if (method == AlignmentMethod.SOFT_BON) {
            // exp(R / lambda) needs every reward; Best-of-N's rule only needs NaN to lose
            List<Double> rewards = set.getRewards();
            for (int i = 0; i < n; i++) {
                if (!Double.isFinite(rewards.get(i))) {
                    throw new InvalidRecordException("soft_bon for request " + id + ": reward " + i + " is "
                            + rewards.get(i) + "; soft_bon needs finite rewards");
                }
            }
        }
        return method;
    }

    /** Where one scored set leads: an aligned response, or the next decoding round ({@link #check}ed first). */
    public static List<StageOutput> route(ScoredCandidateSet set, long nowMs) {
        check(set);
        return routeChecked(set, nowMs);
    }

    private static List<StageOutput> routeChecked(ScoredCandidateSet set, long nowMs) {
        if (set.getDecodeState() == null) {
            return List.of(StageOutput.of(Topics.ALIGNED_RESPONSES, RESPONSES, select(set, nowMs)));
        }
        StepSelector.Step step = step(set);
        return step.state().getFinished()
                ? List.of(StageOutput.of(Topics.ALIGNED_RESPONSES, RESPONSES, respond(step, set, nowMs)))
                : List.of(StageOutput.of(Topics.DECODE_STEPS, STEPS, step.state()));
    }

    /** One round of a stepwise method (the selector's own time included in the state's timings). */
    public static StepSelector.Step step(ScoredCandidateSet set) {
        long start = System.nanoTime();
        StepSelector.Step step = StepSelector.next(set);
        double ms = (System.nanoTime() - start) / 1e6;
        step.state().getTimingsMs().merge(STAGE, ms, Double::sum);
        return step;
    }

    /** The answer of a finished stepwise decoding. */
    static AlignedResponse respond(StepSelector.Step step, ScoredCandidateSet set, long nowMs) {
        DecodeState state = step.state();
        boolean prunes = AlignmentMethod.of(set.getRequest().getStrategy().getMethod()).orElseThrow().prunes();
        // speculative_rejection's choice may have ended before this round: its credit is known only if it is in the set
        int inSet = prunes ? SpeculativeRejectionStep.indexInSet(set, step.chosenIndex()) : step.chosenIndex();
        AlignedResponse.Builder answer = AlignedResponses.answering(set, Math.max(inSet, 0), state.getTimingsMs(),
                nowMs);
        if (prunes) {
            answer.setN(set.getRequest().getStrategy().getN())
                    .setChosenIndex(step.chosenIndex())
                    .setKeptPerCheckpoint(state.getKeptPerCheckpoint())
                    .setTokenCredit(inSet >= 0 ? creditOf(set, inSet) : List.of());
        }
        return answer
                .setText(state.getText())
                .setReward(state.getReward())
                .setCandidateRewards(step.roundRewards())
                .setTokenIds(state.getTokenIds())
                .setKl(state.getKl())
                .setKlKind(AlignmentMethod.of(set.getRequest().getStrategy().getMethod()).orElseThrow()
                        .klKind(StrategyParameters.of(set.getRequest().getStrategy())).wireName())
                .setRounds(state.getRound())
                .setRewardCalls(state.getRewardCalls())
                .setGeneratedTokens(state.getGeneratedTokens())
                .setBaselineModel(state.getBaselineModel())
                .build();
    }

    /** Whole-response selection among N complete candidates. */
    static AlignedResponse select(ScoredCandidateSet set, long nowMs) {
        long start = System.nanoTime();
        List<Candidate> candidates = set.getCandidates();
        double[] rewards = StepSelector.rewards(set);
        Strategy s = set.getRequest().getStrategy();
        String method = s.getMethod();
        AlignmentMethod m = AlignmentMethod.of(method).filter(x -> !x.stepwise()).orElseThrow(() ->
                new InvalidRecordException("unknown whole-response method '" + method + "' (a stepwise method needs a "
                        + "decoding state)"));
        double[] logProbRef = StepSelector.logProbRef(candidates);
        double beta = StrategyParameters.of(s).beta();
        double[] objective = switch (m) {
            case BEST_OF_N -> rewards;
            case RBON_KL -> RegularizedBestOfN.klObjective(rewards, logProbRef, beta);
            case RBON_WD -> RegularizedBestOfN.wassersteinObjective(rewards, embeddings(set), beta);
            case SOFT_BON -> rewards;
            default -> throw new IllegalStateException("unhandled method " + m);
        };
        // soft_bon draws its choice from the request's seed (round 0's selection stream), so any run of the request
        // picks the same candidate; the others take the best objective
        int chosen = m == AlignmentMethod.SOFT_BON
                ? SoftBestOfN.select(rewards, beta,
                        Seeds.forStep(Seeds.forRound(s.getSeed(), 0), Seeds.SELECTION_STREAM, 0))
                : BestOfN.select(objective);
        // the KL figure and what it is: exact over the drawn candidates where the choice is Best-of-N by a
        // per-candidate score and the candidates hold enough of pi_ref's mass for that to describe it, else Best-of-N's
        // bound; soft_bon's exact KL from the uniform choice given the candidates; rbon_wd's objective depends on the
        // whole set, so log N bounds it (0 for one text)
        int[] first = CandidateChoiceKl.firstOccurrence(candidates.stream().map(Candidate::getTokenIds).toList());
        KlKind kind = CandidateChoiceKl.distinct(first) == 1 ? KlKind.EXACT_OVER_CANDIDATES
                : m.klKind(StrategyParameters.of(s));
        boolean bestOfNBound = kind == KlKind.EXACT_OVER_CANDIDATES
                && !CandidateChoiceKl.describesTheChoice(logProbRef, first);
        kind = bestOfNBound ? KlKind.UPPER_BOUND : kind;
        double kl = kind == KlKind.EXACT_OVER_CANDIDATES ? CandidateChoiceKl.bestOfN(objective, logProbRef, first)
                : bestOfNBound ? BestOfN.klEstimate(candidates.size())
                : m == AlignmentMethod.SOFT_BON ? SoftBestOfN.kl(rewards, beta, first)
                : Math.log(candidates.size());
        Candidate c = candidates.get(chosen);
        Map<String, Double> timings = new HashMap<>(set.getTimingsMs());
        timings.put(STAGE, (System.nanoTime() - start) / 1e6);
        return AlignedResponses.answering(set, chosen, timings, nowMs)
                .setText(c.getText())
                .setReward(rewards[chosen])
                .setCandidateRewards(set.getRewards())
                .setCandidateObjectives(m == AlignmentMethod.RBON_KL || m == AlignmentMethod.RBON_WD
                        ? Arrays.stream(objective).boxed().toList() : List.of())
                .setTokenIds(c.getTokenIds())
                .setKl(kl)
                .setKlKind(kind.wireName())
                .setRewardCalls(candidates.size())
                .setGeneratedTokens(StepSelector.generatedTokens(candidates))
                .build();
    }

    /** The chosen candidate's per-token credit, or none if the scorer computed none for this set. */
    static List<TokenCredit> creditOf(ScoredCandidateSet set, int chosen) {
        List<List<TokenCredit>> credits = set.getTokenCredits();
        if (credits.isEmpty()) {
            return List.of();
        }
        if (credits.size() != set.getCandidates().size()) {
            throw new InvalidRecordException("scored set for request " + set.getRequest().getId() + " has token credits "
                    + "for " + credits.size() + " of " + set.getCandidates().size() + " candidates");
        }
        return credits.get(chosen);
    }

    private static float[][] embeddings(ScoredCandidateSet set) {
        List<List<Float>> rows = set.getEmbeddings();
        if (rows.size() != set.getCandidates().size()) {
            throw new InvalidRecordException("rbon_wd for request " + set.getRequest().getId() + " needs one embedding per "
                    + "candidate, the scored set has " + rows.size() + " for " + set.getCandidates().size());
        }
        float[][] out = new float[rows.size()][];
        for (int i = 0; i < out.length; i++) {
            List<Float> row = rows.get(i);
            out[i] = new float[row.size()];
            for (int j = 0; j < out[i].length; j++) {
                out[i][j] = row.get(j);
            }
        }
        return out;
    }
}
