package org.alignstream.common.models;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.alignstream.avro.RewardModelVersion;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelStoreTest {
    @TempDir
    Path dir;

    private static RewardModelVersion.Builder version(long v) {
        return RewardModelVersion.newBuilder().setModelId("sentiment").setVersion(v).setKind("full-sequence")
                .setBackbone("b").setFigures(Map.of());
    }

    @Test
    void writesAtomicallyUnderModelAndVersionAndReadsBack() throws Exception {
        ModelStore store = ModelStore.at(dir.resolve("store"));
        byte[] payload = {1, 2, 3, 4, 5};
        URI uri = store.write("sentiment", 7, payload);
        assertThat(Path.of(uri)).isEqualTo(store.root().resolve("sentiment/7/head.onnx"));
        assertThat(store.read(uri.toString(), 5)).containsExactly(payload);
        try (var files = Files.list(store.root().resolve("sentiment/7"))) {
            assertThat(files).as("no temporary file left").hasSize(1);
        }
        // a rewrite replaces it
        store.write("sentiment", 7, new byte[] {9});
        assertThat(store.read(uri.toString(), 5)).containsExactly(9);
    }

    @Test
    void refusesWhatIsOutsideTheStoreTooLargeMissingOrNotAFileUri() throws Exception {
        ModelStore store = ModelStore.at(dir.resolve("store"));
        URI uri = store.write("sentiment", 2, new byte[100]);
        Path outside = Files.write(dir.resolve("outside.onnx"), new byte[10]);
        assertThatThrownBy(() -> store.read(uri.toString(), 99)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("100 bytes, over the limit of 99");
        assertThatThrownBy(() -> store.read(outside.toUri().toString(), 1000))
                .hasMessageContaining("outside the model store");
        assertThatThrownBy(() -> store.read(store.root().toUri() + "sentiment/../../outside.onnx", 1000))
                .hasMessageContaining("outside the model store");
        Path link = Files.createSymbolicLink(store.root().resolve("sentiment/link.onnx"), outside);
        assertThatThrownBy(() -> store.read(link.toUri().toString(), 1000)).hasMessageContaining("leads outside");
        assertThatThrownBy(() -> store.read(store.root().toUri() + "sentiment/9/head.onnx", 1000))
                .hasMessageContaining("no such file");
        assertThatThrownBy(() -> store.read(store.root().toUri() + "sentiment/2", 1000))
                .hasMessageContaining("is not a file");
        assertThatThrownBy(() -> store.read("http://example.org/head.onnx", 1000)).hasMessageContaining("not a plain file:");
        assertThatThrownBy(() -> store.read("file://host" + uri.getPath(), 1000)).hasMessageContaining("not a plain file:");
        assertThatThrownBy(() -> store.read("::not a uri", 1000)).hasMessageContaining("is not a URI");
        assertThatThrownBy(() -> store.write("../escape", 1, new byte[1])).hasMessageContaining("cannot name");
        assertThatThrownBy(() -> store.write("sentiment", -1, new byte[1])).hasMessageContaining("version");
    }

    @Test
    void payloadIsTheInlineBytesOrTheStoredFileExactlyOneOfThem() {
        ModelStore store = ModelStore.at(dir.resolve("store"));
        URI uri = store.write("sentiment", 3, new byte[] {7, 7});
        RewardModelVersion inline = version(2).setHeadOnnx(ByteBuffer.wrap(new byte[] {1, 2})).build();
        RewardModelVersion stored = version(3).setUri(uri.toString()).build();
        assertThat(ModelStore.payload(inline, null, 10)).containsExactly(1, 2);
        assertThat(ModelStore.payload(stored, store, 10)).containsExactly(7, 7);
        assertThatThrownBy(() -> ModelStore.payload(stored, null, 10)).hasMessageContaining("has no --model-store");
        assertThatThrownBy(() -> ModelStore.payload(inline, null, 1)).hasMessageContaining("over the limit of 1");
        assertThatThrownBy(() -> ModelStore.payload(version(4).build(), store, 10))
                .hasMessageContaining("neither head bytes nor a uri");
        assertThatThrownBy(() -> ModelStore.payload(version(5).setHeadOnnx(ByteBuffer.wrap(new byte[1]))
                .setUri(uri.toString()).build(), store, 10)).hasMessageContaining("both");
    }
}
