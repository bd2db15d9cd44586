package org.alignstream.feedback;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;
import org.alignstream.common.runtime.StreamsCommand;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeedbackServiceTest {

    private static FeedbackService parse(Map<String, String> env, String... args) {
        return StreamsCommand.parse(new FeedbackService(), env, args);
    }

    @Test
    void defaultsPublishEveryHeadInlineWithTargetsSpreadWhollyByAttention() {
        FeedbackService s = parse(Map.of());
        assertThat(s.tokenTargetAttentionShare).isEqualTo(1.0);
        assertThat(s.tokenPriorL2).isEqualTo(10.0);
        assertThat(s.onnx.intraOpThreads()).isEqualTo(1);
        assertThat(s.heads()).isSameAs(HeadPayloads.INLINE);
    }

    @Test
    void tokenTargetAttentionShareFromTheCommandLineOrTheEnvironment() {
        assertThat(parse(Map.of(), "--token-target-attention-share", "0.5").tokenTargetAttentionShare).isEqualTo(0.5);
        assertThat(parse(Map.of("ALIGNSTREAM_TOKEN_TARGET_ATTENTION_SHARE", "0.25")).tokenTargetAttentionShare)
                .isEqualTo(0.25);
    }

    @Test
    void aModelStoreFromTheEnvironmentTakesHeadsOverTheInlineLimit(@TempDir Path dir) throws Exception {
        FeedbackService s = parse(Map.of("ALIGNSTREAM_MODEL_STORE", dir.toString(), "ALIGNSTREAM_INTRA_OP_THREADS", "2"),
                "--inline-head-max-bytes", "100");
        HeadPayloads heads = s.heads();
        assertThat(heads.store().root()).isEqualTo(dir.toRealPath());
        assertThat(heads.inlineMaxBytes()).isEqualTo(100);
        assertThat(s.onnx.intraOpThreads()).isEqualTo(2);
    }
}
