package org.alignstream.inference.tokenizer;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Hugging Face {@code tokenizer.json} tokenizer (the Rust {@code tokenizers} library through DJL), loaded
 * offline from a file, a stream or a classpath resource.
 *
 * <p>{@link #encode} gives the raw token ids of a text without special tokens, as a causal language model
 * consumes them; {@link #encodeBatch} gives a padded batch for encoder models with special tokens, truncation
 * and padding as chosen in {@link EncodeOptions}. Truncation and padding configured inside tokenizer.json are
 * ignored: they are always decided by the caller. The native tokenizer is only read after loading, but DJL
 * does not document it as thread-safe: give each thread its own instance if in doubt. Close it to free the
 * native tokenizer.
 */
public final class HfTokenizer implements AutoCloseable {

    private static final List<String> PAD_TOKEN_CANDIDATES = List.of("[PAD]", "<pad>", "<|pad|>");

    private final HuggingFaceTokenizer tokenizer;
    private final Map<String, Integer> vocab;
    private final int vocabSize;
    private final long padTokenId;
    private final String source;

    private HfTokenizer(HuggingFaceTokenizer tokenizer, Map<String, Integer> vocab, long padTokenId, String source) {
        this.tokenizer = tokenizer;
        this.vocab = vocab;
        this.vocabSize = vocab.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        this.padTokenId = padTokenId;
        this.source = source;
    }

    /** Loads a tokenizer.json file. */
    public static HfTokenizer fromFile(Path tokenizerJson) throws IOException {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        if (Files.isDirectory(tokenizerJson)) {
            tokenizerJson = tokenizerJson.resolve("tokenizer.json");
        }
        return fromBytes(Files.readAllBytes(tokenizerJson), tokenizerJson.toString());
    }

    /** Loads a tokenizer.json from a stream (read fully; the stream is not closed). */
    public static HfTokenizer fromStream(InputStream tokenizerJson) throws IOException {
        Objects.requireNonNull(tokenizerJson, "tokenizerJson");
        return fromBytes(tokenizerJson.readAllBytes(), "stream");
    }

    /** Loads a tokenizer.json classpath resource, e.g. {@code alignstream/models/lm-austen/tokenizer.json}. */
    public static HfTokenizer fromClasspath(String resource) throws IOException {
        Objects.requireNonNull(resource, "resource");
        String name = resource.startsWith("/") ? resource.substring(1) : resource;
        try (InputStream in = HfTokenizer.class.getClassLoader().getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("tokenizer resource not found on the classpath: " + name);
            }
            return fromBytes(in.readAllBytes(), "classpath:" + name);
        }
    }

    private static HfTokenizer fromBytes(byte[] json, String source) throws IOException {
        JsonObject root;
        try {
            root = JsonParser.parseString(new String(json, StandardCharsets.UTF_8)).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IOException("not a tokenizer.json (invalid JSON object): " + source, e);
        }
        Map<String, Integer> vocab = readVocab(root, source);
        long pad = readPadTokenId(root, vocab);
        Map<String, String> options = Map.of("addSpecialTokens", "false", "truncation", "false", "padding", "false");
        HuggingFaceTokenizer tokenizer;
        try {
            tokenizer = HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(json), options);
        } catch (RuntimeException e) {
            throw new IOException("the tokenizers library rejected " + source + ": " + e.getMessage(), e);
        }
        return new HfTokenizer(tokenizer, vocab, pad, source);
    }

    private static Map<String, Integer> readVocab(JsonObject root, String source) throws IOException {
        Map<String, Integer> vocab = new HashMap<>();
        JsonElement model = root.get("model");
        if (model == null || !model.isJsonObject()) {
            throw new IOException("tokenizer.json has no \"model\" object: " + source);
        }
        JsonElement v = model.getAsJsonObject().get("vocab");
        if (v != null && v.isJsonObject()) { // BPE, WordPiece, WordLevel: {"token": id}
            for (Map.Entry<String, JsonElement> e : v.getAsJsonObject().entrySet()) {
                vocab.put(e.getKey(), e.getValue().getAsInt());
            }
        } else if (v != null && v.isJsonArray()) { // Unigram: [["piece", score], ...], id = position
            JsonArray pieces = v.getAsJsonArray();
            for (int i = 0; i < pieces.size(); i++) {
                vocab.put(pieces.get(i).getAsJsonArray().get(0).getAsString(), i);
            }
        }
        JsonElement added = root.get("added_tokens");
        if (added != null && added.isJsonArray()) {
            for (JsonElement t : added.getAsJsonArray()) {
                JsonObject o = t.getAsJsonObject();
                vocab.put(o.get("content").getAsString(), o.get("id").getAsInt());
            }
        }
        if (vocab.isEmpty()) {
            throw new IOException("tokenizer.json has an empty vocabulary: " + source);
        }
        return Collections.unmodifiableMap(vocab);
    }

    private static long readPadTokenId(JsonObject root, Map<String, Integer> vocab) {
        JsonElement padding = root.get("padding");
        if (padding != null && padding.isJsonObject() && padding.getAsJsonObject().has("pad_id")) {
            return padding.getAsJsonObject().get("pad_id").getAsLong();
        }
        for (String candidate : PAD_TOKEN_CANDIDATES) {
            Integer id = vocab.get(candidate);
            if (id != null) {
                return id;
            }
        }
        return 0L;
    }

    /** Token ids of {@code text} without special tokens (what a causal LM consumes). */
    public int[] encode(String text) {
        Objects.requireNonNull(text, "text");
        return toInts(tokenizer.encode(text, false, false).getIds());
    }

    /** {@link #encode} for many texts in one native call. */
    public int[][] encodeAll(List<String> texts) {
        checkTexts(texts);
        ai.djl.huggingface.tokenizers.Encoding[] encodings = tokenizer.batchEncode(texts, false, false);
        int[][] out = new int[encodings.length][];
        for (int i = 0; i < encodings.length; i++) {
            out[i] = toInts(encodings[i].getIds());
        }
        return out;
    }

    /** Text of {@code ids}, special tokens included (Hugging Face's {@code skip_special_tokens=False}). */
    public String decode(int[] ids) {
        return decode(ids, false);
    }

    /** Text of {@code ids}; with {@code skipSpecialTokens} tokens such as {@code <|endoftext|>} are left out. */
    public String decode(int[] ids, boolean skipSpecialTokens) {
        return tokenizer.decode(toLongs(ids), skipSpecialTokens);
    }

    /** {@link #decode(int[], boolean)} for many sequences in one native call. */
    public List<String> decodeAll(List<int[]> sequences, boolean skipSpecialTokens) {
        Objects.requireNonNull(sequences, "sequences");
        long[][] ids = new long[sequences.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = toLongs(sequences.get(i));
        }
        return List.of(tokenizer.batchDecode(ids, skipSpecialTokens));
    }

    /** The id of a vocabulary entry or added token (e.g. {@code "<|endoftext|>"}), or {@code null} if none. */
    public Integer tokenId(String token) {
        return vocab.get(Objects.requireNonNull(token, "token"));
    }

    /** One more than the largest token id (vocabulary plus added tokens). */
    public int vocabSize() {
        return vocabSize;
    }

    /**
     * The id used for padding: tokenizer.json's {@code padding.pad_id} if configured, else the id of the first
     * of {@code [PAD]}, {@code <pad>}, {@code <|pad|>} in the vocabulary, else 0 (padding positions are masked
     * out, so any id is correct for a model that has no pad token).
     */
    public long padTokenId() {
        return padTokenId;
    }

    /** A padded batch with {@link EncodeOptions#ENCODER} options. */
    public Encoding encodeBatch(List<String> texts, int maxLength) {
        return encodeBatch(texts, maxLength, EncodeOptions.ENCODER);
    }

    /**
     * Encodes {@code texts} in one native call into a {@code [texts.size()][width]} batch, where {@code width}
     * is {@code maxLength} with {@link EncodeOptions#padToMaxLength()} or else the longest (truncated) row.
     * Truncation drops content tokens only; special tokens added by the template stay in place.
     */
    public Encoding encodeBatch(List<String> texts, int maxLength, EncodeOptions options) {
        checkTexts(texts);
        Objects.requireNonNull(options, "options");
        if (maxLength < 1) {
            throw new IllegalArgumentException("maxLength must be >= 1, got " + maxLength);
        }
        ai.djl.huggingface.tokenizers.Encoding[] encodings =
                tokenizer.batchEncode(texts, options.addSpecialTokens(), false);
        long[][] ids = new long[texts.size()][];
        long[][] types = new long[texts.size()][];
        int longest = 0;
        for (int row = 0; row < encodings.length; row++) {
            long[] rowIds = encodings[row].getIds();
            long[] rowTypes = encodings[row].getTypeIds();
            if (rowIds.length > maxLength) {
                long[] special = encodings[row].getSpecialTokenMask();
                int[] keep = truncationKeep(row, rowIds.length, special, maxLength, options.truncation());
                rowIds = select(rowIds, keep);
                rowTypes = select(rowTypes, keep);
            }
            ids[row] = rowIds;
            types[row] = rowTypes;
            longest = Math.max(longest, rowIds.length);
        }
        int width = options.padToMaxLength() ? maxLength : longest;
        long pad = options.padTokenId() != null ? options.padTokenId() : padTokenId;
        long[][] paddedIds = new long[ids.length][width];
        long[][] mask = new long[ids.length][width];
        long[][] paddedTypes = new long[ids.length][width];
        for (int row = 0; row < ids.length; row++) {
            int len = ids[row].length;
            int offset = options.paddingSide() == EncodeOptions.Side.LEFT ? width - len : 0;
            Arrays.fill(paddedIds[row], pad);
            System.arraycopy(ids[row], 0, paddedIds[row], offset, len);
            System.arraycopy(types[row], 0, paddedTypes[row], offset, len);
            Arrays.fill(mask[row], offset, offset + len, 1L);
        }
        return new Encoding(paddedIds, mask, paddedTypes);
    }

    /** Positions kept when a row of {@code length} tokens is cut to {@code maxLength}. */
    private static int[] truncationKeep(int row, int length, long[] specialMask, int maxLength,
                                        EncodeOptions.Truncation truncation) {
        if (truncation == EncodeOptions.Truncation.ERROR) {
            throw new IllegalArgumentException("text " + row + " encodes to " + length
                    + " tokens, more than maxLength " + maxLength + " (truncation is ERROR)");
        }
        int specials = 0;
        for (long s : specialMask) {
            specials += s != 0 ? 1 : 0;
        }
        int budget = maxLength - specials;
        if (budget < 1) {
            throw new IllegalArgumentException("maxLength " + maxLength + " leaves no room for text " + row
                    + " after its " + specials + " special tokens");
        }
        int content = length - specials;
        int skipFirst = truncation == EncodeOptions.Truncation.LEFT ? content - budget : 0;
        int[] keep = new int[maxLength];
        int k = 0;
        int seen = 0;
        for (int i = 0; i < length; i++) {
            if (specialMask[i] != 0) {
                keep[k++] = i;
            } else {
                if (seen >= skipFirst && seen < skipFirst + budget) {
                    keep[k++] = i;
                }
                seen++;
            }
        }
        return keep;
    }

    private static long[] select(long[] values, int[] positions) {
        long[] out = new long[positions.length];
        for (int i = 0; i < positions.length; i++) {
            out[i] = values[positions[i]];
        }
        return out;
    }

    private static void checkTexts(List<String> texts) {
        Objects.requireNonNull(texts, "texts");
        if (texts.isEmpty()) {
            throw new IllegalArgumentException("texts must not be empty");
        }
        for (int i = 0; i < texts.size(); i++) {
            if (texts.get(i) == null) {
                throw new IllegalArgumentException("texts[" + i + "] is null");
            }
        }
    }

    private static int[] toInts(long[] ids) {
        int[] out = new int[ids.length];
        for (int i = 0; i < ids.length; i++) {
            out[i] = Math.toIntExact(ids[i]);
        }
        return out;
    }

    private long[] toLongs(int[] ids) {
        Objects.requireNonNull(ids, "ids");
        long[] out = new long[ids.length];
        for (int i = 0; i < ids.length; i++) {
            if (ids[i] < 0 || ids[i] >= vocabSize) {
                throw new IllegalArgumentException("token id " + ids[i] + " at position " + i
                        + " is outside the vocabulary [0, " + vocabSize + ")");
            }
            out[i] = ids[i];
        }
        return out;
    }

    @Override
    public String toString() {
        return "HfTokenizer[" + source + ", vocab " + vocabSize + "]";
    }

    @Override
    public void close() {
        tokenizer.close();
    }
}
