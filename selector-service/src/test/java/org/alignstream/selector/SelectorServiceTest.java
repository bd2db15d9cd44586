package org.alignstream.selector;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Map;
import org.alignstream.common.runtime.StreamsCommand;
import org.alignstream.common.topics.Topics;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class SelectorServiceTest {

    @Test
    void defaultsAndEnvironment() {
        SelectorService s = StreamsCommand.parse(new SelectorService(), Map.of());
        assertThat(s.applicationId()).isEqualTo("alignstream-selector");
        assertThat(s.name()).isEqualTo(SelectorTopology.STAGE);
        assertThat(s.stage().topicNames())
                .containsExactly(Topics.SCORED_CANDIDATES, Topics.ALIGNED_RESPONSES, Topics.DECODE_STEPS, Topics.DEAD_LETTERS);
        SelectorService env = StreamsCommand.parse(new SelectorService(),
                Map.of("ALIGNSTREAM_APPLICATION_ID", "sel-2", "ALIGNSTREAM_BOOTSTRAP_SERVERS", "k:9092"));
        assertThat(env.applicationId()).isEqualTo("sel-2");
        assertThat(env.bootstrapServers()).isEqualTo("k:9092");
    }

    @Test
    void helpExitsZero() {
        StringWriter out = new StringWriter();
        CommandLine cl = StreamsCommand.commandLine(new SelectorService(), Map.of());
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("--help")).isZero();
        assertThat(out.toString()).contains("selector-service", "Chooses one candidate per prompt",
                "--bootstrap-servers");
    }
}
