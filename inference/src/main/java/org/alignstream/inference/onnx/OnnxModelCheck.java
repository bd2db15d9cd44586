package org.alignstream.inference.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import java.util.Collection;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Checks that a loaded model has the inputs and outputs a caller will feed and read, so a wrong
 * or corrupt model file is rejected at load time with a message listing what was found.
 */
public final class OnnxModelCheck {

    private OnnxModelCheck() {
    }

    /**
     * Requires every name in {@code required} among the inputs, and no input outside
     * {@code required} and {@code optional} (inputs the caller cannot feed).
     */
    public static void requireInputs(OrtSession session, String model, Collection<String> required,
            Collection<String> optional) {
        Set<String> found = new TreeSet<>(session.getInputNames());
        Set<String> missing = new TreeSet<>(required);
        missing.removeAll(found);
        Set<String> unexpected = new TreeSet<>(found);
        unexpected.removeAll(required);
        unexpected.removeAll(optional);
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new OnnxModelException("ONNX model " + model + " has inputs " + found + " but "
                    + describe(missing, "is missing required") + (missing.isEmpty() || unexpected.isEmpty() ? "" : " and ")
                    + describe(unexpected, "has unsupported") + " (expected " + new TreeSet<>(required)
                    + (optional.isEmpty() ? "" : " plus optional " + new TreeSet<>(optional)) + ")");
        }
    }

    /** Requires every name in {@code required} among the outputs. */
    public static void requireOutputs(OrtSession session, String model, Collection<String> required) {
        Set<String> found = new TreeSet<>(session.getOutputNames());
        Set<String> missing = new TreeSet<>(required);
        missing.removeAll(found);
        if (!missing.isEmpty()) {
            throw new OnnxModelException("ONNX model " + model + " has outputs " + found + " but is missing required "
                    + missing);
        }
    }

    /**
     * Static shape of an input or output ({@code -1} for symbolic dimensions).
     *
     * @throws OnnxModelException if the name is absent or not a tensor
     */
    public static long[] shape(OrtSession session, String model, String name) {
        try {
            Map<String, NodeInfo> infos = new java.util.HashMap<>(session.getInputInfo());
            infos.putAll(session.getOutputInfo());
            NodeInfo info = infos.get(name);
            if (info == null) {
                throw new OnnxModelException("ONNX model " + model + " has no input or output named '" + name + "'");
            }
            if (!(info.getInfo() instanceof TensorInfo tensor)) {
                throw new OnnxModelException("ONNX model " + model + ": '" + name + "' is not a tensor but "
                        + info.getInfo());
            }
            return tensor.getShape();
        } catch (OrtException e) {
            throw new OnnxModelException("Cannot read the signature of ONNX model " + model + ": " + e.getMessage(), e);
        }
    }

    private static String describe(Set<String> names, String verb) {
        return names.isEmpty() ? "" : verb + " " + names;
    }
}
