package org.alignstream.inference.lm;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The key/value caches of in-flight requests ({@link Entry}: the generator's {@link CachedContext}s, a decoder reward
 * model's shared prefix), kept between decoding rounds so that a round reads only the tokens appended since the last
 * one. Keyed by request id and by the model that read the context (a model id and version, so a Transfer Q* request
 * keeps one context per model); an entry is used only when its token ids are a prefix of the round's context (else
 * it is dropped: a miss). Bounded in bytes: after every {@link #put} the least
 * recently used entries are evicted until {@link #bytesHeld()} is at most {@link #maxBytes()}; an entry larger than
 * the bound is not kept. A bound of 0 disables the store (nothing is kept, nothing is counted).
 *
 * <p>{@link #take} removes the entry it returns, so a context is used by one caller at a time (two threads on the
 * same request: one hits, the other misses) and an entry in use is neither counted in {@link #bytesHeld()} nor
 * evicted; the caller {@link #put}s it back or closes it. Thread-safe.
 */
public final class KvCacheStore<C extends KvCacheStore.Entry> implements AutoCloseable {

    /** What the store keeps: the key/value tensors of the token ids a model read; owns native memory. */
    public interface Entry extends AutoCloseable {
        /** Memory the entry holds (what the bound counts). */
        long bytes();

        /** Whether the token ids read are the first entries of {@code context} (or all of them). */
        boolean isPrefixOf(int[] context);

        /** Frees the entry's native memory. */
        @Override
        void close();
    }

    /** Receives the store's events (metrics); called under the store's lock, so keep it cheap. */
    public interface Listener {
        /** A round found a usable context. */
        default void hit() {
        }

        /** A round after the first found no usable context and reads its whole context. */
        default void miss() {
        }

        /** A context was dropped to respect the bound. */
        default void evicted() {
        }

        /** The bytes now held, after every change. */
        default void bytesHeld(long bytes) {
        }
    }

    private static final Listener NONE = new Listener() {
    };

    private record Key(String model, String requestId) {
    }

    private final long maxBytes;
    private final LinkedHashMap<Key, C> entries = new LinkedHashMap<>(16, 0.75f, true);
    private volatile Listener listener = NONE;
    private long bytesHeld;
    private long hits;
    private long misses;
    private long evictions;

    /** A store holding at most {@code maxBytes} ({@code 0}: disabled). */
    public KvCacheStore(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must be >= 0 (0 disables the cache), got " + maxBytes);
        }
        this.maxBytes = maxBytes;
    }

    /** Sends the store's events to {@code listener} from now on (reports the bytes held at once). */
    public synchronized void listener(Listener listener) {
        this.listener = Objects.requireNonNull(listener, "listener");
        listener.bytesHeld(bytesHeld);
    }

    public boolean enabled() {
        return maxBytes > 0;
    }

    public long maxBytes() {
        return maxBytes;
    }

    /**
     * Removes and returns {@code requestId}'s context read by {@code model} if its token ids are a prefix of
     * {@code context} (a hit); otherwise drops any such entry and returns {@code null} (a miss). The caller owns
     * what is returned.
     */
    public synchronized C take(String model, String requestId, int[] context) {
        Objects.requireNonNull(context, "context");
        if (!enabled()) {
            return null;
        }
        C entry = entries.remove(new Key(model, requestId));
        if (entry != null) {
            bytesHeld -= entry.bytes();
            listener.bytesHeld(bytesHeld);
            if (entry.isPrefixOf(context)) {
                hits++;
                listener.hit();
                return entry;
            }
            entry.close();
        }
        misses++;
        listener.miss();
        return null;
    }

    /**
     * Keeps {@code context} as {@code requestId}'s context read by {@code model} (closing the one it replaces), then
     * evicts least recently used entries down to the bound. The store owns {@code context} from now on (it is closed
     * right away when the store is disabled or it alone exceeds the bound).
     */
    public synchronized void put(String model, String requestId, C context) {
        Objects.requireNonNull(context, "context");
        Key key = new Key(Objects.requireNonNull(model, "model"), Objects.requireNonNull(requestId, "requestId"));
        if (!enabled()) {
            context.close();
            return;
        }
        C replaced = entries.remove(key);
        if (replaced != null) {
            bytesHeld -= replaced.bytes();
            replaced.close();
        }
        long bytes = context.bytes();
        if (bytes > maxBytes) {
            context.close();
            evictions++;
            listener.evicted();
            listener.bytesHeld(bytesHeld);
            return;
        }
        entries.put(key, context);
        bytesHeld += bytes;
        Iterator<C> eldest = entries.values().iterator();
        while (bytesHeld > maxBytes) {
            C victim = eldest.next();
            eldest.remove();
            bytesHeld -= victim.bytes();
            victim.close();
            evictions++;
            listener.evicted();
        }
        listener.bytesHeld(bytesHeld);
    }

    /** Drops every context of {@code requestId} (its decoding finished). */
    public synchronized void remove(String requestId) {
        List<Key> keys = new ArrayList<>();
        for (Key key : entries.keySet()) {
            if (key.requestId().equals(requestId)) {
                keys.add(key);
            }
        }
        for (Key key : keys) {
            C entry = entries.remove(key);
            bytesHeld -= entry.bytes();
            entry.close();
        }
        if (!keys.isEmpty()) {
            listener.bytesHeld(bytesHeld);
        }
    }

    /** Bytes of the entries kept (not counting contexts taken and in use). */
    public synchronized long bytesHeld() {
        return bytesHeld;
    }

    /** Entries kept. */
    public synchronized int size() {
        return entries.size();
    }

    /** Whether {@code requestId} has a context read by {@code model} kept. */
    public synchronized boolean contains(String model, String requestId) {
        return entries.containsKey(new Key(model, requestId));
    }

    public synchronized long hits() {
        return hits;
    }

    public synchronized long misses() {
        return misses;
    }

    public synchronized long evictions() {
        return evictions;
    }

    /** Closes every entry kept. */
    @Override
    public synchronized void close() {
        for (Map.Entry<Key, C> e : entries.entrySet()) {
            e.getValue().close();
        }
        entries.clear();
        bytesHeld = 0;
        listener.bytesHeld(0);
    }
}
