package org.alignstream.training.reward;

import org.alignstream.inference.reward.LabelledSentences;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Checks the labelled sentiment data the reward models are trained on (training/data/sentiment, see its READMEs):
 * every file parses and is balanced, the proxy set (proxy/*.tsv plus the original models/reward-sentiment/sentences.tsv)
 * holds no sentence twice, the gold set neither, and NO sentence of the gold set is in the proxy set, all compared in
 * {@link LabelledSentences#normalise normalised} form (case and punctuation ignored). The gold model is only an
 * independent judge while that holds.
 */
class SentimentDataTest {

    static final Path DATA = Path.of("data", "sentiment");
    static final Path ORIGINAL = Path.of("..", "models", "reward-sentiment", "sentences.tsv");
    static final List<String> STYLES = List.of("dialogue", "narrative", "news", "review");

    private static List<Path> tsvFiles(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".tsv")).sorted().toList();
        }
    }

    /** Every file of a set: header, format, exact label balance, a reasonable size. */
    private static void checkFiles(String set, int minimumPerFile) throws IOException {
        List<Path> files = tsvFiles(DATA.resolve(set));
        assertThat(files.stream().map(LabelledSentences::styleOf).toList()).as(set + " styles")
                .containsExactlyElementsOf(STYLES);
        for (Path file : files) {
            List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
            assertThat(lines.get(0)).as(file + " header").isEqualTo("label\tsentence");
            assertThat(lines.subList(1, lines.size())).as(file + " lines").allSatisfy(line -> {
                assertThat(line).matches("[01]\t[^\t]*\\S[^\t]*");
                assertThat(line).isEqualTo(line.stripTrailing());
            });
            LabelledSentences data = LabelledSentences.load(file); // parses every line
            int positives = Arrays.stream(data.labels()).sum();
            assertThat(data.size()).as(file + " size").isGreaterThanOrEqualTo(minimumPerFile);
            assertThat(2 * positives).as(file + ": positives vs negatives").isEqualTo(data.size());
        }
    }

    /** Normalised sentence -> where it occurs ("file:line-index"), for the sets given. */
    static Map<String, List<String>> occurrences(Map<String, LabelledSentences> sets) {
        Map<String, List<String>> where = new HashMap<>();
        sets.forEach((name, data) -> {
            for (int i = 0; i < data.size(); i++) {
                where.computeIfAbsent(LabelledSentences.normalise(data.sentences().get(i)), k -> new ArrayList<>())
                        .add(name + "/" + data.styles().get(i) + ": " + data.sentences().get(i));
            }
        });
        return where;
    }

    /** The normalised sentences that occur more than once across {@code sets}, with where they occur. */
    static List<List<String>> duplicates(Map<String, LabelledSentences> sets) {
        return occurrences(sets).values().stream().filter(w -> w.size() > 1).toList();
    }

    /** The sentences of {@code a} whose normalised form is also in {@code b}. */
    static List<String> shared(LabelledSentences a, LabelledSentences b) {
        java.util.Set<String> other = new java.util.HashSet<>();
        b.sentences().forEach(s -> other.add(LabelledSentences.normalise(s)));
        return a.sentences().stream().filter(s -> other.contains(LabelledSentences.normalise(s))).toList();
    }

    static LabelledSentences proxy() {
        return LabelledSentences.concat(List.of(LabelledSentences.load(ORIGINAL, "original"),
                LabelledSentences.load(DATA.resolve("proxy").toString(), Path.of("."))));
    }

    static LabelledSentences gold() {
        return LabelledSentences.load(DATA.resolve("gold").toString(), Path.of("."));
    }

    @Test
    void everyFileParsesWithAHeaderAndBalancedLabels() throws IOException {
        checkFiles("proxy", 200);
        checkFiles("gold", 100);
        LabelledSentences original = LabelledSentences.load(ORIGINAL);
        assertThat(2 * Arrays.stream(original.labels()).sum()).isEqualTo(original.size());
    }

    @Test
    void noSentenceTwiceWithinTheProxySetOrWithinTheGoldSet() {
        assertThat(duplicates(Map.of("proxy", proxy()))).as("duplicates within the proxy set").isEmpty();
        assertThat(duplicates(Map.of("gold", gold()))).as("duplicates within the gold set").isEmpty();
    }

    @Test
    void theGoldSetSharesNoSentenceWithAnyProxyData() {
        assertThat(shared(gold(), proxy())).as("gold sentences also in the proxy data").isEmpty();
    }

    @Test
    void theChecksCatchADuplicateThatDiffersOnlyInCaseAndPunctuation() {
        LabelledSentences a = new LabelledSentences(List.of("The tea was lovely.", "A grim morning."), new int[] {1, 0});
        LabelledSentences b = new LabelledSentences(List.of("the tea -- was LOVELY!", "Fine."), new int[] {1, 1});
        assertThat(shared(b, a)).containsExactly("the tea -- was LOVELY!");
        assertThat(duplicates(Map.of("a", a, "b", b))).hasSize(1);
        assertThat(duplicates(Map.of("a", a))).isEmpty();
    }
}
