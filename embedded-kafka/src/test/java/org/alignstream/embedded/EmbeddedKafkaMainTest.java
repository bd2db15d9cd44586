package org.alignstream.embedded;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class EmbeddedKafkaMainTest {

    @Test
    void argumentWinsOverEnvironmentWhichWinsOverDefault() {
        assertThat(EmbeddedKafkaMain.port(new String[] {"19092"}, "29092")).isEqualTo(19092);
        assertThat(EmbeddedKafkaMain.port(new String[0], " 29092 ")).isEqualTo(29092);
        assertThat(EmbeddedKafkaMain.port(new String[0], null)).isEqualTo(9092);
        assertThat(EmbeddedKafkaMain.port(new String[0], "")).isEqualTo(9092);
    }

    @Test
    void rejectsPortsThatAreNotPortNumbers() {
        assertThatThrownBy(() -> EmbeddedKafkaMain.port(new String[] {"kafka"}, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'kafka'");
        assertThatThrownBy(() -> EmbeddedKafkaMain.port(new String[0], "70000"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(EmbeddedKafkaMain.PORT_ENV).hasMessageContaining("70000");
        assertThatThrownBy(() -> EmbeddedKafkaMain.port(new String[] {"1", "2"}, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("usage");
    }
}
