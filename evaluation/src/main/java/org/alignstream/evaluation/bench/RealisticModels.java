package org.alignstream.evaluation.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;

/**
 * The realistic-size models of the {@code realistic} bench section: a GPT-2-small-shaped decoder ({@code lm/}) and a
 * DistilGPT2-shaped decoder reward model ({@code reward/}, per-position {@code logits [batch, sequence, 1]} with past,
 * the layout {@code DecoderRewardModel} loads) with random weights, written by
 * {@code ops/realistic/make_realistic_models.py} under {@code ops/.run/realistic} (never committed: about 0.9 GB).
 *
 * <p>The files are current when both model directories hold a {@code model.onnx}, {@code config.json} and
 * {@code tokenizer.json}, {@code reward/} also its {@code model_shared_past.onnx}, and the directory's {@code STAMP}
 * holds the sha-256 (hex) of the script, the fixture module it imports, the tokenizer it starts from and the
 * shared-past module, concatenated in that order, as the script writes it on success. Otherwise
 * {@link #ensure} runs the script (Debian's {@code /usr/bin/python3} with torch).
 *
 * @param root the repository root (where {@code ops/} is)
 * @param out  the models' directory
 */
record RealisticModels(Path root, Path out) {

    /** The script that writes the models, relative to the repository root. */
    static final String SCRIPT = "ops/realistic/make_realistic_models.py";
    /** What the models depend on, in the order their sha-256 is taken (the script's own {@code stamp()}). */
    static final List<String> INPUTS = List.of(SCRIPT, "ops/lm-fixtures/make_hf_decoder_fixtures.py",
            "models/lm-austen/tokenizer.json", "ops/lm-fixtures/shared_past.py");
    private static final List<String> FILES = List.of("model.onnx", "config.json", "tokenizer.json");
    /** The reward model's shared-past scoring graph ({@code DecoderRewardModel#SHARED_PAST_FILE}). */
    static final String SHARED_PAST_FILE = "model_shared_past.onnx";

    Path lmDir() {
        return out.resolve("lm");
    }

    Path rewardDir() {
        return out.resolve("reward");
    }

    /** The sha-256 (hex) over the contents of {@link #INPUTS}, read one after another. */
    String expectedStamp() throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        for (String input : INPUTS) {
            sha.update(Files.readAllBytes(root.resolve(input)));
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /** Why the models must be written again, or null when they are current. */
    String staleReason() throws IOException {
        for (Path dir : List.of(lmDir(), rewardDir())) {
            for (String file : FILES) {
                if (!Files.isRegularFile(dir.resolve(file))) {
                    return dir.resolve(file) + " is missing";
                }
            }
        }
        if (!Files.isRegularFile(rewardDir().resolve(SHARED_PAST_FILE))) {
            return rewardDir().resolve(SHARED_PAST_FILE) + " is missing";
        }
        Path stamp = out.resolve("STAMP");
        if (!Files.isRegularFile(stamp)) {
            return stamp + " is missing (the script did not finish)";
        }
        if (!Files.readString(stamp).strip().equals(expectedStamp())) {
            return "the script, the fixture module or the base tokenizer changed since " + stamp + " was written";
        }
        return null;
    }

    /** Runs the script unless the models are current; its output goes to this process's standard output. */
    void ensure(String python) {
        try {
            String stale = staleReason();
            if (stale == null) {
                System.out.println("realistic models: current in " + out);
                return;
            }
            System.out.println("realistic models: " + stale + "; writing them (" + python + " " + SCRIPT + ", 2-3 "
                    + "minutes on 2 cores)");
            Process p = new ProcessBuilder(python, root.resolve(SCRIPT).toString(), "--out", out.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
            int rc = p.waitFor();
            String after = staleReason();
            if (rc != 0 || after != null) {
                throw new IllegalStateException(SCRIPT + " failed (exit " + rc + "): " + (after == null ? "" : after)
                        + "; it needs Debian's python3-torch and python3-onnx (docs/BENCHMARKS.md)");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot check or write the realistic models in " + out, e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while writing the realistic models", e);
        }
    }
}
