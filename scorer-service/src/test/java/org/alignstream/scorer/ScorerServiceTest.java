package org.alignstream.scorer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.alignstream.common.runtime.StreamsCommand;
import org.alignstream.common.topics.Topics;
import org.alignstream.inference.onnx.OnnxModelException;
import org.alignstream.inference.reward.ScoredText;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class ScorerServiceTest {

    /**
     * Options that keep {@link StreamsCommand#start()} away from any network: an unreachable bootstrap server, no HTTP
     * server and no topic creation. A device error is raised by onStart, before Kafka is touched.
     */
    private static final String[] OFFLINE = {"--bootstrap-servers", "127.0.0.1:1", "--http-port", "-1",
        "--create-topics=false", "--close-timeout-ms", "1000"};

    private static ScorerService parse(Map<String, String> env, String... args) {
        return StreamsCommand.parse(new ScorerService(), env, args);
    }

    private static String[] offline(String... args) {
        String[] all = new String[OFFLINE.length + args.length];
        System.arraycopy(OFFLINE, 0, all, 0, OFFLINE.length);
        System.arraycopy(args, 0, all, OFFLINE.length, args.length);
        return all;
    }

    @Test
    void defaults() {
        ScorerService s = parse(Map.of());
        assertThat(s.device).isEqualTo("cpu");
        assertThat(s.rewardModelDir).isNull();
        assertThat(s.onnx.intraOpThreads()).isEqualTo(1);
        assertThat(s.scoredText).isEqualTo(ScoredText.RESPONSE);
        assertThat(s.applicationId()).isEqualTo("alignstream-scorer");
        assertThat(s.name()).isEqualTo(ScorerTopology.STAGE);
        assertThat(s.stage().topicNames()).containsExactly(Topics.CANDIDATES, Topics.REWARD_MODELS, Topics.SCORED_CANDIDATES,
                Topics.DEAD_LETTERS);
        assertThat(s.tokenCredit).isTrue();
        assertThat(s.denseCreditBeta).isEqualTo(0.5);
        assertThat(s.denseCreditRow).isEqualTo(org.alignstream.inference.reward.AttentionCredit.Row.MEAN_OVER_QUERIES);
    }

    @Test
    void batchingFlagsFromTheCommandLineOrTheEnvironment() {
        assertThat(parse(Map.of()).batching()).isEqualTo(ScorerConfig.Batching.DEFAULT);
        assertThat(ScorerConfig.Batching.DEFAULT).isEqualTo(new ScorerConfig.Batching(16, 1));
        assertThat(parse(Map.of(), "--max-batch-records", "4", "--batch-wait-ms", "3").batching())
                .isEqualTo(new ScorerConfig.Batching(4, 3));
        ScorerService env = parse(Map.of("ALIGNSTREAM_MAX_BATCH_RECORDS", "1", "ALIGNSTREAM_BATCH_WAIT_MS", "5"));
        assertThat(env.batching()).isEqualTo(new ScorerConfig.Batching(1, 5));
        assertThat(env.batching().enabled()).isFalse();

        ScorerService bad = parse(Map.of(), offline("--max-batch-records", "0"));
        assertThatThrownBy(bad::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("max batch records and batch wait ms must be >= 1, were 0 and 1");
        assertThat(bad.rewardModel()).as("nothing was loaded").isNull();
    }

    @Test
    void creditFlagsAndABadBetaFailsAtStart() {
        ScorerService flags = parse(Map.of(), "--token-credit=false", "--dense-credit-beta", "0.8");
        assertThat(flags.tokenCredit).isFalse();
        assertThat(flags.denseCreditBeta).isEqualTo(0.8);
        assertThat(parse(Map.of(), "--dense-credit-row", "LAST_RESPONSE_TOKEN").denseCreditRow)
                .isEqualTo(org.alignstream.inference.reward.AttentionCredit.Row.LAST_RESPONSE_TOKEN);
        ScorerService env = parse(Map.of("ALIGNSTREAM_TOKEN_CREDIT", "false", "ALIGNSTREAM_DENSE_CREDIT_BETA", "1"));
        assertThat(env.tokenCredit).isFalse();
        assertThat(env.denseCreditBeta).isEqualTo(1.0);

        ScorerService bad = parse(Map.of(), offline("--dense-credit-beta", "1.5"));
        assertThatThrownBy(bad::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("credit beta must be in [0, 1], was 1.5");
        assertThat(bad.rewardModel()).as("nothing was loaded").isNull();
    }

    @Test
    void ownFlagsAndTheirEnvironmentVariables() {
        ScorerService flags = parse(Map.of(), "--device", "cuda:1", "--reward-model-dir", "/rm",
                "--intra-op-threads", "2", "--scored-text", "PROMPT_AND_RESPONSE");
        assertThat(flags.device).isEqualTo("cuda:1");
        assertThat(flags.rewardModelDir).isEqualTo(Path.of("/rm"));
        assertThat(flags.onnx.intraOpThreads()).isEqualTo(2);
        assertThat(flags.scoredText).isEqualTo(ScoredText.PROMPT_AND_RESPONSE);

        ScorerService env = parse(Map.of("ALIGNSTREAM_DEVICE", "cuda:2", "ALIGNSTREAM_REWARD_MODEL_DIR", "/env-rm",
                "ALIGNSTREAM_INTRA_OP_THREADS", "4", "ALIGNSTREAM_SCORED_TEXT", "PROMPT_AND_RESPONSE"));
        assertThat(env.device).isEqualTo("cuda:2");
        assertThat(env.rewardModelDir).isEqualTo(Path.of("/env-rm"));
        assertThat(env.onnx.intraOpThreads()).isEqualTo(4);
        assertThat(env.scoredText).isEqualTo(ScoredText.PROMPT_AND_RESPONSE);

        assertThat(parse(Map.of("ALIGNSTREAM_DEVICE", "cuda:2"), "--device", "cpu").device).isEqualTo("cpu");
    }

    @Test
    void cudaDeviceFailsAtStartWithoutACudaProvider() {
        ScorerService s = parse(Map.of(), offline("--device", "cuda:0"));
        assertThatThrownBy(s::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageStartingWith("stage scorer could not start: ")
                .hasMessageContaining("cuda:0")
                .hasMessageContaining("no CUDA execution provider")
                .hasMessageContaining("-Pcuda")
                .hasRootCauseInstanceOf(OnnxModelException.class);
        assertThat(s.rewardModel()).as("nothing was loaded").isNull();
    }

    @Test
    void unknownDeviceIsRejectedWithTheAcceptedForms() {
        ScorerService s = parse(Map.of(), offline("--device", "gpu"));
        assertThatThrownBy(s::start)
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("Unknown ONNX device 'gpu'")
                .hasMessageContaining("expected 'cpu', 'cuda' or 'cuda:N'")
                .hasRootCauseInstanceOf(IllegalArgumentException.class);
        assertThat(s.rewardModel()).isNull();
    }

    @Test
    void unknownScoredTextIsRejectedAtParseTime() {
        assertThatThrownBy(() -> parse(Map.of(), "--scored-text", "BOTH"))
                .isInstanceOf(CommandLine.ParameterException.class)
                .hasMessageContaining("--scored-text")
                .hasMessageContaining("RESPONSE")
                .hasMessageContaining("BOTH");
    }

    @Test
    void helpExitsZeroAndListsTheOptions() {
        StringWriter out = new StringWriter();
        CommandLine cl = StreamsCommand.commandLine(new ScorerService(), Map.of());
        cl.setOut(new PrintWriter(out));
        assertThat(cl.execute("--help")).isZero();
        assertThat(out.toString()).contains("scorer-service", "--device", "--reward-model-dir", "--scored-text",
                "--token-credit", "--dense-credit-beta");
    }
}
