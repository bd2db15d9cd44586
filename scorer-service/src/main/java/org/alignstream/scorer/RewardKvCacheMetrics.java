package org.alignstream.scorer;

import java.util.Objects;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.inference.lm.KvCacheStore;

/** The reward models' round cache's events as the scorer's {@code alignstream_reward_kv_cache_*} metrics. */
final class RewardKvCacheMetrics implements KvCacheStore.Listener {

    private final StageMetrics metrics;

    RewardKvCacheMetrics(StageMetrics metrics) {
        this.metrics = Objects.requireNonNull(metrics, "metrics");
    }

    @Override
    public void hit() {
        metrics.rewardKvCacheHit();
    }

    @Override
    public void miss() {
        metrics.rewardKvCacheMiss();
    }

    @Override
    public void evicted() {
        metrics.rewardKvCacheEviction();
    }

    @Override
    public void bytesHeld(long bytes) {
        metrics.rewardKvCacheBytes(bytes);
    }
}
