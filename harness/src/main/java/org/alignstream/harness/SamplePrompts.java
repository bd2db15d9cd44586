package org.alignstream.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** The bundled sample prompts (one a line, # comments), or a user's file in the same format. */
public final class SamplePrompts {
    public static final String RESOURCE = "alignstream/sample-prompts.txt";

    private SamplePrompts() {
    }

    public static List<String> load(Path file) {
        try {
            String text;
            if (file == null) {
                try (InputStream in = SamplePrompts.class.getClassLoader().getResourceAsStream(RESOURCE)) {
                    text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
                }
            } else {
                text = Files.readString(file);
            }
            return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read prompts from " + (file == null ? RESOURCE : file), e);
        }
    }
}
