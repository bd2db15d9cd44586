package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class KvCacheBoundTest {

    @Test
    void gpt2SmallHoldsSeventyTwoKibPerToken() {
        KvCacheBound gpt2 = new KvCacheBound(12, 12, 64);
        assertThat(gpt2.bytesPerToken()).isEqualTo(2L * 12 * 12 * 64 * 4).isEqualTo(73_728L);
        assertThat(gpt2.bytesPerRequest(1024)).isEqualTo(72L << 20);
        assertThat(gpt2.requestsWithin(256L << 20, 1024)).isEqualTo(3); // 3 x 72 MiB fit in 256 MiB, 4 do not
        assertThat(gpt2.requestsWithin(256L << 20, 32)).isEqualTo((256L << 20) / (73_728L * 32));
    }

    @Test
    void groupedQueryAttentionCountsKeyValueHeads() {
        assertThat(new KvCacheBound(2, 2, 8).bytesPerToken()).isEqualTo(2 * 2 * 2 * 8 * 4);
    }

    @Test
    void rejectsNonsense() {
        assertThatThrownBy(() -> new KvCacheBound(0, 12, 64)).hasMessageContaining(">= 1");
        assertThatThrownBy(() -> new KvCacheBound(12, 12, 64).bytesPerRequest(-1)).hasMessageContaining(">= 0");
        assertThatThrownBy(() -> new KvCacheBound(12, 12, 64).requestsWithin(1, 0)).hasMessageContaining(">= 1");
    }
}
