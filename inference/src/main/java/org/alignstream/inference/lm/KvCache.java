package org.alignstream.inference.lm;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.List;
import java.util.Objects;

/**
 * The attention key/value cache of a decoder: per layer one key and one value tensor of shape
 * {@code [batch, heads, length, headDim]}. A cache returned by {@link CausalLm#forward} holds the
 * {@code present.*} outputs of that ONNX run directly (no copy) and is fed unchanged as the
 * {@code past_key_values.*} inputs of the next run. Close it when it is no longer needed; a cache
 * that was passed to {@code forward} may be closed right after the call returns. Not thread-safe.
 */
public final class KvCache implements AutoCloseable {

    private final OnnxTensor[] keys;
    private final OnnxTensor[] values;
    private final OrtSession.Result owner; // null: this cache owns its tensors
    private final int batchSize;
    private final int length;
    private final int heads;
    private final int headDim;
    private boolean closed;

    private KvCache(OnnxTensor[] keys, OnnxTensor[] values, OrtSession.Result owner, int batchSize, int length,
                    int heads, int headDim) {
        this.keys = keys;
        this.values = values;
        this.owner = owner;
        this.batchSize = batchSize;
        this.length = length;
        this.heads = heads;
        this.headDim = headDim;
    }

    /** A zero-length cache for the first call on a fresh sequence (ONNX Runtime accepts 0-sized past tensors). */
    static KvCache empty(OrtEnvironment env, int layers, int batchSize, int heads, int headDim) throws OrtException {
        return filled(env, layers, batchSize, 0, heads, headDim, null);
    }

    /** Wraps the present tensors of a run; closing the cache closes the run's result. */
    static KvCache ofResult(OrtSession.Result result, String[] keyNames, String[] valueNames) {
        OnnxTensor[] keys = new OnnxTensor[keyNames.length];
        OnnxTensor[] values = new OnnxTensor[valueNames.length];
        for (int l = 0; l < keyNames.length; l++) {
            keys[l] = output(result, keyNames[l]);
            values[l] = output(result, valueNames[l]);
        }
        long[] shape = keys[0].getInfo().getShape();
        return new KvCache(keys, values, result, (int) shape[0], (int) shape[2], (int) shape[1], (int) shape[3]);
    }

    private static OnnxTensor output(OrtSession.Result result, String name) {
        return (OnnxTensor) result.get(name)
                .orElseThrow(() -> new IllegalStateException("the model produced no output named " + name));
    }

    public int batchSize() {
        return batchSize;
    }

    /** Number of cached positions (the past sequence length). */
    public int length() {
        return length;
    }

    public int numLayers() {
        return keys.length;
    }

    /** Bytes of the key and value tensors: {@code 2 * layers * batch * heads * length * headDim * 4}. */
    public long bytes() {
        return 2L * keys.length * batchSize * heads * length * headDim * Float.BYTES;
    }

    /**
     * Whether this cache holds the whole output of the run that made it (its logits included, which for a run over
     * S positions are {@code S * vocab} floats): such a cache keeps that memory until closed.
     */
    public boolean ownsRunOutput() {
        return owner != null;
    }

    OnnxTensor key(int layer) {
        checkOpen();
        return keys[layer];
    }

    OnnxTensor value(int layer) {
        checkOpen();
        return values[layer];
    }

    /**
     * A new cache of batch {@code n} in which every row is a copy of this batch-1 cache: prefill a prompt
     * once, then decode {@code n} continuations of it as one batch. This cache stays open and unchanged.
     */
    public KvCache repeatBatch(int n) throws OrtException {
        checkOpen();
        if (batchSize != 1) {
            throw new IllegalArgumentException("repeatBatch needs a batch-1 cache, this one has batch " + batchSize);
        }
        if (n < 1) {
            throw new IllegalArgumentException("repeatBatch count must be >= 1, got " + n);
        }
        return filled(OrtEnvironment.getEnvironment(), keys.length, n, length, heads, headDim, this);
    }

    /**
     * A new cache of {@code sum(copies)} rows and {@code length} positions: part {@code i} (a batch-1 cache of at most
     * {@code length} positions) repeated {@code copies[i]} times, each row left-padded with zeros up to {@code length}
     * (the padding positions must be masked out, attention mask 0, as Hugging Face does for left-padded rows). The
     * parts stay open and unchanged.
     */
    static KvCache leftPadded(List<KvCache> parts, int[] copies, int length) throws OrtException {
        if (parts.isEmpty() || parts.size() != copies.length) {
            throw new IllegalArgumentException(parts.size() + " parts for " + copies.length + " copy counts");
        }
        KvCache first = parts.get(0);
        int rows = 0;
        for (int i = 0; i < parts.size(); i++) {
            KvCache part = parts.get(i);
            part.checkOpen();
            if (part.batchSize != 1 || part.length > length || part.heads != first.heads
                    || part.headDim != first.headDim || part.keys.length != first.keys.length) {
                throw new IllegalArgumentException("part " + i + " " + part + " does not fit a padded batch of length "
                        + length + " like " + first);
            }
            if (copies[i] < 1) {
                throw new IllegalArgumentException("copies[" + i + "] = " + copies[i] + " must be >= 1");
            }
            rows += copies[i];
        }
        int layers = first.keys.length;
        OnnxTensor[] keys = new OnnxTensor[layers];
        OnnxTensor[] values = new OnnxTensor[layers];
        long[] shape = {rows, first.heads, length, first.headDim};
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try {
            for (int l = 0; l < layers; l++) {
                final int layer = l;
                keys[l] = padded(env, parts, p -> p.keys[layer], copies, shape);
                values[l] = padded(env, parts, p -> p.values[layer], copies, shape);
            }
        } catch (OrtException | RuntimeException e) {
            closeAll(keys);
            closeAll(values);
            throw e;
        }
        return new KvCache(keys, values, null, rows, length, first.heads, first.headDim);
    }

    private static OnnxTensor padded(OrtEnvironment env, List<KvCache> parts,
                                     java.util.function.Function<KvCache, OnnxTensor> tensor, int[] copies,
                                     long[] shape) throws OrtException {
        int heads = (int) shape[1];
        int length = (int) shape[2];
        int headDim = (int) shape[3];
        int rowSize = heads * length * headDim;
        FloatBuffer out = ByteBuffer.allocateDirect(Math.multiplyExact(Math.multiplyExact(rowSize, (int) shape[0]),
                Float.BYTES)).order(ByteOrder.nativeOrder()).asFloatBuffer();
        int row = 0;
        for (int i = 0; i < parts.size(); i++) {
            KvCache part = parts.get(i);
            int pad = length - part.length;
            float[] src = new float[heads * part.length * headDim];
            if (src.length > 0) {
                tensor.apply(part).getFloatBuffer().get(src);
            }
            for (int c = 0; c < copies[i]; c++, row++) {
                for (int h = 0; h < heads; h++) {
                    out.put(row * rowSize + (h * length + pad) * headDim, src, h * part.length * headDim,
                            part.length * headDim);
                }
            }
        }
        return OnnxTensor.createTensor(env, out.rewind(), shape);
    }

    /**
     * Every row as a batch-1 copy without its left padding: row {@code r} keeps positions {@code from[r] .. length()-1}.
     * This cache stays open and unchanged; the caller owns (and closes) the returned caches.
     */
    KvCache[] unpaddedRows(int[] from) throws OrtException {
        checkOpen();
        if (from.length != batchSize) {
            throw new IllegalArgumentException(from.length + " offsets for " + batchSize + " rows");
        }
        int layers = keys.length;
        KvCache[] out = new KvCache[batchSize];
        OnnxTensor[][] outKeys = new OnnxTensor[batchSize][layers];
        OnnxTensor[][] outValues = new OnnxTensor[batchSize][layers];
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        try {
            for (int l = 0; l < layers; l++) {
                FloatBuffer k = keys[l].getFloatBuffer(); // one copy of the layer for all rows
                FloatBuffer v = values[l].getFloatBuffer();
                for (int r = 0; r < batchSize; r++) {
                    outKeys[r][l] = rowOf(env, k, r, from[r]);
                    outValues[r][l] = rowOf(env, v, r, from[r]);
                }
            }
        } catch (OrtException | RuntimeException e) {
            for (int r = 0; r < batchSize; r++) {
                closeAll(outKeys[r]);
                closeAll(outValues[r]);
            }
            throw e;
        }
        for (int r = 0; r < batchSize; r++) {
            out[r] = new KvCache(outKeys[r], outValues[r], null, 1, length - from[r], heads, headDim);
        }
        return out;
    }

    private OnnxTensor rowOf(OrtEnvironment env, FloatBuffer src, int row, int from) throws OrtException {
        if (from < 0 || from > length) {
            throw new IllegalArgumentException("row " + row + " offset " + from + " outside " + this);
        }
        int kept = length - from;
        FloatBuffer out = ByteBuffer.allocateDirect(Math.multiplyExact(heads * kept * headDim, Float.BYTES))
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        for (int h = 0; h < heads; h++) {
            out.put(h * kept * headDim, src, ((row * heads + h) * length + from) * headDim, kept * headDim);
        }
        return OnnxTensor.createTensor(env, out.rewind(), new long[] {1, heads, kept, headDim});
    }

    /** New tensors of shape [batch, heads, length, headDim], each row a copy of {@code source} (or zero-length). */
    private static KvCache filled(OrtEnvironment env, int layers, int batch, int length, int heads, int headDim,
                                  KvCache source) throws OrtException {
        OnnxTensor[] keys = new OnnxTensor[layers];
        OnnxTensor[] values = new OnnxTensor[layers];
        long[] shape = {batch, heads, length, headDim};
        try {
            for (int l = 0; l < layers; l++) {
                keys[l] = repeated(env, source == null ? null : source.keys[l], batch, shape);
                values[l] = repeated(env, source == null ? null : source.values[l], batch, shape);
            }
        } catch (OrtException | RuntimeException e) {
            closeAll(keys);
            closeAll(values);
            throw e;
        }
        return new KvCache(keys, values, null, batch, length, heads, headDim);
    }

    private static OnnxTensor repeated(OrtEnvironment env, OnnxTensor row, int copies, long[] shape)
            throws OrtException {
        int rowSize = Math.toIntExact(shape[1] * shape[2] * shape[3]);
        FloatBuffer out = ByteBuffer.allocateDirect(Math.multiplyExact(Math.multiplyExact(rowSize, copies), Float.BYTES))
                .order(ByteOrder.nativeOrder()).asFloatBuffer();
        if (row != null && rowSize > 0) {
            FloatBuffer src = row.getFloatBuffer();
            for (int c = 0; c < copies; c++) {
                out.put(src.rewind());
            }
        }
        return OnnxTensor.createTensor(env, out.rewind(), shape);
    }

    private static void closeAll(OnnxTensor[] tensors) {
        for (OnnxTensor t : tensors) {
            if (t != null) {
                t.close();
            }
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this KvCache is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (owner != null) {
            owner.close();
        } else {
            closeAll(keys);
            closeAll(values);
        }
    }

    @Override
    public String toString() {
        return "KvCache[batch " + batchSize + ", length " + length + ", layers " + keys.length + ", heads " + heads
                + ", headDim " + headDim + (closed ? ", closed" : "") + "]";
    }

    static void requireSameBatch(KvCache past, int batch) {
        Objects.requireNonNull(past, "past");
        if (past.batchSize != batch) {
            throw new IllegalArgumentException("past cache has batch " + past.batchSize + " but the inputs have batch "
                    + batch);
        }
    }
}
