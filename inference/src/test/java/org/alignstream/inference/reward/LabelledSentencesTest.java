package org.alignstream.inference.reward;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
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

    private static Path styledDir(Path dir) throws Exception {
        Path data = Files.createDirectories(dir.resolve("data"));
        // review: 20 positive, 20 negative; news: 10 and 10
        for (String style : List.of("review", "news")) {
            StringBuilder tsv = new StringBuilder("label\tsentence\n");
            int n = style.equals("review") ? 40 : 20;
            for (int i = 0; i < n; i++) {
                tsv.append(i % 2).append('\t').append(style).append(" sentence ").append(i).append('\n');
            }
            Files.writeString(data.resolve(style + ".tsv"), tsv);
        }
        Files.writeString(dir.resolve("old.tsv"), "label\tsentence\n1\tgood one\n0\tbad one\n");
        return data;
    }

    @Test
    void aSpecReadsDirectoriesByFileNameAndNamedFiles(@TempDir Path dir) throws Exception {
        styledDir(dir);
        LabelledSentences all = LabelledSentences.load("original=old.tsv, data", dir);
        assertThat(all.size()).isEqualTo(62);
        assertThat(all.styleNames()).containsExactly("original", "news", "review"); // directory files in name order
        assertThat(all.ofStyle("news").sentences()).allMatch(s -> s.startsWith("news "));
        assertThat(LabelledSentences.load(dir.resolve("old.tsv")).styleNames()).containsExactly("old");
        assertThatThrownBy(() -> LabelledSentences.load("missing", dir)).hasMessageContaining("neither a file");
        assertThatThrownBy(() -> LabelledSentences.load("x=data", dir)).hasMessageContaining("name a style only");
    }

    @Test
    void splitIsStratifiedByStyleAndLabel(@TempDir Path dir) throws Exception {
        LabelledSentences all = LabelledSentences.load(styledDir(dir).toString(), dir);
        LabelledSentences.Split split = all.split(7, 0.8);
        LabelledSentences heldOut = split.heldOut();
        assertThat(heldOut.size()).isEqualTo(12);
        for (String style : List.of("review", "news")) {
            LabelledSentences part = heldOut.ofStyle(style);
            int positives = java.util.Arrays.stream(part.labels()).sum();
            assertThat(positives).as(style).isEqualTo(style.equals("review") ? 4 : 2);
            assertThat(part.size() - positives).as(style).isEqualTo(style.equals("review") ? 4 : 2);
        }
        assertThat(split.train().ofStyle("news").size()).isEqualTo(16);
    }

    @Test
    void aSingleStyleSplitIsTheLabelStratifiedSplitOfBefore() {
        // the rule of earlier versions, written out: per label shuffle with one Random, cut, then shuffle both parts
        List<String> s = new java.util.ArrayList<>();
        int[] labels = new int[30];
        for (int i = 0; i < 30; i++) {
            s.add("s" + i);
            labels[i] = i % 3 == 0 ? 1 : 0;
        }
        java.util.Random random = new java.util.Random(42);
        List<Integer> train = new java.util.ArrayList<>();
        List<Integer> held = new java.util.ArrayList<>();
        for (int label = 0; label <= 1; label++) {
            List<Integer> idx = new java.util.ArrayList<>();
            for (int i = 0; i < 30; i++) {
                if (labels[i] == label) {
                    idx.add(i);
                }
            }
            java.util.Collections.shuffle(idx, random);
            int cut = (int) Math.round(0.8 * idx.size());
            train.addAll(idx.subList(0, cut));
            held.addAll(idx.subList(cut, idx.size()));
        }
        java.util.Collections.shuffle(train, random);
        java.util.Collections.shuffle(held, random);
        LabelledSentences.Split split = new LabelledSentences(s, labels).split(42, 0.8);
        assertThat(split.train().sentences()).containsExactlyElementsOf(train.stream().map(s::get).toList());
        assertThat(split.heldOut().sentences()).containsExactlyElementsOf(held.stream().map(s::get).toList());
    }

    @Test
    void sampleKeepsStyleAndLabelSharesAndFlipFlipsExactlyTheFraction(@TempDir Path dir) throws Exception {
        LabelledSentences all = LabelledSentences.load(styledDir(dir).toString(), dir);
        LabelledSentences sample = all.sample(12, 3);
        assertThat(sample.size()).isEqualTo(12);
        assertThat(sample.ofStyle("review").size()).isEqualTo(8);
        assertThat(java.util.Arrays.stream(sample.ofStyle("review").labels()).sum()).isEqualTo(4);
        assertThat(java.util.Arrays.stream(sample.ofStyle("news").labels()).sum()).isEqualTo(2);
        assertThat(new HashSet<>(sample.sentences())).hasSize(12);
        assertThat(all.sample(12, 3).sentences()).isEqualTo(sample.sentences());
        // 25 from 60 rows in four groups of 20, 20, 10, 10: quotas 8.33, 8.33, 4.17, 4.17 -> 8, 8, 4, 4 + 1 to the first
        assertThat(all.sample(25, 3).size()).isEqualTo(25);

        LabelledSentences noisy = all.withFlippedLabels(0.3, 5);
        int changed = 0;
        for (int i = 0; i < all.size(); i++) {
            changed += all.labels()[i] != noisy.labels()[i] ? 1 : 0;
        }
        assertThat(changed).isEqualTo(18);
        assertThat(noisy.sentences()).isEqualTo(all.sentences());
    }

    @Test
    void normalisedFormIgnoresCaseAndPunctuation() {
        assertThat(LabelledSentences.normalise("Not bad -- at ALL!")).isEqualTo(LabelledSentences.normalise("not bad at all"));
        assertThat(LabelledSentences.normalise("It's fine.")).isEqualTo("it s fine");
    }
}
