package org.alignstream.inference.reward;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.alignstream.inference.onnx.OnnxDevice;
import org.alignstream.inference.onnx.OnnxModelException;
import org.alignstream.inference.onnx.OrtSessions;

/**
 * The gate between a converted shared-past scoring graph and a decoder reward model directory: a candidate
 * {@value DecoderRewardModel#SHARED_PAST_FILE} (written by {@code ops/lm-fixtures/hf_shared_past.py} from the user's
 * transformers checkpoint, as {@value #UNVERIFIED_SUFFIX}) becomes the directory's {@value DecoderRewardModel#SHARED_PAST_FILE}
 * only if it scores like the directory's own {@code model.onnx}.
 *
 * <p>The check: the directory's {@code model.onnx}, {@code config.json} and {@code tokenizer.json} are loaded as a
 * {@link DecoderRewardModel} with the candidate as its shared-past graph (so a graph of another layout is refused as
 * at load). For each of {@link #PREFIXES} that gives at least {@link DecoderRewardModel#MIN_SHARED_TOKENS} shared
 * tokens, a tokenwise round of the prefix plus each of {@link #ENDINGS} is scored by
 * {@link DecoderRewardModel#scoreWithSharedPrefix} (the candidate over one batch-1 prefix cache) and each text alone
 * in full by {@code model.onnx} ({@link DecoderRewardModel#score(String, String)}). It passes when every difference is
 * at most {@code tolerance x max(1, |full score|)} and at least one round was scored. The two paths compute the same
 * function in float32 with different summation orders (about 1e-6 relative on the fixtures); a mis-converted weight
 * (a Conv1D weight not transposed, a wrong rotary base) moves scores by far more.
 *
 * <p>Runs on the CPU with one thread. {@code ops/add-shared-past.sh} runs {@link #main} after the converter.
 */
public final class SharedPastCheck {

    /** The converter's output name: {@value DecoderRewardModel#SHARED_PAST_FILE} plus this, until checked. */
    public static final String UNVERIFIED_SUFFIX = ".unverified";

    /** Relative tolerance by default: 1e-4 x max(1, |score|) (float32 agreement is about 1e-6 on the fixtures). */
    public static final double DEFAULT_TOLERANCE = 1e-4;

    /** Responses whose token prefix the rounds share (plain English, any tokenizer encodes them). */
    static final List<String> PREFIXES = List.of(
            "It is a truth universally acknowledged, that a single man in possession of a good fortune",
            "However little known the feelings or views of such a man may be on his first entering a neighbourhood",
            "My dear Mr. Bennet, said his lady to him one day, have you heard that Netherfield Park is let at last?");

    /** The k endings of a round: one-token and longer extensions, and the empty one. */
    static final List<String> ENDINGS = List.of(" the", "s", ".", " a", "", "!", " and the", " Mr", "x", ",");

    /**
     * The outcome.
     *
     * @param rounds       rounds scored (prefixes with enough shared tokens)
     * @param texts        texts compared
     * @param worstRelative the largest |shared - full| / max(1, |full|)
     * @param tolerance    the bound it was held to
     * @param reason       null when it passed, else why not
     */
    public record Result(int rounds, int texts, double worstRelative, double tolerance, String reason) {
        public boolean passed() {
            return reason == null;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%s: %d rounds, %d texts, max relative |shared - full| %.2e (tolerance %.0e)%s",
                    passed() ? "passed" : "refused", rounds, texts, worstRelative, tolerance,
                    passed() ? "" : ": " + reason);
        }
    }

    private SharedPastCheck() {
    }

    /** The candidate graph {@code candidate} against {@code modelDirectory}'s {@code model.onnx} (class comment). */
    public static Result check(Path modelDirectory, Path candidate, double tolerance) {
        DecoderRewardConfig config = DecoderRewardConfig.inDirectory(modelDirectory);
        if (config == null || !config.isDecoderClassifier()) {
            return new Result(0, 0, Double.NaN, tolerance, modelDirectory + " has no config.json of a decoder"
                    + " *ForSequenceClassification");
        }
        OrtSessions sessions = new OrtSessions(OnnxDevice.CPU, 1);
        HuggingFaceTokenizer tokenizer = DecoderRewardModel.loadTokenizer(modelDirectory.resolve("tokenizer.json"));
        OrtSession plain;
        OrtSession shared;
        try {
            plain = sessions.open(modelDirectory.resolve("model.onnx"));
        } catch (RuntimeException e) {
            tokenizer.close();
            throw e;
        }
        try {
            shared = sessions.open(candidate);
        } catch (RuntimeException e) {
            closeQuietly(plain);
            tokenizer.close();
            throw e;
        }
        DecoderRewardModel model;
        try {
            model = new DecoderRewardModel("shared-past-check", "candidate", RewardModel.FULL_SEQUENCE, plain, shared,
                    tokenizer, config, ScoredText.RESPONSE); // closes all three if it refuses the layout
        } catch (OnnxModelException e) {
            return new Result(0, 0, Double.NaN, tolerance, e.getMessage());
        }
        try (model) {
            int rounds = 0;
            int texts = 0;
            double worst = 0;
            List<String> skipped = new ArrayList<>();
            for (String prefix : PREFIXES) {
                List<String> round = ENDINGS.stream().map(e -> prefix + e).toList();
                try {
                    if (model.sharedPrefixTokens("", round) < DecoderRewardModel.MIN_SHARED_TOKENS) {
                        skipped.add("'" + prefix + "': fewer than " + DecoderRewardModel.MIN_SHARED_TOKENS + " shared tokens");
                        continue;
                    }
                    double[] viaShared = model.scoreWithSharedPrefix("", round, RewardModel.Outputs.REWARDS).rewards();
                    for (int i = 0; i < round.size(); i++) {
                        double full = model.score("", round.get(i));
                        double relative = Math.abs(viaShared[i] - full) / Math.max(1.0, Math.abs(full));
                        if (!(relative <= worst)) { // NaN counts as worst
                            worst = relative;
                        }
                        texts++;
                    }
                    rounds++;
                } catch (IllegalArgumentException e) { // longer than the model's context
                    skipped.add("'" + prefix + "': " + e.getMessage());
                }
            }
            String reason = null;
            if (rounds == 0) {
                reason = "no round could be scored (" + String.join("; ", skipped) + ")";
            } else if (!(worst <= tolerance)) {
                reason = "the candidate's scores differ from model.onnx's: not the same weights or function (a"
                        + " checkpoint that is not the one model.onnx was exported from, or a conversion this"
                        + " converter gets wrong)";
            }
            return new Result(rounds, texts, worst, tolerance, reason);
        }
    }

    /**
     * {@link #check}, then: passed, {@code candidate} is moved to {@code modelDirectory}/{@value
     * DecoderRewardModel#SHARED_PAST_FILE} (replacing an older one); refused, {@code candidate} is deleted and the
     * directory is left as it was.
     */
    public static Result install(Path modelDirectory, Path candidate, double tolerance) {
        Result result;
        try {
            result = check(modelDirectory, candidate, tolerance);
        } catch (RuntimeException e) {
            deleteQuietly(candidate);
            throw e;
        }
        try {
            if (result.passed()) {
                Files.move(candidate, modelDirectory.resolve(DecoderRewardModel.SHARED_PAST_FILE),
                        StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } else {
                Files.delete(candidate);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot move or delete " + candidate, e);
        }
        return result;
    }

    /**
     * {@code MODEL_DIR [CANDIDATE] [--tolerance X]}: {@link #install} (CANDIDATE defaults to
     * MODEL_DIR/{@value DecoderRewardModel#SHARED_PAST_FILE}{@value #UNVERIFIED_SUFFIX}); exit 0 when installed, 1
     * when refused, 2 on bad arguments.
     */
    public static void main(String[] args) {
        Path directory = null;
        Path candidate = null;
        double tolerance = DEFAULT_TOLERANCE;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--tolerance") && i + 1 < args.length) {
                tolerance = Double.parseDouble(args[++i]);
            } else if (directory == null) {
                directory = Path.of(args[i]);
            } else if (candidate == null) {
                candidate = Path.of(args[i]);
            } else {
                directory = null;
                break;
            }
        }
        if (directory == null) {
            System.err.println("usage: SharedPastCheck MODEL_DIR [CANDIDATE] [--tolerance X]");
            System.exit(2);
        }
        if (candidate == null) {
            candidate = directory.resolve(DecoderRewardModel.SHARED_PAST_FILE + UNVERIFIED_SUFFIX);
        }
        Result result = install(directory, candidate, tolerance);
        System.out.println("shared-past check of " + candidate + " against " + directory.resolve("model.onnx") + ": "
                + result);
        if (result.passed()) {
            System.out.println("installed " + directory.resolve(DecoderRewardModel.SHARED_PAST_FILE));
        }
        System.exit(result.passed() ? 0 : 1);
    }

    private static void closeQuietly(OrtSession session) {
        try {
            session.close();
        } catch (OrtException ignored) {
            // closing after a failure: the failure is what the caller reports
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // the exception in flight is what the caller reports
        }
    }
}
