package org.alignstream.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import org.alignstream.avro.RewardModelVersion;
import org.alignstream.inference.reward.HeadMetadata;
import org.alignstream.inference.reward.LinearHead;
import org.alignstream.inference.reward.RewardHeadOnnx;
import org.junit.jupiter.api.Test;

class RewardModelToolTest {

    private static RewardModelVersion version(String model, long v, double w) {
        LinearHead head = new LinearHead(new double[] {w, -w}, 0.5, new HeadMetadata(model, Long.toString(v),
                "full-sequence", 2, "enc"));
        return RewardModelVersion.newBuilder().setModelId(model).setVersion(v).setParentVersion(v - 1)
                .setKind("full-sequence").setBackbone("enc").setFigures(Map.of("examples", 10.0 * v))
                .setHeadOnnx(ByteBuffer.wrap(RewardHeadOnnx.write(head))).build();
    }

    @Test
    void rollbackRepublishesTheGoodHeadAsTheNewestVersionWithItsOwnNumberInside() {
        List<RewardModelVersion> versions = List.of(version("sentiment", 2, 1.0), version("sentiment", 3, 2.0),
                version("sentiment", 4, 3.0), version("other", 9, 4.0));
        RewardModelVersion r = RewardModelTool.rollback(versions, "sentiment", 3, 123L);
        assertThat(r.getVersion()).isEqualTo(5);
        assertThat(r.getParentVersion()).isEqualTo(3);
        assertThat(r.getCreatedAtMs()).isEqualTo(123L);
        assertThat(r.getFigures()).containsEntry("rollback_of", 3.0).containsEntry("examples", 30.0);
        byte[] bytes = new byte[r.getHeadOnnx().remaining()];
        r.getHeadOnnx().get(bytes);
        LinearHead head = RewardHeadOnnx.read(bytes, "rollback");
        assertThat(head.metadata().version()).as("scorers check the head's own version").isEqualTo("5");
        assertThat(head.weights()).containsExactly(2.0, -2.0);
        assertThatThrownBy(() -> RewardModelTool.rollback(versions, "sentiment", 7, 0L))
                .hasMessageContaining("no version 7 of sentiment");
    }

    @Test
    void rollbackOfAVersionInTheModelStoreWritesItsRenumberedHeadThere(@org.junit.jupiter.api.io.TempDir
                                                                         java.nio.file.Path dir) {
        org.alignstream.common.models.ModelStore store = org.alignstream.common.models.ModelStore.at(dir);
        RewardModelVersion inline = version("sentiment", 2, 1.0);
        byte[] bytes = new byte[inline.getHeadOnnx().remaining()];
        inline.getHeadOnnx().duplicate().get(bytes);
        RewardModelVersion stored = RewardModelVersion.newBuilder(inline).setHeadOnnx(null)
                .setUri(store.write("sentiment", 2, bytes).toString()).build();
        List<RewardModelVersion> versions = List.of(stored, version("sentiment", 3, 2.0));
        assertThatThrownBy(() -> RewardModelTool.rollback(versions, "sentiment", 2, 0L))
                .hasMessageContaining("has no --model-store");
        RewardModelVersion r = RewardModelTool.rollback(versions, "sentiment", 2, 0L, store);
        assertThat(r.getVersion()).isEqualTo(4);
        assertThat(r.getHeadOnnx()).isNull();
        assertThat(r.getUri()).endsWith("/sentiment/4/head.onnx");
        LinearHead head = RewardHeadOnnx.read(store.read(r.getUri(), 1 << 20), "rollback");
        assertThat(head.metadata().version()).isEqualTo("4");
        assertThat(head.weights()).containsExactly(1.0, -1.0);
    }
}
