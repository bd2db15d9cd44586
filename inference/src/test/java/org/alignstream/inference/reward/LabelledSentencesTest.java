package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LabelledSentencesTest {

    @Test
    void splitIsDeterministicStratifiedAndDisjoint(@TempDir Path dir) throws Exception {
        StringBuilder tsv = new StringBuilder("label\tsentence\n");
        for (int i = 0; i < 50; i++) {
            tsv.append(i % 5 == 0 ? 1 : 0).append("\tsentence ").append(i).append('\n');
        }
        Path file = dir.resolve("s.tsv");
        Files.writeString(file, tsv);
        LabelledSentences all = LabelledSentences.load(file);
        assertThat(all.size()).isEqualTo(50);
        LabelledSentences.Split a = all.split(42, 0.8);
        LabelledSentences.Split b = all.split(42, 0.8);
        assertThat(a.train().sentences()).isEqualTo(b.train().sentences());
        assertThat(a.train().size()).isEqualTo(40);
        assertThat(java.util.Arrays.stream(a.heldOut().labels()).sum()).isEqualTo(2); // 20% of the 10 positives
        Set<String> seen = new HashSet<>(a.train().sentences());
        a.heldOut().sentences().forEach(s -> assertThat(seen.add(s)).isTrue());
        assertThat(seen).hasSize(50);
        assertThat(all.split(43, 0.8).train().sentences()).isNotEqualTo(a.train().sentences());
    }

    @Test
    void malformedLinesAreReported(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.tsv");
        Files.writeString(file, "1\tfine\n2\tbad label\n");
        assertThatThrownBy(() -> LabelledSentences.load(file))
                .hasMessageContaining("line 2: expected '<0|1><TAB><sentence>', got '2\tbad label'");
    }
}
