package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Locale;
import org.junit.jupiter.api.Test;

class RatioTest {

    @Test
    void printsNameAndValueWithThreeDecimalsAndADot() {
        assertThat(new Ratio("scorer_pipeline_vs_bare", 0.93456).line()).isEqualTo("ratio scorer_pipeline_vs_bare=0.935");
        assertThat(new Ratio("bon8_prompts_per_s", 12.0).line()).isEqualTo("ratio bon8_prompts_per_s=12.000");
    }

    @Test
    void ignoresTheDefaultLocale() {
        Locale before = Locale.getDefault();
        try {
            Locale.setDefault(Locale.GERMANY);
            assertThat(new Ratio("x", 1.5).line()).isEqualTo("ratio x=1.500");
        } finally {
            Locale.setDefault(before);
        }
    }

    @Test
    void parsesWhatItPrints() {
        Ratio r = Ratio.parse(new Ratio("generator_pipeline_vs_bare", 0.9071).line());
        assertThat(r.name()).isEqualTo("generator_pipeline_vs_bare");
        assertThat(r.value()).isEqualTo(0.907);
    }

    @Test
    void rejectsBadNamesValuesAndLines() {
        assertThatThrownBy(() -> new Ratio("has space", 1)).hasMessageContaining("[a-z0-9_]+");
        assertThatThrownBy(() -> new Ratio("a=b", 1)).hasMessageContaining("'a=b'");
        assertThatThrownBy(() -> new Ratio("x", Double.NaN)).hasMessageContaining("finite");
        assertThatThrownBy(() -> Ratio.parse("rate x=1.0")).hasMessageContaining("not a 'ratio NAME=VALUE' line");
    }

    @Test
    void anUnavailableFigurePrintsNaWithItsReasonAndParsesBack() {
        Ratio na = Ratio.unavailable("generator_batching_gain", "continuous batching not built");
        assertThat(na.line()).isEqualTo("ratio generator_batching_gain=NA (continuous batching not built)");
        assertThat(na.measured()).isFalse();
        Ratio back = Ratio.parse(na.line());
        assertThat(back.name()).isEqualTo("generator_batching_gain");
        assertThat(back.unavailable()).isEqualTo("continuous batching not built");
        assertThat(back.measured()).isFalse();
        assertThat(new Ratio("x", 2.0).measured()).isTrue();
        assertThatThrownBy(() -> Ratio.unavailable("x", " ")).hasMessageContaining("one-line reason");
        assertThatThrownBy(() -> Ratio.unavailable("x", "a (b)")).hasMessageContaining("without parentheses");
        assertThatThrownBy(() -> new Ratio("x", 1.0, "why")).hasMessageContaining("NaN");
        assertThatThrownBy(() -> Ratio.parse("ratio x=NA")).hasMessageContaining("not a 'ratio NAME=VALUE' line");
    }
}
