package org.alignstream.drills;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.serde.AvroSerde;
import org.apache.kafka.clients.consumer.ConsumerRecord;

/** A probe on the versions of one reward model published on reward-models (read committed, from the beginning). */
final class RewardModelVersions {
    private final AvroSerde<RewardModelVersion> serde = Pipeline.REWARD_MODELS.serde();
    private final CommittedRecords records;
    private final String model;

    RewardModelVersions(Map<String, Object> clientConfig, String model) {
        this.records = new CommittedRecords(clientConfig, Pipeline.REWARD_MODELS);
        this.model = model;
    }

    String model() {
        return model;
    }

    /** Every version of the model published so far. */
    List<RewardModelVersion> published() {
        List<RewardModelVersion> out = new ArrayList<>();
        for (ConsumerRecord<byte[], byte[]> r : records.all()) {
            if (r.value() != null) {
                RewardModelVersion v = serde.decode(r.value());
                if (v.getModelId().equals(model)) {
                    out.add(v);
                }
            }
        }
        return out;
    }

    /** The newest published version, or {@code otherwise} if none was published. */
    long newest(long otherwise) {
        return published().stream().mapToLong(RewardModelVersion::getVersion).max().orElse(otherwise);
    }

    /** The largest {@code examples} figure (examples trained on) among the published versions; 0 if none. */
    double maxExamples() {
        return published().stream().mapToDouble(v -> v.getFigures().getOrDefault("examples", 0.0)).max().orElse(0.0);
    }

    /**
     * Waits for a version numbered {@code atLeast} or higher and returns the newest.
     *
     * @throws IllegalStateException if none is published within the timeout
     */
    long await(long atLeast, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            long v = newest(0);
            if (v >= atLeast) {
                return v;
            }
            Thread.sleep(200);
        }
        throw new IllegalStateException("no version " + atLeast + " of " + model + " published within " + timeout);
    }
}
