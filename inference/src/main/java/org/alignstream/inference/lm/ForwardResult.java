package org.alignstream.inference.lm;

/**
 * Output of one {@link CausalLm#forward} call.
 *
 * @param lastLogits {@code [batch][vocab]} logits at the last input position of every row
 * @param allLogits  {@code [batch][sequence][vocab]} logits at every input position, or {@code null} when not
 *                   requested
 * @param cache      the updated key/value cache (past plus this call's positions); closing this result closes it
 */
public record ForwardResult(float[][] lastLogits, float[][][] allLogits, KvCache cache) implements AutoCloseable {

    @Override
    public void close() {
        cache.close();
    }
}
