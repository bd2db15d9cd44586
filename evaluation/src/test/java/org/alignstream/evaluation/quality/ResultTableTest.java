package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResultTableTest {

    @Test
    void sig3RoundsToThreeSignificantDigitsKeepingTrailingZeros() {
        assertThat(ResultTable.sig3(1.2)).isEqualTo("1.20");
        assertThat(ResultTable.sig3(0.012345)).isEqualTo("0.0123");
        assertThat(ResultTable.sig3(1234.5)).isEqualTo("1230");
        assertThat(ResultTable.sig3(123.45)).isEqualTo("123");
        assertThat(ResultTable.sig3(-2.3456)).isEqualTo("-2.35");
        assertThat(ResultTable.sig3(9.996)).isEqualTo("10.0");
        assertThat(ResultTable.sig3(0.99951)).isEqualTo("1.00");
        assertThat(ResultTable.sig3(0.0)).isEqualTo("0.00");
        assertThat(ResultTable.sig3(10)).isEqualTo("10.0");
        assertThat(ResultTable.sig3(0.000123456)).isEqualTo("0.000123");
        assertThat(ResultTable.sig3(4.5123e-17)).isEqualTo("4.51e-17");
        assertThat(ResultTable.sig3(-9.999e-5)).isEqualTo("-1.00e-04");
        assertThat(ResultTable.sig3(Double.NaN)).isEqualTo("n/a");
        assertThat(ResultTable.sig3(Double.NEGATIVE_INFINITY)).isEqualTo("-inf");
    }

    @Test
    void sig3RoundsHalfUp() {
        assertThat(ResultTable.sig3(0.125)).isEqualTo("0.125");
        assertThat(ResultTable.sig3(1.0025)).isEqualTo("1.00"); // 1.0025 is 1.00249999... in binary
        assertThat(ResultTable.sig3(2.5e-3)).isEqualTo("0.00250");
        assertThat(ResultTable.sig3(1.235)).isEqualTo("1.24"); // 1.2350000000000000977 in binary
    }

    private static RowResult row(String key, String label, double proxy, double gold) {
        return new RowResult(key, label, "sentiment", new double[] {proxy}, new double[] {gold}, new double[] {0.5},
                0.75, 0.9, 30, 24, 2.5, List.of("text"));
    }

    @Test
    void textTableAlignsColumnsAndPutsARuleUnderTheHeader() {
        String text = ResultTable.text(List.of(row("a", "best_of_n N=1", 0.215, -0.0495),
                row("b", "tq_star k=10 L=8 direct α=1", 12.345, 1.0)));
        List<String> lines = text.lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).startsWith("row").contains("proxy").contains("gold").contains("KL")
                .contains("distinct-1").contains("distinct-2").contains("RM calls/token").endsWith("s/response");
        assertThat(lines.get(1)).matches("-+").hasSize(lines.get(0).length());
        // numbers right-aligned: every line ends at the same column
        assertThat(lines.get(2)).hasSize(lines.get(0).length());
        assertThat(lines.get(3)).hasSize(lines.get(0).length());
        assertThat(lines.get(2)).contains("0.215").contains("-0.0495").endsWith("2.50");
        assertThat(lines.get(3)).contains("12.3").contains("1.25"); // 30 calls / 24 tokens
        // the proxy figures end in the same column
        assertThat(lines.get(2).indexOf("0.215") + "0.215".length())
                .isEqualTo(lines.get(3).indexOf("12.3") + "12.3".length());
    }

    @Test
    void markdownTableHasARuleRowAndEscapesPipes() {
        String md = ResultTable.markdown(List.of(row("a", "x | y", 1, 2), row("b", "z", 3, 4)));
        List<String> lines = md.lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).isEqualTo("| row | decoding RM | proxy | gold | KL | distinct-1 | distinct-2 "
                + "| RM calls/token | s/response |");
        assertThat(lines.get(1)).isEqualTo("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
        assertThat(lines.get(2)).isEqualTo("| x \\| y | sentiment | 1.00 | 2.00 | 0.500 | 0.750 | 0.900 | 1.25 | 2.50 |");
        assertThat(lines.get(3)).startsWith("| z | sentiment | 3.00 | 4.00 |");
    }
}
