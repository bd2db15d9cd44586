package org.alignstream.selector;

import org.alignstream.common.pipeline.Pipeline;
import org.alignstream.common.pipeline.StageSpec;
import java.util.Collection;
import java.util.List;
import org.alignstream.common.observability.StageMetrics;
import org.alignstream.common.runtime.StreamsCommand;
import org.alignstream.common.topics.Topics;
import org.apache.kafka.streams.Topology;
import picocli.CommandLine.Command;

/** selector-service: scored-candidates → aligned-responses. */
@Command(name = "selector-service", description = "Chooses one candidate per prompt or per decoding round "
        + "(scored-candidates -> aligned-responses, decode-steps).")
public final class SelectorService extends StreamsCommand {

    @Override
    protected Topology buildTopology(StageMetrics metrics) {
        return SelectorTopology.build(metrics);
    }

    @Override
    protected StageSpec stage() {
        return Pipeline.SELECTOR;
    }

    public static void main(String[] args) {
        System.exit(execute(new SelectorService(), args));
    }
}
