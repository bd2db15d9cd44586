package org.alignstream.drills.fuzz;

import org.alignstream.common.pipeline.Pipeline;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.TreeSet;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.Candidate;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.EditEvent;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.ModelRef;
import org.alignstream.avro.PreferenceEvent;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.Strategy;
import org.alignstream.avro.TrainingExample;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.topics.Topics;
import org.alignstream.core.decoding.AlignmentMethod;
import org.apache.avro.specific.SpecificRecord;

/**
 * Seeded generator of bad records for every input topic of the pipeline ({@link #TOPICS}): undecodable bytes of every
 * sort (random bytes, empty values, tombstones, truncated encodings, another record type, an unknown schema
 * fingerprint, a valid header with a garbage body, a length that claims a gigabyte, trailing bytes) and well-encoded
 * records that break exactly one rule the stage reading them checks (out-of-range, NaN or infinite parameters, huge
 * prompts and texts, unknown methods, transfers and reward models, candidate sets whose candidates, rewards or
 * embeddings do not match, decoding states that are finished, overfull or inconsistent, feedback that is empty,
 * oversized or identical, training examples of the wrong size). Each record carries its kind, a unique key (so its dead
 * letter can be found), the stage that must dead-letter it and a part of the reason it must give.
 *
 * <p>Record {@code i} of a topic is a pure function of (seed, topic, i): its kind is the {@code i mod K}-th of the
 * topic's K kinds (so kinds are equally frequent) and its content is drawn from a random stream of its own.
 */
public final class BadRecords {

    /** The input topics of the four stages. */
    public static final List<String> TOPICS = List.of(Topics.PROMPTS, Topics.DECODE_STEPS, Topics.CANDIDATES,
            Topics.SCORED_CANDIDATES, Topics.FEEDBACK, Topics.FEEDBACK_EXAMPLES);

    /** The stage reading each input topic. */
    public static final Map<String, String> STAGES = Map.of(Topics.PROMPTS, "generator", Topics.DECODE_STEPS, "generator",
            Topics.CANDIDATES, "scorer", Topics.SCORED_CANDIDATES, "selector", Topics.FEEDBACK, "feedback",
            Topics.FEEDBACK_EXAMPLES, "feedback");

    /**
     * One bad record.
     *
     * @param value      its bytes; null for a tombstone
     * @param stage      the stage that must dead-letter it
     * @param reasonPart a part of the reason its dead letter must give
     */
    public record BadRecord(String topic, String kind, String key, byte[] value, String stage, String reasonPart) {
    }

    /**
     * What the running stages accept, so that each bad record is just outside it.
     *
     * @param maxN             generator --max-n
     * @param maxNewTokens     generator --max-new-tokens
     * @param maxPromptChars   generator --max-prompt-chars
     * @param maxTopK          generator --max-top-k
     * @param maxRolloutLength generator --max-rollout-length
     * @param vocabSize        the generator's language model's vocabulary
     * @param maxPositions     the generator's language model's context length
     * @param maxCandidates    scorer --max-candidates
     * @param maxTextChars     scorer --max-text-chars
     * @param maxFeedbackChars feedback --max-text-chars
     * @param featureDim       size of the feedback backbone's features
     * @param rewardModels     the reward model ids the scorer serves (and the generator checks, --reward-models)
     * @param trainedModels    the reward model ids the feedback service trains
     */
    public record Limits(int maxN, int maxNewTokens, int maxPromptChars, int maxTopK, int maxRolloutLength, int vocabSize,
                         int maxPositions, int maxCandidates, int maxTextChars, int maxFeedbackChars, int featureDim,
                         Set<String> rewardModels, Set<String> trainedModels) {
        public Limits {
            rewardModels = Set.copyOf(new TreeSet<>(rewardModels));
            trainedModels = Set.copyOf(new TreeSet<>(trainedModels));
            if (rewardModels.isEmpty() || trainedModels.isEmpty()) {
                throw new IllegalArgumentException("need at least one served and one trained reward model");
            }
        }

        /** The services' defaults, with the bundled models (lm-austen: 4,096 tokens, 128 positions; MiniLM: 384). */
        public static Limits defaults() {
            return new Limits(64, 256, 4000, 1000, 64, 4096, 128, 1000, 32_000, 4000, 384,
                    Set.of("sentiment", "sentiment-partial"), Set.of("sentiment"));
        }
    }

    private record Made(byte[] value, String reasonPart) {
    }

    private interface Maker {
        Made make(SplittableRandom r, String key);
    }

    private record Kind(String name, Maker maker) {
    }

    private static final AvroSerde<PromptRequest> PROMPT = Pipeline.PROMPTS.serde();
    private static final AvroSerde<DecodeState> STATE = Pipeline.DECODE_STEPS.serde();
    private static final AvroSerde<CandidateSet> CANDIDATES = Pipeline.CANDIDATES.serde();
    private static final AvroSerde<ScoredCandidateSet> SCORED = Pipeline.SCORED_CANDIDATES.serde();
    private static final AvroSerde<FeedbackEvent> FEEDBACK = Pipeline.FEEDBACK.serde();
    private static final AvroSerde<TrainingExample> EXAMPLE = Pipeline.FEEDBACK_EXAMPLES.serde();
    private static final ModelRef LM = new ModelRef("lm-austen", "0123456789ab");
    private static final List<String> WORDS = List.of("she", "was", "delighted", "the", "sea", "a", "letter", "from",
            "Mr.", "Darcy", "evening", "walked", "quietly", "and", "never", "in", "her", "life", "so", "happy", "Émile",
            "naïve", "—", "“quoted”", "日本", "🙂");
    private static final List<AlignmentMethod> WHOLE = List.of(AlignmentMethod.BEST_OF_N, AlignmentMethod.RBON_KL,
            AlignmentMethod.RBON_WD, AlignmentMethod.SOFT_BON);
    private static final List<AlignmentMethod> STEPWISE = List.of(AlignmentMethod.ARGS, AlignmentMethod.PARGS,
            AlignmentMethod.BLOCKWISE, AlignmentMethod.TQ_STAR);
    private static final List<AlignmentMethod> ALL = Arrays.asList(AlignmentMethod.values());
    /**
     * The methods whose candidate sets this generator builds: its decoding states carry one response, which
     * speculative_rejection's do not (its sets and states are checked by SpeculativeRejectionStepTest).
     */
    private static final List<AlignmentMethod> ONE_RESPONSE = Arrays.stream(AlignmentMethod.values())
            .filter(m -> !m.prunes()).toList();

    /** The methods of {@code methods} whose states carry one response, or all of them if none does. */
    private static List<AlignmentMethod> oneResponseIfAny(List<AlignmentMethod> methods) {
        List<AlignmentMethod> one = methods.stream().filter(m -> !m.prunes()).toList();
        return one.isEmpty() ? methods : one;
    }

    private final long seed;
    private final Limits limits;
    private final Map<String, List<Kind>> kinds = new LinkedHashMap<>();

    public BadRecords(long seed, Limits limits) {
        this.seed = seed;
        this.limits = limits;
        kinds.put(Topics.PROMPTS, promptKinds());
        kinds.put(Topics.DECODE_STEPS, stateKinds());
        kinds.put(Topics.CANDIDATES, candidateKinds());
        kinds.put(Topics.SCORED_CANDIDATES, scoredKinds());
        kinds.put(Topics.FEEDBACK, feedbackKinds());
        kinds.put(Topics.FEEDBACK_EXAMPLES, exampleKinds());
    }

    /** The kinds of bad record generated for {@code topic}, in the order records cycle through them. */
    public List<String> kinds(String topic) {
        return kindsOf(topic).stream().map(Kind::name).toList();
    }

    private List<Kind> kindsOf(String topic) {
        List<Kind> list = kinds.get(topic);
        if (list == null) {
            throw new IllegalArgumentException("not an input topic: " + topic + "; one of " + TOPICS);
        }
        return list;
    }

    /** Record {@code i} of {@code topic}: a pure function of the seed, the topic and {@code i}. */
    public BadRecord record(String topic, int i) {
        List<Kind> list = kindsOf(topic);
        Kind kind = list.get(Math.floorMod(i, list.size()));
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + (long) TOPICS.indexOf(topic) * 0x100000001B3L
                + i);
        String key = "fuzz-" + topic + "-" + i + "-" + kind.name();
        Made made = kind.maker().make(r, key);
        return new BadRecord(topic, kind.name(), key, made.value(), STAGES.get(topic), made.reasonPart());
    }

    /** Records {@code 0 .. count - 1} of {@code topic}. */
    public List<BadRecord> records(String topic, int count) {
        List<BadRecord> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(record(topic, i));
        }
        return out;
    }

    // ------------------------------------------------------------------ bytes that do not decode

    /** Kinds every topic gets: bytes that are not a record of {@code serde}'s type. */
    private <T extends SpecificRecord> List<Kind> undecodable(AvroSerde<T> serde, Maker valid) {
        String type = serde.type().getSimpleName();
        String cannot = "cannot decode " + type;
        List<Kind> out = new ArrayList<>();
        out.add(new Kind("random-bytes", (r, key) -> new Made(bytes(r, r.nextInt(257)), cannot)));
        out.add(new Kind("empty-value", (r, key) -> new Made(new byte[0], cannot + ": 0 bytes is too short")));
        out.add(new Kind("tombstone", (r, key) -> new Made(null, "record has no value (null); expected a " + type)));
        out.add(new Kind("truncated", (r, key) -> {
            byte[] full = valid.make(r, key).value();
            return new Made(Arrays.copyOf(full, r.nextInt(full.length)), cannot);
        }));
        out.add(new Kind("other-type", (r, key) -> {
            List<AvroSerde<?>> others = new ArrayList<>();
            for (AvroSerde<?> other : List.of(PROMPT, STATE, CANDIDATES, SCORED, FEEDBACK, EXAMPLE)) {
                if (other.type() != serde.type()) {
                    others.add(other);
                }
            }
            int pick = r.nextInt(others.size() + 3);
            byte[] bytes = switch (pick - others.size()) {
                case 0 -> Pipeline.ALIGNED_RESPONSES.serde().encode(AlignedResponse.newBuilder().setId(key)
                        .setPrompt("She was").setText(" glad").setReward(0.5).setChosenIndex(0)
                        .setCandidateRewards(List.of(0.5)).setMethod("best_of_n").setN(1).setGeneratorModel(LM)
                        .setRewardModel(new ModelRef("sentiment", "1")).build());
                case 1 -> Pipeline.DEAD_LETTERS.serde().encode(DeadLetter.newBuilder().setStage("generator")
                        .setSourceTopic(Topics.PROMPTS).setReason("a dead letter fed back").build());
                case 2 -> Pipeline.REWARD_MODELS.serde().encode(RewardModelVersion.newBuilder()
                        .setModelId("sentiment").setVersion(2).setKind("full-sequence").setBackbone("x").build());
                default -> otherRecord(others.get(pick), r, key);
            };
            return new Made(bytes, cannot + ": wrong record type");
        }));
        out.add(new Kind("unknown-fingerprint", (r, key) -> {
            byte[] b = valid.make(r, key).value();
            ByteBuffer.wrap(b, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(r.nextLong());
            return new Made(b, cannot + ": unknown writer schema fingerprint");
        }));
        out.add(new Kind("garbage-body", (r, key) ->
                new Made(concat(header(serde), bytes(r, 1 + r.nextInt(128))), cannot)));
        out.add(new Kind("length-bomb", (r, key) -> {
            // the first field (a string, or a record starting with one) claims up to 2 GiB; the data has a few bytes
            long claimed = (1L << 20) + r.nextLong(Integer.MAX_VALUE - (1L << 20));
            return new Made(concat(header(serde), varint(claimed), bytes(r, r.nextInt(16))),
                    cannot + ": truncated or corrupt body");
        }));
        out.add(new Kind("trailing-bytes", (r, key) ->
                new Made(concat(valid.make(r, key).value(), bytes(r, 1 + r.nextInt(16))), "unexpected trailing bytes")));
        return out;
    }

    private byte[] otherRecord(AvroSerde<?> other, SplittableRandom r, String key) {
        if (other == PROMPT) {
            return PROMPT.encode(request(r, key, pick(r, ALL)));
        }
        if (other == STATE) {
            return STATE.encode(state(r, request(r, key, pick(r, STEPWISE))));
        }
        if (other == CANDIDATES) {
            return CANDIDATES.encode(candidateSet(r, key, pick(r, ONE_RESPONSE)));
        }
        if (other == SCORED) {
            return SCORED.encode(scoredSet(r, key, pick(r, ONE_RESPONSE)));
        }
        if (other == FEEDBACK) {
            return FEEDBACK.encode(feedback(r, key));
        }
        return EXAMPLE.encode(example(r, key));
    }

    private static byte[] header(AvroSerde<?> serde) {
        byte[] h = new byte[10];
        h[0] = (byte) 0xC3;
        h[1] = 0x01;
        ByteBuffer.wrap(h, 2, 8).order(ByteOrder.LITTLE_ENDIAN)
                .putLong(org.alignstream.common.serde.AvroSchemas.fingerprint(serde.schema()));
        return h;
    }

    // ------------------------------------------------------------------ valid records (to break one rule of)

    private String text(SplittableRandom r, int maxChars) {
        StringBuilder sb = new StringBuilder();
        int target = 1 + r.nextInt(Math.max(1, maxChars));
        while (sb.length() < target) {
            if (sb.length() > 0) {
                sb.append(' ');
            }
            sb.append(pick(r, WORDS));
        }
        String s = sb.toString();
        return s.length() > maxChars ? s.substring(0, maxChars).strip() + "x" : s;
    }

    private static String longText(int chars, SplittableRandom r) {
        StringBuilder sb = new StringBuilder(chars);
        while (sb.length() < chars) {
            sb.append(WORDS.get(r.nextInt(6))).append(' ');
        }
        sb.setLength(chars);
        sb.setCharAt(chars - 1, 'x'); // no trailing blank
        sb.setCharAt(0, 'x');
        return sb.toString();
    }

    /** A request inside every limit, with method {@code m}. */
    private PromptRequest request(SplittableRandom r, String id, AlignmentMethod m) {
        int maxNew = 2 + r.nextInt(Math.max(1, Math.min(32, limits.maxNewTokens()) - 1));
        Strategy.Builder s = Strategy.newBuilder()
                .setMethod(m.wireName())
                .setN(1 + r.nextInt(Math.min(8, limits.maxN())))
                .setTopK(m.tokenwise() ? 1 + r.nextInt(Math.min(8, limits.maxTopK())) : r.nextInt(Math.min(50, limits.maxTopK()) + 1))
                .setBeta(0.1 + 2 * r.nextDouble())
                .setTemperature(r.nextInt(4) == 0 ? 0.0 : 0.2 + r.nextDouble())
                .setTopP(r.nextBoolean() ? 1.0 : 0.5 + 0.5 * r.nextDouble())
                .setMaxNewTokens(Math.min(maxNew, limits.maxNewTokens()))
                .setSeed(r.nextLong())
                .setGreedy(r.nextBoolean());
        if (m == AlignmentMethod.BLOCKWISE || m == AlignmentMethod.SPECULATIVE_REJECTION) {
            s.setBlockSize(1 + r.nextInt(s.getMaxNewTokens()));
        }
        if (m == AlignmentMethod.SPECULATIVE_REJECTION) {
            s.setRejectionRate(r.nextDouble() * 0.99);
        }
        List<String> served = List.copyOf(new TreeSet<>(limits.rewardModels()));
        if (m == AlignmentMethod.TQ_STAR) {
            s.setRolloutLength(1 + r.nextInt(Math.min(8, limits.maxRolloutLength())));
            if (r.nextBoolean()) {
                s.setTransfer("indirect").setBaselineRewardModel(pick(r, served));
            }
        }
        if ((m == AlignmentMethod.PARGS || m == AlignmentMethod.SPECULATIVE_REJECTION)
                && served.contains("sentiment-partial")) {
            s.setRewardModel("sentiment-partial");
        } else if (r.nextBoolean()) {
            s.setRewardModel(pick(r, served));
        }
        return PromptRequest.newBuilder().setId(id).setPrompt(text(r, Math.min(200, limits.maxPromptChars())))
                .setStrategy(s.build()).setCreatedAtMs(1_700_000_000_000L + r.nextInt(1_000_000)).build();
    }

    private static int perRound(Strategy s) {
        return AlignmentMethod.BLOCKWISE.wireName().equals(s.getMethod()) ? s.getBlockSize() : 1;
    }

    /** A consistent state of {@code request} (stepwise) before some round, with room for another. */
    private DecodeState state(SplittableRandom r, PromptRequest request) {
        Strategy s = request.getStrategy();
        int per = perRound(s);
        int round = r.nextInt((s.getMaxNewTokens() - 1) / per + 1);
        List<Integer> prompt = ids(r, 1 + r.nextInt(20));
        List<Integer> tokens = ids(r, round * per);
        List<Float> logprobs = new ArrayList<>();
        for (int t = 0; t < tokens.size(); t++) {
            logprobs.add((float) (-0.01 - 5 * r.nextDouble()));
        }
        return DecodeState.newBuilder().setRequest(request).setPromptTokenIds(prompt).setTokenIds(tokens)
                .setLogprobs(logprobs).setText(text(r, 60)).setRound(round).setKl(3 * r.nextDouble())
                .setReward(r.nextDouble() * 4 - 2).setRewardCalls((long) round * s.getTopK()).setGeneratorModel(LM)
                .setTimingsMs(new HashMap<>(Map.of("generator", 3.0))).build();
    }

    private List<Integer> ids(SplittableRandom r, int n) {
        List<Integer> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(r.nextInt(limits.vocabSize()));
        }
        return out;
    }

    /** The candidates the generator would make for {@code request} (and {@code state}, when stepwise). */
    private List<Candidate> candidates(SplittableRandom r, PromptRequest request, DecodeState state) {
        Strategy s = request.getStrategy();
        AlignmentMethod m = AlignmentMethod.of(s.getMethod()).orElseThrow();
        int count = m.tokenwise() ? s.getTopK() : s.getN();
        int done = state == null ? 0 : state.getTokenIds().size();
        int maxTokens = m.tokenwise() ? 1 : m == AlignmentMethod.BLOCKWISE
                ? Math.min(s.getBlockSize(), s.getMaxNewTokens() - done) : s.getMaxNewTokens();
        List<Candidate> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int n = 1 + r.nextInt(maxTokens);
            List<Float> lp = new ArrayList<>();
            for (int t = 0; t < n; t++) {
                lp.add((float) -(r.nextDouble() * 6));
            }
            List<Integer> rollout = m == AlignmentMethod.TQ_STAR ? ids(r, r.nextInt(s.getRolloutLength() + 1)) : List.of();
            out.add(Candidate.newBuilder().setIndex(i).setText(text(r, 80)).setTokenIds(ids(r, n)).setLogprobs(lp)
                    .setFinishReason(r.nextBoolean() ? "eos" : "length").setRolloutTokenIds(rollout)
                    .setResponseText(rollout.isEmpty() ? null : text(r, 40)).build());
        }
        return out;
    }

    private CandidateSet candidateSet(SplittableRandom r, String id, AlignmentMethod m) {
        PromptRequest request = request(r, id, m);
        DecodeState state = m.stepwise() ? state(r, request) : null;
        return CandidateSet.newBuilder().setRequest(request)
                .setPromptTokenIds(state == null ? ids(r, 1 + r.nextInt(20)) : state.getPromptTokenIds())
                .setCandidates(candidates(r, request, state)).setGeneratorModel(LM)
                .setTimingsMs(new HashMap<>(Map.of("generator", 5.0))).setDecodeState(state).build();
    }

    private ScoredCandidateSet scoredSet(SplittableRandom r, String id, AlignmentMethod m) {
        CandidateSet set = candidateSet(r, id, m);
        int n = set.getCandidates().size();
        List<Double> rewards = new ArrayList<>();
        List<List<Float>> embeddings = new ArrayList<>();
        List<Double> baseline = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            rewards.add(r.nextDouble() * 4 - 2);
            if (m == AlignmentMethod.RBON_WD) {
                List<Float> e = new ArrayList<>();
                for (int d = 0; d < 8; d++) {
                    e.add((float) (r.nextDouble() - 0.5));
                }
                embeddings.add(e);
            }
            if ("indirect".equals(set.getRequest().getStrategy().getTransfer())) {
                baseline.add(r.nextDouble() * 4 - 2);
            }
        }
        return ScoredCandidateSet.newBuilder().setRequest(set.getRequest()).setPromptTokenIds(set.getPromptTokenIds())
                .setCandidates(set.getCandidates()).setRewards(rewards).setGeneratorModel(LM)
                .setRewardModel(new ModelRef("sentiment", "1")).setTimingsMs(set.getTimingsMs())
                .setEmbeddings(embeddings).setBaselineRewards(baseline).setDecodeState(set.getDecodeState()).build();
    }

    private FeedbackEvent feedback(SplittableRandom r, String id) {
        String model = pick(r, List.copyOf(new TreeSet<>(limits.trainedModels())));
        String a = text(r, 120);
        String b = text(r, 120) + " indeed";
        Object event = r.nextBoolean()
                ? PreferenceEvent.newBuilder().setPrompt(text(r, 60)).setChosen(a).setRejected(b).build()
                : EditEvent.newBuilder().setPrompt(text(r, 60)).setOriginal(a).setEdited(b).build();
        return FeedbackEvent.newBuilder().setId(id).setRewardModel(model).setAnnotatorId("fuzz")
                .setTimeMs(r.nextInt(1_000_000)).setEvent(event).build();
    }

    private List<Float> features(SplittableRandom r) {
        List<Float> out = new ArrayList<>(limits.featureDim());
        for (int i = 0; i < limits.featureDim(); i++) {
            out.add((float) (r.nextDouble() - 0.5));
        }
        return out;
    }

    private TrainingExample example(SplittableRandom r, String id) {
        int prefixes = r.nextInt(2);
        List<List<Float>> pc = new ArrayList<>();
        List<List<Float>> pr = new ArrayList<>();
        for (int i = 0; i < prefixes; i++) {
            pc.add(features(r));
            pr.add(features(r));
        }
        return TrainingExample.newBuilder().setEventId(id)
                .setRewardModel(pick(r, List.copyOf(new TreeSet<>(limits.trainedModels()))))
                .setSource(r.nextBoolean() ? "preference" : "edit").setHoldout(r.nextInt(5) == 0)
                .setChosen(features(r)).setRejected(features(r)).setPrefixChosen(pc).setPrefixRejected(pr)
                .setTimeMs(r.nextInt(1_000_000)).build();
    }

    // ------------------------------------------------------------------ one broken rule of a request

    /** Breaks one rule of a request's strategy; {@code bounded}: the generator's limits apply (else only the rules). */
    private record Breaker(String name, AlignmentMethodChoice methods, StrategyBreak change) {
    }

    private interface AlignmentMethodChoice {
        List<AlignmentMethod> methods();
    }

    private interface StrategyBreak {
        String apply(SplittableRandom r, PromptRequest request, boolean bounded);
    }

    private List<Breaker> breakers() {
        List<Breaker> out = new ArrayList<>();
        out.add(new Breaker("unknown-method", () -> ALL, (r, q, b) -> {
            String m = pick(r, List.of("best_of_" + r.nextInt(100), "MCTS", "", " best_of_n", "BEST_OF_N", "args;drop",
                    "beam_search", "tq_star2"));
            q.getStrategy().setMethod(m);
            return "unknown method '" + m + "'";
        }));
        out.add(new Breaker("n-out-of-range", () -> ALL, (r, q, b) -> {
            int n = b && r.nextBoolean() ? limits.maxN() + 1 + r.nextInt(1_000_000) : -1 - r.nextInt(1000); // 0: default
            if (r.nextInt(8) == 0) {
                n = b && r.nextBoolean() ? Integer.MAX_VALUE : Integer.MIN_VALUE;
            }
            q.getStrategy().setN(n);
            return "n must be ";
        }));
        out.add(new Breaker("max-new-tokens-out-of-range", () -> ALL, (r, q, b) -> {
            q.getStrategy().setMaxNewTokens(b && r.nextBoolean() ? limits.maxNewTokens() + 1 + r.nextInt(100_000)
                    : -r.nextInt(1000));
            return "max_new_tokens must be ";
        }));
        out.add(new Breaker("top-k-out-of-range", () -> ALL, (r, q, b) -> {
            q.getStrategy().setTopK(b && r.nextBoolean() ? limits.maxTopK() + 1 + r.nextInt(100_000) : -1 - r.nextInt(1000));
            return "top_k must be ";
        }));
        out.add(new Breaker("temperature-invalid", () -> ALL, (r, q, b) -> {
            q.getStrategy().setTemperature(pick(r, List.of(Double.NaN, Double.POSITIVE_INFINITY,
                    Double.NEGATIVE_INFINITY, -r.nextDouble() - 1e-9, -Double.MAX_VALUE)));
            return "temperature must be finite and >= 0";
        }));
        out.add(new Breaker("top-p-invalid", () -> ALL, (r, q, b) -> {
            q.getStrategy().setTopP(pick(r, List.of(0.0, -0.0, -r.nextDouble(), 1.0 + 1e-9 + r.nextDouble(), Double.NaN,
                    Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)));
            return "top_p must be in (0, 1]";
        }));
        out.add(new Breaker("beta-non-finite", () -> ALL, (r, q, b) -> {
            q.getStrategy().setBeta(pick(r, List.of(Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY)));
            return "beta must be finite";
        }));
        out.add(new Breaker("tokenwise-negative-top-k", () -> List.of(AlignmentMethod.ARGS, AlignmentMethod.PARGS,
                AlignmentMethod.TQ_STAR), (r, q, b) -> {
            q.getStrategy().setTopK(-1 - r.nextInt(1000)); // (0 is the method's default k)
            return "needs top_k >= 1";
        }));
        out.add(new Breaker("block-size-out-of-range", () -> List.of(AlignmentMethod.BLOCKWISE), (r, q, b) -> {
            Strategy s = q.getStrategy();
            s.setBlockSize(r.nextBoolean() ? s.getMaxNewTokens() + 1 + r.nextInt(1000) : -1 - r.nextInt(1000));
            return "blockwise needs block_size M between 1 and max_new_tokens";
        }));
        out.add(new Breaker("rollout-length-out-of-range", () -> List.of(AlignmentMethod.TQ_STAR), (r, q, b) -> {
            q.getStrategy().setRolloutLength(b && r.nextBoolean() ? limits.maxRolloutLength() + 1 + r.nextInt(10_000)
                    : -1 - r.nextInt(1000));
            return "tq_star needs rollout_length L";
        }));
        out.add(new Breaker("unknown-transfer", () -> List.of(AlignmentMethod.TQ_STAR), (r, q, b) -> {
            String t = pick(r, List.of("", "Direct", "sideways", "indirect ", "both"));
            q.getStrategy().setTransfer(t);
            return "transfer must be 'direct' or 'indirect', was '" + t + "'";
        }));
        out.add(new Breaker("indirect-without-baseline", () -> List.of(AlignmentMethod.TQ_STAR), (r, q, b) -> {
            q.getStrategy().setTransfer("indirect");
            q.getStrategy().setBaselineRewardModel(r.nextBoolean() ? null : " ");
            return "indirect transfer needs baseline_reward_model";
        }));
        out.add(new Breaker("indirect-baseline-beta-not-positive", () -> List.of(AlignmentMethod.TQ_STAR), (r, q, b) -> {
            q.getStrategy().setTransfer("indirect");
            q.getStrategy().setBaselineRewardModel(pick(r, List.copyOf(new TreeSet<>(limits.rewardModels()))));
            q.getStrategy().setBaselineBeta(pick(r, List.of(0.0, -r.nextDouble() - 0.01, Double.NaN,
                    Double.POSITIVE_INFINITY)));
            return "indirect transfer needs baseline_beta";
        }));
        out.add(new Breaker("rollouts-out-of-range", () -> List.of(AlignmentMethod.TQ_STAR), (r, q, b) -> {
            q.getStrategy().setRollouts(r.nextBoolean() ? AlignmentMethod.MAX_ROLLOUTS + 1 + r.nextInt(1000)
                    : -r.nextInt(1000));
            return "tq_star needs rollouts m between 1 and";
        }));
        out.add(new Breaker("rejection-rate-out-of-range", () -> List.of(AlignmentMethod.SPECULATIVE_REJECTION),
                (r, q, b) -> {
            q.getStrategy().setRejectionRate(pick(r, List.of(1.0, 1.5, -0.01, Double.NaN, -1e9)));
            return "speculative_rejection needs rejection_rate in [0, 1)";
        }));
        out.add(new Breaker("unknown-reward-model-kind", () -> ALL, (r, q, b) -> {
            String kind = pick(r, List.of("", "full", "Partial-Sequence", "token"));
            q.getStrategy().setRewardModelKind(kind);
            return "reward_model_kind must be one of";
        }));
        out.add(new Breaker("rbon-negative-beta", () -> List.of(AlignmentMethod.RBON_KL, AlignmentMethod.RBON_WD,
                AlignmentMethod.SOFT_BON),
                (r, q, b) -> {
            q.getStrategy().setBeta(-0.001 - r.nextDouble() * 10);
            return "needs beta >= 0";
        }));
        out.add(new Breaker("empty-prompt", () -> ALL, (r, q, b) -> {
            q.setPrompt(pick(r, List.of("", " ", "\t\n", "   ")));
            return "prompt is empty";
        }));
        out.add(new Breaker("empty-id", () -> ALL, (r, q, b) -> {
            q.setId(pick(r, List.of("", " ", "\t")));
            return "request id is empty";
        }));
        return out;
    }

    private Kind broken(Breaker breaker, boolean bounded, AvroSerde<?> serde, Builder build) {
        return new Kind(breaker.name(), (r, key) -> {
            AlignmentMethod m = pick(r, breaker.methods().methods());
            PromptRequest request = request(r, key, m);
            return build.make(r, key, request, () -> breaker.change().apply(r, request, bounded));
        });
    }

    /** Makes the bytes of a record around {@code request}, after {@code breakIt} broke one of its rules. */
    private interface Builder {
        Made make(SplittableRandom r, String key, PromptRequest request, java.util.function.Supplier<String> breakIt);
    }

    // ------------------------------------------------------------------ prompts

    private List<Kind> promptKinds() {
        List<Kind> out = new ArrayList<>(undecodable(PROMPT, (r, key) -> new Made(PROMPT.encode(request(r, key,
                pick(r, ALL))), null)));
        for (Breaker b : breakers()) {
            out.add(broken(b, true, PROMPT, (r, key, request, breakIt) -> {
                String reason = breakIt.get();
                return new Made(PROMPT.encode(request), reason);
            }));
        }
        out.add(new Kind("huge-prompt", (r, key) -> {
            PromptRequest q = request(r, key, pick(r, ALL));
            int over = r.nextBoolean() ? 1 + r.nextInt(100) : 1 + r.nextInt(50_000);
            q.setPrompt(longText(limits.maxPromptChars() + over, r));
            return new Made(PROMPT.encode(q), "prompt has " + (limits.maxPromptChars() + over)
                    + " characters, the limit is " + limits.maxPromptChars());
        }));
        out.add(new Kind("unknown-reward-model", (r, key) -> {
            PromptRequest q = request(r, key, pick(r, ALL));
            q.getStrategy().setRewardModel(unknownModel(r));
            return new Made(PROMPT.encode(q), "unknown reward model '" + q.getStrategy().getRewardModel() + "'");
        }));
        out.add(new Kind("unknown-baseline-reward-model", (r, key) -> {
            PromptRequest q = request(r, key, AlignmentMethod.TQ_STAR);
            q.getStrategy().setTransfer("indirect");
            q.getStrategy().setBaselineRewardModel(unknownModel(r));
            return new Made(PROMPT.encode(q), "unknown reward model '" + q.getStrategy().getBaselineRewardModel() + "'");
        }));
        return out;
    }

    private String unknownModel(SplittableRandom r) {
        String id;
        do {
            id = pick(r, List.of("gold", "Sentiment", "sentiment ", "nope-" + r.nextInt(1000), "sentiment@2", "日本"));
        } while (limits.rewardModels().contains(id));
        return id;
    }

    // ------------------------------------------------------------------ decode-steps

    private interface StateBreak {
        String apply(SplittableRandom r, DecodeState state);
    }

    /** A way to break a consistent decoding state of a request with one of {@code methods}. */
    private record StateKind(String name, List<AlignmentMethod> methods, StateBreak change) {
    }

    private static final List<AlignmentMethod> TOKENWISE = List.of(AlignmentMethod.ARGS, AlignmentMethod.PARGS,
            AlignmentMethod.TQ_STAR);

    /** Breaks of a decoding state that every stage reading one (generator, scorer, selector) checks. */
    private List<StateKind> stateBreaks() {
        List<StateKind> out = new ArrayList<>();
        out.add(new StateKind("state-finished", STEPWISE, (r, s) -> {
            s.setFinished(true);
            return "the decoding is already finished";
        }));
        out.add(new StateKind("state-overfull", STEPWISE, (r, s) -> {
            int n = s.getRequest().getStrategy().getMaxNewTokens() + r.nextInt(3);
            s.setTokenIds(ids(r, n));
            s.setLogprobs(new ArrayList<>(Collections.nCopies(n, -1f)));
            return "decoding state already has " + n + " tokens";
        }));
        out.add(new StateKind("state-logprob-count", STEPWISE, (r, s) -> {
            List<Float> lp = new ArrayList<>(s.getLogprobs());
            if (lp.isEmpty() || r.nextBoolean()) {
                lp.add(-1f);
            } else {
                lp.remove(0);
            }
            s.setLogprobs(lp);
            return "tokens but " + lp.size() + " log-probabilities";
        }));
        out.add(new StateKind("state-no-prompt-tokens", STEPWISE, (r, s) -> {
            s.setPromptTokenIds(List.of());
            return "decoding state has no prompt tokens";
        }));
        out.add(new StateKind("state-negative-round", STEPWISE, (r, s) -> {
            s.setRound(-1 - r.nextInt(1000));
            return "round must be >= 0";
        }));
        out.add(new StateKind("state-round-mismatch", STEPWISE, (r, s) -> {
            s.setRound(s.getRound() + 1 + r.nextInt(5));
            return "decoding state is at round " + s.getRound();
        }));
        out.add(new StateKind("state-negative-token", STEPWISE, (r, s) -> {
            List<Integer> p = new ArrayList<>(s.getPromptTokenIds());
            p.set(r.nextInt(p.size()), -1 - r.nextInt(1_000_000));
            s.setPromptTokenIds(p);
            return "has the negative id";
        }));
        out.add(new StateKind("state-bad-logprob", TOKENWISE, (r, s) -> {
            if (s.getTokenIds().isEmpty()) { // one token (one round) so that there is a log-probability to break
                s.setTokenIds(ids(r, 1));
                s.setLogprobs(new ArrayList<>(List.of(-1f)));
                s.setRound(1);
            }
            List<Float> lp = new ArrayList<>(s.getLogprobs());
            lp.set(r.nextInt(lp.size()), pick(r, List.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                    0.5f + r.nextFloat())));
            s.setLogprobs(lp);
            return "a log-probability is finite and <= 0";
        }));
        return out;
    }

    private Kind brokenState(String name, List<AlignmentMethod> methods, StateBreak change) {
        return new Kind(name, (r, key) -> {
            DecodeState s = state(r, request(r, key, pick(r, methods)));
            String reason = change.apply(r, s);
            return new Made(STATE.encode(s), reason);
        });
    }

    private List<Kind> stateKinds() {
        List<Kind> out = new ArrayList<>(undecodable(STATE, (r, key) -> new Made(STATE.encode(state(r, request(r, key,
                pick(r, STEPWISE)))), null)));
        for (Breaker b : breakers()) {
            List<AlignmentMethod> stepwise = oneResponseIfAny(b.methods().methods()).stream()
                    .filter(AlignmentMethod::stepwise).toList();
            if (stepwise.isEmpty()) {
                continue; // rbon only
            }
            Breaker onStepwise = new Breaker("request-" + b.name(), () -> stepwise, b.change());
            out.add(broken(onStepwise, true, STATE, (r, key, request, breakIt) -> {
                DecodeState s = state(r, request); // consistent with the valid request, then the request is broken
                String reason = breakIt.get();
                return new Made(STATE.encode(s), reason);
            }));
        }
        for (StateKind k : stateBreaks()) {
            out.add(brokenState(k.name(), k.methods(), k.change()));
        }
        out.add(brokenState("state-whole-response-method", WHOLE, (r, s) -> "is not a stepwise method"));
        out.add(brokenState("state-token-outside-vocabulary", STEPWISE, (r, s) -> {
            List<Integer> p = new ArrayList<>(s.getPromptTokenIds());
            int bad = limits.vocabSize() + r.nextInt(1_000_000);
            p.set(r.nextInt(p.size()), bad);
            s.setPromptTokenIds(p);
            return "= " + bad + " is outside the vocabulary [0, " + limits.vocabSize() + ")";
        }));
        out.add(brokenState("state-longer-than-the-context", STEPWISE, (r, s) -> {
            s.setPromptTokenIds(ids(r, limits.maxPositions() + 1 + r.nextInt(200)));
            return "positions but the model has " + limits.maxPositions();
        }));
        out.add(brokenState("state-unknown-reward-model", STEPWISE, (r, s) -> {
            s.getRequest().getStrategy().setRewardModel(unknownModel(r));
            return "unknown reward model '" + s.getRequest().getStrategy().getRewardModel() + "'";
        }));
        return out;
    }

    // ------------------------------------------------------------------ candidates and scored-candidates

    private interface SetBreak {
        String apply(SplittableRandom r, PromptRequest request, DecodeState state, List<Candidate> candidates);
    }

    /** Breaks of a candidate set that the scorer and the selector both check. */
    private List<Kind> setBreaks(SetEncoder encode) {
        List<Kind> out = new ArrayList<>();
        // the request breaks, on the rules alone (no upper bounds after the generator)
        for (Breaker b : breakers()) {
            out.add(new Kind("request-" + b.name(), (r, key) -> {
                AlignmentMethod m = pick(r, oneResponseIfAny(b.methods().methods()));
                PromptRequest request = request(r, key, m);
                DecodeState state = m.stepwise() ? state(r, request) : null;
                List<Candidate> candidates = candidates(r, request, state);
                String reason = b.change().apply(r, request, false);
                return new Made(encode.encode(r, request, state, candidates), reason);
            }));
        }
        out.add(setKind("no-candidates", ONE_RESPONSE, encode, (r, q, s, c) -> {
            c.clear();
            return "candidate";
        }));
        out.add(setKind("candidate-count-mismatch", ONE_RESPONSE, encode, (r, q, s, c) -> {
            if (c.size() > 1 && r.nextBoolean()) {
                c.remove(c.size() - 1);
            } else {
                Candidate extra = Candidate.newBuilder(c.get(0)).setIndex(c.size()).build();
                c.add(extra);
            }
            return "but the set has " + c.size();
        }));
        out.add(setKind("candidate-bad-index", ONE_RESPONSE, encode, (r, q, s, c) -> {
            int i = r.nextInt(c.size());
            int bad = r.nextBoolean() ? -1 - r.nextInt(100) : c.size() + r.nextInt(100);
            c.set(i, Candidate.newBuilder(c.get(i)).setIndex(bad).build());
            return "candidate " + i + " has index " + bad;
        }));
        out.add(setKind("candidate-no-tokens", ONE_RESPONSE, encode, (r, q, s, c) -> {
            int i = r.nextInt(c.size());
            c.set(i, Candidate.newBuilder(c.get(i)).setTokenIds(List.of()).setLogprobs(List.of()).build());
            return "candidate " + i + " has 0 tokens";
        }));
        out.add(setKind("candidate-too-many-tokens", ONE_RESPONSE, encode, (r, q, s, c) -> {
            Strategy st = q.getStrategy();
            AlignmentMethod m = AlignmentMethod.of(st.getMethod()).orElseThrow();
            int done = s == null ? 0 : s.getTokenIds().size();
            int max = m.tokenwise() ? 1 : m == AlignmentMethod.BLOCKWISE
                    ? Math.min(st.getBlockSize(), st.getMaxNewTokens() - done) : st.getMaxNewTokens();
            int n = max + 1 + r.nextInt(5);
            int i = r.nextInt(c.size());
            c.set(i, Candidate.newBuilder(c.get(i)).setTokenIds(ids(r, n)).setLogprobs(Collections.nCopies(n, -1f)).build());
            return "candidate " + i + " has " + n + " tokens, expected 1 to " + max;
        }));
        out.add(setKind("candidate-logprob-count", ONE_RESPONSE, encode, (r, q, s, c) -> {
            int i = r.nextInt(c.size());
            List<Float> lp = new ArrayList<>(c.get(i).getLogprobs());
            lp.add(-0.5f);
            c.set(i, Candidate.newBuilder(c.get(i)).setLogprobs(lp).build());
            return "candidate " + i + " has " + c.get(i).getTokenIds().size() + " tokens but " + lp.size();
        }));
        out.add(setKind("candidate-bad-logprob", ONE_RESPONSE, encode, (r, q, s, c) -> {
            int i = r.nextInt(c.size());
            List<Float> lp = new ArrayList<>(c.get(i).getLogprobs());
            lp.set(r.nextInt(lp.size()), pick(r, List.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY,
                    0.01f + r.nextFloat() * 10)));
            c.set(i, Candidate.newBuilder(c.get(i)).setLogprobs(lp).build());
            return "a log-probability is finite and <= 0";
        }));
        out.add(setKind("candidate-negative-token", ONE_RESPONSE, encode, (r, q, s, c) -> {
            int i = r.nextInt(c.size());
            List<Integer> ids = new ArrayList<>(c.get(i).getTokenIds());
            ids.set(r.nextInt(ids.size()), -1 - r.nextInt(1_000_000));
            c.set(i, Candidate.newBuilder(c.get(i)).setTokenIds(ids).build());
            return "has the negative id";
        }));
        out.add(setKind("candidate-bad-finish-reason", ONE_RESPONSE, encode, (r, q, s, c) -> {
            int i = r.nextInt(c.size());
            String f = pick(r, List.of("", "EOS", "stop", "length ", "max_tokens"));
            c.set(i, Candidate.newBuilder(c.get(i)).setFinishReason(f).build());
            return "candidate " + i + " has finish_reason '" + f + "'";
        }));
        out.add(setKind("candidate-unexpected-rollout", List.of(AlignmentMethod.BEST_OF_N, AlignmentMethod.RBON_KL,
                AlignmentMethod.ARGS, AlignmentMethod.BLOCKWISE), encode, (r, q, s, c) -> {
            int i = r.nextInt(c.size());
            c.set(i, Candidate.newBuilder(c.get(i)).setRolloutTokenIds(ids(r, 1 + r.nextInt(8))).build());
            return "candidate " + i + " has a rollout of";
        }));
        out.add(setKind("stepwise-without-state", STEPWISE, encode, (r, q, s, c) -> "STATELESS"));
        out.add(setKind("whole-response-with-state", WHOLE, encode, (r, q, s, c) -> "WITH-STATE"));
        for (StateKind k : stateBreaks()) {
            out.add(new Kind(k.name(), (r, key) -> {
                PromptRequest request = request(r, key, pick(r, k.methods()));
                DecodeState state = state(r, request);
                List<Candidate> candidates = candidates(r, request, state);
                String reason = k.change().apply(r, state); // the state (and its request, the set's) broken after
                return new Made(encode.encode(r, request, state, candidates), reason);
            }));
        }
        out.add(setKind("state-for-another-request", STEPWISE, encode, (r, q, s, c) -> "OTHER-REQUEST"));
        return out;
    }

    private interface SetEncoder {
        byte[] encode(SplittableRandom r, PromptRequest request, DecodeState state, List<Candidate> candidates);
    }

    private Kind setKind(String name, List<AlignmentMethod> methods, SetEncoder encode, SetBreak change) {
        return new Kind(name, (r, key) -> {
            AlignmentMethod m = pick(r, methods);
            PromptRequest request = request(r, key, m);
            DecodeState state = m.stepwise() ? state(r, request) : null;
            List<Candidate> candidates = new ArrayList<>(candidates(r, request, state));
            String reason = change.apply(r, request, state, candidates);
            switch (reason) {
                case "STATELESS" -> {
                    state = null;
                    reason = "STATELESS";
                }
                case "WITH-STATE" -> {
                    PromptRequest stepwise = request(r, key, pick(r, STEPWISE));
                    state = state(r, stepwise);
                    state.setRequest(request);
                    reason = "WITH-STATE";
                }
                case "OTHER-REQUEST" -> {
                    PromptRequest other = PromptRequest.newBuilder(request).setId(request.getId() + "-other").build();
                    state = DecodeState.newBuilder(state).setRequest(other).build();
                    reason = "the decoding state carries a different request";
                }
                default -> {
                }
            }
            return new Made(encode.encode(r, request, state, candidates), reason);
        });
    }

    private List<Kind> candidateKinds() {
        SetEncoder encode = (r, q, s, c) -> CANDIDATES.encode(CandidateSet.newBuilder().setRequest(q)
                .setPromptTokenIds(s == null ? ids(r, 1 + r.nextInt(20)) : s.getPromptTokenIds()).setCandidates(c)
                .setGeneratorModel(LM).setTimingsMs(new HashMap<>(Map.of("generator", 5.0))).setDecodeState(s).build());
        List<Kind> out = new ArrayList<>(undecodable(CANDIDATES, (r, key) ->
                new Made(CANDIDATES.encode(candidateSet(r, key, pick(r, ONE_RESPONSE))), null)));
        for (Kind k : setBreaks(encode)) {
            out.add(scorerReason(k));
        }
        out.add(setKind("too-many-candidates", WHOLE, encode, (r, q, s, c) -> {
            int n = limits.maxCandidates() + 1 + r.nextInt(50);
            q.getStrategy().setN(n);
            Candidate first = c.get(0);
            c.clear();
            for (int i = 0; i < n; i++) {
                c.add(Candidate.newBuilder(first).setIndex(i).setText("c" + i).setTokenIds(List.of(i % 4000))
                        .setLogprobs(List.of(-1f)).setRolloutTokenIds(List.of()).setResponseText(null).build());
            }
            return "has " + n + " candidates, the limit is " + limits.maxCandidates();
        }));
        out.add(setKind("huge-candidate-text", ONE_RESPONSE, encode, (r, q, s, c) -> {
            int i = r.nextInt(c.size());
            int chars = limits.maxTextChars() + 1 + (r.nextBoolean() ? r.nextInt(10) : r.nextInt(30_000));
            c.set(i, Candidate.newBuilder(c.get(i)).setText(longText(chars, r)).build());
            return "candidate " + i + " text has " + chars + " characters, the limit is " + limits.maxTextChars();
        }));
        out.add(setKind("huge-prompt", ONE_RESPONSE, encode, (r, q, s, c) -> {
            int chars = limits.maxTextChars() + 1 + r.nextInt(20_000);
            q.setPrompt(longText(chars, r));
            return "prompt has " + chars + " characters, the limit is " + limits.maxTextChars();
        }));
        out.add(setKind("unknown-reward-model", ONE_RESPONSE, encode, (r, q, s, c) -> {
            q.getStrategy().setRewardModel(unknownModel(r));
            return "unknown reward model '" + q.getStrategy().getRewardModel() + "'";
        }));
        out.add(setKind("unknown-reward-model-version", ONE_RESPONSE, encode, (r, q, s, c) -> {
            String v = pick(r, List.of("0", "999", "v-nope", "", "latest"));
            q.getStrategy().setRewardModelVersion(v);
            return "version '" + v + "' is not served";
        }));
        out.add(setKind("unknown-baseline-reward-model", List.of(AlignmentMethod.TQ_STAR), encode, (r, q, s, c) -> {
            q.getStrategy().setTransfer("indirect");
            q.getStrategy().setBaselineRewardModel(unknownModel(r));
            return "unknown reward model '" + q.getStrategy().getBaselineRewardModel() + "'";
        }));
        return out;
    }

    /** The scorer's words for the sentinel reasons of {@link #setKind}. */
    private static Kind scorerReason(Kind k) {
        return new Kind(k.name(), (r, key) -> {
            Made m = k.maker().make(r, key);
            String reason = switch (m.reasonPart()) {
                case "STATELESS" -> "is a stepwise method and needs a decoding state";
                case "WITH-STATE" -> "is a whole-response method but the set carries a decoding state";
                case "candidate" -> "has no candidates";
                default -> m.reasonPart();
            };
            return new Made(m.value(), reason);
        });
    }

    /** The selector's words for the sentinel reasons of {@link #setKind}. */
    private static Kind selectorReason(Kind k) {
        return new Kind(k.name(), (r, key) -> {
            Made m = k.maker().make(r, key);
            String reason = switch (m.reasonPart()) {
                case "STATELESS" -> "(a stepwise method needs a decoding state)";
                case "WITH-STATE" -> "has a method that is not stepwise";
                case "candidate" -> "has 0 candidates and 0 rewards";
                default -> m.reasonPart();
            };
            return new Made(m.value(), reason);
        });
    }

    private List<Kind> scoredKinds() {
        SetEncoder plain = (r, q, s, c) -> SCORED.encode(scored(r, q, s, c, c.size()));
        List<Kind> out = new ArrayList<>(undecodable(SCORED, (r, key) ->
                new Made(SCORED.encode(scoredSet(r, key, pick(r, ONE_RESPONSE))), null)));
        for (Kind k : setBreaks(plain)) {
            if (k.name().equals("request-unknown-method")) {
                // the selector names the kind of method it expected
                out.add(new Kind(k.name(), (r, key) -> {
                    Made m = k.maker().make(r, key);
                    ScoredCandidateSet set = SCORED.decode(m.value());
                    return new Made(m.value(), set.getDecodeState() == null ? "unknown whole-response method"
                            : "has a method that is not stepwise");
                }));
                continue;
            }
            out.add(selectorReason(k));
        }
        out.add(setKind("reward-count-mismatch", ONE_RESPONSE, (r, q, s, c) -> SCORED.encode(scored(r, q, s, c,
                r.nextBoolean() ? c.size() + 1 + r.nextInt(3) : r.nextInt(c.size()))), (r, q, s, c) ->
                "candidates and"));
        out.add(setKind("embedding-count-mismatch", List.of(AlignmentMethod.RBON_WD), (r, q, s, c) -> {
            ScoredCandidateSet set = scored(r, q, s, c, c.size());
            List<List<Float>> e = new ArrayList<>(set.getEmbeddings());
            if (e.isEmpty() || r.nextBoolean()) {
                e.add(List.of(1f, 0f, 0f, 0f, 0f, 0f, 0f, 0f));
            } else {
                e.remove(0);
            }
            set.setEmbeddings(e);
            return SCORED.encode(set);
        }, (r, q, s, c) -> "needs one embedding per candidate"));
        out.add(setKind("ragged-embeddings", List.of(AlignmentMethod.RBON_WD), (r, q, s, c) -> {
            ScoredCandidateSet set = scored(r, q, s, c, c.size());
            List<List<Float>> e = new ArrayList<>(set.getEmbeddings());
            int i = e.size() == 1 ? 0 : 1 + r.nextInt(e.size() - 1);
            e.set(i, e.size() == 1 || r.nextBoolean() ? List.of() : List.of(0.5f));
            set.setEmbeddings(e);
            return SCORED.encode(set);
        }, (r, q, s, c) -> "values, embedding 0 has"));
        out.add(setKind("non-finite-embedding", List.of(AlignmentMethod.RBON_WD), (r, q, s, c) -> {
            ScoredCandidateSet set = scored(r, q, s, c, c.size());
            List<List<Float>> e = new ArrayList<>(set.getEmbeddings());
            int i = r.nextInt(e.size());
            List<Float> row = new ArrayList<>(e.get(i));
            row.set(r.nextInt(row.size()), pick(r, List.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)));
            e.set(i, row);
            set.setEmbeddings(e);
            return SCORED.encode(set);
        }, (r, q, s, c) -> "has the non-finite value"));
        out.add(setKind("baseline-reward-count-mismatch", List.of(AlignmentMethod.TQ_STAR), (r, q, s, c) -> {
            q.getStrategy().setTransfer("indirect");
            q.getStrategy().setBaselineRewardModel("sentiment");
            ScoredCandidateSet set = scored(r, q, s, c, c.size());
            List<Double> b = new ArrayList<>();
            int n = r.nextBoolean() ? c.size() + 1 : r.nextInt(c.size());
            for (int i = 0; i < n; i++) {
                b.add(r.nextDouble());
            }
            set.setBaselineRewards(b);
            return SCORED.encode(set);
        }, (r, q, s, c) -> "baseline rewards, the scored set has"));
        return out;
    }

    private ScoredCandidateSet scored(SplittableRandom r, PromptRequest q, DecodeState s, List<Candidate> c, int rewards) {
        List<Double> rw = new ArrayList<>();
        for (int i = 0; i < rewards; i++) {
            rw.add(r.nextDouble() * 4 - 2);
        }
        List<List<Float>> embeddings = new ArrayList<>();
        if (AlignmentMethod.RBON_WD.wireName().equals(q.getStrategy().getMethod())) {
            for (int i = 0; i < c.size(); i++) {
                List<Float> e = new ArrayList<>();
                for (int d = 0; d < 8; d++) {
                    e.add((float) (r.nextDouble() - 0.5));
                }
                embeddings.add(e);
            }
        }
        List<Double> baseline = new ArrayList<>();
        if ("indirect".equals(q.getStrategy().getTransfer())) {
            for (int i = 0; i < c.size(); i++) {
                baseline.add(r.nextDouble());
            }
        }
        return ScoredCandidateSet.newBuilder().setRequest(q)
                .setPromptTokenIds(s == null ? ids(r, 1 + r.nextInt(20)) : s.getPromptTokenIds()).setCandidates(c)
                .setRewards(rw).setGeneratorModel(LM).setRewardModel(new ModelRef("sentiment", "1"))
                .setTimingsMs(new HashMap<>(Map.of("generator", 5.0, "scorer", 2.0))).setEmbeddings(embeddings)
                .setBaselineRewards(baseline).setDecodeState(s).build();
    }

    // ------------------------------------------------------------------ feedback

    private interface FeedbackBreak {
        String apply(SplittableRandom r, FeedbackEvent event);
    }

    private Kind brokenFeedback(String name, FeedbackBreak change) {
        return new Kind(name, (r, key) -> {
            FeedbackEvent e = feedback(r, key);
            String reason = change.apply(r, e);
            return new Made(FEEDBACK.encode(e), reason);
        });
    }

    private static String blank(SplittableRandom r) {
        return pick(r, List.of("", " ", "\n\t ", "   "));
    }

    private List<Kind> feedbackKinds() {
        List<Kind> out = new ArrayList<>(undecodable(FEEDBACK, (r, key) -> new Made(FEEDBACK.encode(feedback(r, key)),
                null)));
        out.add(brokenFeedback("empty-id", (r, e) -> {
            e.setId(blank(r));
            return "feedback event id is empty";
        }));
        out.add(brokenFeedback("unknown-reward-model", (r, e) -> {
            String id;
            do {
                id = pick(r, List.of("gold", "Sentiment", "sentiment-partial", "", "nope-" + r.nextInt(100)));
            } while (limits.trainedModels().contains(id));
            e.setRewardModel(id);
            return "is for reward model '" + id + "'";
        }));
        out.add(brokenFeedback("empty-prompt", (r, e) -> {
            if (e.getEvent() instanceof PreferenceEvent p) {
                p.setPrompt(blank(r));
            } else {
                ((EditEvent) e.getEvent()).setPrompt(blank(r));
            }
            return "prompt is empty";
        }));
        out.add(brokenFeedback("empty-response", (r, e) -> {
            boolean first = r.nextBoolean();
            if (e.getEvent() instanceof PreferenceEvent p) {
                if (first) {
                    p.setChosen(blank(r));
                    return "chosen is empty";
                }
                p.setRejected(blank(r));
                return "rejected is empty";
            }
            EditEvent ed = (EditEvent) e.getEvent();
            if (first) {
                ed.setOriginal(blank(r));
                return "original is empty";
            }
            ed.setEdited(blank(r));
            return "edited is empty";
        }));
        out.add(brokenFeedback("oversized-prompt", (r, e) -> {
            int chars = limits.maxFeedbackChars() + 1 + (r.nextBoolean() ? r.nextInt(10) : r.nextInt(30_000));
            String t = longText(chars, r);
            if (e.getEvent() instanceof PreferenceEvent p) {
                p.setPrompt(t);
            } else {
                ((EditEvent) e.getEvent()).setPrompt(t);
            }
            return "prompt has " + chars + " characters, more than the limit of " + limits.maxFeedbackChars();
        }));
        out.add(brokenFeedback("oversized-response", (r, e) -> {
            int chars = limits.maxFeedbackChars() + 1 + (r.nextBoolean() ? r.nextInt(10) : r.nextInt(30_000));
            String t = longText(chars, r);
            if (e.getEvent() instanceof PreferenceEvent p) {
                p.setRejected(t);
                return "rejected has " + chars + " characters, more than the limit of " + limits.maxFeedbackChars();
            }
            ((EditEvent) e.getEvent()).setEdited(t);
            return "edited has " + chars + " characters, more than the limit of " + limits.maxFeedbackChars();
        }));
        out.add(brokenFeedback("identical-pair", (r, e) -> {
            if (e.getEvent() instanceof PreferenceEvent p) {
                p.setRejected(pick(r, List.of("", " ", "\n")) + p.getChosen() + pick(r, List.of("", "  ", "\t")));
                return "chosen and rejected are identical";
            }
            EditEvent ed = (EditEvent) e.getEvent();
            ed.setEdited(" " + ed.getOriginal());
            return "edited is the same as original";
        }));
        return out;
    }

    // ------------------------------------------------------------------ feedback-examples

    private interface ExampleBreak {
        String apply(SplittableRandom r, TrainingExample e);
    }

    private Kind brokenExample(String name, ExampleBreak change) {
        return new Kind(name, (r, key) -> {
            TrainingExample e = example(r, key);
            String reason = change.apply(r, e);
            return new Made(EXAMPLE.encode(e), reason);
        });
    }

    private List<Float> wrongSize(SplittableRandom r) {
        int dim = limits.featureDim();
        int n = pick(r, List.of(0, 1, dim - 1, dim + 1, 2 * dim, r.nextInt(4 * dim)));
        if (n == dim) {
            n = dim + 1;
        }
        List<Float> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add((float) r.nextDouble());
        }
        return out;
    }

    private List<Float> withNonFinite(SplittableRandom r, List<Float> features) {
        List<Float> out = new ArrayList<>(features);
        out.set(r.nextInt(out.size()), pick(r, List.of(Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY)));
        return out;
    }

    private List<Kind> exampleKinds() {
        List<Kind> out = new ArrayList<>(undecodable(EXAMPLE, (r, key) -> new Made(EXAMPLE.encode(example(r, key)), null)));
        out.add(brokenExample("empty-event-id", (r, e) -> {
            e.setEventId(blank(r));
            return "training example has no event id";
        }));
        out.add(brokenExample("unknown-reward-model", (r, e) -> {
            String id;
            do {
                id = pick(r, List.of("gold", "Sentiment", "sentiment-partial", "", "nope-" + r.nextInt(100)));
            } while (limits.trainedModels().contains(id));
            e.setRewardModel(id);
            return "is for reward model '" + id + "', which this service does not train";
        }));
        out.add(brokenExample("unknown-source", (r, e) -> {
            String s = pick(r, List.of("", "rumour", "Preference", "edit "));
            e.setSource(s);
            return "has source '" + s + "'";
        }));
        out.add(brokenExample("wrong-feature-size", (r, e) -> {
            if (r.nextBoolean()) {
                e.setChosen(wrongSize(r));
                return "chosen features have " + e.getChosen().size() + " values, the backbone's have " + limits.featureDim();
            }
            e.setRejected(wrongSize(r));
            return "rejected features have " + e.getRejected().size() + " values, the backbone's have " + limits.featureDim();
        }));
        out.add(brokenExample("non-finite-features", (r, e) -> {
            if (r.nextBoolean()) {
                e.setChosen(withNonFinite(r, e.getChosen()));
                return "chosen features have the non-finite value";
            }
            e.setRejected(withNonFinite(r, e.getRejected()));
            return "rejected features have the non-finite value";
        }));
        out.add(brokenExample("prefix-count-mismatch", (r, e) -> {
            List<List<Float>> pr = new ArrayList<>(e.getPrefixRejected());
            if (pr.isEmpty() || r.nextBoolean()) {
                pr.add(features(r));
            } else {
                pr.remove(0);
            }
            e.setPrefixRejected(pr);
            return "chosen prefixes but " + pr.size() + " rejected ones";
        }));
        out.add(brokenExample("too-many-prefixes", (r, e) -> {
            int n = 4 + r.nextInt(20);
            List<List<Float>> pc = new ArrayList<>();
            List<List<Float>> pr = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                pc.add(features(r));
                pr.add(features(r));
            }
            e.setPrefixChosen(pc);
            e.setPrefixRejected(pr);
            return "has " + n + " prefix pairs, at most 3 are made";
        }));
        out.add(brokenExample("prefix-wrong-size", (r, e) -> {
            e.setPrefixChosen(new ArrayList<>(List.of(features(r))));
            e.setPrefixRejected(new ArrayList<>(List.of(wrongSize(r))));
            return "rejected prefix 0 features have " + e.getPrefixRejected().get(0).size() + " values";
        }));
        out.add(brokenExample("prefix-non-finite", (r, e) -> {
            e.setPrefixChosen(new ArrayList<>(List.of(withNonFinite(r, features(r)))));
            e.setPrefixRejected(new ArrayList<>(List.of(features(r))));
            return "chosen prefix 0 features have the non-finite value";
        }));
        return out;
    }

    // ------------------------------------------------------------------ helpers

    private static <T> T pick(SplittableRandom r, List<T> list) {
        return list.get(r.nextInt(list.size()));
    }

    private static byte[] bytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    /** Avro's zig-zag varint of {@code v}. */
    static byte[] varint(long v) {
        long z = (v << 1) ^ (v >> 63);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        while ((z & ~0x7FL) != 0) {
            out.write((int) ((z & 0x7F) | 0x80));
            z >>>= 7;
        }
        out.write((int) z);
        return out.toByteArray();
    }

    private static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }

}
