package org.alignstream.evaluation.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ProcessMemoryTest {

    private static final String STATUS = """
            Name:\tjava
            VmPeak:\t 9000000 kB
            VmHWM:\t  1536000 kB
            VmRSS:\t  1024000 kB
            RssAnon:\t  900000 kB
            Threads:\t44
            """;

    @Test
    void readsResidentAndPeakResidentSizes() {
        ProcessMemory m = ProcessMemory.parse(STATUS);
        assertThat(m.rssKib()).isEqualTo(1_024_000);
        assertThat(m.peakRssKib()).isEqualTo(1_536_000);
        assertThat(m.rssMib()).isEqualTo(1000.0);
        assertThat(m.peakRssMib()).isEqualTo(1500.0);
    }

    @Test
    void readsThisProcess() throws Exception {
        ProcessMemory m = ProcessMemory.of(ProcessHandle.current().pid());
        assertThat(m.rssKib()).isPositive().isLessThanOrEqualTo(m.peakRssKib());
    }

    @Test
    void rejectsAStatusWithoutTheFieldsOrInAnotherUnit() {
        assertThatThrownBy(() -> ProcessMemory.parse("Name:\tjava\n")).hasMessageContaining("no VmRSS line");
        assertThatThrownBy(() -> ProcessMemory.parse("VmRSS:\t12 MB\nVmHWM:\t1 kB\n"))
                .hasMessageContaining("unexpected VmRSS line");
    }

    @Test
    void readsAGaugeFromPrometheusText() {
        String text = """
                # HELP alignstream_kv_cache_bytes Bytes held by the round cache
                # TYPE alignstream_kv_cache_bytes gauge
                alignstream_kv_cache_bytes_other 5.0
                alignstream_kv_cache_bytes{stage="generator"} 1.2345678E8
                """;
        assertThat(GeneratorMemory.gauge(text, "alignstream_kv_cache_bytes")).isEqualTo(123_456_780L);
        assertThat(GeneratorMemory.gauge("x 3\n", "x")).isEqualTo(3L);
        assertThatThrownBy(() -> GeneratorMemory.gauge(text, "missing")).hasMessageContaining("no sample of missing");
    }
}
