package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.alignstream.avro.PromptRequest;
import org.alignstream.avro.Strategy;
import org.alignstream.generator.RequestLimits;
import org.junit.jupiter.api.Test;
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
        assertThat(Evaluation.selectPrompts(all, true, null)).containsExactly("a", "b", "c", "d", "e", "f");
        assertThat(Evaluation.selectPrompts(all, true, 2)).containsExactly("a", "b");
        assertThat(Evaluation.selectPrompts(all, false, 3)).containsExactly("a", "b", "c");
        assertThatThrownBy(() -> Evaluation.selectPrompts(all, false, 0)).hasMessageContaining("between 1 and 8");
        assertThatThrownBy(() -> Evaluation.selectPrompts(all, false, 9)).hasMessageContaining("between 1 and 8");
    }

    @Test
    void optionsParse() {
        Evaluation e = new Evaluation();
        new CommandLine(e).parseArgs("--quick", "--prompts", "3", "--rows", "bon-,args-w1", "--rbon-kl-betas", "0.1,0.2",
                "--out", "-");
        assertThat(e.quick).isTrue();
        assertThat(e.promptCount).isEqualTo(3);
        assertThat(e.rowFilter).containsExactly("bon-", "args-w1");
        assertThat(e.rbonKlBetas).containsExactly(0.1, 0.2);
        assertThat(e.rbonWdBetas).isEqualTo(EvalRow.Grid.DEFAULT.rbonWdBetas());
        assertThat(e.maxNewTokens).isEqualTo(24);
        assertThat(e.out).isEqualTo("-");
    }

    @Test
    void standardRowsHaveTheRowsTheClaimsNeed() {
        List<EvalRow> rows = EvalRow.standard(24, true);
        assertThat(rows).extracting(EvalRow::key).doesNotHaveDuplicates().contains("bon-1", "bon-2", "bon-4", "bon-8",
                "bon-16", "rbon_kl-0.02", "rbon_wd-10", "args-w1", "pargs-partial", "pargs-g-partial", "pargs-full",
                "pargs-g-full", "blockwise-m1", "blockwise-m4", "blockwise-m24", "tq-direct", "tq-indirect");
        assertThat(EvalRow.standard(24, false)).extracting(EvalRow::key).noneMatch(k -> k.startsWith("tq-"));
        assertThat(rows).noneMatch(r -> r.decodingReward().contains("gold"));
    }

    @Test
    void everyStandardRowIsARequestTheGeneratorAccepts() {
        RequestLimits limits = RequestLimits.defaults();
        for (EvalRow row : EvalRow.standard(24, true)) {
            Strategy s = row.strategy(24, 7);
            assertThat(s.getTemperature()).as(row.key()).isEqualTo(1.0);
            assertThat(s.getTopP()).as(row.key()).isEqualTo(1.0);
            assertThat(s.getMaxNewTokens()).as(row.key()).isEqualTo(24);
            assertThat(s.getSeed()).as(row.key()).isEqualTo(7);
            assertThat(s.getRewardModel()).as(row.key()).isEqualTo(row.decodingReward());
            limits.validate(PromptRequest.newBuilder().setId(row.key()).setPrompt("She was").setStrategy(s).build());
        }
        Strategy pargs = EvalRow.standard(24, true).stream().filter(r -> r.key().equals("pargs-partial")).findFirst()
                .orElseThrow().strategy(24, 1);
        assertThat(pargs.getMethod()).isEqualTo("pargs");
        assertThat(pargs.getGreedy()).isFalse();
        assertThat(pargs.getRewardModel()).isEqualTo("sentiment-partial");
        assertThat(pargs.getTopK()).isEqualTo(10);
        Strategy pargsFull = EvalRow.standard(24, true).stream().filter(r -> r.key().equals("pargs-full")).findFirst()
                .orElseThrow().strategy(24, 1);
        assertThat(pargsFull.getRewardModel()).isEqualTo("sentiment");
        assertThat(pargsFull.getRewardModelKind()).isEqualTo("full-sequence"); // else the scorer refuses it
    }

    @Test
    void rowFilterMatchesKeyPrefixes() {
        List<EvalRow> rows = EvalRow.standard(24, false);
        assertThat(Evaluation.filter(rows, List.of("bon-", "args-w1"))).extracting(EvalRow::key)
                .containsExactly("bon-1", "bon-2", "bon-4", "bon-8", "bon-16", "args-w1");
        assertThat(Evaluation.filter(rows, null)).isEqualTo(rows);
        assertThatThrownBy(() -> Evaluation.filter(rows, List.of("nope"))).hasMessageContaining("matches no row");
    }
}
