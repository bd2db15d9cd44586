package org.alignstream.feedback;

import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.alignstream.common.models.ModelStore;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.runtime.ModelStoreOptions;
import org.alignstream.common.runtime.OnnxThreadOptions;
import org.alignstream.common.runtime.StreamsCommand;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.onnx.OrtSessions;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.MeanPoolingEncoder;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.alignstream.inference.reward.RewardModels;
import org.apache.kafka.streams.Topology;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** feedback-service: human preferences and edits → retrained reward models on {@code reward-models}. */
@Command(name = "feedback-service",
        description = "Retrains reward models online from streamed human feedback (feedback -> reward-models).")
public final class FeedbackService extends StreamsCommand {

    /**
     * The feedback target served by default and the models trained from its examples: the full-sequence and
     * partial-sequence heads, and the token-level one whose preference targets are the dense credit of the serving
     * full-sequence {@code sentiment}.
     */
    static final Map<String, List<TrainingLoop.Target>> TARGETS = Map.of("sentiment", List.of(
            TrainingLoop.Target.fullSequence("sentiment"), TrainingLoop.Target.partialSequence("sentiment-partial"),
            TrainingLoop.Target.tokenLevel("sentiment-token", "sentiment")));

    @Option(names = "--retrain-every-events", defaultValue = "50",
            description = "Retrain after this many new feedback examples (default: ${DEFAULT-VALUE})")
    int everyEvents;

    @Option(names = "--retrain-every-ms", defaultValue = "30000",
            description = "... or this long after the last training when there is any new example (default: ${DEFAULT-VALUE})")
    long everyMs;

    @Option(names = "--holdout-percent", defaultValue = "20",
            description = "Share of events held out for the validation gate, percent (default: ${DEFAULT-VALUE})")
    int holdoutPercent;

    @Option(names = "--gate-margin", defaultValue = "0.02",
            description = "Largest drop in held-out pairwise accuracy a new version may have (default: ${DEFAULT-VALUE})")
    double gateMargin;

    @Option(names = "--prior-l2", defaultValue = "0.01",
            description = "Strength of the prior around the bundled head's weights (the same centre for every retraining on all examples) (default: ${DEFAULT-VALUE})")
    double priorL2;

    @Option(names = "--max-text-chars", defaultValue = "4000",
            description = "Longest prompt or response accepted, in characters (default: ${DEFAULT-VALUE})")
    int maxTextChars;

    @Option(names = "--token-target-attention-share", defaultValue = "1.0",
            description = "Token-level training: a preference's token targets spread this share of the serving reward "
                    + "by attention, the rest on the last token, in [0, 1] (the beta of the targets' dense credit; the "
                    + "scorer's --dense-credit-beta is the one of the credit it reports) (default: ${DEFAULT-VALUE})")
    double tokenTargetAttentionShare;

    @Option(names = "--token-prior-l2", defaultValue = "10",
            description = "Token-level training: strength of the prior around the serving token head (default: "
                    + "${DEFAULT-VALUE}, the bundled head's cross-validated L2)")
    double tokenPriorL2;

    @Mixin
    ModelStoreOptions modelStore = new ModelStoreOptions();

    @Option(names = "--inline-head-max-bytes", defaultValue = "1048576",
            description = "With --model-store, the largest head published inline in the record (default: "
                    + "${DEFAULT-VALUE})")
    long inlineHeadMaxBytes;

    @Mixin
    OnnxThreadOptions onnx = new OnnxThreadOptions();

    private MeanPoolingEncoder encoder;
    private ExecutorService trainingExecutor;

    @Override
    protected void onStart() {
        if (everyEvents < 1 || everyMs < 1) {
            throw new IllegalArgumentException("--retrain-every-events and --retrain-every-ms must be >= 1");
        }
        // the attention-exposing graph: pooled features, token states and attention from one pass
        encoder = MeanPoolingEncoder.miniLm(new OrtSessions(OnnxDevice.CPU, onnx.intraOpThreads()), true);
        trainingExecutor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "feedback-training");
            t.setDaemon(true);
            return t;
        });
    }

    @Override
    protected Topology buildTopology(StageMetrics metrics) {
        return FeedbackTopology.build(new ExampleBuilder(new EncoderFeaturizer(encoder), TARGETS.keySet(), maxTextChars,
                        holdoutPercent),
                new RewardTrainer(priorL2, gateMargin, new RewardTrainer.TokenLevel(tokenPriorL2, tokenTargetAttentionShare)),
                target -> TARGETS.getOrDefault(target, List.of()),
                FeedbackService::bundledHead, trainingExecutor, everyEvents, everyMs, metrics, heads());
    }

    /** Where published heads go ({@code --model-store}, {@code --inline-head-max-bytes}). */
    HeadPayloads heads() {
        ModelStore store = modelStore.store();
        return store == null ? HeadPayloads.INLINE : new HeadPayloads(store, inlineHeadMaxBytes, 64L << 20);
    }

    /** Longest prompt or response accepted in a feedback event, in characters ({@code --max-text-chars}). */
    public int maxTextChars() {
        return maxTextChars;
    }

    /** The bundled head of a model id, the serving version before any feedback. */
    static LinearHead bundledHead(String modelId) {
        String resource = switch (modelId) {
            case "sentiment" -> RewardModels.SENTIMENT_HEAD_RESOURCE;
            case "sentiment-partial" -> RewardModels.SENTIMENT_PARTIAL_HEAD_RESOURCE;
            case "sentiment-token" -> RewardModels.SENTIMENT_TOKEN_HEAD_RESOURCE;
            default -> throw new IllegalArgumentException("no bundled head for reward model '" + modelId + "'");
        };
        return RewardHeadOnnx.read(MeanPoolingEncoder.readResource(resource), "classpath:" + resource);
    }

    @Override
    protected void onClose() throws Exception {
        if (trainingExecutor != null) {
            trainingExecutor.shutdownNow();
            trainingExecutor.awaitTermination(10, TimeUnit.SECONDS);
        }
        if (encoder != null) {
            encoder.close();
        }
    }

    @Override
    protected StageSpec stage() {
        return Pipeline.FEEDBACK_STAGE;
    }

    public static void main(String[] args) {
        System.exit(execute(new FeedbackService(), args));
    }
}
