package org.alignstream.inference.reward;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Map;
import org.alignstream.inference.onnx.OnnxModelCheck;
import org.alignstream.inference.onnx.OnnxModelException;
import org.alignstream.inference.onnx.OrtSessions;

/**
 * A reward head ONNX graph ({@code features[B,D] -> reward[B,1]}) in its own small session,
 * separate from the encoder so that heads can be replaced without reloading the encoder.
 */
public final class RewardHead implements AutoCloseable {

    private final OrtSession session;
    private final HeadMetadata metadata;
    private final String source;
    private final ScoredText declaredScoredText;

    private RewardHead(OrtSession session, HeadMetadata metadata, String source, ScoredText declaredScoredText) {
        this.session = session;
        this.metadata = metadata;
        this.source = source;
        this.declaredScoredText = declaredScoredText;
    }

    /**
     * Loads head bytes (as written by {@link RewardHeadOnnx}) and checks their signature and
     * metadata.
     */
    public static RewardHead load(OrtSessions sessions, byte[] bytes, String source) {
        OrtSession session = sessions.open(bytes, source);
        try {
            OnnxModelCheck.requireInputs(session, source, List.of(RewardHeadOnnx.INPUT), List.of());
            OnnxModelCheck.requireOutputs(session, source, List.of(RewardHeadOnnx.OUTPUT));
            HeadMetadata metadata = HeadMetadata.fromProperties(session.getMetadata().getCustomMetadata(), source);
            long[] in = OnnxModelCheck.shape(session, source, RewardHeadOnnx.INPUT);
            if (in.length != 2 || in[1] != metadata.featureDim()) {
                throw new OnnxModelException("reward head " + source + ": input '" + RewardHeadOnnx.INPUT + "' has shape "
                        + java.util.Arrays.toString(in) + " but metadata says feature_dim " + metadata.featureDim());
            }
            return new RewardHead(session, metadata, source,
                    ScoredText.declared(session.getMetadata().getCustomMetadata(), source).orElse(null));
        } catch (OrtException | RuntimeException e) {
            closeQuietly(session, e);
            if (e instanceof OrtException) {
                throw new OnnxModelException("Cannot read metadata of reward head " + source + ": " + e.getMessage(), e);
            }
            throw (RuntimeException) e;
        }
    }

    public HeadMetadata metadata() {
        return metadata;
    }

    /** What the head was trained on, if its metadata declares it ({@value ScoredText#KEY}); else empty. */
    public java.util.Optional<ScoredText> declaredScoredText() {
        return java.util.Optional.ofNullable(declaredScoredText);
    }

    /** Rewards for a [B, featureDim] batch, one ONNX call; an empty batch gives an empty array. */
    public double[] score(float[][] features) {
        int batch = features.length;
        if (batch == 0) {
            return new double[0];
        }
        int dim = metadata.featureDim();
        FloatBuffer flat = FloatBuffer.allocate(batch * dim);
        for (int i = 0; i < batch; i++) {
            if (features[i] == null || features[i].length != dim) {
                throw new IllegalArgumentException("feature row " + i + " has length "
                        + (features[i] == null ? 0 : features[i].length) + ", head " + metadata.id() + " expects " + dim);
            }
            flat.put(features[i]);
        }
        flat.flip();
        try (OnnxTensor input = OnnxTensor.createTensor(OrtEnvironment.getEnvironment(), flat, new long[] {batch, dim});
             OrtSession.Result result = session.run(Map.of(RewardHeadOnnx.INPUT, input))) {
            float[][] out = (float[][]) result.get(RewardHeadOnnx.OUTPUT).orElseThrow().getValue();
            double[] rewards = new double[batch];
            for (int i = 0; i < batch; i++) {
                if (out[i].length != 1) {
                    throw new OnnxModelException("reward head " + source + " returned " + out[i].length
                            + " values per row, expected 1");
                }
                rewards[i] = out[i][0];
            }
            return rewards;
        } catch (OrtException e) {
            throw new OnnxModelException("ONNX Runtime failed running reward head " + source + ": " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        try {
            session.close();
        } catch (OrtException e) {
            throw new OnnxModelException("Cannot close reward head " + source + ": " + e.getMessage(), e);
        }
    }

    private static void closeQuietly(OrtSession session, Exception primary) {
        try {
            session.close();
        } catch (OrtException e) {
            primary.addSuppressed(e);
        }
    }
}
