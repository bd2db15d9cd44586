package org.alignstream.generator;

import ai.onnxruntime.OrtException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import org.alignstream.avro.ModelRef;
import org.alignstream.inference.lm.CausalLm;
import org.alignstream.inference.tokenizer.HfTokenizer;

/**
 * Loads the generator's decoders and their tokenizer, from a model directory (a Hugging Face / Optimum decoder export:
 * {@code model.onnx}, {@code tokenizer.json}, optionally {@code config.json}) or from a bundled classpath resource, and
 * names each by its id and version (the first 12 hex digits of the sha-256 of its {@code model.onnx}).
 */
final class LanguageModels {

    /** A loaded decoder and the reference it is known by in responses and in the round cache. */
    record Loaded(CausalLm lm, ModelRef ref) {
    }

    private LanguageModels() {
    }

    /** The tokenizer of {@code modelDir}, or of the bundled {@code resource} when {@code modelDir} is null. */
    static HfTokenizer tokenizer(Path modelDir, String resource) {
        try {
            return modelDir == null ? HfTokenizer.fromClasspath(resource + "/tokenizer.json")
                    : HfTokenizer.fromFile(directory(modelDir).resolve("tokenizer.json"));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load the tokenizer of "
                    + (modelDir == null ? "classpath:" + resource : modelDir), e);
        }
    }

    /** A decoder from a directory (or model file), or from the classpath resource when {@code modelDir} is null. */
    static Loaded load(Path modelDir, String resource, String resourceName, int intraOpThreads) {
        try {
            if (modelDir == null) {
                String version;
                try (InputStream in = LanguageModels.class.getClassLoader().getResourceAsStream(resource + "/model.onnx")) {
                    if (in == null) {
                        throw new IOException("the bundled model " + resource + " is missing from the classpath");
                    }
                    version = sha256Prefix(in);
                }
                return new Loaded(CausalLm.fromClasspath(resource, intraOpThreads), new ModelRef(resourceName, version));
            }
            Path dir = directory(modelDir);
            String version;
            try (InputStream in = Files.newInputStream(dir.resolve("model.onnx"))) {
                version = sha256Prefix(in);
            }
            return new Loaded(CausalLm.load(modelDir, intraOpThreads), new ModelRef(dir.getFileName().toString(), version));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load language model from "
                    + (modelDir == null ? "classpath:" + resource : modelDir), e);
        } catch (OrtException e) {
            throw new IllegalStateException("ONNX Runtime cannot load the language model: " + e.getMessage(), e);
        }
    }

    static void closeQuietly(CausalLm lm) {
        try {
            lm.close();
        } catch (OrtException | RuntimeException ignored) {
            // already failing
        }
    }

    private static Path directory(Path modelDir) {
        return Files.isDirectory(modelDir) ? modelDir : modelDir.getParent();
    }

    /**
     * The first 12 hex digits of the sha-256 of a model file, read in 1 MiB pieces: a real decoder's file (hundreds of
     * MB) never sits in the Java heap, so the generator's heap need not be larger than its model.
     */
    static String sha256Prefix(InputStream in) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buffer = new byte[1 << 20];
        for (int n; (n = in.read(buffer)) > 0; ) {
            sha.update(buffer, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest()).substring(0, 12);
    }
}
