package org.alignstream.inference.reward;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Stream;

/**
 * Binary-labelled sentences from {@code label<TAB>sentence} files (label 0 or 1, optional
 * {@code label<TAB>sentence} header), each with a style (the file it came from: {@code review}, {@code news}, ...),
 * with a deterministic split stratified by style and label.
 *
 * <p>Data specs ({@link #load(String, Path)}): a comma-separated list of entries, each a {@code .tsv} file (style =
 * its file name without {@code .tsv}), a {@code style=file.tsv} (that style), or a directory (every {@code *.tsv} in
 * it, in name order, style = file name). E.g. {@code original=models/reward-sentiment/sentences.tsv,training/data/sentiment/proxy}.
 *
 * @param sentences the sentences, stripped
 * @param labels    1 = positive, 0 = negative, one per sentence
 * @param styles    the style of each sentence (never null; {@link #DEFAULT_STYLE} when none was given)
 */
public record LabelledSentences(List<String> sentences, int[] labels, List<String> styles) {

    /** Style of sentences built without one. */
    public static final String DEFAULT_STYLE = "default";

    public LabelledSentences {
        if (sentences.size() != labels.length || styles.size() != labels.length) {
            throw new IllegalArgumentException(sentences.size() + " sentences, " + labels.length + " labels and "
                    + styles.size() + " styles");
        }
        sentences = List.copyOf(sentences);
        labels = labels.clone();
        styles = List.copyOf(styles);
    }

    /** Sentences of one style, {@link #DEFAULT_STYLE}. */
    public LabelledSentences(List<String> sentences, int[] labels) {
        this(sentences, labels, Collections.nCopies(sentences.size(), DEFAULT_STYLE));
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    public int size() {
        return labels.length;
    }

    /** The distinct styles in order of first appearance. */
    public List<String> styleNames() {
        return List.copyOf(new LinkedHashSet<>(styles));
    }

    /** Reads one TSV file, every sentence of the style named by the file (its name without {@code .tsv}). */
    public static LabelledSentences load(Path tsv) {
        return load(tsv, styleOf(tsv));
    }

    /** Reads one TSV file, every sentence of style {@code style}; any malformed line is an error naming the line. */
    public static LabelledSentences load(Path tsv, String style) {
        List<String> lines;
        try {
            lines = Files.readAllLines(tsv, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read " + tsv.toAbsolutePath(), e);
        }
        List<String> sentences = new ArrayList<>();
        List<Integer> labels = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            String line = lines.get(i);
            if (line.isBlank() || (i == 0 && line.startsWith("label\t"))) {
                continue;
            }
            String[] parts = line.split("\t", -1);
            if (parts.length != 2 || !(parts[0].equals("0") || parts[0].equals("1")) || parts[1].isBlank()) {
                throw new IllegalArgumentException(tsv + " line " + (i + 1)
                        + ": expected '<0|1><TAB><sentence>', got '" + line + "'");
            }
            labels.add(Integer.parseInt(parts[0]));
            sentences.add(parts[1].strip());
        }
        if (sentences.isEmpty()) {
            throw new IllegalArgumentException(tsv + " holds no labelled sentences");
        }
        return new LabelledSentences(sentences, labels.stream().mapToInt(Integer::intValue).toArray(),
                Collections.nCopies(sentences.size(), style));
    }

    /**
     * Reads a data spec (see the class comment), relative paths resolved against {@code base}; the sentences of the
     * entries in order. A directory without {@code .tsv} files, or a missing path, is an error.
     */
    public static LabelledSentences load(String spec, Path base) {
        List<LabelledSentences> parts = new ArrayList<>();
        for (String entry : spec.split(",")) {
            String e = entry.strip();
            if (e.isEmpty()) {
                continue;
            }
            int eq = e.indexOf('=');
            String style = eq > 0 ? e.substring(0, eq).strip() : null;
            Path path = base.resolve(eq > 0 ? e.substring(eq + 1).strip() : e);
            if (Files.isDirectory(path)) {
                if (style != null) {
                    throw new IllegalArgumentException("data spec entry '" + e + "': a directory's styles are its file"
                            + " names; name a style only for a single file");
                }
                List<Path> files;
                try (Stream<Path> list = Files.list(path)) {
                    files = list.filter(p -> p.getFileName().toString().endsWith(".tsv")).sorted().toList();
                } catch (IOException ex) {
                    throw new UncheckedIOException("Cannot list " + path.toAbsolutePath(), ex);
                }
                if (files.isEmpty()) {
                    throw new IllegalArgumentException("data directory " + path.toAbsolutePath() + " holds no .tsv file");
                }
                files.forEach(f -> parts.add(load(f)));
            } else if (Files.isRegularFile(path)) {
                parts.add(style == null ? load(path) : load(path, style));
            } else {
                throw new IllegalArgumentException("data spec entry '" + e + "': " + path.toAbsolutePath()
                        + " is neither a file nor a directory");
            }
        }
        if (parts.isEmpty()) {
            throw new IllegalArgumentException("empty data spec '" + spec + "'");
        }
        return concat(parts);
    }

    /** The rows of every part, in order. */
    public static LabelledSentences concat(List<LabelledSentences> parts) {
        List<String> s = new ArrayList<>();
        List<String> st = new ArrayList<>();
        List<Integer> l = new ArrayList<>();
        for (LabelledSentences p : parts) {
            s.addAll(p.sentences);
            st.addAll(p.styles);
            for (int label : p.labels) {
                l.add(label);
            }
        }
        return new LabelledSentences(s, l.stream().mapToInt(Integer::intValue).toArray(), st);
    }

    /** A file's style: its name without the {@code .tsv} extension. */
    public static String styleOf(Path file) {
        String name = file.getFileName().toString();
        return name.endsWith(".tsv") ? name.substring(0, name.length() - 4) : name;
    }

    /**
     * The form in which two sentences count as duplicates: lower case, every run of characters that are not letters or
     * digits turned into one space, trimmed ("Not bad -- at ALL!" and "not bad at all" are the same).
     */
    public static String normalise(String sentence) {
        return sentence.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}]+", " ").strip();
    }

    /** Share of each label the bundled heads were trained on; the rest is their held-out set. */
    public static final double TRAIN_FRACTION = 0.8;

    /** Train and held-out parts. */
    public record Split(LabelledSentences train, LabelledSentences heldOut) {}

    /**
     * Split stratified by style and label: for each style (in order of first appearance) and each label (0, then 1),
     * that group's indices are shuffled with one {@code new Random(seed)} and the first {@code round(trainFraction *
     * count)} go to training; then both parts are shuffled with the same generator. Same input and seed, same split.
     * With a single style this is exactly the label-stratified split of earlier versions (same generator calls).
     */
    public Split split(long seed, double trainFraction) {
        if (!(trainFraction > 0 && trainFraction < 1)) {
            throw new IllegalArgumentException("trainFraction must be in (0, 1), got " + trainFraction);
        }
        Random random = new Random(seed);
        List<Integer> train = new ArrayList<>();
        List<Integer> heldOut = new ArrayList<>();
        for (String style : styleNames()) {
            for (int label = 0; label <= 1; label++) {
                List<Integer> indices = indices(style, label);
                Collections.shuffle(indices, random);
                int cut = (int) Math.round(trainFraction * indices.size());
                train.addAll(indices.subList(0, cut));
                heldOut.addAll(indices.subList(cut, indices.size()));
            }
        }
        Collections.shuffle(train, random);
        Collections.shuffle(heldOut, random);
        return new Split(subset(train), subset(heldOut));
    }

    /**
     * {@code n} rows drawn stratified by style and label: each (style, label) group gets {@code n * groupSize / size}
     * rows rounded down, and the rows left over go one each to the groups with the largest remainders (ties: the
     * earlier group); within a group the rows are the first of a {@code new Random(seed)} shuffle. The result is
     * shuffled with the same generator.
     */
    public LabelledSentences sample(int n, long seed) {
        if (n < 1 || n > size()) {
            throw new IllegalArgumentException("sample size must be in [1, " + size() + "], got " + n);
        }
        List<List<Integer>> groups = new ArrayList<>();
        for (String style : styleNames()) {
            for (int label = 0; label <= 1; label++) {
                List<Integer> g = indices(style, label);
                if (!g.isEmpty()) {
                    groups.add(g);
                }
            }
        }
        int[] quota = new int[groups.size()];
        double[] remainder = new double[groups.size()];
        int given = 0;
        for (int g = 0; g < groups.size(); g++) {
            double exact = (double) n * groups.get(g).size() / size();
            quota[g] = (int) Math.floor(exact);
            remainder[g] = exact - quota[g];
            given += quota[g];
        }
        for (; given < n; given++) {
            int best = 0;
            for (int g = 1; g < groups.size(); g++) {
                if (remainder[g] > remainder[best]) {
                    best = g;
                }
            }
            quota[best]++;
            remainder[best] = -1;
        }
        Random random = new Random(seed);
        List<Integer> chosen = new ArrayList<>();
        for (int g = 0; g < groups.size(); g++) {
            List<Integer> indices = new ArrayList<>(groups.get(g));
            Collections.shuffle(indices, random);
            chosen.addAll(indices.subList(0, quota[g]));
        }
        Collections.shuffle(chosen, random);
        return subset(chosen);
    }

    /**
     * These sentences with the labels of exactly {@code round(fraction * size)} of them flipped, the rows chosen by a
     * {@code new Random(seed)} shuffle (label noise for a deliberately degraded proxy).
     */
    public LabelledSentences withFlippedLabels(double fraction, long seed) {
        if (!(fraction >= 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in [0, 1], got " + fraction);
        }
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            order.add(i);
        }
        Collections.shuffle(order, new Random(seed));
        int[] flipped = labels.clone();
        for (int k = 0; k < Math.round(fraction * size()); k++) {
            flipped[order.get(k)] = 1 - flipped[order.get(k)];
        }
        return new LabelledSentences(sentences, flipped, styles);
    }

    /** The rows of one style. */
    public LabelledSentences ofStyle(String style) {
        List<Integer> rows = new ArrayList<>();
        for (int i = 0; i < size(); i++) {
            if (styles.get(i).equals(style)) {
                rows.add(i);
            }
        }
        return subset(rows);
    }

    private List<Integer> indices(String style, int label) {
        List<Integer> indices = new ArrayList<>();
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] == label && styles.get(i).equals(style)) {
                indices.add(i);
            }
        }
        return indices;
    }

    /** The rows at {@code indices}, in that order. */
    public LabelledSentences subset(List<Integer> indices) {
        List<String> s = new ArrayList<>(indices.size());
        List<String> st = new ArrayList<>(indices.size());
        int[] l = new int[indices.size()];
        for (int k = 0; k < indices.size(); k++) {
            s.add(sentences.get(indices.get(k)));
            st.add(styles.get(indices.get(k)));
            l[k] = labels[indices.get(k)];
        }
        return new LabelledSentences(s, l, st);
    }
}
