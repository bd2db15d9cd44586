package org.alignstream.generator;

import java.util.Objects;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.inference.lm.KvCacheStore;

/** The round cache's events as the generator's {@code alignstream_kv_cache_*} metrics. */
final class KvCacheMetrics implements KvCacheStore.Listener {

    private final StageMetrics metrics;

    KvCacheMetrics(StageMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public void hit() {
        metrics.kvCacheHit();
    }

    @Override
    public void miss() {
        metrics.kvCacheMiss();
    }

    @Override
    public void evicted() {
        metrics.kvCacheEviction();
    }

    @Override
    public void bytesHeld(long bytes) {
        metrics.kvCacheBytes(bytes);
    }
}
