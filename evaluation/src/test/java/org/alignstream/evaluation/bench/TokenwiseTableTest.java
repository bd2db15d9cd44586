package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.junit.jupiter.api.Test;

class TokenwiseTableTest {

    @Test
    void oneMarkdownRowPerConfigWithADashForAnUnmeasuredThroughput() {
        String table = TokenwiseTable.markdown(List.of(
                new TokenwiseTable.Row("eos:100", "exactly_once_v2", 100, 5, "100", 21.94, 289.2, 0.0761, 33.0, 267.0,
                        84.1, 0.4984, 47.2),
                new TokenwiseTable.Row("alo:100:0:10", "at_least_once", 100, 0, "10", 20.3, 34.9, 0.581, 23.3, 10.0, 3.8,
                        null, 7)),
                12);
        List<String> lines = table.lines().toList();
        assertThat(lines).hasSize(4);
        assertThat(lines.get(0)).startsWith("| config | guarantee |").contains("throughput ratio (P=12)");
        assertThat(lines.get(1)).isEqualTo("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        // equal model time: 33 / (33 + 267) = 0.110; 23.3 / (23.3 + 10) = 0.700
        assertThat(lines.get(2)).isEqualTo("| eos:100 | exactly_once_v2 | 100 | 5 | 100 | 21.9 | 289.2 | 0.076 | 33.0 "
                + "| 267.0 | 84.1 | 0.110 | 0.498 | 47 |");
        assertThat(lines.get(3)).isEqualTo("| alo:100:0:10 | at_least_once | 100 | 0 | 10 | 20.3 | 34.9 | 0.581 | 23.3 "
                + "| 10.0 | 3.8 | 0.700 | – | 7 |");
    }
}
