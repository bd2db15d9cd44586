package org.alignstream.drills.fuzz;

import org.alignstream.common.pipeline.Pipeline;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.avro.Strategy;
import org.alignstream.common.serde.AvroSchemas;
import org.alignstream.common.serde.AvroSerde;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.MeanPoolingEncoder;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.alignstream.inference.reward.RewardModels;

/**
 * Seeded bad payloads for {@code reward-models}, which every scorer reads in the background (not a stage: a payload it
 * will not serve is logged and counted as {@code refused}, never dead-lettered). Each is a newer version of the served
 * {@code sentiment} model that must be refused: bytes that do not decode, a payload over {@code --max-model-bytes}
 * (refused before it is even decoded), another backbone, no head, a head that is not ONNX, a head whose metadata does not
 * match the record. Tombstones are ignored, not refused. {@link #good} is a valid newer version.
 */
public final class BadModelVersions {

    /** One payload and whether the scorer counts it as refused (a tombstone is just ignored). */
    public record Payload(String kind, String key, byte[] value, boolean refused) {
    }

    private static final AvroSerde<RewardModelVersion> VERSIONS = Pipeline.REWARD_MODELS.serde();

    public static final List<String> KINDS = List.of("random-bytes", "empty-value", "truncated", "other-type",
            "garbage-body", "length-bomb", "trailing-bytes", "oversized", "wrong-backbone", "no-head", "corrupt-head",
            "metadata-mismatch", "tombstone");

    private final long seed;
    private final long maxModelBytes;
    private final String backbone;
    private final LinearHead bundled;

    /**
     * @param maxModelBytes the scorer's {@code --max-model-bytes}
     * @param backbone      the name of the encoder the served {@code sentiment} model runs on
     */
    public BadModelVersions(long seed, long maxModelBytes, String backbone) {
        this.seed = seed;
        this.maxModelBytes = maxModelBytes;
        this.backbone = backbone;
        this.bundled = RewardHeadOnnx.read(MeanPoolingEncoder.readResource(RewardModels.SENTIMENT_HEAD_RESOURCE),
                "bundled");
    }

    /** A valid version {@code version} of sentiment: the bundled head with its weights scaled by {@code factor}. */
    public byte[] good(long version, double factor) {
        return VERSIONS.encode(version(version, factor, backbone, Long.toString(version)));
    }

    private RewardModelVersion version(long version, double factor, String backbone, String metadataVersion) {
        double[] w = bundled.weights().clone();
        for (int i = 0; i < w.length; i++) {
            w[i] *= factor;
        }
        HeadMetadata m = bundled.metadata();
        LinearHead head = new LinearHead(w, bundled.bias() * factor,
                new HeadMetadata(m.id(), metadataVersion, m.kind(), m.featureDim(), m.encoder()));
        return RewardModelVersion.newBuilder().setModelId("sentiment").setVersion(version).setParentVersion(version - 1)
                .setKind(m.kind()).setBackbone(backbone).setFigures(new HashMap<>(Map.of("examples", 10.0)))
                .setHeadOnnx(ByteBuffer.wrap(RewardHeadOnnx.write(head))).build();
    }

    /** Payload {@code i}: kind {@code i mod} {@link #KINDS}, content a pure function of the seed and {@code i}. */
    public Payload payload(int i) {
        String kind = KINDS.get(Math.floorMod(i, KINDS.size()));
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 7919L * i);
        long v = 100 + r.nextInt(1_000_000); // newer than the bundled head's version (2 since its retraining)
        byte[] valid = VERSIONS.encode(version(v, 0.5 + r.nextDouble(), backbone, Long.toString(v)));
        byte[] value = switch (kind) {
            case "random-bytes" -> bytes(r, r.nextInt(300));
            case "empty-value" -> new byte[0];
            case "truncated" -> Arrays.copyOf(valid, r.nextInt(valid.length));
            case "other-type" -> Pipeline.PROMPTS.serde().encode(PromptRequest.newBuilder().setId("m" + i)
                    .setPrompt("She was").setStrategy(Strategy.newBuilder().build()).build());
            case "garbage-body" -> concat(header(), bytes(r, 1 + r.nextInt(128)));
            case "length-bomb" -> concat(header(), BadRecords.varint((1L << 20) + r.nextLong(Integer.MAX_VALUE - (1L << 20))),
                    bytes(r, r.nextInt(16)));
            case "trailing-bytes" -> concat(valid, bytes(r, 1 + r.nextInt(16)));
            case "oversized" -> {
                RewardModelVersion big = VERSIONS.decode(valid);
                big.setUri("x".repeat((int) maxModelBytes + 1 + r.nextInt(100_000)));
                yield VERSIONS.encode(big);
            }
            case "wrong-backbone" -> VERSIONS.encode(version(v, 1.0, backbone + "-other", Long.toString(v)));
            case "no-head" -> {
                RewardModelVersion noHead = VERSIONS.decode(valid);
                noHead.setHeadOnnx(null);
                noHead.setUri("file:///models/sentiment/" + v);
                yield VERSIONS.encode(noHead);
            }
            case "corrupt-head" -> {
                RewardModelVersion corrupt = VERSIONS.decode(valid);
                corrupt.setHeadOnnx(ByteBuffer.wrap(bytes(r, 1 + r.nextInt(2000))));
                yield VERSIONS.encode(corrupt);
            }
            case "metadata-mismatch" -> VERSIONS.encode(version(v, 1.0, backbone, Long.toString(v + 1 + r.nextInt(10))));
            case "tombstone" -> null;
            default -> throw new IllegalStateException(kind);
        };
        return new Payload(kind, "fuzz-" + Topics.REWARD_MODELS + "-" + i + "-" + kind, value, value != null);
    }

    private static byte[] header() {
        byte[] h = new byte[10];
        h[0] = (byte) 0xC3;
        h[1] = 0x01;
        ByteBuffer.wrap(h, 2, 8).order(ByteOrder.LITTLE_ENDIAN).putLong(AvroSchemas.fingerprint(VERSIONS.schema()));
        return h;
    }

    private static byte[] bytes(SplittableRandom r, int n) {
        byte[] b = new byte[n];
        for (int i = 0; i < n; i++) {
            b[i] = (byte) r.nextInt(256);
        }
        return b;
    }

    private static byte[] concat(byte[]... parts) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (byte[] p : parts) {
            out.writeBytes(p);
        }
        return out.toByteArray();
    }
}
