package org.alignstream.inference.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

/**
 * Opens {@link OrtSession}s on one {@link OnnxDevice} with the project's session options
 * (graph optimisation level ALL, configurable intra-op threads). The CUDA execution provider is
 * added only for a CUDA device, and the constructor fails at once if this ONNX Runtime build has
 * none (the CPU artifact; build with {@code -Pcuda} for {@code onnxruntime_gpu}).
 *
 * <p>This class holds no native handle itself; every session it opens must be closed by the
 * caller.
 */
public final class OrtSessions {

    private final OnnxDevice device;
    private final int intraOpThreads;

    /**
     * @param device         where sessions run
     * @param intraOpThreads threads per operator (>= 1)
     * @throws OnnxModelException if the device is CUDA and this build has no CUDA provider
     */
    public OrtSessions(OnnxDevice device, int intraOpThreads) {
        if (device == null) {
            throw new IllegalArgumentException("device must not be null");
        }
        if (intraOpThreads < 1) {
            throw new IllegalArgumentException("intraOpThreads must be >= 1, got " + intraOpThreads);
        }
        requireProvider(device, OrtEnvironment.getAvailableProviders());
        this.device = device;
        this.intraOpThreads = intraOpThreads;
    }

    /** CPU sessions with the given thread count. */
    public static OrtSessions cpu(int intraOpThreads) {
        return new OrtSessions(OnnxDevice.CPU, intraOpThreads);
    }

    /** Checks that {@code available} can serve {@code device}; visible for tests. */
    static void requireProvider(OnnxDevice device, Set<OrtProvider> available) {
        if (device.isCuda() && !available.contains(OrtProvider.CUDA)) {
            throw new OnnxModelException("Device " + device + " requested but this ONNX Runtime build has no CUDA"
                    + " execution provider (available: " + available + "). Build with -Pcuda (onnxruntime_gpu)"
                    + " and run on a node with a CUDA GPU.");
        }
    }

    public OnnxDevice device() {
        return device;
    }

    public int intraOpThreads() {
        return intraOpThreads;
    }

    /** Opens a session on a model file. */
    public OrtSession open(Path modelFile) {
        if (!Files.isRegularFile(modelFile)) {
            throw new OnnxModelException("ONNX model file not found: " + modelFile.toAbsolutePath());
        }
        try (OrtSession.SessionOptions options = sessionOptions()) {
            return OrtEnvironment.getEnvironment().createSession(modelFile.toString(), options);
        } catch (OrtException e) {
            throw new OnnxModelException("Cannot load ONNX model " + modelFile.toAbsolutePath() + " on " + device
                    + ": " + e.getMessage(), e);
        }
    }

    /** Opens a session on serialized model bytes. */
    public OrtSession open(byte[] model) {
        return open(model, "from memory");
    }

    /** Opens a session on serialized model bytes; {@code description} names them in error messages. */
    public OrtSession open(byte[] model, String description) {
        if (model == null || model.length == 0) {
            throw new OnnxModelException("ONNX model " + description + " is empty");
        }
        try (OrtSession.SessionOptions options = sessionOptions()) {
            return OrtEnvironment.getEnvironment().createSession(model, options);
        } catch (OrtException e) {
            throw new OnnxModelException("Cannot load ONNX model " + description + " (" + model.length + " bytes) on "
                    + device + ": " + e.getMessage(), e);
        }
    }

    private OrtSession.SessionOptions sessionOptions() throws OrtException {
        OrtSession.SessionOptions options = new OrtSession.SessionOptions();
        try {
            options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            options.setIntraOpNumThreads(intraOpThreads);
            options.setInterOpNumThreads(1);
            if (device.isCuda()) {
                options.addCUDA(device.deviceId());
            }
            return options;
        } catch (OrtException | RuntimeException e) {
            options.close();
            throw e;
        }
    }

    /** Providers compiled into this ONNX Runtime build. */
    public static EnumSet<OrtProvider> availableProviders() {
        return OrtEnvironment.getAvailableProviders();
    }
}
