package org.alignstream.training.reward;

import org.alignstream.inference.reward.LabelledSentences;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/** A model directory's {@code training.json}, read in tests. */
record TrainingReport(Path dir, JsonObject json) {

    static TrainingReport of(String modelDir) {
        Path dir = Path.of("..", "models", modelDir);
        try {
            return new TrainingReport(dir, JsonParser.parseString(
                    Files.readString(dir.resolve("training.json"), StandardCharsets.UTF_8)).getAsJsonObject());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The data the report names ({@code data}: a data spec relative to the model directory; older reports: {@code data_file}). */
    LabelledSentences data() {
        return json.has("data") ? LabelledSentences.load(string("data"), dir)
                : LabelledSentences.load(dir.resolve(string("data_file")));
    }

    /** The data named in the report, split as the trainer split it. */
    LabelledSentences.Split split() {
        return data().split(json.get("seed").getAsLong(), json.get("train_fraction").getAsDouble());
    }

    String string(String key) {
        return json.get(key).getAsString();
    }

    int integer(String key) {
        return json.get(key).getAsInt();
    }

    double number(String key) {
        return json.get(key).getAsDouble();
    }

    JsonObject object(String key) {
        return json.getAsJsonObject(key);
    }
}
