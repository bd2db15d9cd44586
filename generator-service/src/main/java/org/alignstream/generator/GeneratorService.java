package org.alignstream.generator;

import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import java.nio.file.Path;
import org.alignstream.common.stage.BatchingStage;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Set;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.runtime.BatchingOptions;
import org.alignstream.common.runtime.OnnxThreadOptions;
import org.alignstream.common.runtime.RequestBoundsOptions;
import org.alignstream.common.runtime.StreamsCommand;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.streams.Topology;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** generator-service: prompts → candidates, with a causal LM on ONNX Runtime. */
@Command(name = "generator-service", description = "Samples N candidate responses per prompt, or the candidates of a decoding round "
        + "(prompts, decode-steps -> candidates).")
public final class GeneratorService extends StreamsCommand {

    @Option(names = "--model-dir", paramLabel = "DIR",
            description = "Directory with model.onnx (decoder with past key values), tokenizer.json and config.json; default: the bundled lm-austen")
    Path modelDir;

    @Option(names = "--baseline-model-dir", paramLabel = "DIR",
            description = "Transfer Q* baseline model rho_BL (same layout and tokenizer as --model-dir); default: the bundled "
                    + "lm-austen-bon16 (Best-of-16 distilled) when the main model is the bundled one")
    Path baselineModelDir;

    @Mixin
    OnnxThreadOptions onnx = new OnnxThreadOptions();

    @Option(names = "--prepend-bos", defaultValue = "true", arity = "0..1", fallbackValue = "true",
            description = "Start each prompt with the end-of-text token (default: ${DEFAULT-VALUE})")
    boolean prependBos;

    @Mixin
    RequestBoundsOptions bounds = new RequestBoundsOptions();

    @Option(names = "--kv-cache-bytes", defaultValue = "" + LmCandidateSampler.DEFAULT_KV_CACHE_BYTES, paramLabel = "BYTES",
            description = "Bound of the round cache, which keeps each in-flight stepwise request's key/value cache "
                    + "between decoding rounds so a round reads only the new tokens; least recently used first out; "
                    + "0 disables it (default: ${DEFAULT-VALUE}, 256 MiB)")
    long kvCacheBytes;

    @Option(names = "--generator-batching", defaultValue = "invariant", paramLabel = "off|invariant|always",
            converter = BatchingConverter.class,
            description = "Merge the LM calls of concurrent requests (Best-of-N samplings, decoding rounds) into one "
                    + "padded call per step: 'invariant' only where the model was shown, by a probe at load, to give "
                    + "bit-identical results merged and alone (rows whose past lengths fall in the same class), "
                    + "'always' every request (more throughput; a response may differ from its per-request one in rare "
                    + "near-ties), 'off' one call per request (default: ${DEFAULT-VALUE})")
    GeneratorBatching batching;

    @Mixin
    BatchingOptions batchingOptions;

    /** Parses {@code --generator-batching}. */
    static final class BatchingConverter implements picocli.CommandLine.ITypeConverter<GeneratorBatching> {
        @Override
        public GeneratorBatching convert(String value) {
            return GeneratorBatching.parse(value);
        }
    }

    @Option(names = "--reward-models", split = ",", paramLabel = "ID[,ID...]",
            description = "The reward model ids the scorers serve: a request naming another (reward_model, or "
                    + "baseline_reward_model for indirect tq_star) is dead-lettered before any sampling; default: not "
                    + "checked here (the scorer dead-letters it, after the sampling)")
    List<String> rewardModels = new ArrayList<>();

    private LmCandidateSampler sampler;

    /** How records wait for batch mates ({@code --max-batch-records}, {@code --batch-wait-ms}). */
    public BatchingStage.Options batchingOptions() {
        return batchingOptions.stageOptions();
    }

    @Override
    protected void onStart() {
        limits(); // rejects nonsensical limits before the model is loaded
        batchingOptions();
        if (kvCacheBytes < 0) {
            throw new IllegalArgumentException("--kv-cache-bytes must be >= 0 (0 disables the cache), got "
                    + kvCacheBytes);
        }
        sampler = LmCandidateSampler.load(modelDir, onnx.intraOpThreads(), prependBos, kvCacheBytes);
        if (baselineModelDir != null || (modelDir == null && LmCandidateSampler.bundledBaselineAvailable())) {
            sampler.loadBaseline(baselineModelDir, onnx.intraOpThreads());
        }
        sampler.batching(batching); // probes the model(s) for batch invariance when asked to
    }

    @Override
    protected Topology buildTopology(StageMetrics metrics) {
        if (sampler.kvCache().enabled()) {
            sampler.kvCache().listener(new KvCacheMetrics(metrics));
        }
        return GeneratorTopology.build(limits(), sampler, metrics, batchingOptions());
    }

    /** The loaded language model(s) (after start). */
    public LmCandidateSampler sampler() {
        return sampler;
    }

    /** The limits requests are checked against. */
    public RequestLimits limits() {
        return new RequestLimits(bounds.maxN(), bounds.maxNewTokens(), bounds.maxPromptChars(), bounds.maxTopK(),
                bounds.maxRolloutLength(), Set.copyOf(rewardModels));
    }

    @Override
    protected void onClose() {
        if (sampler != null) {
            sampler.close();
        }
    }

    @Override
    protected StageSpec stage() {
        return Pipeline.GENERATOR;
    }

    public static void main(String[] args) {
        System.exit(execute(new GeneratorService(), args));
    }
}
