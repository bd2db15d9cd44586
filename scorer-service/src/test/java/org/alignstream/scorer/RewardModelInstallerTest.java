package org.alignstream.scorer;

import org.alignstream.common.pipeline.Pipeline;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.onnx.OrtSessions;
import org.alignstream.inference.reward.EncoderRewardModel;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.alignstream.inference.reward.RewardHead;
import org.alignstream.inference.reward.RewardModel;
import org.alignstream.inference.reward.RewardModels;
import org.alignstream.inference.reward.TokenLevelRewardModel;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.alignstream.common.models.ModelStore;
import java.nio.file.Files;
import java.nio.file.Path;

/** Hot-swapping versions of the REAL default reward model (MiniLM + sentiment head). */
class RewardModelInstallerTest {

    private static final AvroSerde<RewardModelVersion> VERSIONS = Pipeline.REWARD_MODELS.serde();
    private static final List<String> TEXTS = List.of("What a wonderful, happy day.", "It was a dreadful, sad loss.");

    private final StageMetrics metrics = new StageMetrics("scorer");
    private RewardModelRegistry registry;
    private RewardModelInstaller installer;
    private EncoderRewardModel base;

    /**
     * The bundled sentiment head, served as version 1: the version numbers in these tests count from it (the bundled
     * file's own version is whatever its last retraining gave it, e.g. 2).
     */
    private static EncoderRewardModel bundledAsVersion1() {
        OrtSessions sessions = new OrtSessions(OnnxDevice.CPU, 1);
        LinearHead bundled = RewardHeadOnnx.read(
                org.alignstream.inference.reward.MeanPoolingEncoder.readResource(RewardModels.SENTIMENT_HEAD_RESOURCE),
                "bundled");
        HeadMetadata m = bundled.metadata();
        LinearHead v1 = new LinearHead(bundled.weights(), bundled.bias(),
                new HeadMetadata(m.id(), "1", m.kind(), m.featureDim(), m.encoder()));
        return new EncoderRewardModel(org.alignstream.inference.reward.MeanPoolingEncoder.miniLm(sessions),
                RewardHead.load(sessions, RewardHeadOnnx.write(v1), "bundled head as version 1"),
                org.alignstream.inference.reward.ScoredText.RESPONSE);
    }

    @BeforeEach
    void load() {
        base = bundledAsVersion1();
        registry = new RewardModelRegistry(base, 2);
        installer = new RewardModelInstaller(registry, new OrtSessions(OnnxDevice.CPU, 1), 1 << 20, metrics);
    }

    @AfterEach
    void close() {
        registry.close();
    }

    /** The bundled head with its weights scaled by {@code factor}, as version {@code version}. */
    private byte[] version(long version, double factor, String backbone, String metadataVersion) {
        LinearHead served = RewardHeadOnnx.read(
                org.alignstream.inference.reward.MeanPoolingEncoder.readResource(RewardModels.SENTIMENT_HEAD_RESOURCE),
                "bundled");
        double[] w = served.weights();
        for (int i = 0; i < w.length; i++) {
            w[i] *= factor;
        }
        HeadMetadata m = served.metadata();
        LinearHead head = new LinearHead(w, served.bias() * factor,
                new HeadMetadata(m.id(), metadataVersion, m.kind(), m.featureDim(), m.encoder()));
        return VERSIONS.encode(RewardModelVersion.newBuilder().setModelId("sentiment").setVersion(version)
                .setParentVersion(version - 1).setKind(m.kind()).setBackbone(backbone).setFigures(Map.of())
                .setHeadOnnx(ByteBuffer.wrap(RewardHeadOnnx.write(head))).build());
    }

    @Test
    void twoScorersReadingTheVersionsInDifferentOrdersConvergeOnTheSameVersion() {
        String backbone = base.encoder().name();
        List<byte[]> published = List.of(version(2, 2.0, backbone, "2"), version(4, 4.0, backbone, "4"),
                version(3, 3.0, backbone, "3"));
        EncoderRewardModel otherBase = bundledAsVersion1();
        try (RewardModelRegistry other = new RewardModelRegistry(otherBase, 2)) {
            RewardModelInstaller otherInstaller = new RewardModelInstaller(other, new OrtSessions(OnnxDevice.CPU, 1),
                    1 << 20, new StageMetrics("scorer"));
            for (byte[] v : published) {
                installer.apply(v, "a");
            }
            for (int i = published.size() - 1; i >= 0; i--) {
                otherInstaller.apply(published.get(i), "b");
            }
            assertThat(registry.newestVersion("sentiment")).isEqualTo("4");
            assertThat(other.newestVersion("sentiment")).isEqualTo("4");
            assertThat(other.resolve("sentiment").score("", TEXTS))
                    .containsExactly(registry.resolve("sentiment").score("", TEXTS), org.assertj.core.data.Offset.offset(1e-9));
        }
    }

    @Test
    void aValidNewerVersionIsServedAndOlderOnesStayPinnable() {
        double[] before = registry.resolve("sentiment").score("", TEXTS);
        assertThat(installer.apply(version(2, 2.0, base.encoder().name(), "2"), "t@0")).isTrue();
        assertThat(registry.newestVersion("sentiment")).isEqualTo("2");
        double[] after = registry.resolve("sentiment").score("", TEXTS);
        assertThat(after[0]).isCloseTo(2 * before[0], org.assertj.core.data.Offset.offset(1e-4));
        assertThat(registry.resolve("sentiment", "1").score("", TEXTS)).containsExactly(before);
        assertThat(metrics.modelVersions("sentiment", "swapped")).isEqualTo(1);

        // the same or an older version again changes nothing
        assertThat(installer.apply(version(2, 3.0, base.encoder().name(), "2"), "t@1")).isFalse();
        assertThat(installer.apply(version(1, 3.0, base.encoder().name(), "1"), "t@2")).isFalse();
        assertThat(registry.newestVersion("sentiment")).isEqualTo("2");

        // keep = 2: version 3 evicts 2, never the base (1), whose encoder the others share
        assertThat(installer.apply(version(3, 0.5, base.encoder().name(), "3"), "t@3")).isTrue();
        assertThat(registry.resolve("sentiment", "1").score("", TEXTS)).containsExactly(before);
        assertThat(registry.resolve("sentiment").version()).isEqualTo("3");
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> registry.resolve("sentiment", "2"))
                .hasMessageContaining("version '2' is not served");
    }

    @Test
    void aVersionPublishedAsAModelStoreUriIsServedOnlyFromInsideTheScorersStore(@TempDir Path dir) throws Exception {
        ModelStore store = ModelStore.at(dir.resolve("store"));
        RewardModelInstaller withStore = new RewardModelInstaller(registry, new OrtSessions(OnnxDevice.CPU, 1), 1 << 20,
                metrics, store);
        RewardModelVersion inline = VERSIONS.decode(version(2, 2.0, base.encoder().name(), "2"));
        byte[] head = new byte[inline.getHeadOnnx().remaining()];
        inline.getHeadOnnx().duplicate().get(head);
        String uri = store.write("sentiment", 2, head).toString();
        byte[] stored = VERSIONS.encode(RewardModelVersion.newBuilder(inline).setHeadOnnx(null).setUri(uri).build());

        assertThat(installer.apply(stored, "no store")).as("a scorer without --model-store refuses it").isFalse();
        Path outside = Files.write(dir.resolve("head.onnx"), head);
        assertThat(withStore.apply(VERSIONS.encode(RewardModelVersion.newBuilder(inline).setHeadOnnx(null)
                .setUri(outside.toUri().toString()).build()), "outside")).as("a file outside the store").isFalse();
        RewardModelInstaller tooSmall = new RewardModelInstaller(registry, new OrtSessions(OnnxDevice.CPU, 1),
                head.length - 1L, metrics, store);
        assertThat(tooSmall.apply(stored, "limit")).as("a stored file over the size limit").isFalse();
        assertThat(registry.newestVersion("sentiment")).isEqualTo("1");
        assertThat(metrics.modelVersions("unknown", "refused")).isEqualTo(3);

        double[] before = registry.resolve("sentiment").score("", TEXTS);
        assertThat(withStore.apply(stored, "store")).isTrue();
        assertThat(registry.newestVersion("sentiment")).isEqualTo("2");
        assertThat(registry.resolve("sentiment").score("", TEXTS)[0])
                .isCloseTo(2 * before[0], org.assertj.core.data.Offset.offset(1e-4));
    }

    @Test
    void badPayloadsAreRefusedAndTheServedVersionStays() {
        byte[] good = version(2, 2.0, base.encoder().name(), "2");
        List<byte[]> bad = List.of(
                "not avro".getBytes(StandardCharsets.UTF_8),
                version(2, 2.0, "some-other-encoder", "2"),
                version(2, 2.0, base.encoder().name(), "7"), // metadata does not match the record
                VERSIONS.encode(RewardModelVersion.newBuilder(VERSIONS.decode(good))
                        .setHeadOnnx(ByteBuffer.wrap("corrupt onnx".getBytes(StandardCharsets.UTF_8))).build()),
                VERSIONS.encode(RewardModelVersion.newBuilder(VERSIONS.decode(good)).setHeadOnnx(null).build()),
                VERSIONS.encode(RewardModelVersion.newBuilder(VERSIONS.decode(good))
                        .setHeadOnnx(ByteBuffer.wrap(withExtraNode(good))).build()), // a valid ONNX graph, not a head
                new byte[(1 << 20) + 1]);
        for (byte[] b : bad) {
            assertThat(installer.apply(b, "bad")).isFalse();
        }
        assertThat(metrics.modelVersions("unknown", "refused")).isEqualTo(bad.size());
        assertThat(registry.newestVersion("sentiment")).isEqualTo("1");
        // a version of a model this scorer does not serve is ignored, not refused
        assertThat(installer.apply(VERSIONS.encode(RewardModelVersion.newBuilder(VERSIONS.decode(good))
                .setModelId("toxicity").build()), "other")).isFalse();
        assertThat(metrics.modelVersions("unknown", "refused")).isEqualTo(bad.size());
        assertThat(installer.apply(good, "good")).isTrue();
    }

    /** The head of {@code version} with one more (valid, harmless-looking) node after its output. */
    private static byte[] withExtraNode(byte[] version) {
        try {
            ByteBuffer head = VERSIONS.decode(version).getHeadOnnx();
            byte[] bytes = new byte[head.remaining()];
            head.duplicate().get(bytes);
            ai.onnx.proto.OnnxMl.ModelProto.Builder m = ai.onnx.proto.OnnxMl.ModelProto.parseFrom(bytes).toBuilder();
            m.getGraphBuilder().addNode(ai.onnx.proto.OnnxMl.NodeProto.newBuilder().setOpType("Relu")
                    .addInput(RewardHeadOnnx.OUTPUT).addOutput("relu"));
            return m.build().toByteArray();
        } catch (com.google.protobuf.InvalidProtocolBufferException e) {
            throw new AssertionError(e);
        }
    }

    /** A token-level head over the bundled head's weights scaled by {@code factor} (any weights do for swapping). */
    private static LinearHead tokenHead(String version, double factor) {
        LinearHead served = RewardHeadOnnx.read(
                org.alignstream.inference.reward.MeanPoolingEncoder.readResource(RewardModels.SENTIMENT_HEAD_RESOURCE),
                "bundled");
        double[] w = served.weights();
        for (int i = 0; i < w.length; i++) {
            w[i] *= factor * 0.01;
        }
        return new LinearHead(w, 0.01 * factor, new HeadMetadata("toy-token", version, RewardModel.TOKEN_LEVEL, 384,
                served.metadata().encoder()));
    }

    private static byte[] record(String modelId, long version, String kind, String backbone, LinearHead head) {
        return VERSIONS.encode(RewardModelVersion.newBuilder().setModelId(modelId).setVersion(version)
                .setParentVersion(version - 1).setKind(kind).setBackbone(backbone).setFigures(Map.of())
                .setHeadOnnx(ByteBuffer.wrap(RewardHeadOnnx.write(head))).build());
    }

    @Test
    void aTokenLevelModelSwapsTokenLevelVersionsOnlyAndKindsMustMatch() {
        OrtSessions sessions = new OrtSessions(OnnxDevice.CPU, 1);
        TokenLevelRewardModel token = TokenLevelRewardModel.sharing(base.encoder(),
                RewardHead.load(sessions, RewardHeadOnnx.write(tokenHead("1", 1)), "toy v1"));
        registry.add(token);
        double[] before = registry.resolve("toy-token").score("", TEXTS);
        String backbone = base.encoder().name();

        assertThat(installer.apply(record("toy-token", 2, RewardModel.TOKEN_LEVEL, backbone, tokenHead("2", 2)), "t@0"))
                .isTrue();
        RewardModel v2 = registry.resolve("toy-token");
        assertThat(v2).isInstanceOf(TokenLevelRewardModel.class);
        assertThat(v2.kind()).isEqualTo(RewardModel.TOKEN_LEVEL);
        double[] after = v2.score("", TEXTS);
        for (int i = 0; i < TEXTS.size(); i++) {
            assertThat(after[i]).isCloseTo(2 * before[i], org.assertj.core.data.Offset.offset(1e-4));
        }
        // a full-sequence head for the token-level model, a token-level head for the full-sequence one: refused
        LinearHead full = RewardHeadOnnx.read(org.alignstream.inference.reward.MeanPoolingEncoder.readResource(
                RewardModels.SENTIMENT_HEAD_RESOURCE), "bundled");
        LinearHead fullAsToken = new LinearHead(full.weights(), full.bias(), new HeadMetadata("toy-token", "3",
                RewardModel.FULL_SEQUENCE, 384, backbone));
        assertThat(installer.apply(record("toy-token", 3, RewardModel.FULL_SEQUENCE, backbone, fullAsToken), "t@1"))
                .isFalse();
        LinearHead tokenAsSentiment = new LinearHead(full.weights(), 0, new HeadMetadata("sentiment", "2",
                RewardModel.TOKEN_LEVEL, 384, backbone));
        assertThat(installer.apply(record("sentiment", 2, RewardModel.TOKEN_LEVEL, backbone, tokenAsSentiment), "t@2"))
                .isFalse();
        assertThat(metrics.modelVersions("unknown", "refused")).isEqualTo(2);
        assertThat(registry.newestVersion("toy-token")).isEqualTo("2");
        assertThat(registry.newestVersion("sentiment")).isEqualTo("1");
    }
}
