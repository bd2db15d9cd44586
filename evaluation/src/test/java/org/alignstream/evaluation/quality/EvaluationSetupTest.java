package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.generator.RequestLimits;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class EvaluationSetupTest {

    @Test
    void bundledPromptsAreTwentyFourWithoutComments() throws Exception {
        List<String> prompts = Evaluation.loadPrompts(null);
        assertThat(prompts).hasSize(24).doesNotHaveDuplicates().noneMatch(p -> p.startsWith("#") || p.isBlank())
                .contains("She was sorry that");
    }

    @Test
    void quickAndPromptCountSelectTheFirstPrompts() {
        List<String> all = List.of("a", "b", "c", "d", "e", "f", "g", "h");
        assertThat(Evaluation.selectPrompts(all, false, null)).isEqualTo(all);
        assertThat(Evaluation.selectPrompts(all, true, null)).containsExactly("a", "b", "c", "d");
        assertThat(Evaluation.selectPrompts(all, true, 2)).containsExactly("a", "b");
        assertThat(Evaluation.selectPrompts(all, false, 3)).containsExactly("a", "b", "c");
        assertThatThrownBy(() -> Evaluation.selectPrompts(all, false, 0)).hasMessageContaining("between 1 and 8");
        assertThatThrownBy(() -> Evaluation.selectPrompts(all, false, 9)).hasMessageContaining("between 1 and 8");
    }

    @Test
    void optionsParseAndQuickShrinksTheDefaults() {
        Evaluation e = new Evaluation();
        new CommandLine(e).parseArgs("--quick", "--prompts", "3", "--rows", "args-,tq-m1", "--rbon-kl-betas", "0.1,0.2",
                "--out", "-");
        assertThat(e.quick).isTrue();
        assertThat(e.promptCount).isEqualTo(3);
        assertThat(e.rowFilter).containsExactly("args-", "tq-m1");
        assertThat(e.rbonKlBetas).containsExactly(0.1, 0.2);
        assertThat(e.rbonWdBetas).containsExactly(10.0, 20.0);
        assertThat(e.maxNewTokens()).isEqualTo(16);
        assertThat(e.maxN()).isEqualTo(Evaluation.QUICK_MAX_N);
        assertThat(e.nGrid()).containsExactly(1, 2, 4, 8, 16, 32);
        assertThat(e.specConfigs()).containsExactly(new SelectionFamilies.SpecConfig(8, 4, 0.5),
                new SelectionFamilies.SpecConfig(16, 4, 0.75), new SelectionFamilies.SpecConfig(32, 4, 0.75));
        assertThat(e.tokenwiseWeights()).containsExactly(1.0);
        assertThat(e.tqRollouts()).containsExactly(1);
        assertThat(e.out).isEqualTo("-");

        Evaluation full = new Evaluation();
        new CommandLine(full).parseArgs("--max-n", "100", "--tq-rollouts", "1,4", "--specrej-configs", "64:8:0.5");
        assertThat(full.maxNewTokens()).isEqualTo(24);
        assertThat(full.nGrid()).containsExactly(1, 2, 4, 8, 16, 32, 64, 100);
        assertThat(full.specConfigs()).containsExactly(new SelectionFamilies.SpecConfig(64, 8, 0.5));
        assertThat(full.tokenwiseWeights()).containsExactly(0.5, 1.0, 2.0);
        assertThat(new Evaluation().nGrid()).hasSize(9).endsWith(256);
    }

    @Test
    void theModelDirectoriesDefaultToOneListAndFlagsReplaceThem() {
        Evaluation e = new Evaluation();
        new CommandLine(e).parseArgs();
        assertThat(e.models()).isEqualTo(EvalModels.defaults());
        assertThat(e.models().proxyLabels()).containsExactly("reward-sentiment", "reward-sentiment-100",
                "reward-sentiment-25", "reward-sentiment-noisy");
        Evaluation other = new Evaluation();
        new CommandLine(other).parseArgs("--proxy-model-dirs", "/tmp/a/p1,/tmp/b/p2", "--gold-model-dir", "/tmp/g",
                "--full-reward-model-dir", "/tmp/f", "--partial-reward-model-dir", "/tmp/p");
        assertThat(other.models()).isEqualTo(new EvalModels(List.of(Path.of("/tmp/a/p1"), Path.of("/tmp/b/p2")),
                Path.of("/tmp/g"), Path.of("/tmp/f"), Path.of("/tmp/p")));
    }

    @Test
    void aMissingModelDirectoryFailsTheRunBeforeAnyWorkAndIsNamed(@TempDir Path dir) throws Exception {
        Path proxy = Files.createDirectories(dir.resolve("reward-sentiment"));
        Path gold = Files.createDirectories(dir.resolve("reward-gold"));
        EvalModels models = new EvalModels(List.of(proxy, dir.resolve("reward-sentiment-25")), gold,
                dir.resolve("reward-lm-austen-full"), dir.resolve("reward-lm-austen-partial"));
        assertThat(models.missing(true, false)).containsExactly("proxy " + dir.resolve("reward-sentiment-25"));
        assertThat(models.missing(true, true)).hasSize(3);
        assertThat(models.missing(true, true).get(2)).startsWith("partial-sequence decoder reward model");
        assertThat(models.missing(false, false)).isEmpty();
        assertThatThrownBy(() -> models.requireDirectories(true, true)).hasMessageContaining("reward model directories not "
                + "found: proxy " + dir.resolve("reward-sentiment-25")).hasMessageContaining("--proxy-model-dirs");
        assertThatThrownBy(() -> new EvalModels(List.of(proxy, dir.resolve("x/reward-sentiment")), gold, gold, gold))
                .hasMessageContaining("distinct names");
        // the command exits with 2 before loading any model
        int code = new CommandLine(new Evaluation()).execute("--proxy-model-dirs", dir.resolve("nope").toString(),
                "--gold-model-dir", gold.toString(), "--sections", "selection", "--out", "-");
        assertThat(code).isEqualTo(2);
    }

    @Test
    void tokenwiseRowsCompareLikeWithLikeAndAreRequestsTheGeneratorAccepts() {
        RequestLimits limits = RequestLimits.defaults();
        List<EvalRow> rows = EvalRow.tokenwise(List.of(0.5, 1.0), "full", "partial", null, List.of(1, 4));
        assertThat(rows).extracting(EvalRow::key).containsExactly("args-w0.5", "args-w1", "pargs-b0.5", "pargs-b1",
                "tq-m1", "tq-m4");
        for (EvalRow row : rows) {
            Strategy s = row.strategy(24, 7);
            assertThat(s.getTemperature()).as(row.key()).isEqualTo(1.0);
            assertThat(s.getMaxNewTokens()).as(row.key()).isEqualTo(24);
            assertThat(s.getSeed()).as(row.key()).isEqualTo(7);
            assertThat(s.getRewardModel()).as(row.key()).isEqualTo(row.decodingReward());
            assertThat(s.getTopK()).as(row.key()).isEqualTo(EvalRow.K);
            assertThat(s.getGreedy()).as(row.key()).isTrue();
            limits.validate(PromptRequest.newBuilder().setId(row.key()).setPrompt("She was").setStrategy(s).build());
        }
        Strategy args = rows.get(1).strategy(24, 1);
        Strategy pargs = rows.get(3).strategy(24, 1);
        assertThat(args.getMethod()).isEqualTo("args");
        assertThat(pargs.getMethod()).isEqualTo("pargs");
        assertThat(args.getBeta()).isEqualTo(pargs.getBeta()).isEqualTo(1.0);
        assertThat(pargs.getRewardModel()).isEqualTo("partial");
        assertThat(pargs.getRewardModelKind()).isNull();
        assertThat(rows.get(5).strategy(24, 1).getRollouts()).isEqualTo(4);
        // a partial model that does not declare itself partial-sequence: PARGS names its kind, else the scorer refuses
        Strategy explicit = EvalRow.tokenwise(List.of(1.0), "full", "partial", "full-sequence", List.of()).get(1)
                .strategy(24, 1);
        assertThat(explicit.getRewardModelKind()).isEqualTo("full-sequence");
    }

    @Test
    void rowFilterMatchesKeyPrefixes() {
        List<EvalRow> rows = EvalRow.tokenwise(List.of(1.0, 2.0), "f", "p", null, List.of(1, 4));
        assertThat(Evaluation.filter(rows, List.of("args-", "tq-m1"))).extracting(EvalRow::key)
                .containsExactly("args-w1", "args-w2", "tq-m1");
        assertThat(Evaluation.filter(rows, null)).isEqualTo(rows);
        assertThatThrownBy(() -> Evaluation.filter(rows, List.of("nope"))).hasMessageContaining("matches no row");
    }
}
