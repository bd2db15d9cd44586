package org.alignstream.inference.lm;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The project's default language model, {@code models/lm-austen}, as packaged on the classpath under
 * {@code alignstream/models/lm-austen}, with the {@code reference.json} its training script wrote; the methods
 * taking a {@code dir} read another bundled model the same way (e.g. {@link #BON16_DIR}).
 * Tests compare against whatever reference.json says; no number of a particular model is hard-coded.
 */
public final class TestModel {

    public static final String DIR = "alignstream/models/lm-austen";
    /** The Transfer Q* baseline model ρ_BL: lm-austen fine-tuned on its own Best-of-16 (models/lm-austen-bon16). */
    public static final String BON16_DIR = "alignstream/models/lm-austen-bon16";
    /** Every bundled causal LM with a reference.json. */
    public static final List<String> BUNDLED_DIRS = List.of(DIR, BON16_DIR);

    /** One entry of reference.json's "references". */
    public record Reference(String prompt, int[] inputIds, float[] lastLogitsFirst8, int lastLogitsArgmax,
                            float lastLogitsMax, float logSoftmaxAtArgmax, int[] greedyIds) {
    }

    private TestModel() {
    }

    public static URL resource(String name) {
        return resource(DIR, name);
    }

    public static URL resource(String dir, String name) {
        URL url = TestModel.class.getClassLoader().getResource(dir + "/" + name);
        if (url == null) {
            String folder = dir.substring(dir.lastIndexOf('/') + 1);
            throw new IllegalStateException("missing " + dir + "/" + name + " on the test classpath: the bundled model "
                    + "must be in models/" + folder + "/ (model.onnx, tokenizer.json, config.json, reference.json)");
        }
        return url;
    }

    /** The model directory on disk (target/classes/alignstream/models/lm-austen). */
    public static Path directory() {
        try {
            return Path.of(resource("model.onnx").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static String read(String name) {
        return read(DIR, name);
    }

    public static String read(String dir, String name) {
        try (InputStream in = resource(dir, name).openStream()) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static JsonObject config() {
        return config(DIR);
    }

    public static JsonObject config(String dir) {
        return JsonParser.parseString(read(dir, "config.json")).getAsJsonObject();
    }

    public static List<Reference> references() {
        return references(DIR);
    }

    public static List<Reference> references(String dir) {
        JsonObject root = JsonParser.parseString(read(dir, "reference.json")).getAsJsonObject();
        List<Reference> out = new ArrayList<>();
        for (JsonElement e : root.getAsJsonArray("references")) {
            JsonObject o = e.getAsJsonObject();
            out.add(new Reference(o.get("prompt").getAsString(), ints(o.getAsJsonArray("input_ids")),
                    floats(o.getAsJsonArray("last_logits_first8")), o.get("last_logits_argmax").getAsInt(),
                    o.get("last_logits_max").getAsFloat(), o.get("log_softmax_at_argmax").getAsFloat(),
                    ints(o.getAsJsonArray("greedy_ids"))));
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("reference.json has no references");
        }
        return out;
    }

    private static int[] ints(JsonArray a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsInt();
        }
        return out;
    }

    private static float[] floats(JsonArray a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) {
            out[i] = a.get(i).getAsFloat();
        }
        return out;
    }
}
