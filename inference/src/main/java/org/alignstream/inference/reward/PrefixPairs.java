package org.alignstream.inference.reward;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Equal-length prefix pairs of labelled sentences, the training and evaluation data of a
 * partial-sequence reward (Rashid et al. 2024, PARGS): a positive sentence (chosen) and a negative
 * one (rejected), both cut to their first {@code t} words, for t from 1 up to the shorter
 * sentence's length; plus the pair of full sentences. Prefixes keep the original text up to the
 * end of the t-th whitespace-separated word (punctuation attached to a word stays with it), so
 * the prefix of all n words is the sentence itself.
 *
 * <p>Pairs whose two prefixes are the same text ignoring case (e.g. "The" / "The") carry no
 * preference and are left out. A pair's two sentences are always of the same style
 * ({@link LabelledSentences#styles()}): a review is compared with a review, dialogue with dialogue (with one style, as
 * in a single file, every positive is paired with every negative).
 */
public final class PrefixPairs {

    /** {@link Pair#words()} of the pair of full sentences (whose lengths may differ). */
    public static final int FULL = 0;
    /** Prefix-length buckets of the report, in order; {@code full} is the full-sentence pairs. */
    public static final List<String> BUCKETS = List.of("1", "2", "3-4", "5-7", "8+", "full");
    /** Aggregate of the buckets 1, 2 and 3-4. */
    public static final String SHORT = "1-4";
    /** Aggregate of all prefix buckets (not {@code full}). */
    public static final String ALL_PREFIXES = "all-prefixes";

    private static final Pattern WORD = Pattern.compile("\\S+");

    private PrefixPairs() {
    }

    /**
     * A comparison: sentence {@code chosen} (positive) preferred over sentence {@code rejected}
     * (negative), both cut to {@code words} words, or both full if {@code words == FULL}.
     */
    public record Pair(int chosen, int rejected, int words) {
        public boolean full() {
            return words == FULL;
        }
    }

    /** Number of whitespace-separated words. */
    public static int wordCount(String sentence) {
        Matcher m = WORD.matcher(sentence);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }

    /** The text up to the end of the {@code words}-th word ({@code 1 <= words <= wordCount}). */
    public static String prefix(String sentence, int words) {
        if (words < 1) {
            throw new IllegalArgumentException("a prefix needs at least 1 word, got " + words);
        }
        Matcher m = WORD.matcher(sentence);
        for (int i = 0; i < words; i++) {
            if (!m.find()) {
                throw new IllegalArgumentException("'" + sentence + "' has fewer than " + words + " words");
            }
        }
        return sentence.substring(0, m.end());
    }

    /** The report bucket of a prefix length ({@link #FULL} gives {@code full}). */
    public static String bucket(int words) {
        if (words == FULL) {
            return "full";
        }
        if (words <= 2) {
            return Integer.toString(words);
        }
        return words <= 4 ? "3-4" : words <= 7 ? "5-7" : "8+";
    }

    /** Text of the chosen side of {@code pair}. */
    public static String chosenText(LabelledSentences data, Pair pair) {
        return text(data.sentences().get(pair.chosen()), pair.words());
    }

    /** Text of the rejected side of {@code pair}. */
    public static String rejectedText(LabelledSentences data, Pair pair) {
        return text(data.sentences().get(pair.rejected()), pair.words());
    }

    private static String text(String sentence, int words) {
        return words == FULL ? sentence : prefix(sentence, words);
    }

    /**
     * Every distinct text a pair of {@code data} can use, in a fixed order: for each sentence in
     * data order, its prefixes of 1, 2, ... n words (the last is the sentence). Scoring this list in
     * fixed-size batches makes the (batch-dependent, int8) features reproducible.
     */
    public static List<String> prefixTexts(LabelledSentences data) {
        LinkedHashSet<String> texts = new LinkedHashSet<>();
        for (String s : data.sentences()) {
            int n = wordCount(s);
            for (int t = 1; t <= n; t++) {
                texts.add(prefix(s, t));
            }
        }
        return List.copyOf(texts);
    }

    /**
     * All pairs, for evaluation: every (positive, negative) sentence pair of the same style in data
     * order, at every prefix length t = 1 .. min(n_chosen, n_rejected), then the full pair.
     */
    public static List<Pair> all(LabelledSentences data) {
        List<Pair> pairs = new ArrayList<>();
        List<Integer> positives = indices(data, 1);
        List<Integer> negatives = indices(data, 0);
        List<String> styles = data.styles();
        for (int p : positives) {
            for (int n : negatives) {
                if (!styles.get(p).equals(styles.get(n))) {
                    continue;
                }
                int shorter = Math.min(wordCount(data.sentences().get(p)), wordCount(data.sentences().get(n)));
                for (int t = 1; t <= shorter; t++) {
                    addUnlessIdentical(pairs, data, new Pair(p, n, t));
                }
                addUnlessIdentical(pairs, data, new Pair(p, n, FULL));
            }
        }
        return pairs;
    }

    /**
     * Sampled pairs, for training: each positive sentence (in data order) is paired with
     * {@code negativesPerPositive} distinct negatives of its style drawn with {@code new Random(seed)}; each such
     * pair contributes {@code prefixesPerPair} distinct prefix lengths drawn from
     * 1 .. min(n_chosen, n_rejected) (fewer if the shorter sentence is shorter) and the full pair.
     */
    public static List<Pair> sample(LabelledSentences data, long seed, int negativesPerPositive, int prefixesPerPair) {
        if (negativesPerPositive < 1 || prefixesPerPair < 0) {
            throw new IllegalArgumentException("need negativesPerPositive >= 1 and prefixesPerPair >= 0, got "
                    + negativesPerPositive + " and " + prefixesPerPair);
        }
        Random random = new Random(seed);
        List<Integer> negatives = indices(data, 0);
        List<Pair> pairs = new ArrayList<>();
        List<String> styles = data.styles();
        for (int p : indices(data, 1)) {
            List<Integer> shuffled = new ArrayList<>();
            for (int n : negatives) {
                if (styles.get(n).equals(styles.get(p))) {
                    shuffled.add(n);
                }
            }
            Collections.shuffle(shuffled, random);
            for (int n : shuffled.subList(0, Math.min(negativesPerPositive, shuffled.size()))) {
                int shorter = Math.min(wordCount(data.sentences().get(p)), wordCount(data.sentences().get(n)));
                List<Integer> lengths = new ArrayList<>();
                for (int t = 1; t <= shorter; t++) {
                    lengths.add(t);
                }
                Collections.shuffle(lengths, random);
                for (int t : lengths.subList(0, Math.min(prefixesPerPair, lengths.size()))) {
                    addUnlessIdentical(pairs, data, new Pair(p, n, t));
                }
                addUnlessIdentical(pairs, data, new Pair(p, n, FULL));
            }
        }
        return pairs;
    }

    private static void addUnlessIdentical(List<Pair> pairs, LabelledSentences data, Pair pair) {
        if (!chosenText(data, pair).equalsIgnoreCase(rejectedText(data, pair))) {
            pairs.add(pair);
        }
    }

    private static List<Integer> indices(LabelledSentences data, int label) {
        int[] labels = data.labels();
        List<Integer> out = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == label) {
                out.add(i);
            }
        }
        return out;
    }

    /**
     * Rewards of {@code texts} scored through {@code model} in batches of
     * {@link RewardBatches#SIZE}, in list order, keyed by text.
     */
    public static Map<String, Double> scoreTexts(RewardModel model, List<String> texts) {
        double[] scores = RewardBatches.score(model, texts);
        Map<String, Double> byText = new HashMap<>();
        for (int i = 0; i < texts.size(); i++) {
            byText.put(texts.get(i), scores[i]);
        }
        return byText;
    }

    /** Correct / total comparisons of one bucket. */
    public record Tally(int pairs, int correct) {
        public double accuracy() {
            return pairs == 0 ? Double.NaN : (double) correct / pairs;
        }

        public Tally plus(Tally other) {
            return new Tally(pairs + other.pairs, correct + other.correct);
        }
    }

    /**
     * Pairwise accuracy (chosen scored strictly higher; ties are wrong) of the text scores
     * {@code reward} over {@code pairs}, by {@link #BUCKETS} bucket, then {@link #SHORT} and
     * {@link #ALL_PREFIXES}.
     */
    public static Map<String, Tally> accuracyByBucket(LabelledSentences data, List<Pair> pairs,
            Map<String, Double> reward) {
        Map<String, Tally> tallies = new LinkedHashMap<>();
        BUCKETS.forEach(b -> tallies.put(b, new Tally(0, 0)));
        for (Pair pair : pairs) {
            Double chosen = reward.get(chosenText(data, pair));
            Double rejected = reward.get(rejectedText(data, pair));
            if (chosen == null || rejected == null) {
                throw new IllegalArgumentException("no score for a text of pair " + pair);
            }
            tallies.merge(bucket(pair.words()), new Tally(1, chosen > rejected ? 1 : 0), Tally::plus);
        }
        tallies.put(SHORT, tallies.get("1").plus(tallies.get("2")).plus(tallies.get("3-4")));
        tallies.put(ALL_PREFIXES, tallies.get(SHORT).plus(tallies.get("5-7")).plus(tallies.get("8+")));
        return tallies;
    }
}
