package org.alignstream.selector;

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
    protected String defaultApplicationId() {
        return "alignstream-selector";
    }

    @Override
    protected String stageName() {
        return SelectorTopology.STAGE;
    }

    @Override
    protected Collection<String> topics() {
        return List.of(Topics.SCORED_CANDIDATES, Topics.ALIGNED_RESPONSES, Topics.DECODE_STEPS);
    }

    public static void main(String[] args) {
        System.exit(execute(new SelectorService(), args));
    }
}
