package org.alignstream.core.feedback;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * The alignment of a response and its minimal edit, and the token labels it implies (Xu et al. 2024,
 * "Aligning Large Language Models via Fine-grained Supervision"): an annotator changes a less preferred
 * response only where necessary, and the tokens that changed carry the preference.
 *
 * <p>The two token sequences are aligned by a minimal edit script: the Levenshtein distance with unit
 * costs for insertion, deletion and substitution (Wagner &amp; Fischer 1974), computed by the textbook
 * dynamic programme {@code D[i][j]} = distance between the first {@code i} original and the first
 * {@code j} edited tokens, in O(nm) time and memory. The script is read back from {@code D[n][m]} to
 * {@code D[0][0]}; where several minimal scripts exist, each backward step takes the first of these
 * that stays on a minimal path:
 * <ol>
 *   <li>KEEP, if the two current tokens are equal (this is always on a minimal path);</li>
 *   <li>REPLACE the current original token by the current edited token;</li>
 *   <li>DELETE the current original token;</li>
 *   <li>INSERT the current edited token.</li>
 * </ol>
 * So of the two minimal scripts for the swap {@code [a, b] -> [b, a]}, this returns two REPLACEs, not
 * DELETE a, KEEP b, INSERT a; and {@code [a, b, c] -> [x]} is DELETE a, DELETE b, REPLACE c by x.
 *
 * <p>Token labels: on the original, a token the annotator deleted or replaced is labelled −1, a kept one
 * 0; on the edited, an inserted or replacement token is labelled +1, a kept one 0.
 *
 * <p>Instances are immutable.
 */
public final class MinimalEditAlignment {

    /** The largest DP table, (n + 1) (m + 1) cells, that {@link #align} will build (4096 x 4096 tokens). */
    public static final long MAX_CELLS = 4097L * 4097L;

    /** Label of a token the annotator deleted or replaced (original side). */
    public static final int REMOVED = -1;
    /** Label of a token kept unchanged (either side). */
    public static final int KEPT = 0;
    /** Label of a token the annotator inserted or wrote as a replacement (edited side). */
    public static final int ADDED = 1;

    /** An edit operation. */
    public enum Kind {
        /** original[i] == edited[j], unchanged. */
        KEEP,
        /** original[i] removed; {@link Op#editedIndex()} is -1. */
        DELETE,
        /** edited[j] added; {@link Op#originalIndex()} is -1. */
        INSERT,
        /** original[i] replaced by edited[j]. */
        REPLACE
    }

    /**
     * One step of the script. {@code originalIndex} indexes the original sequence and {@code editedIndex}
     * the edited one; the side an operation does not touch is -1 (the edited side of DELETE, the original
     * side of INSERT).
     */
    public record Op(Kind kind, int originalIndex, int editedIndex) {
        public Op {
            if (kind == null) {
                throw new IllegalArgumentException("an edit operation needs a kind");
            }
            boolean hasOriginal = kind != Kind.INSERT;
            boolean hasEdited = kind != Kind.DELETE;
            if (hasOriginal ? originalIndex < 0 : originalIndex != -1) {
                throw new IllegalArgumentException(kind + " has originalIndex " + originalIndex
                        + (hasOriginal ? ", expected >= 0" : ", expected -1"));
            }
            if (hasEdited ? editedIndex < 0 : editedIndex != -1) {
                throw new IllegalArgumentException(kind + " has editedIndex " + editedIndex
                        + (hasEdited ? ", expected >= 0" : ", expected -1"));
            }
        }

        /** Cost of the operation in the script: 0 for KEEP, 1 otherwise. */
        public int cost() {
            return kind == Kind.KEEP ? 0 : 1;
        }
    }

    private final List<Op> ops;
    private final int[] originalLabels;
    private final int[] editedLabels;
    private final int distance;

    private MinimalEditAlignment(List<Op> ops, int[] originalLabels, int[] editedLabels, int distance) {
        this.ops = ops;
        this.originalLabels = originalLabels;
        this.editedLabels = editedLabels;
        this.distance = distance;
    }

    /** Aligns {@code original} with its edit {@code edited} (token ids; either may be empty). */
    public static MinimalEditAlignment align(int[] original, int[] edited) {
        if (original == null || edited == null) {
            throw new IllegalArgumentException("both the original and the edited token sequence are needed, got "
                    + (original == null ? "no original" : "an original") + " and "
                    + (edited == null ? "no edited" : "an edited") + " sequence");
        }
        int n = original.length;
        int m = edited.length;
        if ((long) (n + 1) * (m + 1) > MAX_CELLS) {
            throw new IllegalArgumentException("aligning " + n + " with " + m + " tokens needs "
                    + (long) (n + 1) * (m + 1) + " DP cells, more than the limit of " + MAX_CELLS);
        }
        int width = m + 1;
        int[] d = new int[(n + 1) * width]; // d[i * width + j] = distance(original[0..i), edited[0..j))
        for (int j = 0; j <= m; j++) {
            d[j] = j;
        }
        for (int i = 1; i <= n; i++) {
            d[i * width] = i;
            for (int j = 1; j <= m; j++) {
                int diagonal = d[(i - 1) * width + j - 1] + (original[i - 1] == edited[j - 1] ? 0 : 1);
                int up = d[(i - 1) * width + j] + 1;
                int left = d[i * width + j - 1] + 1;
                d[i * width + j] = Math.min(diagonal, Math.min(up, left));
            }
        }

        List<Op> reversed = new ArrayList<>(Math.max(n, m));
        int[] originalLabels = new int[n];
        int[] editedLabels = new int[m];
        int i = n;
        int j = m;
        while (i > 0 || j > 0) {
            int here = d[i * width + j];
            if (i > 0 && j > 0 && original[i - 1] == edited[j - 1] && here == d[(i - 1) * width + j - 1]) {
                reversed.add(new Op(Kind.KEEP, --i, --j));
            } else if (i > 0 && j > 0 && here == d[(i - 1) * width + j - 1] + 1) {
                reversed.add(new Op(Kind.REPLACE, --i, --j));
                originalLabels[i] = REMOVED;
                editedLabels[j] = ADDED;
            } else if (i > 0 && here == d[(i - 1) * width + j] + 1) {
                reversed.add(new Op(Kind.DELETE, --i, -1));
                originalLabels[i] = REMOVED;
            } else {
                reversed.add(new Op(Kind.INSERT, -1, --j));
                editedLabels[j] = ADDED;
            }
        }
        Collections.reverse(reversed);
        return new MinimalEditAlignment(List.copyOf(reversed), originalLabels, editedLabels, d[n * width + m]);
    }

    /** The script, in sequence order: replaying it from left to right turns the original into the edit. */
    public List<Op> ops() {
        return ops;
    }

    /** Per original token: {@link #REMOVED} (-1) if deleted or replaced, {@link #KEPT} (0) if kept. */
    public int[] originalLabels() {
        return originalLabels.clone();
    }

    /** Per edited token: {@link #ADDED} (+1) if inserted or a replacement, {@link #KEPT} (0) if kept. */
    public int[] editedLabels() {
        return editedLabels.clone();
    }

    /** The Levenshtein distance: the number of non-KEEP operations in {@link #ops()}. */
    public int distance() {
        return distance;
    }

    /** Whether the edit changed nothing (distance 0). */
    public boolean unchanged() {
        return distance == 0;
    }

    @Override
    public String toString() {
        return "MinimalEditAlignment[distance=" + distance + ", ops=" + ops + ", originalLabels="
                + Arrays.toString(originalLabels) + ", editedLabels=" + Arrays.toString(editedLabels) + "]";
    }
}
