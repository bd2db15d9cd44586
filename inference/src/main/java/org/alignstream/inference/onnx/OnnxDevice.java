package org.alignstream.inference.onnx;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Where ONNX Runtime runs a model: {@code cpu} (the default) or a CUDA GPU {@code cuda:N}
 * ({@code cuda} alone means {@code cuda:0}).
 *
 * @param kind     CPU or CUDA
 * @param deviceId CUDA device ordinal; always 0 for CPU
 */
public record OnnxDevice(Kind kind, int deviceId) {

    /** Execution provider family. */
    public enum Kind { CPU, CUDA }

    /** The default device. */
    public static final OnnxDevice CPU = new OnnxDevice(Kind.CPU, 0);

    private static final Pattern CUDA_PATTERN = Pattern.compile("cuda(?::(\\d{1,4}))?");

    public OnnxDevice {
        if (kind == null) {
            throw new IllegalArgumentException("device kind must not be null");
        }
        if (deviceId < 0 || (kind == Kind.CPU && deviceId != 0)) {
            throw new IllegalArgumentException("invalid device id " + deviceId + " for " + kind);
        }
    }

    public static OnnxDevice cuda(int deviceId) {
        return new OnnxDevice(Kind.CUDA, deviceId);
    }

    /**
     * Parses {@code cpu}, {@code cuda} or {@code cuda:N} (case-insensitive, surrounding blanks
     * ignored).
     *
     * @throws IllegalArgumentException for anything else, naming the accepted forms
     */
    public static OnnxDevice parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("ONNX device must not be null: expected 'cpu', 'cuda' or 'cuda:N'");
        }
        String normalised = text.trim().toLowerCase(Locale.ROOT);
        if (normalised.equals("cpu")) {
            return CPU;
        }
        Matcher m = CUDA_PATTERN.matcher(normalised);
        if (m.matches()) {
            return cuda(m.group(1) == null ? 0 : Integer.parseInt(m.group(1)));
        }
        throw new IllegalArgumentException("Unknown ONNX device '" + text
                + "': expected 'cpu', 'cuda' or 'cuda:N' with N a GPU index (0, 1, ...)");
    }

    public boolean isCuda() {
        return kind == Kind.CUDA;
    }

    /** The canonical form accepted by {@link #parse}: {@code cpu} or {@code cuda:N}. */
    @Override
    public String toString() {
        return kind == Kind.CPU ? "cpu" : "cuda:" + deviceId;
    }
}
