package org.alignstream.inference.reward;

import static org.alignstream.inference.reward.DecoderRewardModelTest.dir;
import static org.assertj.core.api.Assertions.assertThat;

import ai.onnx.proto.OnnxMl;
import com.google.protobuf.ByteString;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link SharedPastCheck}, the gate a converted shared-past graph passes before it is installed. The committed fixtures'
 * {@value DecoderRewardModel#SHARED_PAST_FILE} are what {@code ops/lm-fixtures/hf_shared_past.py} writes from the
 * fixtures' weights saved as transformers checkpoints ({@code make_hf_reward_fixtures.py} asserts the converted graph
 * is byte for byte its direct export), so accepting them is the converter's output checked against {@code model.onnx}.
 * A candidate with one weight matrix transposed (the mistake of copying a GPT-2 {@code Conv1D} weight without
 * transposing it) or of another layout is refused, and the directory keeps no {@value DecoderRewardModel#SHARED_PAST_FILE}.
 */
class SharedPastCheckTest {

    /** The fixture's model.onnx, config.json and tokenizer.json in tmp/name, the candidate beside them as .unverified. */
    private static Path modelDirWithCandidate(String name, Path tmp, byte[] candidate) throws Exception {
        Path copy = Files.createDirectories(tmp.resolve(name));
        for (String f : List.of("model.onnx", "config.json", "tokenizer.json")) {
            Files.copy(dir(name).resolve(f), copy.resolve(f));
        }
        Files.write(copy.resolve(DecoderRewardModel.SHARED_PAST_FILE + SharedPastCheck.UNVERIFIED_SUFFIX), candidate);
        return copy;
    }

    private static Path candidate(Path modelDir) {
        return modelDir.resolve(DecoderRewardModel.SHARED_PAST_FILE + SharedPastCheck.UNVERIFIED_SUFFIX);
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void theConvertedGraphIsInstalledWhenItScoresLikeModelOnnx(String name, @TempDir Path tmp) throws Exception {
        Path modelDir = modelDirWithCandidate(name, tmp,
                Files.readAllBytes(dir(name).resolve(DecoderRewardModel.SHARED_PAST_FILE)));
        SharedPastCheck.Result result = SharedPastCheck.install(modelDir, candidate(modelDir),
                SharedPastCheck.DEFAULT_TOLERANCE);
        System.out.printf("%s: %s%n", name, result);
        assertThat(result.passed()).as("%s", result).isTrue();
        assertThat(result.rounds()).isEqualTo(SharedPastCheck.PREFIXES.size());
        assertThat(result.texts()).isEqualTo(SharedPastCheck.PREFIXES.size() * SharedPastCheck.ENDINGS.size());
        assertThat(result.worstRelative()).isLessThan(DecoderRewardModelTest.PATH_TOLERANCE);
        assertThat(modelDir.resolve(DecoderRewardModel.SHARED_PAST_FILE)).exists();
        assertThat(candidate(modelDir)).doesNotExist();
        try (RewardModel loaded = RewardModels.fromDirectory(modelDir, org.alignstream.inference.onnx.OnnxDevice.CPU, 1,
                ScoredText.RESPONSE)) {
            assertThat(((DecoderRewardModel) loaded).sharedPastScoring()).isTrue();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void aGraphWithATransposedWeightIsRefusedAndNotInstalled(String name, @TempDir Path tmp) throws Exception {
        byte[] wrong = withFirstSquareWeightTransposed(Files.readAllBytes(dir(name).resolve(DecoderRewardModel.SHARED_PAST_FILE)));
        Path modelDir = modelDirWithCandidate(name, tmp, wrong);
        SharedPastCheck.Result result = SharedPastCheck.install(modelDir, candidate(modelDir),
                SharedPastCheck.DEFAULT_TOLERANCE);
        System.out.printf("%s with a transposed weight: %s%n", name, result);
        assertThat(result.passed()).isFalse();
        assertThat(result.rounds()).isEqualTo(SharedPastCheck.PREFIXES.size()); // scored, and the scores differ
        assertThat(result.worstRelative()).isGreaterThan(10 * SharedPastCheck.DEFAULT_TOLERANCE);
        assertThat(result.reason()).contains("differ from model.onnx");
        assertThat(modelDir.resolve(DecoderRewardModel.SHARED_PAST_FILE)).doesNotExist();
        assertThat(candidate(modelDir)).doesNotExist();
    }

    @ParameterizedTest
    @ValueSource(strings = {"gpt2-reward", "llama-reward"})
    void aGraphOfAnotherLayoutIsRefused(String name, @TempDir Path tmp) throws Exception {
        // model.onnx itself: a past per row, not one shared batch-1 past
        Path modelDir = modelDirWithCandidate(name, tmp, Files.readAllBytes(dir(name).resolve("model.onnx")));
        SharedPastCheck.Result result = SharedPastCheck.install(modelDir, candidate(modelDir),
                SharedPastCheck.DEFAULT_TOLERANCE);
        assertThat(result.passed()).isFalse();
        assertThat(result.rounds()).isZero();
        assertThat(result.reason()).contains(DecoderRewardModel.SHARED_PAST_FILE);
        assertThat(modelDir.resolve(DecoderRewardModel.SHARED_PAST_FILE)).doesNotExist();
    }

    /** The model with its first square float initializer (a [d, d] weight) transposed. */
    private static byte[] withFirstSquareWeightTransposed(byte[] model) throws Exception {
        OnnxMl.ModelProto proto = OnnxMl.ModelProto.parseFrom(model);
        OnnxMl.GraphProto.Builder graph = proto.getGraph().toBuilder();
        for (int i = 0; i < graph.getInitializerCount(); i++) {
            OnnxMl.TensorProto t = graph.getInitializer(i);
            if (t.getDataType() == OnnxMl.TensorProto.DataType.FLOAT_VALUE && t.getDimsCount() == 2
                    && t.getDims(0) == t.getDims(1) && t.getDims(0) > 1 && !t.getRawData().isEmpty()) {
                int n = (int) t.getDims(0);
                ByteBuffer in = ByteBuffer.wrap(t.getRawData().toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
                ByteBuffer out = ByteBuffer.allocate(n * n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (int r = 0; r < n; r++) {
                    for (int c = 0; c < n; c++) {
                        out.putFloat((r * n + c) * Float.BYTES, in.getFloat((c * n + r) * Float.BYTES));
                    }
                }
                graph.setInitializer(i, t.toBuilder().setRawData(ByteString.copyFrom(out.array())));
                return proto.toBuilder().setGraph(graph).build().toByteArray();
            }
        }
        throw new AssertionError("no square float initializer in the fixture's graph");
    }
}
