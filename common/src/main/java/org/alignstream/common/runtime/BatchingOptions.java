package org.alignstream.common.runtime;

import java.time.Duration;
import org.alignstream.common.stage.BatchingStage;
import picocli.CommandLine.Option;

/**
 * How a stage that merges the model calls of concurrent requests ({@link BatchingStage}: the scorer, the generator)
 * waits for batch mates (a picocli mixin, {@code @Mixin BatchingOptions batching}): {@code --max-batch-records N}
 * (default 16) and {@code --batch-wait-ms MS} (default 1), each also from its {@code ALIGNSTREAM_*} variable. A stage
 * merges only where its model gives bit-identical results merged and alone; elsewhere each record gets its own call.
 */
public final class BatchingOptions {

    @Option(names = "--max-batch-records", defaultValue = "16", paramLabel = "N",
            description = "Most records of one input topic whose model calls are merged into one padded call, where "
                    + "the model was shown at load to give bit-identical results merged and alone; 1 = one call per "
                    + "record (default: ${DEFAULT-VALUE})")
    int maxRecords;

    @Option(names = "--batch-wait-ms", defaultValue = "1", paramLabel = "MS",
            description = "Interval of the wall-clock punctuation that handles the records waiting for batch mates; "
                    + "Kafka Streams runs it after each round of processed records, so a batch is what one loop "
                    + "iteration brought (default: ${DEFAULT-VALUE})")
    long waitMs;

    /** {@code --max-batch-records}. */
    public int maxRecords() {
        return maxRecords;
    }

    /** {@code --batch-wait-ms}. */
    public long waitMs() {
        return waitMs;
    }

    /** The options of {@link BatchingStage}; bad values throw here. */
    public BatchingStage.Options stageOptions() {
        return new BatchingStage.Options(maxRecords, Duration.ofMillis(waitMs));
    }
}
