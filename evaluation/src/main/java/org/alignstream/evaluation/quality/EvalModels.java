package org.alignstream.evaluation.quality;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The reward-model directories the evaluation reads, the one place their defaults are named: proxies of graded quality
 * (all training data, 100 and 25 sentences, 30 % label noise), the independent gold, and the two decoder reward models
 * fine-tuned from lm-austen (full-sequence for ARGS and Transfer Q*, partial-sequence for PARGS). Each directory is
 * loaded as the scorer's {@code --reward-model-dir} loads it ({@code RewardModels.fromDirectory}).
 *
 * @param proxies        the proxy reward models, in report order (at least one); each is one panel and one table
 * @param gold           the gold reward model (evaluation only, never used while decoding)
 * @param fullDecoder    the full-sequence decoder reward model (ARGS, Transfer Q*; also the tokenwise rows' proxy column)
 * @param partialDecoder the partial-sequence decoder reward model (PARGS)
 */
public record EvalModels(List<Path> proxies, Path gold, Path fullDecoder, Path partialDecoder) {

    /** Default proxy directories (relative to the repository root, where {@code ops/eval.sh} runs). */
    public static final List<String> DEFAULT_PROXIES = List.of("models/reward-sentiment", "models/reward-sentiment-100",
            "models/reward-sentiment-25", "models/reward-sentiment-noisy");
    /** Default gold directory. */
    public static final String DEFAULT_GOLD = "models/reward-gold";
    /** Default full-sequence decoder reward model directory. */
    public static final String DEFAULT_FULL_DECODER = "models/reward-lm-austen-full";
    /** Default partial-sequence decoder reward model directory. */
    public static final String DEFAULT_PARTIAL_DECODER = "models/reward-lm-austen-partial";

    public EvalModels {
        proxies = List.copyOf(proxies);
        if (proxies.isEmpty()) {
            throw new IllegalArgumentException("the evaluation needs at least one proxy reward model directory");
        }
        if (proxies.stream().map(EvalModels::label).distinct().count() != proxies.size()) {
            throw new IllegalArgumentException("proxy directories must have distinct names (they label the tables and "
                    + "panels): " + proxies);
        }
    }

    /** The defaults above. */
    public static EvalModels defaults() {
        return new EvalModels(DEFAULT_PROXIES.stream().map(Path::of).toList(), Path.of(DEFAULT_GOLD),
                Path.of(DEFAULT_FULL_DECODER), Path.of(DEFAULT_PARTIAL_DECODER));
    }

    /** How a model is named in tables, panels and claims: its directory's name. */
    public static String label(Path dir) {
        Path name = dir.toAbsolutePath().normalize().getFileName();
        return name == null ? dir.toString() : name.toString();
    }

    /** The proxies' labels, in order. */
    public List<String> proxyLabels() {
        return proxies.stream().map(EvalModels::label).toList();
    }

    /**
     * The directories a run needs that do not exist, each as {@code "role DIR"}: the gold always, the proxies when
     * {@code selection}, the decoder reward models when {@code tokenwise}.
     */
    public List<String> missing(boolean selection, boolean tokenwise) {
        List<String> out = new ArrayList<>();
        if (selection) {
            for (Path p : proxies) {
                check(out, "proxy", p);
            }
        }
        check(out, "gold", gold);
        if (tokenwise) {
            check(out, "full-sequence decoder reward model", fullDecoder);
            check(out, "partial-sequence decoder reward model", partialDecoder);
        }
        return out;
    }

    /**
     * Throws, naming every missing directory and the flag that overrides it, when {@link #missing} is not empty.
     *
     * @throws IllegalArgumentException listing the missing directories
     */
    public void requireDirectories(boolean selection, boolean tokenwise) {
        List<String> missing = missing(selection, tokenwise);
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("reward model director" + (missing.size() == 1 ? "y" : "ies")
                    + " not found: " + String.join(", ", missing) + " (run from the repository root; override with "
                    + "--proxy-model-dirs, --gold-model-dir, --full-reward-model-dir, --partial-reward-model-dir, or "
                    + "run one section with --sections selection or --sections tokenwise)");
        }
    }

    private static void check(List<String> out, String role, Path dir) {
        if (!Files.isDirectory(dir)) {
            out.add(role + " " + dir);
        }
    }
}
