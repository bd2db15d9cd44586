package org.alignstream.scorer;

import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Properties;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.runtime.BatchingOptions;
import org.alignstream.common.runtime.ModelStoreOptions;
import org.alignstream.common.runtime.OnnxThreadOptions;
import org.alignstream.common.runtime.StreamsCommand;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.onnx.OrtSessions;
import org.alignstream.inference.reward.EncoderHeadModel;
import org.alignstream.inference.reward.MeanPoolingEncoder;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.inference.reward.AttentionCredit;
import org.alignstream.inference.reward.ScoredText;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** scorer-service: candidates → scored-candidates, with a reward model on ONNX Runtime. */
@Command(name = "scorer-service", description = "Scores every candidate with a reward model (candidates -> scored-candidates).")
public final class ScorerService extends StreamsCommand {

    @Option(names = "--reward-model-dir", paramLabel = "DIR",
            description = "A Hugging Face sequence-classification export (model.onnx with one logit + tokenizer.json) "
                    + "or a directory with head.onnx over MiniLM features; default: the bundled positive-sentiment head")
    Path rewardModelDir;

    @Option(names = "--device", defaultValue = "cpu", paramLabel = "cpu|cuda:N",
            description = "ONNX Runtime device (default: ${DEFAULT-VALUE}); cuda needs the onnxruntime_gpu build (mvn -Pcuda)")
    String device;

    @Mixin
    OnnxThreadOptions onnx = new OnnxThreadOptions();

    @Option(names = "--scored-text", defaultValue = "RESPONSE", paramLabel = "RESPONSE|PROMPT_AND_RESPONSE",
            description = "What a reward model reads when its metadata does not declare what it was trained on "
                    + "(alignstream.reward.scored_text: response or prompt_and_response; a declaration wins) "
                    + "(default: ${DEFAULT-VALUE})")
    ScoredText scoredText;

    @Option(names = "--extra-reward-model-dir", paramLabel = "DIR",
            description = "Another reward model to serve (same formats as --reward-model-dir), chosen by a request's "
                    + "reward_model id; repeatable")
    List<Path> extraRewardModelDirs = new ArrayList<>();

    @Option(names = "--bundled-extras", defaultValue = "true", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Also serve the bundled partial-sequence sentiment model (sentiment-partial, for PARGS) and "
                    + "the token-level one (sentiment-token) (default: ${DEFAULT-VALUE})")
    boolean bundledExtras;

    /** Id of the bundled partial-sequence reward model served with {@code --bundled-extras}. */
    public static final String PARTIAL_SENTIMENT_ID = "sentiment-partial";
    /** Id of the bundled token-level reward model served with {@code --bundled-extras}. */
    public static final String TOKEN_SENTIMENT_ID = "sentiment-token";

    @Option(names = "--token-credit", defaultValue = "true", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Spread each candidate's reward over its tokens (token_credits), from the same encoder pass: "
                    + "encoder models run their encoder rewritten to expose the last layer's attention (dense credit, "
                    + "Chan et al. 2024), token-level models give their per-token rewards; models without either give "
                    + "none (default: ${DEFAULT-VALUE})")
    boolean tokenCredit;

    @Option(names = "--dense-credit-beta", defaultValue = "0.5",
            description = "Dense credit r_t = beta a_t R + (1 - beta) R [t = T]: the share of the reward spread by "
                    + "attention, the rest on the last token, in [0, 1] (default: ${DEFAULT-VALUE})")
    double denseCreditBeta;

    @Option(names = "--dense-credit-row", defaultValue = "MEAN_OVER_QUERIES",
            paramLabel = "MEAN_OVER_QUERIES|LAST_RESPONSE_TOKEN|FINAL_TOKEN",
            description = "Which attention row gives a_t: the mean over all query rows (measured closest to each token's "
                    + "effect on the reward, AttentionCredit), the last response token's row (the paper's reference "
                    + "code) or the final position's ([SEP]) (default: ${DEFAULT-VALUE})")
    AttentionCredit.Row denseCreditRow;

    @Option(names = "--model-updates", defaultValue = "true", arity = "0..1", fallbackValue = "true", paramLabel = "BOOL",
            description = "Hot-swap new reward-model versions published to reward-models (default: ${DEFAULT-VALUE})")
    boolean modelUpdates;

    @Option(names = "--keep-versions", defaultValue = "3",
            description = "Versions of each reward model kept for requests that pin one (default: ${DEFAULT-VALUE})")
    int keepVersions;

    @Option(names = "--reward-kv-cache-bytes", defaultValue = "" + RewardModelRegistry.DEFAULT_ROUND_CACHE_BYTES,
            paramLabel = "BYTES",
            description = "Bound of the cache that keeps a decoder reward model's shared-prefix key/value tensors between "
                    + "a request's tokenwise rounds, least recently used dropped first; 0 disables it (a miss reads "
                    + "the whole prefix again) (default: ${DEFAULT-VALUE})")
    long rewardKvCacheBytes;

    @Option(names = "--max-model-bytes", defaultValue = "8388608",
            description = "Largest reward-model payload accepted from reward-models (default: ${DEFAULT-VALUE})")
    long maxModelBytes;

    @Mixin
    ModelStoreOptions modelStore = new ModelStoreOptions();

    @Option(names = "--max-candidates", defaultValue = "1000",
            description = "Most candidates in one set (one scoring batch); a larger set is dead-lettered before scoring "
                    + "(default: ${DEFAULT-VALUE})")
    int maxCandidates;

    @Option(names = "--max-text-chars", defaultValue = "32000",
            description = "Longest candidate text or prompt accepted, in characters; a set with a longer one is "
                    + "dead-lettered before scoring (default: ${DEFAULT-VALUE})")
    int maxTextChars;

    @Mixin
    BatchingOptions batchingOptions;

    private RewardModelRegistry models;
    private RewardModelUpdater updater;
    private ScorerConfig.CreditOptions credit;

    /** What a candidate set may hold before it is scored. */
    public ScorerConfig.Limits limits() {
        return new ScorerConfig.Limits(maxCandidates, maxTextChars);
    }

    /** How candidate sets of concurrent requests are merged ({@code --max-batch-records}, {@code --batch-wait-ms}). */
    public ScorerConfig.Batching batching() {
        return new ScorerConfig.Batching(batchingOptions.maxRecords(), batchingOptions.waitMs());
    }

    @Override
    protected void onStart() {
        limits(); // rejects nonsensical limits before the models are loaded
        batching();
        if (rewardKvCacheBytes < 0) {
            throw new IllegalArgumentException("--reward-kv-cache-bytes must be >= 0 (0 disables the cache), got "
                    + rewardKvCacheBytes);
        }
        credit = new ScorerConfig.CreditOptions(tokenCredit, denseCreditBeta, denseCreditRow);
        OnnxDevice onnxDevice = OnnxDevice.parse(device);
        int threads = onnx.intraOpThreads();
        RewardModel rewardModel = rewardModelDir == null
                ? RewardModels.defaultSentiment(onnxDevice, threads, tokenCredit)
                : RewardModels.fromDirectory(rewardModelDir, onnxDevice, threads, scoredText, tokenCredit);
        models = new RewardModelRegistry(rewardModel, keepVersions, rewardKvCacheBytes);
        for (Path dir : extraRewardModelDirs) {
            models.add(RewardModels.fromDirectory(dir, onnxDevice, threads, scoredText, tokenCredit));
        }
        if (bundledExtras && !models.ids().contains(PARTIAL_SENTIMENT_ID)
                && bundled(RewardModels.SENTIMENT_PARTIAL_HEAD_RESOURCE)) {
            models.add(RewardModels.defaultSentimentPartial(onnxDevice, threads, tokenCredit));
        }
        if (bundledExtras && !models.ids().contains(TOKEN_SENTIMENT_ID)
                && bundled(RewardModels.SENTIMENT_TOKEN_HEAD_RESOURCE)) {
            // reads the same MiniLM states as the default sentiment model: share its encoder when it has that one
            // (the registry never evicts the model loaded at start, so the encoder stays open)
            models.add(rewardModel instanceof EncoderHeadModel m && m.encoder().name().equals(MeanPoolingEncoder.MINILM_NAME)
                    ? RewardModels.sentimentTokenSharing(m.encoder(), onnxDevice, threads)
                    : RewardModels.defaultSentimentToken(onnxDevice, threads));
        }
    }

    private static boolean bundled(String resource) {
        return ScorerService.class.getClassLoader().getResource(resource) != null;
    }

    /** What {@code --token-credit} and {@code --dense-credit-beta} asked for (after start). */
    public ScorerConfig.CreditOptions creditOptions() {
        return credit;
    }

    @Override
    protected void afterTopics(Properties streamsProperties, StageMetrics metrics) {
        if (modelUpdates) {
            updater = new RewardModelUpdater(
                    new StreamsConfig(streamsProperties).getRestoreConsumerConfigs("alignstream-scorer-model-updater"),
                    new RewardModelInstaller(models, new OrtSessions(OnnxDevice.parse(device), onnx.intraOpThreads()),
                            maxModelBytes, metrics, modelStore.store()));
        }
    }

    /** The reward-model updater (after start; null with --model-updates=false). */
    public RewardModelUpdater updater() {
        return updater;
    }

    /** The stage's configuration: {@link #limits}, {@link #creditOptions} and {@link #batching} (after start). */
    public ScorerConfig scorerConfig() {
        return new ScorerConfig(limits(), credit, batching());
    }

    @Override
    protected Topology buildTopology(StageMetrics metrics) {
        return ScorerTopology.build(scorerConfig(), models, metrics);
    }

    @Override
    protected void onClose() throws Exception {
        if (updater != null) {
            updater.close();
        }
        if (models != null) {
            models.close();
        }
    }

    /** The default reward model (after start; null before or if loading failed). */
    public RewardModel rewardModel() {
        return models == null ? null : models.defaultModel();
    }

    /** Every reward model served (after start). */
    public RewardModelRegistry rewardModels() {
        return models;
    }

    @Override
    protected StageSpec stage() {
        return Pipeline.SCORER;
    }

    public static void main(String[] args) {
        System.exit(execute(new ScorerService(), args));
    }
}
