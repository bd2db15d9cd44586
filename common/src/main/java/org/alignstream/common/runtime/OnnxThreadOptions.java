package org.alignstream.common.runtime;

import picocli.CommandLine.Option;

/**
 * The ONNX Runtime threading option of the commands that run models (a picocli mixin,
 * {@code @Mixin OnnxThreadOptions onnx}): {@code --intra-op-threads N} (default 1; env
 * {@code ALIGNSTREAM_INTRA_OP_THREADS} through {@link EnvironmentDefaultProvider}), the threads ONNX Runtime uses
 * inside one inference call.
 */
public final class OnnxThreadOptions {

    @Option(names = "--intra-op-threads", defaultValue = "1", paramLabel = "N",
            description = "ONNX Runtime threads per inference call (default: ${DEFAULT-VALUE})")
    int intraOpThreads;

    /** {@code --intra-op-threads}. */
    public int intraOpThreads() {
        return intraOpThreads;
    }
}
