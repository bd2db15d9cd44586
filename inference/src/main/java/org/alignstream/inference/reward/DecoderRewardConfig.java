package org.alignstream.inference.reward;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalInt;
import java.util.Set;

/**
 * What a Hugging Face {@code config.json} says about a sequence-classification model that an ONNX graph does not:
 * its architecture (which decides whether {@link RewardModels#fromDirectory} loads it as a {@link DecoderRewardModel}),
 * the number of labels, and the token ids and context length that scoring a decoder needs.
 *
 * @param architecture the first entry of {@code architectures}, e.g. {@code GPT2ForSequenceClassification}, or ""
 * @param labels       {@code id2label}'s size, else {@code num_labels}, else 1 (transformers' default for a config
 *                     without labels is 2, but a reward-model export always states them)
 * @param padTokenId   {@code pad_token_id}, if set
 * @param bosTokenId   {@code bos_token_id} (the first one if it is a list), if set
 * @param eosTokenId   {@code eos_token_id} (the first one if it is a list), if set
 * @param maxPositions {@code n_positions}, else {@code max_position_embeddings}: the context length, if set
 */
public record DecoderRewardConfig(String architecture, int labels, OptionalInt padTokenId, OptionalInt bosTokenId,
                                  OptionalInt eosTokenId, OptionalInt maxPositions) {

    /** The file name beside {@code model.onnx}. */
    public static final String FILE = "config.json";

    /**
     * Decoder families whose transformers {@code *ForSequenceClassification} scores at the last non-padding token
     * (the score head on every position, pooled at the last real one): the architectures loaded as a
     * {@link DecoderRewardModel}.
     */
    public static final Set<String> DECODER_FAMILIES = Set.of("GPT2", "GPTNeo", "GPTNeoX", "GPTJ", "Llama", "Mistral",
            "Mixtral", "Qwen2", "Qwen2Moe", "Qwen3", "Gemma", "Gemma2", "Phi", "Phi3", "Falcon", "Bloom", "OPT");

    private static final String SUFFIX = "ForSequenceClassification";

    /** Whether the architecture is a decoder family's {@code *ForSequenceClassification} ({@link #DECODER_FAMILIES}). */
    public boolean isDecoderClassifier() {
        return architecture.endsWith(SUFFIX)
                && DECODER_FAMILIES.contains(architecture.substring(0, architecture.length() - SUFFIX.length()));
    }

    /** Parses the text of a config.json. */
    public static DecoderRewardConfig parse(String json) {
        JsonObject root;
        try {
            root = JsonParser.parseString(json).getAsJsonObject();
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("config.json is not a JSON object: " + e.getMessage(), e);
        }
        String architecture = "";
        JsonElement architectures = root.get("architectures");
        if (architectures != null && architectures.isJsonArray() && !architectures.getAsJsonArray().isEmpty()) {
            architecture = architectures.getAsJsonArray().get(0).getAsString();
        }
        int labels;
        JsonElement id2label = root.get("id2label");
        if (id2label != null && id2label.isJsonObject()) {
            labels = id2label.getAsJsonObject().size();
        } else {
            labels = intField(root, "num_labels").orElse(1);
        }
        OptionalInt positions = intField(root, "n_positions");
        if (positions.isEmpty()) {
            positions = intField(root, "max_position_embeddings");
        }
        return new DecoderRewardConfig(architecture, labels, intField(root, "pad_token_id"),
                intField(root, "bos_token_id"), intField(root, "eos_token_id"), positions);
    }

    /** Reads the config.json in {@code directory}, or null if there is none. */
    public static DecoderRewardConfig inDirectory(Path directory) {
        Path file = directory.resolve(FILE);
        if (!Files.isRegularFile(file)) {
            return null;
        }
        try {
            return parse(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + file.toAbsolutePath(), e);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file.toAbsolutePath() + ": " + e.getMessage(), e);
        }
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
