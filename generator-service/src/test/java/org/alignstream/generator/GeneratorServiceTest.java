package org.alignstream.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.alignstream.common.runtime.StreamsCommand;
import org.alignstream.common.topics.Topics;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class GeneratorServiceTest {

    private static GeneratorService parse(Map<String, String> env, String... args) {
        return StreamsCommand.parse(new GeneratorService(), env, args);
    }

    @Test
    void defaultsMatchRequestLimitsDefaults() {
        GeneratorService s = parse(Map.of());
        assertThat(s.modelDir).isNull();
        assertThat(s.onnx.intraOpThreads()).isEqualTo(1);
        assertThat(s.prependBos).isTrue();
        assertThat(s.limits()).isEqualTo(RequestLimits.defaults());
        assertThat(s.applicationId()).isEqualTo("alignstream-generator");
        assertThat(s.name()).isEqualTo(GeneratorTopology.STAGE);
        assertThat(s.bootstrapServers()).isEqualTo("localhost:9092");
    }

    @Test
    void ownFlags() {
        GeneratorService s = parse(Map.of(), "--model-dir", "/models/gpt2", "--intra-op-threads", "2",
                "--prepend-bos=false", "--max-n", "8", "--max-new-tokens", "100", "--max-prompt-chars", "500",
                "--max-top-k", "40", "--bootstrap-servers", "k:9092");
        assertThat(s.modelDir).isEqualTo(Path.of("/models/gpt2"));
        assertThat(s.onnx.intraOpThreads()).isEqualTo(2);
        assertThat(s.prependBos).isFalse();
        assertThat(s.limits()).isEqualTo(new RequestLimits(8, 100, 500, 40));
        assertThat(s.bootstrapServers()).isEqualTo("k:9092");
    }

    @Test
    void servedRewardModelIdsAreOptional() {
        assertThat(parse(Map.of()).limits().rewardModels()).isEmpty();
        assertThat(parse(Map.of(), "--reward-models", "sentiment,sentiment-partial").limits().rewardModels())
                .containsExactlyInAnyOrder("sentiment", "sentiment-partial");
    }

    @Test
    void ownOptionsComeFromTheEnvironment() {
        Map<String, String> env = Map.of(
                "ALIGNSTREAM_MODEL_DIR", "/env/model",
                "ALIGNSTREAM_INTRA_OP_THREADS", "3",
                "ALIGNSTREAM_PREPEND_BOS", "false",
                "ALIGNSTREAM_MAX_N", "16",
                "ALIGNSTREAM_MAX_NEW_TOKENS", "50",
                "ALIGNSTREAM_MAX_PROMPT_CHARS", "77",
                "ALIGNSTREAM_MAX_TOP_K", "5");
        GeneratorService s = parse(env);
        assertThat(s.modelDir).isEqualTo(Path.of("/env/model"));
        assertThat(s.onnx.intraOpThreads()).isEqualTo(3);
        assertThat(s.prependBos).isFalse();
        assertThat(s.limits()).isEqualTo(new RequestLimits(16, 50, 77, 5));
    }

    @Test
    void flagWinsOverEnvironment() {
        Map<String, String> env = Map.of("ALIGNSTREAM_MAX_N", "16", "ALIGNSTREAM_PREPEND_BOS", "false");
        GeneratorService s = parse(env, "--max-n", "4", "--prepend-bos");
        assertThat(s.limits().maxN()).isEqualTo(4);
        assertThat(s.prependBos).as("--prepend-bos without a value means true").isTrue();
        // a blank variable leaves the annotated default
        assertThat(parse(Map.of("ALIGNSTREAM_MAX_N", " ")).limits().maxN()).isEqualTo(64);
    }

    @Test
    void badValueIsRejectedNamingTheOption() {
        assertThatThrownBy(() -> parse(Map.of(), "--max-n", "many"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--max-n").hasMessageContaining("many");
        assertThatThrownBy(() -> parse(Map.of("ALIGNSTREAM_MAX_TOP_K", "lots")))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--max-top-k").hasMessageContaining("lots");
        assertThatThrownBy(() -> parse(Map.of(), "--no-such-flag"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--no-such-flag");
    }

    @Test
    void helpExitsZeroAndListsTheOptions() {
        StringWriter out = new StringWriter();
        CommandLine cl = StreamsCommand.commandLine(new GeneratorService(), Map.of());
        cl.setOut(new PrintWriter(out));
        int code = cl.execute("--help");
        assertThat(code).isZero();
        assertThat(out.toString())
                .contains("generator-service")
                .contains("Samples N candidate responses per prompt")
                .contains("--model-dir", "--max-n", "--max-new-tokens", "--prepend-bos", "--bootstrap-servers");
    }

    @Test
    void topicsAreThoseItReadsAndWrites() {
        assertThat(parse(Map.of()).stage().topicNames())
                .containsExactly(Topics.PROMPTS, Topics.DECODE_STEPS, Topics.CANDIDATES, Topics.DEAD_LETTERS);
    }
}
