package org.alignstream.inference.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeFalse;

import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class OrtSessionsTest {

    @Test
    void cpuIsTheDefaultAndOpensModels() throws Exception {
        OrtSessions sessions = new OrtSessions(OnnxDevice.parse("cpu"), 1);
        assertThat(sessions.device()).isEqualTo(OnnxDevice.CPU);
        try (OrtSession fromPath = sessions.open(Fixtures.fixture("tiny-classifier/model.onnx"));
             OrtSession fromBytes = sessions.open(Files.readAllBytes(Fixtures.fixture("two-logits.onnx")))) {
            assertThat(fromPath.getInputNames()).containsExactlyInAnyOrder("input_ids", "attention_mask", "token_type_ids");
            assertThat(fromBytes.getOutputNames()).containsExactly("logits");
        }
        assertThat(OrtSessions.cpu(2).intraOpThreads()).isEqualTo(2);
    }

    @Test
    void cudaWithoutCudaProviderFailsAtStartup() {
        assumeFalse(OrtSessions.availableProviders().contains(OrtProvider.CUDA), "this build has CUDA");
        assertThatThrownBy(() -> new OrtSessions(OnnxDevice.parse("cuda:0"), 1))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageStartingWith("Device cuda:0 requested but this ONNX Runtime build has no CUDA execution provider"
                        + " (available: [")
                .hasMessageContaining("CPU")
                .hasMessageEndingWith("Build with -Pcuda (onnxruntime_gpu) and run on a node with a CUDA GPU.");
    }

    @Test
    void providerCheckNamesWhatIsAvailable() {
        assertThatThrownBy(() -> OrtSessions.requireProvider(OnnxDevice.cuda(1), EnumSet.of(OrtProvider.CPU)))
                .hasMessage("Device cuda:1 requested but this ONNX Runtime build has no CUDA execution provider"
                        + " (available: [CPU]). Build with -Pcuda (onnxruntime_gpu) and run on a node with a CUDA GPU.");
        OrtSessions.requireProvider(OnnxDevice.cuda(1), EnumSet.of(OrtProvider.CPU, OrtProvider.CUDA));
        OrtSessions.requireProvider(OnnxDevice.CPU, EnumSet.of(OrtProvider.CPU));
    }

    @Test
    void rejectsCorruptAndMissingModels(@TempDir Path dir) throws Exception {
        OrtSessions sessions = OrtSessions.cpu(1);
        Path corrupt = dir.resolve("corrupt.onnx");
        Files.writeString(corrupt, "this is not a protobuf", StandardCharsets.UTF_8);
        assertThatThrownBy(() -> sessions.open(corrupt))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("Cannot load ONNX model " + corrupt.toAbsolutePath() + " on cpu");
        byte[] truncated = java.util.Arrays.copyOf(Files.readAllBytes(Fixtures.fixture("two-logits.onnx")), 3000);
        assertThatThrownBy(() -> sessions.open(truncated, "truncated.onnx"))
                .isInstanceOf(OnnxModelException.class)
                .hasMessageContaining("Cannot load ONNX model truncated.onnx (3000 bytes) on cpu");
        assertThatThrownBy(() -> sessions.open(dir.resolve("absent.onnx")))
                .hasMessageContaining("ONNX model file not found: " + dir.resolve("absent.onnx").toAbsolutePath());
        assertThatThrownBy(() -> sessions.open(new byte[0], "empty")).hasMessageContaining("ONNX model empty is empty");
        assertThatThrownBy(() -> new OrtSessions(OnnxDevice.CPU, 0)).hasMessageContaining("intraOpThreads must be >= 1");
    }

    @Test
    void modelCheckListsWhatWasFound() throws Exception {
        try (OrtSession session = OrtSessions.cpu(1).open(Fixtures.fixture("no-token-types.onnx"))) {
            OnnxModelCheck.requireInputs(session, "tiny", List.of("input_ids", "attention_mask"), List.of("token_type_ids"));
            OnnxModelCheck.requireOutputs(session, "tiny", List.of("logits"));
            assertThat(OnnxModelCheck.shape(session, "tiny", "logits")).containsExactly(-1, 1);
            assertThatThrownBy(() -> OnnxModelCheck.requireInputs(session, "tiny",
                    List.of("input_ids", "attention_mask", "token_type_ids"), List.of()))
                    .isInstanceOf(OnnxModelException.class)
                    .hasMessage("ONNX model tiny has inputs [attention_mask, input_ids] but is missing required"
                            + " [token_type_ids] (expected [attention_mask, input_ids, token_type_ids])");
            assertThatThrownBy(() -> OnnxModelCheck.requireInputs(session, "tiny", List.of("input_ids"), List.of()))
                    .hasMessageContaining("has unsupported [attention_mask]");
            assertThatThrownBy(() -> OnnxModelCheck.requireOutputs(session, "tiny", List.of("last_hidden_state")))
                    .hasMessage("ONNX model tiny has outputs [logits] but is missing required [last_hidden_state]");
            assertThatThrownBy(() -> OnnxModelCheck.shape(session, "tiny", "nope"))
                    .hasMessageContaining("has no input or output named 'nope'");
        }
    }
}
