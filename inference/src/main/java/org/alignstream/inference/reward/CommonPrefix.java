package org.alignstream.inference.reward;

/**
 * The common token prefix of several token sequences, as prefix-shared scoring uses it: texts that extend one text
 * (a tokenwise round's candidates: the response so far plus one token each) are re-tokenised, and a tokeniser may
 * merge the new token with the end of the old text, so the shared part is found in token space, never assumed.
 */
public final class CommonPrefix {

    private CommonPrefix() {
    }

    /** The length of the longest prefix that all {@code sequences} share (0 for none; the shortest length at most). */
    public static int length(long[][] sequences) {
        if (sequences.length == 0) {
            return 0;
        }
        long[] first = sequences[0];
        int n = first.length;
        for (int i = 1; i < sequences.length && n > 0; i++) {
            long[] other = sequences[i];
            int limit = Math.min(n, other.length);
            int j = 0;
            while (j < limit && other[j] == first[j]) {
                j++;
            }
            n = j;
        }
        return n;
    }

    /**
     * How many leading tokens can be encoded once and reused by every sequence: the common prefix, but leaving each
     * sequence at least one token of its own (the position whose output is read), so at most the shortest length
     * minus one. 0 for no sequences or an empty one.
     */
    public static int reusable(long[][] sequences) {
        if (sequences.length == 0) {
            return 0;
        }
        int shortest = Integer.MAX_VALUE;
        for (long[] s : sequences) {
            shortest = Math.min(shortest, s.length);
        }
        return Math.max(0, Math.min(length(sequences), shortest - 1));
    }
}
