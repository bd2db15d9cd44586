package org.alignstream.inference.reward;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Binary-labelled sentences from a {@code label<TAB>sentence} file (label 0 or 1, optional
 * {@code label<TAB>sentence} header), with a deterministic stratified train / held-out split.
 */
public record LabelledSentences(List<String> sentences, int[] labels) {

    public LabelledSentences {
        if (sentences.size() != labels.length) {
            throw new IllegalArgumentException(sentences.size() + " sentences but " + labels.length + " labels");
        }
        sentences = List.copyOf(sentences);
        labels = labels.clone();
    }

    @Override
    public int[] labels() {
        return labels.clone();
    }

    public int size() {
        return labels.length;
    }

    /** Reads a TSV file; any malformed line is an error naming the line. */
    public static LabelledSentences load(Path tsv) {
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
        return new LabelledSentences(sentences, labels.stream().mapToInt(Integer::intValue).toArray());
    }

    /** Share of each label the bundled heads were trained on; the rest is their held-out set. */
    public static final double TRAIN_FRACTION = 0.8;

    /** Train and held-out parts. */
    public record Split(LabelledSentences train, LabelledSentences heldOut) {}

    /**
     * Stratified split: within each label, indices are shuffled with {@code new Random(seed)} and
     * the first {@code round(trainFraction * count)} go to training. Same input and seed, same split.
     */
    public Split split(long seed, double trainFraction) {
        if (!(trainFraction > 0 && trainFraction < 1)) {
            throw new IllegalArgumentException("trainFraction must be in (0, 1), got " + trainFraction);
        }
        Random random = new Random(seed);
        List<Integer> train = new ArrayList<>();
        List<Integer> heldOut = new ArrayList<>();
        for (int label = 0; label <= 1; label++) {
            List<Integer> indices = new ArrayList<>();
            for (int i = 0; i < labels.length; i++) {
                if (labels[i] == label) {
                    indices.add(i);
                }
            }
            Collections.shuffle(indices, random);
            int cut = (int) Math.round(trainFraction * indices.size());
            train.addAll(indices.subList(0, cut));
            heldOut.addAll(indices.subList(cut, indices.size()));
        }
        Collections.shuffle(train, random);
        Collections.shuffle(heldOut, random);
        return new Split(subset(train), subset(heldOut));
    }

    /** The rows at {@code indices}, in that order. */
    public LabelledSentences subset(List<Integer> indices) {
        List<String> s = new ArrayList<>(indices.size());
        int[] l = new int[indices.size()];
        for (int k = 0; k < indices.size(); k++) {
            s.add(sentences.get(indices.get(k)));
            l[k] = labels[indices.get(k)];
        }
        return new LabelledSentences(s, l);
    }
}
