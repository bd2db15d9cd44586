package org.alignstream.core.feedback;

import static org.alignstream.core.feedback.MinimalEditAlignment.Kind.DELETE;
import static org.alignstream.core.feedback.MinimalEditAlignment.Kind.INSERT;
import static org.alignstream.core.feedback.MinimalEditAlignment.Kind.KEEP;
import static org.alignstream.core.feedback.MinimalEditAlignment.Kind.REPLACE;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.alignstream.core.feedback.MinimalEditAlignment.Op;
import org.junit.jupiter.api.Test;

class MinimalEditAlignmentTest {

    @Test
    void identicalSequencesAreAllKept() {
        MinimalEditAlignment a = MinimalEditAlignment.align(new int[] {5, 6, 7}, new int[] {5, 6, 7});
        assertThat(a.ops()).containsExactly(new Op(KEEP, 0, 0), new Op(KEEP, 1, 1), new Op(KEEP, 2, 2));
        assertThat(a.distance()).isZero();
        assertThat(a.unchanged()).isTrue();
        assertThat(a.originalLabels()).containsExactly(0, 0, 0);
        assertThat(a.editedLabels()).containsExactly(0, 0, 0);
    }

    @Test
    void pureInsertionLabelsOnlyTheNewTokens() {
        MinimalEditAlignment a = MinimalEditAlignment.align(new int[] {1, 2}, new int[] {1, 9, 2, 8});
        assertThat(a.ops()).containsExactly(new Op(KEEP, 0, 0), new Op(INSERT, -1, 1), new Op(KEEP, 1, 2),
                new Op(INSERT, -1, 3));
        assertThat(a.distance()).isEqualTo(2);
        assertThat(a.unchanged()).isFalse();
        assertThat(a.originalLabels()).containsExactly(0, 0);
        assertThat(a.editedLabels()).containsExactly(0, 1, 0, 1);
    }

    @Test
    void pureDeletionLabelsOnlyTheRemovedTokens() {
        MinimalEditAlignment a = MinimalEditAlignment.align(new int[] {4, 3, 2, 1}, new int[] {4, 1});
        assertThat(a.ops()).containsExactly(new Op(KEEP, 0, 0), new Op(DELETE, 1, -1), new Op(DELETE, 2, -1),
                new Op(KEEP, 3, 1));
        assertThat(a.distance()).isEqualTo(2);
        assertThat(a.originalLabels()).containsExactly(0, -1, -1, 0);
        assertThat(a.editedLabels()).containsExactly(0, 0);
    }

    @Test
    void oneSubstitutionIsOneReplace() {
        // "the movie was bad" -> "the movie was good"
        MinimalEditAlignment a = MinimalEditAlignment.align(new int[] {10, 11, 12, 13}, new int[] {10, 11, 12, 14});
        assertThat(a.ops()).containsExactly(new Op(KEEP, 0, 0), new Op(KEEP, 1, 1), new Op(KEEP, 2, 2),
                new Op(REPLACE, 3, 3));
        assertThat(a.distance()).isEqualTo(1);
        assertThat(a.originalLabels()).containsExactly(0, 0, 0, -1);
        assertThat(a.editedLabels()).containsExactly(0, 0, 0, 1);
    }

    @Test
    void emptySides() {
        MinimalEditAlignment bothEmpty = MinimalEditAlignment.align(new int[0], new int[0]);
        assertThat(bothEmpty.ops()).isEmpty();
        assertThat(bothEmpty.distance()).isZero();
        assertThat(bothEmpty.originalLabels()).isEmpty();
        assertThat(bothEmpty.editedLabels()).isEmpty();

        MinimalEditAlignment fromNothing = MinimalEditAlignment.align(new int[0], new int[] {3, 4});
        assertThat(fromNothing.ops()).containsExactly(new Op(INSERT, -1, 0), new Op(INSERT, -1, 1));
        assertThat(fromNothing.editedLabels()).containsExactly(1, 1);
        assertThat(fromNothing.distance()).isEqualTo(2);

        MinimalEditAlignment toNothing = MinimalEditAlignment.align(new int[] {3, 4, 5}, new int[0]);
        assertThat(toNothing.ops()).containsExactly(new Op(DELETE, 0, -1), new Op(DELETE, 1, -1),
                new Op(DELETE, 2, -1));
        assertThat(toNothing.originalLabels()).containsExactly(-1, -1, -1);
        assertThat(toNothing.editedLabels()).isEmpty();
        assertThat(toNothing.distance()).isEqualTo(3);
    }

    @Test
    void swapTakesTwoReplacesByTheDocumentedTieBreak() {
        // two minimal scripts of cost 2: REPLACE, REPLACE (chosen) or DELETE 1, KEEP 2, INSERT 1
        MinimalEditAlignment a = MinimalEditAlignment.align(new int[] {1, 2}, new int[] {2, 1});
        assertThat(a.ops()).containsExactly(new Op(REPLACE, 0, 0), new Op(REPLACE, 1, 1));
        assertThat(a.distance()).isEqualTo(2);
        assertThat(a.originalLabels()).containsExactly(-1, -1);
        assertThat(a.editedLabels()).containsExactly(1, 1);
    }

    @Test
    void changedRunReplacesAtItsRightEnd() {
        MinimalEditAlignment shrink = MinimalEditAlignment.align(new int[] {1, 2, 3}, new int[] {9});
        assertThat(shrink.ops()).containsExactly(new Op(DELETE, 0, -1), new Op(DELETE, 1, -1), new Op(REPLACE, 2, 0));
        MinimalEditAlignment grow = MinimalEditAlignment.align(new int[] {9}, new int[] {1, 2, 3});
        assertThat(grow.ops()).containsExactly(new Op(INSERT, -1, 0), new Op(INSERT, -1, 1), new Op(REPLACE, 0, 2));
    }

    @Test
    void scriptIsValidAndCostsTheTextbookLevenshteinDistance() {
        Random rnd = new Random(2024);
        for (int trial = 0; trial < 1000; trial++) {
            int[] original = randomTokens(rnd, rnd.nextInt(9), 1 + rnd.nextInt(4));
            int[] edited = randomTokens(rnd, rnd.nextInt(9), 1 + rnd.nextInt(4));
            MinimalEditAlignment a = MinimalEditAlignment.align(original, edited);
            int expected = textbookLevenshtein(original, edited);
            int cost = a.ops().stream().mapToInt(Op::cost).sum();
            assertThat(cost).as("script cost of %s", a).isEqualTo(expected);
            assertThat(a.distance()).isEqualTo(expected);
            assertThat(replay(original, edited, a.ops())).as("replayed script").containsExactly(edited);
            checkLabelsFollowOps(a, original.length, edited.length);
        }
    }

    @Test
    void rejectsMissingOrHugeInput() {
        assertThatThrownBy(() -> MinimalEditAlignment.align(null, new int[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("no original");
        assertThatThrownBy(() -> MinimalEditAlignment.align(new int[0], null)).hasMessageContaining("no edited");
        assertThatThrownBy(() -> MinimalEditAlignment.align(new int[5000], new int[5000]))
                .hasMessageContaining("aligning 5000 with 5000 tokens needs 25010001 DP cells");
        assertThatThrownBy(() -> MinimalEditAlignment.align(new int[4096], new int[4097]))
                .hasMessageContaining("needs 16789506 DP cells, more than the limit of 16785409");
        assertThatThrownBy(() -> new Op(INSERT, 2, 0)).hasMessageContaining("INSERT has originalIndex 2, expected -1");
        assertThatThrownBy(() -> new Op(KEEP, 0, -1)).hasMessageContaining("KEEP has editedIndex -1, expected >= 0");
    }

    /**
     * Applies the script to the original: ops must consume every original index once and produce every
     * edited index once, in order; KEEP copies the original token (which must equal the edited one),
     * REPLACE and INSERT write the edited token (a REPLACE must change the token), DELETE writes nothing.
     */
    private static int[] replay(int[] original, int[] edited, List<Op> ops) {
        List<Integer> out = new ArrayList<>();
        int nextOriginal = 0;
        int nextEdited = 0;
        for (Op op : ops) {
            if (op.kind() != INSERT) {
                assertThat(op.originalIndex()).as("original index of %s", op).isEqualTo(nextOriginal++);
            }
            if (op.kind() != DELETE) {
                assertThat(op.editedIndex()).as("edited index of %s", op).isEqualTo(nextEdited++);
            }
            switch (op.kind()) {
                case KEEP -> {
                    assertThat(original[op.originalIndex()]).as("kept token").isEqualTo(edited[op.editedIndex()]);
                    out.add(original[op.originalIndex()]);
                }
                case REPLACE -> {
                    assertThat(original[op.originalIndex()]).as("replaced token").isNotEqualTo(edited[op.editedIndex()]);
                    out.add(edited[op.editedIndex()]);
                }
                case INSERT -> out.add(edited[op.editedIndex()]);
                case DELETE -> { }
            }
        }
        assertThat(nextOriginal).as("original tokens consumed").isEqualTo(original.length);
        return out.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void checkLabelsFollowOps(MinimalEditAlignment a, int n, int m) {
        int[] expectedOriginal = new int[n];
        int[] expectedEdited = new int[m];
        for (Op op : a.ops()) {
            switch (op.kind()) {
                case KEEP -> { }
                case DELETE -> expectedOriginal[op.originalIndex()] = -1;
                case INSERT -> expectedEdited[op.editedIndex()] = 1;
                case REPLACE -> {
                    expectedOriginal[op.originalIndex()] = -1;
                    expectedEdited[op.editedIndex()] = 1;
                }
            }
        }
        assertThat(a.originalLabels()).containsExactly(expectedOriginal);
        assertThat(a.editedLabels()).containsExactly(expectedEdited);
    }

    /** Wagner-Fischer with a full table, written independently of the class under test. */
    static int textbookLevenshtein(int[] s, int[] t) {
        int[][] d = new int[s.length + 1][t.length + 1];
        for (int i = 0; i <= s.length; i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= t.length; j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= s.length; i++) {
            for (int j = 1; j <= t.length; j++) {
                int substitution = s[i - 1] == t[j - 1] ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + substitution);
            }
        }
        return d[s.length][t.length];
    }

    static int[] randomTokens(Random rnd, int length, int vocabulary) {
        int[] tokens = new int[length];
        for (int i = 0; i < length; i++) {
            tokens[i] = rnd.nextInt(vocabulary);
        }
        return tokens;
    }
}
