package org.alignstream.inference.lm;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;

/**
 * The few facts from a Hugging Face {@code config.json} that decoding needs and that an ONNX graph does not
 * carry. Layer count, head count and head size are deliberately not taken from here: {@link CausalLm} reads
 * them from the graph's inputs.
 *
 * @param eosTokenId   {@code eos_token_id} (the first one if it is a list)
 * @param maxPositions {@code n_positions}, else {@code max_position_embeddings}: the context length
 * @param vocabSize    {@code vocab_size}
 * @param bosTokenId   {@code bos_token_id}: the token a text starts with, if the model has one
 */
public record LmConfig(OptionalInt eosTokenId, OptionalInt maxPositions, OptionalInt vocabSize, OptionalInt bosTokenId) {

    /** Nothing known. */
    public static final LmConfig EMPTY = new LmConfig(OptionalInt.empty(), OptionalInt.empty(), OptionalInt.empty(),
            OptionalInt.empty());

    /** Parses the text of a config.json. */
    public static LmConfig parse(String json) {
        JsonObject root;
        try {
            root = JsonParser.parseString(json).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("config.json is not a JSON object: " + e.getMessage(), e);
        }
        OptionalInt positions = intField(root, "n_positions");
        if (positions.isEmpty()) {
            positions = intField(root, "max_position_embeddings");
        }
        return new LmConfig(intField(root, "eos_token_id"), positions, intField(root, "vocab_size"),
                intField(root, "bos_token_id"));
    }

    /** Reads a config.json file. */
    public static LmConfig read(Path configJson) throws IOException {
        try {
            return parse(Files.readString(configJson));
        } catch (IllegalArgumentException e) {
            throw new IOException(configJson + ": " + e.getMessage(), e);
        }
    }

    /** The config.json beside a model file (or inside a model directory), or {@link #EMPTY} if there is none. */
    public static LmConfig besideModel(Path modelOrDirectory) throws IOException {
        Path dir = Files.isDirectory(modelOrDirectory) ? modelOrDirectory : modelOrDirectory.toAbsolutePath().getParent();
        Path config = dir == null ? null : dir.resolve("config.json");
        return config != null && Files.isRegularFile(config) ? read(config) : EMPTY;
    }

    private static OptionalInt intField(JsonObject root, String name) {
        JsonElement e = root.get(name);
        if (e == null || e.isJsonNull()) {
            return OptionalInt.empty();
        }
        if (e.isJsonArray()) {
            return e.getAsJsonArray().isEmpty() ? OptionalInt.empty() : OptionalInt.of(e.getAsJsonArray().get(0).getAsInt());
        }
        try {
            return OptionalInt.of(e.getAsInt());
        } catch (RuntimeException ex) {
            throw new IllegalArgumentException("config.json field " + name + " is not an integer: " + e, ex);
        }
    }
}
