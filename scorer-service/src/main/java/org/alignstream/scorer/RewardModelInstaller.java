package org.alignstream.scorer;

import org.alignstream.common.pipeline.Pipeline;
import java.util.List;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.common.models.ModelStore;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.inference.onnx.OrtSessions;
import org.alignstream.inference.reward.EncoderHeadModel;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.RewardHead;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.alignstream.inference.reward.RewardModel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks a published reward-model version and, if it is newer than the one served, swaps it in: the payload size (the
 * record's, and that of the model-store file a version published as a {@code uri} names, which must lie inside this
 * scorer's {@code --model-store}), the backbone, the kind (a version of a {@code token-level} model must be token-level, and so on), that it parses (in
 * Java, before ONNX Runtime sees any of it) as exactly a linear reward head with the expected input and output, no
 * external data and finite weights ({@link RewardHeadOnnx#readStrict}), that ONNX Runtime loads the graph rebuilt from
 * those weights, metadata matching the record, and finite rewards on a probe, all before
 * {@link RewardModelRegistry#publish} makes it the served version (between batches; what falls out of the kept
 * versions is closed). A version that fails a check is logged with the reason,
 * counted, and never served.
 */
public final class RewardModelInstaller {

    private static final Logger LOG = LoggerFactory.getLogger(RewardModelInstaller.class);
    private static final AvroSerde<RewardModelVersion> VERSIONS = Pipeline.REWARD_MODELS.serde();
    private static final List<String> PROBE = List.of("What a lovely day.", "This is awful.");

    private final RewardModelRegistry registry;
    private final OrtSessions sessions;
    private final long maxModelBytes;
    private final StageMetrics metrics;
    private final ModelStore modelStore;

    /** Without a model store: only versions with inline head bytes are accepted. */
    public RewardModelInstaller(RewardModelRegistry registry, OrtSessions sessions, long maxModelBytes,
                                StageMetrics metrics) {
        this(registry, sessions, maxModelBytes, metrics, null);
    }

    /**
     * @param modelStore where versions published as a {@code uri} are read from (only files inside it are accepted);
     *                   null: such versions are refused
     */
    public RewardModelInstaller(RewardModelRegistry registry, OrtSessions sessions, long maxModelBytes,
                                StageMetrics metrics, ModelStore modelStore) {
        if (maxModelBytes < 1) {
            throw new IllegalArgumentException("max model bytes must be >= 1, was " + maxModelBytes);
        }
        this.registry = registry;
        this.sessions = sessions;
        this.maxModelBytes = maxModelBytes;
        this.metrics = metrics;
        this.modelStore = modelStore;
    }

    public long maxModelBytes() {
        return maxModelBytes;
    }

    /** Checks one published version and swaps it in if it is newer than the served one; returns whether it was. */
    public boolean apply(byte[] value, String where) {
        if (value == null) {
            return false; // a tombstone: nothing to serve
        }
        try {
            if (value.length > maxModelBytes) {
                throw new IllegalArgumentException("payload of " + value.length + " bytes is over the limit of "
                        + maxModelBytes);
            }
            RewardModelVersion v = VERSIONS.decode(value);
            String id = v.getModelId();
            RewardModel base = registry.base(id);
            if (base == null) {
                LOG.debug("{}: version {} of {} ignored: this scorer does not serve that model", where, v.getVersion(), id);
                return false;
            }
            String newest = registry.newestVersion(id);
            if (newest != null && isNumber(newest) && Long.parseLong(newest) >= v.getVersion()) {
                return false; // already serving this or a newer version
            }
            if (!(base instanceof EncoderHeadModel encoderModel)) {
                throw new IllegalArgumentException("model " + id + " is not an encoder + head model; its versions "
                        + "cannot be swapped from head bytes");
            }
            if (!base.kind().equals(v.getKind())) {
                throw new IllegalArgumentException("version " + v.getVersion() + " is of kind '" + v.getKind() + "' but "
                        + id + " is served as '" + base.kind() + "'");
            }
            if (!encoderModel.encoder().name().equals(v.getBackbone())) {
                throw new IllegalArgumentException("version " + v.getVersion() + " is for backbone '" + v.getBackbone()
                        + "' but " + id + " runs on '" + encoderModel.encoder().name() + "'");
            }
            // inline bytes, or a file inside this scorer's model store (size-checked before it is read)
            byte[] bytes = ModelStore.payload(v, modelStore, maxModelBytes);
            String source = id + " v" + v.getVersion() + " (" + where + ")";
            // parsed and checked in Java first; ONNX Runtime only loads the graph rebuilt from the checked weights
            LinearHead checked = RewardHeadOnnx.readStrict(bytes, source);
            RewardHead head = RewardHead.load(sessions, RewardHeadOnnx.write(checked), source);
            HeadMetadata m = head.metadata();
            if (!m.id().equals(id) || !m.version().equals(Long.toString(v.getVersion())) || !m.kind().equals(v.getKind())) {
                head.close();
                throw new IllegalArgumentException("head metadata (" + m.id() + " v" + m.version() + ", " + m.kind()
                        + ") does not match the record (" + id + " v" + v.getVersion() + ", " + v.getKind() + ")");
            }
            EncoderHeadModel candidate = encoderModel.withHead(head);
            double[] probe = candidate.score("", PROBE);
            for (double p : probe) {
                if (!Double.isFinite(p)) {
                    candidate.close();
                    throw new IllegalArgumentException("version " + v.getVersion() + " gives a non-finite reward on a probe");
                }
            }
            registry.publish(candidate);
            metrics.modelVersion(id, "swapped");
            LOG.info("reward model {} version {} is live (figures {})", id, v.getVersion(), v.getFigures());
            return true;
        } catch (RuntimeException e) { // AvroDecodeException included
            metrics.modelVersion("unknown", "refused");
            LOG.warn("{}: reward-model version rejected, the served version stays: {}", where, e.getMessage());
            return false;
        }
    }

    private static boolean isNumber(String s) {
        try {
            Long.parseLong(s);
            return true;
        } catch (NumberFormatException e) {
            return false;
        }
    }

}
