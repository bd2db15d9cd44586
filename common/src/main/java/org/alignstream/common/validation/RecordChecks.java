package org.alignstream.common.validation;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.SpeculativeCandidate;
import org.alignstream.avro.Strategy;
import org.alignstream.common.stage.InvalidRecordException;
import org.alignstream.core.decoding.AlignmentMethod;
import org.alignstream.core.decoding.MethodParameters;

/**
 * The rules a request, a decoding state and a set of candidates obey when the pipeline made them, checked by every stage
 * that reads them (generator, scorer, selector) before it does any work on them: a record a stage did not make itself
 * may come from anywhere, so each stage checks what it relies on rather than trusting the stage before. Each check
 * throws {@link InvalidRecordException} naming the first broken rule (the record goes to dead-letters). Pure, no state.
 *
 * <p>The configurable upper limits of a request ({@link Bounds}: largest n, max_new_tokens, prompt, top_k, rollout) are
 * the generator's to set; the later stages check the same rules with {@link Bounds#NONE} plus their own limits on what
 * they process (number of candidates, text size).
 */
public final class RecordChecks {

    /** Largest log-probability accepted (a log-probability is at most 0; this leaves room for rounding). */
    static final double MAX_LOGPROB = 1e-4;

    /** The two ways a candidate ends: {@code eos} (end of text) or {@code length} (max tokens reached). */
    public static final List<String> FINISH_REASONS = List.of("eos", "length");

    private RecordChecks() {
    }

    /**
     * Upper limits of a request.
     *
     * @param maxN             largest number of candidates n
     * @param maxNewTokens     largest {@code max_new_tokens}
     * @param maxPromptChars   longest prompt, in characters
     * @param maxTopK          largest top-k
     * @param maxRolloutLength largest Transfer Q* rollout length L
     */
    public record Bounds(int maxN, int maxNewTokens, int maxPromptChars, int maxTopK, int maxRolloutLength) {
        /** No upper limits: the rules alone. */
        public static final Bounds NONE = new Bounds(Integer.MAX_VALUE, Integer.MAX_VALUE, Integer.MAX_VALUE,
                Integer.MAX_VALUE, Integer.MAX_VALUE);
        /** The generator's default limits (its --max-n, --max-new-tokens, --max-prompt-chars, --max-top-k, --max-rollout-length). */
        public static final int DEFAULT_MAX_N = 64;
        public static final int DEFAULT_MAX_NEW_TOKENS = 256;
        public static final int DEFAULT_MAX_PROMPT_CHARS = 4000;
        public static final int DEFAULT_MAX_TOP_K = 1000;
        public static final int DEFAULT_MAX_ROLLOUT_LENGTH = 64;
    }

    /**
     * The method of a valid request; throws {@link InvalidRecordException} naming every broken rule at once: the rule
     * itself when there is one, else {@code "N problems: a; b; ..."} in check order.
     */
    public static AlignmentMethod checkRequest(PromptRequest request, Bounds bounds) {
        List<String> problems = requestProblems(request, bounds);
        if (!problems.isEmpty()) {
            throw new InvalidRecordException(problems.size() == 1 ? problems.get(0)
                    : problems.size() + " problems: " + String.join("; ", problems));
        }
        return AlignmentMethod.of(request.getStrategy().getMethod()).orElseThrow();
    }

    /**
     * Every rule of {@link #checkRequest} that {@code request} breaks, in the order {@code checkRequest} checks them;
     * empty if the request is valid. A missing request or strategy, or an unknown method, ends the list (the rules
     * after it cannot be checked). The gateway answers with all of them at once, as the generator's dead letter does.
     */
    public static List<String> requestProblems(PromptRequest request, Bounds bounds) {
        List<String> problems = new ArrayList<>();
        if (request == null) {
            return List.of("request is missing");
        }
        if (request.getId() == null || request.getId().isBlank()) {
            problems.add("request id is empty");
        }
        if (request.getPrompt() == null || request.getPrompt().isBlank()) {
            problems.add("prompt is empty");
        } else if (request.getPrompt().length() > bounds.maxPromptChars()) {
            problems.add("prompt has " + request.getPrompt().length() + " characters, the limit is "
                    + bounds.maxPromptChars());
        }
        Strategy s = request.getStrategy();
        if (s == null) {
            problems.add("strategy is missing");
            return problems;
        }
        Optional<AlignmentMethod> method = AlignmentMethod.of(s.getMethod());
        if (method.isEmpty()) {
            problems.add("unknown method '" + s.getMethod() + "', expected one of " + AlignmentMethod.wireNames());
            return problems;
        }
        s = StrategyParameters.withDefaults(s); // what the request left out is the method's default, checked as such
        if (s.getN() < 1 || s.getN() > bounds.maxN()) {
            problems.add(range("n", 1, bounds.maxN(), s.getN()));
        }
        if (s.getMaxNewTokens() < 1 || s.getMaxNewTokens() > bounds.maxNewTokens()) {
            problems.add(range("max_new_tokens", 1, bounds.maxNewTokens(), s.getMaxNewTokens()));
        }
        if (s.getTopK() < 0 || s.getTopK() > bounds.maxTopK()) {
            problems.add(bounds.maxTopK() == Integer.MAX_VALUE
                    ? "top_k must be >= 0 (0 = off), was " + s.getTopK()
                    : "top_k must be between 0 (off) and " + bounds.maxTopK() + ", was " + s.getTopK());
        }
        if (!Double.isFinite(s.getTemperature()) || s.getTemperature() < 0) {
            problems.add("temperature must be finite and >= 0 (0 = greedy), was " + s.getTemperature());
        }
        if (!(s.getTopP() > 0 && s.getTopP() <= 1)) {
            problems.add("top_p must be in (0, 1], was " + s.getTopP());
        }
        if (!Double.isFinite(s.getBeta())) {
            problems.add("beta must be finite, was " + s.getBeta());
        }
        problems.addAll(method.get().parameterProblems(StrategyParameters.of(s), bounds.maxRolloutLength()));
        return problems;
    }

    private static String range(String what, int min, int max, int was) {
        return max == Integer.MAX_VALUE
                ? what + " must be >= " + min + ", was " + was
                : what + " must be between " + min + " and " + max + ", was " + was;
    }

    /**
     * A decoding state about to get its next round, whose request was checked: its method is stepwise, it is not
     * finished and has room for at least one more token, its token ids and log-probabilities pair up, and its round
     * matches the length of its response (one token per round for args, pargs and tq_star; M per round for blockwise;
     * for speculative_rejection, of each candidate still going).
     */
    public static void checkDecodeState(DecodeState state) {
        if (state.getRequest() == null) {
            throw new InvalidRecordException("decoding state has no request");
        }
        Strategy s = state.getRequest().getStrategy();
        String id = state.getRequest().getId();
        AlignmentMethod method = AlignmentMethod.of(s.getMethod()).orElseThrow(() ->
                new InvalidRecordException("request " + id + ": unknown method '" + s.getMethod() + "'"));
        if (!method.stepwise()) {
            throw new InvalidRecordException("request " + id + ": " + method.wireName() + " is not a stepwise method");
        }
        if (state.getFinished()) {
            throw new InvalidRecordException("request " + id + ": the decoding is already finished");
        }
        if (state.getPromptTokenIds() == null || state.getPromptTokenIds().isEmpty()) {
            throw new InvalidRecordException("request " + id + ": decoding state has no prompt tokens");
        }
        int tokens = state.getTokenIds().size();
        if (tokens != state.getLogprobs().size()) {
            throw new InvalidRecordException("request " + id + ": decoding state has " + tokens
                    + " tokens but " + state.getLogprobs().size() + " log-probabilities");
        }
        if (tokens >= s.getMaxNewTokens()) {
            throw new InvalidRecordException("request " + id + ": decoding state already has " + tokens
                    + " tokens, max_new_tokens is " + s.getMaxNewTokens());
        }
        if (state.getRound() < 0) {
            throw new InvalidRecordException("request " + id + ": round must be >= 0, was " + state.getRound());
        }
        int perRound = method.tokensPerRound(StrategyParameters.of(s));
        if (method.prunes()) {
            checkSpeculativeCandidates(state, perRound);
        } else if ((long) state.getRound() * perRound != tokens) {
            throw new InvalidRecordException("request " + id + ": decoding state is at round " + state.getRound()
                    + " but has " + tokens + " response tokens (" + method.wireName() + " adds " + perRound
                    + " per round)");
        }
        checkTokenIds(state.getPromptTokenIds(), "request " + id + ": prompt token");
        checkTokenIds(state.getTokenIds(), "request " + id + ": response token");
        checkLogprobs(state.getLogprobs(), "request " + id + ": response token");
        if (state.getRewardCalls() < 0) {
            throw new InvalidRecordException("request " + id + ": reward_calls must be >= 0, was " + state.getRewardCalls());
        }
    }

    /**
     * The candidates a speculative_rejection state carries: no chosen response before the end; before the first round
     * none, after it the kept ones (at least one still going, with round * M tokens each; the ended ones at most that
     * many, at least one) and the retired ones (ended), each with a distinct stream in [0, n), as many
     * log-probabilities (finite, at most 0) as tokens and a finite or NaN reward; one kept count per checkpoint.
     */
    private static void checkSpeculativeCandidates(DecodeState state, int perRound) {
        Strategy s = state.getRequest().getStrategy();
        String id = "request " + state.getRequest().getId();
        if (!state.getTokenIds().isEmpty()) {
            throw new InvalidRecordException(id + ": speculative_rejection chooses its response at the end, the "
                    + "decoding state already has " + state.getTokenIds().size() + " response tokens");
        }
        if (state.getKeptPerCheckpoint().size() != state.getRound()) {
            throw new InvalidRecordException(id + ": decoding state is at round " + state.getRound() + " but has "
                    + state.getKeptPerCheckpoint().size() + " checkpoints");
        }
        List<SpeculativeCandidate> kept = state.getSpeculativeCandidates();
        List<SpeculativeCandidate> retired = state.getRetiredCandidates();
        if (state.getRound() == 0) {
            if (!kept.isEmpty() || !retired.isEmpty()) {
                throw new InvalidRecordException(id + ": decoding state at round 0 already has candidates");
            }
            return;
        }
        long length = (long) state.getRound() * perRound;
        boolean[] seen = new boolean[s.getN()];
        int live = 0;
        for (int k = 0; k < kept.size() + retired.size(); k++) {
            boolean isRetired = k >= kept.size();
            SpeculativeCandidate c = isRetired ? retired.get(k - kept.size()) : kept.get(k);
            String what = id + ": " + (isRetired ? "retired candidate " + (k - kept.size()) : "candidate " + k);
            if (c.getStream() < 0 || c.getStream() >= seen.length || seen[c.getStream()]) {
                throw new InvalidRecordException(what + " has stream " + c.getStream() + ", expected a distinct one "
                        + "in [0, " + seen.length + ")");
            }
            seen[c.getStream()] = true;
            int n = c.getTokenIds().size();
            if (n != c.getLogprobs().size()) {
                throw new InvalidRecordException(what + " has " + n + " tokens but " + c.getLogprobs().size()
                        + " log-probabilities");
            }
            if (c.getEnded() ? n < 1 || n > length : n != length) {
                throw new InvalidRecordException(what + " has " + n + " tokens at round " + state.getRound()
                        + ", expected " + (c.getEnded() ? "1 to " : "") + length);
            }
            if (isRetired && !c.getEnded()) {
                throw new InvalidRecordException(what + " has not ended");
            }
            if (Double.isInfinite(c.getReward())) {
                throw new InvalidRecordException(what + " has the reward " + c.getReward());
            }
            checkTokenIds(c.getTokenIds(), what + " token");
            checkLogprobs(c.getLogprobs(), what + " token");
            live += c.getEnded() ? 0 : 1;
        }
        if (live == 0) {
            throw new InvalidRecordException(id + ": decoding state has no candidate still going");
        }
    }

    /** How many candidates the next round of {@code state} has: the live ones of speculative_rejection, else the method's. */
    private static int expectedCandidates(AlignmentMethod method, MethodParameters p, DecodeState state) {
        if (method.prunes() && state != null && state.getRound() > 0) {
            return (int) state.getSpeculativeCandidates().stream().filter(c -> !c.getEnded()).count();
        }
        return method.candidatesPerRound(p);
    }

    /**
     * The candidates the generator made for {@code request} (whole-response, or one round of {@code state}): not empty,
     * at most {@code maxCandidates}, as many as the request asks for (n, or top_k for a tokenwise round), each at its
     * index with as many log-probabilities (finite, at most 0) as tokens, a known finish reason, a text of at most
     * {@code maxTextChars}, and no more tokens than the request allows (one per tokenwise round, M per block).
     *
     * @param state the decoding state of a stepwise request (checked with {@link #checkDecodeState}), else null
     */
    public static void checkCandidates(PromptRequest request, AlignmentMethod method, DecodeState state,
                                       List<Candidate> candidates, int maxCandidates, int maxTextChars) {
        String id = request.getId();
        Strategy s = request.getStrategy();
        if (candidates == null || candidates.isEmpty()) {
            throw new InvalidRecordException("candidate set for request " + id + " has no candidates");
        }
        if (candidates.size() > maxCandidates) {
            throw new InvalidRecordException("candidate set for request " + id + " has " + candidates.size()
                    + " candidates, the limit is " + maxCandidates);
        }
        MethodParameters p = StrategyParameters.of(s);
        int expected = expectedCandidates(method, p, state);
        if (candidates.size() != expected) {
            throw new InvalidRecordException("request " + id + " asks for " + expected + " candidates ("
                    + (method.prunes() && state != null && state.getRound() > 0 ? "the candidates still going"
                            : method.candidateCount().wireName()) + ") but the set has " + candidates.size());
        }
        int done = state == null ? 0
                : method.prunes() ? state.getRound() * method.tokensPerRound(p) : state.getTokenIds().size();
        int maxTokens = method.maxCandidateTokens(p, done);
        int maxRollout = method.maxRolloutTokens(p);
        int extraRollouts = Math.max(0, method.rolloutsPerCandidate(p) - 1);
        for (int i = 0; i < candidates.size(); i++) {
            Candidate c = candidates.get(i);
            String what = "request " + id + ": candidate " + i;
            if (c.getIndex() != i) {
                throw new InvalidRecordException(what + " has index " + c.getIndex());
            }
            int n = c.getTokenIds().size();
            if (n < 1 || n > maxTokens) {
                throw new InvalidRecordException(what + " has " + n + " tokens, expected 1 to " + maxTokens);
            }
            if (c.getLogprobs().size() != n) {
                throw new InvalidRecordException(what + " has " + n + " tokens but " + c.getLogprobs().size()
                        + " log-probabilities");
            }
            checkTokenIds(c.getTokenIds(), what + " token");
            checkLogprobs(c.getLogprobs(), what + " token");
            if (!FINISH_REASONS.contains(c.getFinishReason())) {
                throw new InvalidRecordException(what + " has finish_reason '" + c.getFinishReason() + "', expected one of "
                        + FINISH_REASONS);
            }
            int rollout = c.getRolloutTokenIds().size();
            if (rollout > maxRollout) {
                throw new InvalidRecordException(what + " has a rollout of " + rollout + " tokens, at most " + maxRollout
                        + " allowed for " + method.wireName());
            }
            checkTokenIds(c.getRolloutTokenIds(), what + " rollout token");
            List<List<Integer>> extras = c.getExtraRolloutTokenIds();
            if (!extras.isEmpty() && extras.size() != extraRollouts) {
                throw new InvalidRecordException(what + " has " + extras.size() + " extra rollouts, expected 0 or "
                        + extraRollouts + " (rollouts m = " + method.rolloutsPerCandidate(p) + ")");
            }
            // no first rollout (no room to roll out): the extras are empty too, never a rollout on their own
            if (rollout == 0 && extras.stream().anyMatch(e -> !e.isEmpty())) {
                throw new InvalidRecordException(what + " has an extra rollout but no first rollout");
            }
            if (c.getExtraRolloutTexts().size() != extras.size()) {
                throw new InvalidRecordException(what + " has " + extras.size() + " extra rollouts but "
                        + c.getExtraRolloutTexts().size() + " extra rollout texts");
            }
            for (int j = 0; j < extras.size(); j++) {
                if (extras.get(j).size() > maxRollout) {
                    throw new InvalidRecordException(what + " has an extra rollout of " + extras.get(j).size()
                            + " tokens, at most " + maxRollout + " allowed for " + method.wireName());
                }
                checkTokenIds(extras.get(j), what + " extra rollout " + j + " token");
                checkText(c.getExtraRolloutTexts().get(j), what + " extra rollout text " + j, maxTextChars);
            }
            checkText(c.getText(), what + " text", maxTextChars);
            if (c.getResponseText() != null) {
                checkText(c.getResponseText(), what + " response_text", maxTextChars);
            }
        }
    }

    /**
     * A candidate set (or a scored one) as the generator makes it: a valid request ({@link Bounds#NONE}), a consistent
     * decoding state carrying the same request if and only if the method is stepwise, and candidates that fit the
     * request ({@link #checkCandidates}). Returns the request's method.
     */
    public static AlignmentMethod checkSet(PromptRequest request, DecodeState state, List<Candidate> candidates,
                                           int maxCandidates, int maxTextChars) {
        AlignmentMethod method = checkRequest(request, Bounds.NONE);
        String id = request.getId();
        if (method.stepwise()) {
            if (state == null) {
                throw new InvalidRecordException("request " + id + ": " + method.wireName()
                        + " is a stepwise method and needs a decoding state (decode_state is null)");
            }
            if (!request.equals(state.getRequest())) {
                throw new InvalidRecordException("request " + id + ": the decoding state carries a different request"
                        + (state.getRequest() == null ? "" : " (" + state.getRequest().getId() + ")"));
            }
            checkDecodeState(state);
        } else if (state != null) {
            throw new InvalidRecordException("request " + id + ": " + method.wireName()
                    + " is a whole-response method but the set carries a decoding state");
        }
        checkText(request.getPrompt(), "request " + id + ": prompt", maxTextChars);
        checkCandidates(request, method, state, candidates, maxCandidates, maxTextChars);
        return method;
    }

    private static void checkText(String text, String what, int maxChars) {
        if (text.length() > maxChars) {
            throw new InvalidRecordException(what + " has " + text.length() + " characters, the limit is " + maxChars);
        }
    }

    private static void checkTokenIds(List<Integer> ids, String what) {
        for (int i = 0; i < ids.size(); i++) {
            if (ids.get(i) < 0) {
                throw new InvalidRecordException(what + " " + i + " has the negative id " + ids.get(i));
            }
        }
    }

    private static void checkLogprobs(List<Float> logprobs, String what) {
        for (int i = 0; i < logprobs.size(); i++) {
            float lp = logprobs.get(i);
            if (!Float.isFinite(lp) || lp > MAX_LOGPROB) {
                throw new InvalidRecordException(what + " " + i + " has log-probability " + lp
                        + ", a log-probability is finite and <= 0");
            }
        }
    }
}
