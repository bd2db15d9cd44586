package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ThreadCpuProfileTest {

    @Test
    void groupsThreadsByNameWithoutNumbersIdsOrClientSuffix() {
        assertThat(ThreadCpuProfile.group("data-plane-kafka-request-handler-3")).isEqualTo("data-plane-kafka-request-handler-#");
        assertThat(ThreadCpuProfile.group("kafka-producer-network-thread | alignstream-scorer-1234-StreamThread-1-producer"))
                .isEqualTo("kafka-producer-network-thread");
        assertThat(ThreadCpuProfile.group("alignstream-scorer-0b6f1c2e-9a41-4c55-8e0e-3d2f1a6b7c8d-StreamThread-1"))
                .isEqualTo("alignstream-scorer-#-StreamThread-#");
        assertThat(ThreadCpuProfile.group(null)).isEqualTo("?");
    }

    @Test
    void seesTheCpuTimeSpentByThisThread() {
        ThreadCpuProfile profile = ThreadCpuProfile.start();
        long end = System.nanoTime() + 30_000_000L;
        double x = 0;
        while (System.nanoTime() < end) {
            x += Math.sqrt(x + 1);
        }
        assertThat(x).isPositive();
        assertThat(profile.stop().get(ThreadCpuProfile.group(Thread.currentThread().getName()))).isPositive();
    }
}
