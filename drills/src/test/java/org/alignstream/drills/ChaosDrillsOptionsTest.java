package org.alignstream.drills;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ChaosDrillsOptionsTest {

    @Test
    void oneBrokerAndEveryDrillByDefault() {
        ChaosDrills.Options o = ChaosDrills.Options.parse(new String[0]);
        assertThat(o.prompts()).isEqualTo(1000);
        assertThat(o.brokers()).isEqualTo(1);
        assertThat(ChaosDrills.Options.SINGLE_BROKER_DRILLS).allMatch(o::runs);
    }

    @Test
    void threeBrokersAsTheScriptPassesThemAndASubsetOfDrills() {
        ChaosDrills.Options o = ChaosDrills.Options.parse(new String[] {"--brokers", "3", "--prompts=100",
                "--drills=kill_partition_leader,lose_in_sync_minimum"});
        assertThat(o.brokers()).isEqualTo(3);
        assertThat(o.prompts()).isEqualTo(100);
        assertThat(o.runs("kill_partition_leader")).isTrue();
        assertThat(o.runs("lose_in_sync_minimum")).isTrue();
        assertThat(o.runs("roll_brokers")).isFalse();
        assertThat(ChaosDrills.Options.parse(new String[] {"--brokers=3"}).drills()).isEmpty();
    }

    @Test
    void rejectsOtherBrokerCountsAndDrillsOfTheOtherSetUp() {
        assertThatThrownBy(() -> ChaosDrills.Options.parse(new String[] {"--brokers=2"}))
                .hasMessageContaining("--brokers must be 1 or 3");
        assertThatThrownBy(() -> ChaosDrills.Options.parse(new String[] {"--drills=roll_brokers"}))
                .hasMessageContaining("unknown drill 'roll_brokers' for --brokers=1");
        assertThatThrownBy(() -> new ChaosDrills.Options(100, 25, 3, List.of("kill_scorer")))
                .hasMessageContaining("unknown drill 'kill_scorer' for --brokers=3");
    }
}
