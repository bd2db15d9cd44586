package org.alignstream.feedback;

import java.nio.ByteBuffer;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.common.models.ModelStore;

/**
 * Where a published version's head travels: inline in the {@code reward-models} record ({@code head_onnx}), or, when a
 * model store is configured and the head is larger than {@code inlineMaxBytes}, as a file in the store with the record
 * carrying its {@code uri} (the scorer reads it from its own mount of the same store). The heads trained here are a few
 * kilobytes, so by default every head goes inline; the store is for larger payloads.
 *
 * @param store          the model store, or null (every head inline)
 * @param inlineMaxBytes the largest head sent inline when a store is configured
 * @param maxReadBytes   the largest payload read back (the serving head a training builds on)
 */
public record HeadPayloads(ModelStore store, long inlineMaxBytes, long maxReadBytes) {
    /** No store: every head inline. */
    public static final HeadPayloads INLINE = new HeadPayloads(null, Long.MAX_VALUE, 64L << 20);

    public HeadPayloads {
        if (inlineMaxBytes < 0 || maxReadBytes < 1) {
            throw new IllegalArgumentException("inline max bytes must be >= 0 and max read bytes >= 1, were "
                    + inlineMaxBytes + " and " + maxReadBytes);
        }
    }

    /** {@code v} as it is to be published: its head moved to the store if it is over the inline limit. */
    public RewardModelVersion place(RewardModelVersion v) {
        ByteBuffer head = v.getHeadOnnx();
        if (store == null || head == null || head.remaining() <= inlineMaxBytes) {
            return v;
        }
        byte[] bytes = new byte[head.remaining()];
        head.duplicate().get(bytes);
        String uri = store.write(v.getModelId(), v.getVersion(), bytes).toString();
        return RewardModelVersion.newBuilder(v).setHeadOnnx(null).setUri(uri).build();
    }

    /** The head bytes of a published version, inline or from the store. */
    public byte[] read(RewardModelVersion v) {
        return ModelStore.payload(v, store, maxReadBytes);
    }
}
