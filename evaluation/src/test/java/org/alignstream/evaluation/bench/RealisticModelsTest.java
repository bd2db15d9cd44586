package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RealisticModelsTest {

    @TempDir
    Path root;

    /** A repository root with the four inputs and complete model directories, stamped as the script stamps them. */
    private RealisticModels complete() throws Exception {
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (String input : RealisticModels.INPUTS) {
            Path p = root.resolve(input);
            Files.createDirectories(p.getParent());
            Files.writeString(p, "contents of " + input);
            sha.update(Files.readAllBytes(p));
        }
        RealisticModels m = new RealisticModels(root, root.resolve("ops/.run/realistic"));
        for (Path dir : new Path[] {m.lmDir(), m.rewardDir()}) {
            Files.createDirectories(dir);
            for (String f : new String[] {"model.onnx", "config.json", "tokenizer.json"}) {
                Files.writeString(dir.resolve(f), "x");
            }
        }
        Files.writeString(m.rewardDir().resolve(RealisticModels.SHARED_PAST_FILE), "x");
        Files.writeString(m.out().resolve("STAMP"), HexFormat.of().formatHex(sha.digest()) + "\n");
        return m;
    }

    @Test
    void currentWhenFilesAndStampMatchTheInputs() throws Exception {
        assertThat(complete().staleReason()).isNull();
    }

    @Test
    void staleWhenAnInputChanges() throws Exception {
        RealisticModels m = complete();
        Files.writeString(root.resolve("ops/lm-fixtures/make_hf_decoder_fixtures.py"), "changed");
        assertThat(m.staleReason()).contains("changed since");
    }

    @Test
    void staleWhenAModelFileOrTheStampIsMissing() throws Exception {
        RealisticModels m = complete();
        Files.delete(m.rewardDir().resolve("model.onnx"));
        assertThat(m.staleReason()).contains("reward").contains("model.onnx is missing");

        RealisticModels s = complete();
        Files.delete(s.rewardDir().resolve(RealisticModels.SHARED_PAST_FILE));
        assertThat(s.staleReason()).contains("reward").contains("model_shared_past.onnx is missing");

        RealisticModels n = complete();
        Files.delete(n.out().resolve("STAMP"));
        assertThat(n.staleReason()).contains("STAMP is missing");
    }

    @Test
    void theStampIsTheShaOfTheInputsReadInOrder() throws Exception {
        RealisticModels m = complete();
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update(String.join("", RealisticModels.INPUTS.stream().map(i -> "contents of " + i).toList()).getBytes());
        assertThat(m.expectedStamp()).isEqualTo(HexFormat.of().formatHex(sha.digest()));
    }
}
