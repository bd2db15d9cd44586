package org.alignstream.common.pipeline;

import java.util.List;
import org.alignstream.avro.AlignedResponse;
import org.alignstream.avro.CandidateSet;
import org.alignstream.avro.DeadLetter;
import org.alignstream.avro.DecodeState;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.avro.ScoredCandidateSet;
import org.alignstream.avro.TrainingExample;
import org.alignstream.common.topics.Topics;

/**
 * The pipeline in one place: its typed topics and its stages, in the order records flow.
 *
 * <pre>
 *   clients ─prompts─▶ generator ─candidates─▶ scorer ─scored-candidates─▶ selector ─aligned-responses─▶ clients
 *                         ▲                       ▲                           │
 *                         └──────────── decode-steps (back edge: the next round of a stepwise decoding) ┘
 *   clients ─feedback─▶ feedback ─reward-models─▶ scorer      (feedback-examples: the feedback stage's own log)
 *   every stage ─dead-letters─▶ operators
 * </pre>
 *
 * The stage runners ({@code StreamsCommand}), the access-control grants, the image build, the drills and the test
 * process fixtures take stage identities from here; a deployment check fails when the compose file, the ACL table or
 * the README's topic table disagree with it. Topic names themselves live in {@link Topics}.
 */
public final class Pipeline {

    /** Prompt requests published by clients, keyed by request id. */
    public static final Topic<PromptRequest> PROMPTS = new Topic<>(Topics.PROMPTS, PromptRequest.class);
    /** Candidates proposed by the generator (whole responses, blocks or one-token extensions). */
    public static final Topic<CandidateSet> CANDIDATES = new Topic<>(Topics.CANDIDATES, CandidateSet.class);
    /** Candidates with their rewards, written by the scorer. */
    public static final Topic<ScoredCandidateSet> SCORED_CANDIDATES = new Topic<>(Topics.SCORED_CANDIDATES,
            ScoredCandidateSet.class);
    /** Final answers, written by the selector, read by clients. */
    public static final Topic<AlignedResponse> ALIGNED_RESPONSES = new Topic<>(Topics.ALIGNED_RESPONSES,
            AlignedResponse.class);
    /** The back edge: a stepwise decoding's next round, written by the selector, read by the generator. */
    public static final Topic<DecodeState> DECODE_STEPS = new Topic<>(Topics.DECODE_STEPS, DecodeState.class);
    /** Preferences and edits published by clients, keyed by event id. */
    public static final Topic<FeedbackEvent> FEEDBACK = new Topic<>(Topics.FEEDBACK, FeedbackEvent.class);
    /** Training examples the feedback stage derives from feedback, keyed by reward model id. */
    public static final Topic<TrainingExample> FEEDBACK_EXAMPLES = new Topic<>(Topics.FEEDBACK_EXAMPLES,
            TrainingExample.class);
    /** Reward-model versions (compacted), published by the feedback stage, hot-swapped by the scorer. */
    public static final Topic<RewardModelVersion> REWARD_MODELS = new Topic<>(Topics.REWARD_MODELS,
            RewardModelVersion.class);
    /** What a stage could not read or process, with its reason and original bytes. */
    public static final Topic<DeadLetter> DEAD_LETTERS = new Topic<>(Topics.DEAD_LETTERS, DeadLetter.class);

    /** Every topic, in flow order. */
    public static final List<Topic<?>> TOPICS = List.of(PROMPTS, CANDIDATES, SCORED_CANDIDATES, ALIGNED_RESPONSES,
            DECODE_STEPS, FEEDBACK, FEEDBACK_EXAMPLES, REWARD_MODELS, DEAD_LETTERS);

    public static final StageSpec GENERATOR = new StageSpec("generator", "generator-service", "alignstream-generator",
            "org.alignstream.generator.GeneratorService", List.of(PROMPTS, DECODE_STEPS),
            List.of(CANDIDATES, DEAD_LETTERS));
    public static final StageSpec SCORER = new StageSpec("scorer", "scorer-service", "alignstream-scorer",
            "org.alignstream.scorer.ScorerService", List.of(CANDIDATES, REWARD_MODELS),
            List.of(SCORED_CANDIDATES, DEAD_LETTERS));
    public static final StageSpec SELECTOR = new StageSpec("selector", "selector-service", "alignstream-selector",
            "org.alignstream.selector.SelectorService", List.of(SCORED_CANDIDATES),
            List.of(ALIGNED_RESPONSES, DECODE_STEPS, DEAD_LETTERS));
    /** Reads its own feedback-examples and reward-models (the training loop's log and the versions it published). */
    public static final StageSpec FEEDBACK_STAGE = new StageSpec("feedback", "feedback-service",
            "alignstream-feedback", "org.alignstream.feedback.FeedbackService",
            List.of(FEEDBACK, FEEDBACK_EXAMPLES, REWARD_MODELS), List.of(FEEDBACK_EXAMPLES, REWARD_MODELS, DEAD_LETTERS));

    /**
     * The OpenAI-compatible HTTP gateway: a plain Kafka client in front of the pipeline (no Kafka Streams, no consumer
     * group, no transactions): it writes prompts and reads the answers and dead letters by assigning itself every
     * partition. Not one of {@link #STAGES}; its application id is the prefix of its client ids.
     */
    public static final StageSpec GATEWAY = new StageSpec("gateway", "gateway-service", "alignstream-gateway",
            "org.alignstream.gateway.GatewayService", List.of(ALIGNED_RESPONSES, DEAD_LETTERS), List.of(PROMPTS));

    /** Services in front of the pipeline that are plain Kafka clients with a principal of their own. */
    public static final List<StageSpec> FRONT_ENDS = List.of(GATEWAY);

    /** The four stages, in flow order. */
    public static final List<StageSpec> STAGES = List.of(GENERATOR, SCORER, SELECTOR, FEEDBACK_STAGE);

    /** The one edge against the flow: the selector sends a stepwise decoding's next round back to the generator. */
    public static final Topic<DecodeState> BACK_EDGE = DECODE_STEPS;

    /** What clients read: answers and the reasons for rejected records. */
    public static final List<Topic<?>> CLIENT_READS = List.of(ALIGNED_RESPONSES, DEAD_LETTERS);
    /** What clients write: prompts and feedback. */
    public static final List<Topic<?>> CLIENT_WRITES = List.of(PROMPTS, FEEDBACK);

    /** The one-shot set-up (topics, users, ACLs): its Maven module and main class. */
    public static final String SETUP_MODULE = "clients";
    public static final String SETUP_MAIN_CLASS = "org.alignstream.clients.AccessControlCommand";

    private Pipeline() {
    }

    /** The stage named {@code name}. */
    public static StageSpec stage(String name) {
        return STAGES.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no stage '" + name + "'; stages: "
                        + STAGES.stream().map(StageSpec::name).toList()));
    }

    /** The stage or front end whose main class is {@code mainClass}, if any. */
    public static java.util.Optional<StageSpec> serviceOfMainClass(String mainClass) {
        return java.util.stream.Stream.concat(STAGES.stream(), FRONT_ENDS.stream())
                .filter(s -> s.mainClass().equals(mainClass)).findFirst();
    }

    /** The stage whose main class is {@code mainClass}. */
    public static StageSpec stageOfMainClass(String mainClass) {
        return STAGES.stream().filter(s -> s.mainClass().equals(mainClass)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no stage has main class " + mainClass));
    }
}
