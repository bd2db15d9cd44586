package org.alignstream.inference.reward;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtSession;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import org.alignstream.inference.lm.KvCacheStore;

/**
 * The key/value cache of one token prefix as a {@link DecoderRewardModel} read it (batch 1: per layer a key and a value
 * tensor {@code [1, heads, length, headDim]}), the prefix a tokenwise round's k texts share. Kept between a request's
 * rounds in a {@link KvCacheStore} ({@link RewardModel.RoundCache}), so that the next round feeds only the tokens its
 * prefix adds. Holds the ONNX Runtime result whose {@code present.*} outputs these are (no copy); closing frees it.
 * Not thread-safe (the store hands an entry to one caller at a time).
 */
public final class PrefixKv implements KvCacheStore.Entry {

    private final int[] tokens;
    private final OrtSession.Result owner;
    private final OnnxTensor[] keys;
    private final OnnxTensor[] values;
    private final long bytes;
    private boolean closed;

    /** Wraps the {@code present.*} outputs of {@code owner}, the run that read (or extended the cache to) {@code tokens}. */
    PrefixKv(int[] tokens, OrtSession.Result owner, int layers) {
        this.tokens = Objects.requireNonNull(tokens, "tokens");
        this.owner = Objects.requireNonNull(owner, "owner");
        this.keys = new OnnxTensor[layers];
        this.values = new OnnxTensor[layers];
        long held = (long) tokens.length * Integer.BYTES;
        for (Map.Entry<String, OnnxValue> e : owner) {
            if (e.getValue() instanceof OnnxTensor t) {
                held += t.getInfo().getNumElements() * Float.BYTES; // present.* and the logits [1, S, 1], all float
            }
        }
        for (int l = 0; l < layers; l++) {
            keys[l] = tensor(owner, "present." + l + ".key");
            values[l] = tensor(owner, "present." + l + ".value");
            long[] shape = keys[l].getInfo().getShape();
            if (shape.length != 4 || shape[0] != 1 || shape[2] != tokens.length) {
                throw new IllegalStateException("present." + l + ".key has shape " + Arrays.toString(shape)
                        + ", expected [1, heads, " + tokens.length + ", headDim]");
            }
        }
        this.bytes = held;
    }

    private static OnnxTensor tensor(OrtSession.Result result, String name) {
        return (OnnxTensor) result.get(name)
                .orElseThrow(() -> new IllegalStateException("the reward model produced no output named " + name));
    }

    /** Number of tokens read. */
    public int length() {
        return tokens.length;
    }

    /** A copy of the token ids read. */
    public int[] tokens() {
        return tokens.clone();
    }

    @Override
    public boolean isPrefixOf(int[] context) {
        return context.length >= tokens.length && Arrays.equals(tokens, 0, tokens.length, context, 0, tokens.length);
    }

    /** The key/value tensors, the result that holds them and the token ids: what the store's bound counts. */
    @Override
    public long bytes() {
        return bytes;
    }

    OnnxTensor[] keys() {
        checkOpen();
        return keys;
    }

    OnnxTensor[] values() {
        checkOpen();
        return values;
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException("this PrefixKv is closed");
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            owner.close();
        }
    }

    @Override
    public String toString() {
        return "PrefixKv[" + tokens.length + " tokens, " + bytes + " bytes" + (closed ? ", closed" : "") + "]";
    }
}
