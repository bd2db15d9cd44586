package org.alignstream.core.sampling;

import java.util.Objects;

/**
 * The positions of the k largest values of a vector by partial selection: one pass keeping a bounded min-heap of k
 * positions, then the k sorted. O(V log k) time, O(k) memory, no boxing. Order: larger value first as
 * {@link Float#compare} orders them ({@code 0.0f} above {@code -0.0f}), equal values in increasing position: the same
 * order as sorting every position by {@code Float.compare(values[b], values[a])} then {@code a - b} and taking the
 * first k.
 */
public final class TopK {

    private TopK() {
    }

    /** The positions of the {@code k} largest values, largest first (ties: lower position first). */
    public static int[] indices(float[] values, int k) {
        Objects.requireNonNull(values, "values");
        if (k < 1 || k > values.length) {
            throw new IllegalArgumentException("k must be in [1, " + values.length + "], got " + k);
        }
        // heap[0] is the worst kept position: the smallest value, and among equal values the highest position
        int[] heap = new int[k];
        int size = 0;
        for (int i = 0; i < values.length; i++) {
            if (size < k) {
                int at = size++;
                while (at > 0) { // sift up
                    int parent = (at - 1) >>> 1;
                    if (!ranksBefore(values, heap[parent], i)) {
                        break;
                    }
                    heap[at] = heap[parent];
                    at = parent;
                }
                heap[at] = i;
            } else if (ranksBefore(values, i, heap[0])) {
                siftDown(values, heap, 0, k, i);
            }
        }
        // pop the worst to the back: the array ends sorted best first
        for (int end = k - 1; end > 0; end--) {
            int worst = heap[0];
            siftDown(values, heap, 0, end, heap[end]);
            heap[end] = worst;
        }
        return heap;
    }

    /** True when position a comes before position b in the result order. */
    private static boolean ranksBefore(float[] values, int a, int b) {
        int c = Float.compare(values[a], values[b]);
        return c > 0 || (c == 0 && a < b);
    }

    /** Places {@code node} at {@code at} and sifts it down a min-heap (worst on top) of {@code size} entries. */
    private static void siftDown(float[] values, int[] heap, int at, int size, int node) {
        while (true) {
            int child = 2 * at + 1;
            if (child >= size) {
                break;
            }
            if (child + 1 < size && ranksBefore(values, heap[child], heap[child + 1])) {
                child++; // the worse child
            }
            if (!ranksBefore(values, node, heap[child])) {
                break;
            }
            heap[at] = heap[child];
            at = child;
        }
        heap[at] = node;
    }
}
