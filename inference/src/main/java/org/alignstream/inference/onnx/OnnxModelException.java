package org.alignstream.inference.onnx;

/** A model file could not be loaded, has the wrong shape, or failed while running. */
public class OnnxModelException extends RuntimeException {

    public OnnxModelException(String message) {
        super(message);
    }

    public OnnxModelException(String message, Throwable cause) {
        super(message, cause);
    }
}
