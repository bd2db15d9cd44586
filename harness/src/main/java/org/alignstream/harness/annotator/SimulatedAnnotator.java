package org.alignstream.harness.annotator;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.alignstream.avro.FeedbackEvent;
import org.alignstream.core.sampling.Seeds;
import org.alignstream.core.selection.BestOfN;
import org.alignstream.clients.FeedbackClient;

/**
 * A simulated human annotator for the feedback loop, whose taste is a GOLD judge (a reward function other than the proxy
 * being trained: in the pipeline a {@link GoldTaste}, {@code gold-sentiment} on the e5 encoder plus a preference for text
 * about family). For the N candidates of one prompt and the proxy's
 * rewards of them it gives:
 * <ul>
 *   <li>one <b>preference</b>: the aligned response (the proxy's pick, argmax of the proxy's rewards, lowest index on
 *       ties, as Best-of-N chooses) against another candidate drawn at random (seeded by the request id; texts equal to
 *       the pick after {@link String#strip()} are never drawn), as an annotator shown the answer and another sample
 *       would be; the gold judge decides which is chosen. No preference when there is no other text or the gold
 *       rewards tie;</li>
 *   <li>sometimes (a seeded share {@code editFraction} of prompts, decided from the request id) a <b>minimal edit</b>
 *       of the aligned response: the single word whose deletion, or whose replacement by one of a few fixed words,
 *       raises the gold reward most, if it raises it by more than {@code minEditGain}. Everything else in the text is
 *       kept byte for byte.</li>
 * </ul>
 * No Kafka here: the judge is a function scoring a batch of texts; {@link #events} turns an annotation into
 * {@link FeedbackEvent}s with ids derived from the request id (so annotating the same request twice gives duplicates
 * the feedback service ignores).
 */
public final class SimulatedAnnotator {

    /** The gold judge: rewards of all texts, one batch. */
    @FunctionalInterface
    public interface Judge {
        double[] score(List<String> texts);
    }

    /**
     * @param editFraction share of prompts (0..1) that also get a minimal edit
     * @param replacements words a single word may be replaced by (besides being deleted)
     * @param minEditGain  smallest gold gain an edit must bring (else no edit)
     * @param maxEditWords only the first this many words of a response are edited (bounds the judge's batch)
     * @param seed         decides, with the request id, which prompts get an edit
     */
    public record Options(double editFraction, List<String> replacements, double minEditGain, int maxEditWords,
                          long seed) {
        public Options {
            if (!(editFraction >= 0 && editFraction <= 1)) {
                throw new IllegalArgumentException("editFraction must be within [0, 1], was " + editFraction);
            }
            replacements = List.copyOf(replacements);
            for (String r : replacements) {
                if (r.isBlank() || !r.strip().equals(r) || r.contains(" ")) {
                    throw new IllegalArgumentException("a replacement must be one word, was '" + r + "'");
                }
            }
            if (!(minEditGain >= 0) || !Double.isFinite(minEditGain)) {
                throw new IllegalArgumentException("minEditGain must be finite and >= 0, was " + minEditGain);
            }
            if (maxEditWords < 1) {
                throw new IllegalArgumentException("maxEditWords must be >= 1, was " + maxEditWords);
            }
        }

        /** A quarter of the prompts edited; a word deleted or replaced by "good" or "happy"; the first 24 words. */
        public static Options defaults() {
            return new Options(0.25, List.of("good", "happy"), 0.05, 24, 7L);
        }
    }

    /** The preference given: chosen and rejected candidate (indices into the candidates) with their gold rewards. */
    public record Preference(int chosen, int rejected, String chosenText, String rejectedText, double goldChosen,
                             double goldRejected) {
    }

    /**
     * A minimal edit of the aligned response: word {@code word} (0-based, whitespace-separated) deleted
     * ({@code replacement} null) or replaced, and the gold rewards before and after.
     */
    public record Edit(String original, String edited, int word, String replacement, double goldBefore,
                       double goldAfter) {
        public String describe() {
            return replacement == null ? "delete word " + word : "word " + word + " -> " + replacement;
        }
    }

    /**
     * What the annotator says about one prompt's candidates.
     *
     * @param pick       the aligned response's index (the proxy's argmax)
     * @param other      the candidate it was compared with (-1 if none)
     * @param preference null if none could be given
     * @param edit       null if not asked or no edit raises the gold reward enough
     * @param judged     texts the gold judge scored for this annotation
     */
    public record Annotation(int pick, int other, Preference preference, Edit edit, int judged) {
    }

    private static final Pattern WORD = Pattern.compile("\\S+");
    private static final Pattern CORE = Pattern.compile("^(\\W*)([\\p{L}'’-]*[\\p{L}])(\\W*)$");

    private final Judge judge;
    private final Options options;

    public SimulatedAnnotator(Judge judge, Options options) {
        this.judge = Objects.requireNonNull(judge, "judge");
        this.options = Objects.requireNonNull(options, "options");
    }

    public Options options() {
        return options;
    }

    /**
     * Annotates the candidates of one request.
     *
     * @param requestId    decides (with the seed) whether this request gets an edit
     * @param candidates   the N candidate texts (as the reward models read them)
     * @param proxyRewards the proxy's reward of each candidate (the scorer's, which the selector chose by)
     */
    public Annotation annotate(String requestId, List<String> candidates, double[] proxyRewards) {
        if (candidates.isEmpty() || candidates.size() != proxyRewards.length) {
            throw new IllegalArgumentException(candidates.size() + " candidates but " + proxyRewards.length
                    + " proxy rewards (need the same number, at least 1)");
        }
        int pick = BestOfN.select(proxyRewards);
        String pickText = candidates.get(pick);
        int other = pickText.isBlank() ? -1 : drawOther(requestId, candidates, pick);
        Preference preference = null;
        double pickGold = Double.NaN;
        int judged = 0;
        if (other >= 0) {
            double[] gold = checkedScores(List.of(pickText, candidates.get(other)));
            judged += 2;
            pickGold = gold[0];
            if (gold[0] != gold[1]) {
                boolean pickWins = gold[0] > gold[1];
                int chosen = pickWins ? pick : other;
                int rejected = pickWins ? other : pick;
                preference = new Preference(chosen, rejected, candidates.get(chosen), candidates.get(rejected),
                        Math.max(gold[0], gold[1]), Math.min(gold[0], gold[1]));
            }
        }
        Edit edit = null;
        if (editRequested(requestId) && !pickText.isBlank()) {
            List<Variant> variants = variants(pickText, options.replacements(), options.maxEditWords());
            if (!variants.isEmpty()) {
                if (Double.isNaN(pickGold)) {
                    pickGold = checkedScores(List.of(pickText))[0];
                    judged++;
                }
                double[] after = checkedScores(variants.stream().map(Variant::text).toList());
                judged += variants.size();
                int best = argmax(after);
                if (after[best] - pickGold > options.minEditGain()) {
                    Variant v = variants.get(best);
                    edit = new Edit(pickText, v.text(), v.word(), v.replacement(), pickGold, after[best]);
                }
            }
        }
        return new Annotation(pick, other, preference, edit, judged);
    }

    /** The candidate the pick is compared with: uniform over those with another text, seeded by the request id. */
    int drawOther(String requestId, List<String> candidates, int pick) {
        List<Integer> eligible = new ArrayList<>();
        String p = candidates.get(pick).strip();
        for (int i = 0; i < candidates.size(); i++) {
            if (i != pick && !candidates.get(i).isBlank() && !candidates.get(i).strip().equals(p)) {
                eligible.add(i);
            }
        }
        if (eligible.isEmpty()) {
            return -1;
        }
        long h = Seeds.mix64(options.seed() * 0xC2B2AE3D27D4EB4FL + 1
                ^ Arrays.hashCode(requestId.getBytes(StandardCharsets.UTF_8)));
        return eligible.get((int) Math.floorMod(h, (long) eligible.size()));
    }

    /** Whether the request with this id gets a minimal edit: a pure function of the id and the seed. */
    public boolean editRequested(String requestId) {
        if (options.editFraction() <= 0) {
            return false;
        }
        long h = Seeds.mix64(options.seed() * 0x9E3779B97F4A7C15L
                ^ Arrays.hashCode(requestId.getBytes(StandardCharsets.UTF_8)));
        double u = (h >>> 11) * 0x1.0p-53;
        return u < options.editFraction();
    }

    /**
     * The feedback events of an annotation: {@code pref-<request id>} and {@code edit-<request id>}.
     *
     * @param rewardModel the reward model the feedback trains (e.g. {@code sentiment})
     * @param annotatorId recorded on every event
     */
    public static List<FeedbackEvent> events(String requestId, String prompt, Annotation a, String rewardModel,
                                             String annotatorId) {
        List<FeedbackEvent> out = new ArrayList<>(2);
        if (a.preference() != null) {
            FeedbackEvent e = FeedbackClient.preference("pref-" + requestId, rewardModel, prompt,
                    a.preference().chosenText(), a.preference().rejectedText());
            e.setAnnotatorId(annotatorId);
            out.add(e);
        }
        if (a.edit() != null) {
            FeedbackEvent e = FeedbackClient.edit("edit-" + requestId, rewardModel, prompt, a.edit().original(),
                    a.edit().edited());
            e.setAnnotatorId(annotatorId);
            out.add(e);
        }
        return out;
    }

    /** A single-word change of a text: the new text, the word changed, and its replacement (null: deleted). */
    record Variant(String text, int word, String replacement) {
    }

    /**
     * Every single-word deletion of the first {@code maxWords} words of {@code text}, and every replacement of such a
     * word's letters by one of {@code replacements} (keeping its surrounding punctuation and capitalisation; words with
     * no letters are only deleted; a replacement equal to the word, ignoring case, is skipped). The rest of the text
     * stays byte for byte: a deletion removes the word and the whitespace before it (after it, for the first word).
     * Variants that are blank or equal to the text (after strip) are left out.
     */
    static List<Variant> variants(String text, List<String> replacements, int maxWords) {
        List<int[]> spans = new ArrayList<>();
        Matcher m = WORD.matcher(text);
        while (m.find() && spans.size() < maxWords) {
            spans.add(new int[] {m.start(), m.end()});
        }
        List<Variant> out = new ArrayList<>();
        for (int w = 0; w < spans.size(); w++) {
            int start = spans.get(w)[0];
            int end = spans.get(w)[1];
            int cutFrom = start;
            int cutTo = end;
            if (w > 0) {
                while (cutFrom > 0 && Character.isWhitespace(text.charAt(cutFrom - 1))) {
                    cutFrom--;
                }
            } else {
                while (cutTo < text.length() && Character.isWhitespace(text.charAt(cutTo))) {
                    cutTo++;
                }
            }
            add(out, text, text.substring(0, cutFrom) + text.substring(cutTo), w, null);
            Matcher core = CORE.matcher(text.substring(start, end));
            if (core.matches()) {
                String letters = core.group(2);
                for (String r : replacements) {
                    if (r.equalsIgnoreCase(letters)) {
                        continue;
                    }
                    String cased = Character.isUpperCase(letters.charAt(0))
                            ? r.substring(0, 1).toUpperCase(Locale.ROOT) + r.substring(1) : r;
                    add(out, text, text.substring(0, start) + core.group(1) + cased + core.group(3)
                            + text.substring(end), w, r);
                }
            }
        }
        return out;
    }

    private static void add(List<Variant> out, String original, String variant, int word, String replacement) {
        if (!variant.isBlank() && !variant.strip().equals(original.strip())) {
            out.add(new Variant(variant, word, replacement));
        }
    }

    private double[] checkedScores(List<String> texts) {
        double[] s = judge.score(texts);
        if (s.length != texts.size()) {
            throw new IllegalStateException("the judge gave " + s.length + " scores for " + texts.size() + " texts");
        }
        for (double v : s) {
            if (!Double.isFinite(v)) {
                throw new IllegalStateException("the judge gave a non-finite score");
            }
        }
        return s;
    }

    /** Index of the largest value, the lowest on ties. */
    static int argmax(double[] values) {
        int best = 0;
        for (int i = 1; i < values.length; i++) {
            if (values[i] > values[best]) {
                best = i;
            }
        }
        return best;
    }
}
