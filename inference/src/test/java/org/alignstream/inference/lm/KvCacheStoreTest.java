package org.alignstream.inference.lm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The byte-bounded LRU store of cached contexts, with contexts read by the REAL bundled lm-austen. */
class KvCacheStoreTest {

    private static CausalLm lm;
    private static CandidateGenerator generator;

    @BeforeAll
    static void load() throws Exception {
        lm = CausalLm.fromClasspath(TestModel.DIR, 1);
        generator = new CandidateGenerator(lm);
    }

    @AfterAll
    static void close() throws Exception {
        lm.close();
    }

    private static int[] tokens(int n, int offset) {
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = (offset + 7 * i) % 4000;
        }
        return out;
    }

    private static CachedContext read(int n, int offset) throws Exception {
        return generator.context(tokens(n, offset), null);
    }

    /** Records the events the store reports. */
    private static final class Events implements KvCacheStore.Listener {
        final List<Long> bytes = new ArrayList<>();
        int hits;
        int misses;
        int evicted;

        @Override
        public void hit() {
            hits++;
        }

        @Override
        public void miss() {
            misses++;
        }

        @Override
        public void evicted() {
            evicted++;
        }

        @Override
        public void bytesHeld(long b) {
            bytes.add(b);
        }
    }

    @Test
    void bytesHeldNeverExceedTheBoundAndTheLeastRecentlyUsedGoFirst() throws Exception {
        long oneContext;
        try (CachedContext probe = read(20, 0)) {
            oneContext = probe.bytes();
        }
        assertThat(oneContext).isEqualTo(probe20Bytes());
        KvCacheStore<CachedContext> store = new KvCacheStore<>(oneContext * 5 / 2); // room for two 20-token contexts
        Events events = new Events();
        store.listener(events);
        store.put("m", "a", read(20, 1));
        store.put("m", "b", read(20, 2));
        assertThat(store.size()).isEqualTo(2);
        // using a makes it the most recently used: c evicts b, not a
        CachedContext a = store.take("m", "a", tokens(21, 1));
        assertThat(a).isNotNull();
        store.put("m", "a", generator.context(tokens(21, 1), a));
        store.put("m", "c", read(20, 3));
        assertThat(store.contains("m", "a")).isTrue();
        assertThat(store.contains("m", "b")).isFalse();
        assertThat(store.contains("m", "c")).isTrue();
        assertThat(store.evictions()).isEqualTo(1);
        // a context larger than the bound is not kept
        store.put("m", "d", read(60, 4));
        assertThat(store.contains("m", "d")).isFalse();
        assertThat(store.evictions()).isEqualTo(2);
        for (int i = 0; i < 20; i++) {
            store.put("m", "r" + i, read(5 + i % 15, i));
            assertThat(store.bytesHeld()).isLessThanOrEqualTo(store.maxBytes());
        }
        assertThat(events.bytes).allSatisfy(b -> assertThat(b).isBetween(0L, store.maxBytes()));
        assertThat(events.bytes.get(events.bytes.size() - 1)).isEqualTo(store.bytesHeld());
        assertThat(events.evicted).isEqualTo((int) store.evictions());
        store.close();
        assertThat(store.bytesHeld()).isZero();
        assertThat(store.size()).isZero();
    }

    private static long probe20Bytes() {
        // 2 (key, value) x layers x heads x 20 positions x headDim floats, the logits, the token ids
        return 2L * lm.numLayers() * lm.numHeads() * 20 * lm.headDim() * Float.BYTES
                + (long) lm.vocabSize() * Float.BYTES + 20L * Integer.BYTES;
    }

    @Test
    void onlyAContextWhoseTokensArePrefixOfTheRoundsIsAHit() throws Exception {
        KvCacheStore<CachedContext> store = new KvCacheStore<>(64L << 20);
        Events events = new Events();
        store.listener(events);
        store.put("m", "a", read(10, 1));
        assertThat(store.take("m", "a", tokens(12, 1))).isNotNull().satisfies(CachedContext::close);
        store.put("m", "a", read(10, 1));
        int[] forked = tokens(12, 1);
        forked[4]++;
        assertThat(store.take("m", "a", forked)).isNull(); // another response: dropped
        assertThat(store.contains("m", "a")).isFalse();
        assertThat(store.take("m", "a", tokens(12, 1))).isNull(); // nothing kept
        store.put("m", "a", read(10, 1));
        assertThat(store.take("other-model", "a", tokens(12, 1))).isNull(); // another model's key
        assertThat(store.take("m", "b", tokens(12, 1))).isNull();
        assertThat(events.hits).isEqualTo(1);
        assertThat(events.misses).isEqualTo(4);
        assertThat(store.hits()).isEqualTo(1);
        assertThat(store.misses()).isEqualTo(4);
        // remove drops every model's context of a request
        store.put("baseline", "a", read(10, 1));
        store.remove("a");
        assertThat(store.size()).isZero();
        assertThat(store.bytesHeld()).isZero();
        store.close();
    }

    @Test
    void aZeroBoundDisablesTheStore() throws Exception {
        KvCacheStore<CachedContext> store = new KvCacheStore<>(0);
        assertThat(store.enabled()).isFalse();
        CachedContext context = read(10, 1);
        store.put("m", "a", context);
        assertThatThrownBy(() -> context.cache().key(0)).isInstanceOf(IllegalStateException.class); // closed
        assertThat(store.take("m", "a", tokens(10, 1))).isNull();
        assertThat(store.misses()).isZero();
        assertThat(store.bytesHeld()).isZero();
        assertThatThrownBy(() -> new KvCacheStore<CachedContext>(-1)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("0 disables");
    }
}
