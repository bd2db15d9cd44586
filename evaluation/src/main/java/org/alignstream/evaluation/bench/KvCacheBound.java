package org.alignstream.evaluation.bench;

/**
 * What a round-cache bound ({@code --kv-cache-bytes}) means for a decoder: a cached context of T tokens holds a key
 * and a value tensor per layer, {@code 2 * layers * heads * headDim * T} floats of 4 bytes (the cache of one
 * sequence, as {@code CachedContext} keeps it; ONNX Runtime's own buffers come on top).
 *
 * @param layers  decoder layers
 * @param heads   key/value heads (fewer than the query heads under grouped-query attention)
 * @param headDim size of one head
 */
record KvCacheBound(int layers, int heads, int headDim) {

    KvCacheBound {
        if (layers < 1 || heads < 1 || headDim < 1) {
            throw new IllegalArgumentException("layers, heads and headDim must be >= 1, were " + layers + ", " + heads
                    + ", " + headDim);
        }
    }

    /** Bytes one token of context occupies in the cache. */
    long bytesPerToken() {
        return 2L * layers * heads * headDim * Float.BYTES;
    }

    /** Bytes of one request's cached context of {@code tokens} tokens. */
    long bytesPerRequest(int tokens) {
        if (tokens < 0) {
            throw new IllegalArgumentException("tokens must be >= 0, was " + tokens);
        }
        return bytesPerToken() * tokens;
    }

    /** How many requests with {@code tokens} tokens of context fit in {@code boundBytes} at once. */
    long requestsWithin(long boundBytes, int tokens) {
        if (boundBytes < 0 || tokens < 1) {
            throw new IllegalArgumentException("boundBytes must be >= 0 and tokens >= 1, were " + boundBytes + " and "
                    + tokens);
        }
        return boundBytes / bytesPerRequest(tokens);
    }
}
