package org.alignstream.inference.reward;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.util.PairList;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Encodes texts (or text pairs) from a Hugging Face {@code tokenizer.json} into one right-padded
 * {@link TokenBatch}: special tokens added, padded to the longest sequence of the batch,
 * truncated to {@code maxLength} tokens (longest-first for pairs). Wraps DJL's
 * {@link HuggingFaceTokenizer}, whose native handle {@link #close()} frees.
 */
public final class BatchTokenizer implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final int maxLength;

    private BatchTokenizer(HuggingFaceTokenizer tokenizer, int maxLength) {
        this.tokenizer = tokenizer;
        this.maxLength = maxLength;
    }

    /** Loads a {@code tokenizer.json} file. */
    public static BatchTokenizer fromFile(Path tokenizerJson, int maxLength) {
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException("tokenizer file not found: " + tokenizerJson.toAbsolutePath());
        }
        try (InputStream in = Files.newInputStream(tokenizerJson)) {
            return fromStream(in, tokenizerJson.toString(), maxLength);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read tokenizer " + tokenizerJson.toAbsolutePath(), e);
        }
    }

    /** Loads a {@code tokenizer.json} from the classpath. */
    public static BatchTokenizer fromClasspath(String resource, int maxLength) {
        try (InputStream in = BatchTokenizer.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalArgumentException("tokenizer resource not found on the classpath: " + resource);
            }
            return fromStream(in, "classpath:" + resource, maxLength);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read tokenizer classpath:" + resource, e);
        }
    }

    private static BatchTokenizer fromStream(InputStream in, String description, int maxLength) throws IOException {
        if (maxLength < 4) {
            throw new IllegalArgumentException("maxLength must be >= 4 tokens, got " + maxLength);
        }
        Map<String, String> options = Map.of(
                "padding", "true", // pad to the longest sequence of each batch
                "truncation", "true",
                "maxLength", Integer.toString(maxLength),
                "addSpecialTokens", "true");
        try {
            return new BatchTokenizer(HuggingFaceTokenizer.newInstance(in, options), maxLength);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("Invalid tokenizer " + description + ": " + e.getMessage(), e);
        }
    }

    public int maxLength() {
        return maxLength;
    }

    /** Encodes single texts as one padded batch. */
    public TokenBatch encode(List<String> texts) {
        requireTexts(texts, "texts");
        return toBatch(tokenizer.batchEncode(texts));
    }

    /** Encodes {@code (first[i], second[i])} text pairs as one padded batch (segment ids 0 / 1). */
    public TokenBatch encodePairs(List<String> first, List<String> second) {
        requireTexts(first, "first");
        requireTexts(second, "second");
        if (first.size() != second.size()) {
            throw new IllegalArgumentException("text pairs need equal counts, got " + first.size() + " and " + second.size());
        }
        PairList<String, String> pairs = new PairList<>(first, second);
        return toBatch(tokenizer.batchEncode(pairs));
    }

    private static TokenBatch toBatch(Encoding[] encodings) {
        int batch = encodings.length;
        int length = encodings[0].getIds().length;
        long[] ids = new long[batch * length];
        long[] mask = new long[batch * length];
        long[] types = new long[batch * length];
        String[] tokens = new String[batch * length];
        long[] special = new long[batch * length];
        for (int i = 0; i < batch; i++) {
            Encoding e = encodings[i];
            if (e.getIds().length != length) {
                throw new IllegalStateException("tokenizer did not pad the batch: row 0 has " + length
                        + " tokens, row " + i + " has " + e.getIds().length);
            }
            System.arraycopy(e.getIds(), 0, ids, i * length, length);
            System.arraycopy(e.getAttentionMask(), 0, mask, i * length, length);
            System.arraycopy(e.getTypeIds(), 0, types, i * length, length);
            System.arraycopy(e.getTokens(), 0, tokens, i * length, length);
            System.arraycopy(e.getSpecialTokenMask(), 0, special, i * length, length);
        }
        return new TokenBatch(batch, length, ids, mask, types, tokens, special);
    }

    private static void requireTexts(List<String> texts, String name) {
        if (texts == null || texts.isEmpty()) {
            throw new IllegalArgumentException(name + " must contain at least one text");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException(name + "[" + i + "] is null");
            }
        }
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
