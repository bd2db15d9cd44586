package org.alignstream.inference.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class OnnxDeviceTest {

    @Test
    void parsesCpuAndCudaForms() {
        assertThat(OnnxDevice.parse("cpu")).isEqualTo(OnnxDevice.CPU);
        assertThat(OnnxDevice.parse(" CPU ")).isEqualTo(OnnxDevice.CPU);
        assertThat(OnnxDevice.parse("cuda")).isEqualTo(OnnxDevice.cuda(0));
        assertThat(OnnxDevice.parse("cuda:0")).isEqualTo(OnnxDevice.cuda(0));
        assertThat(OnnxDevice.parse("CUDA:3")).isEqualTo(OnnxDevice.cuda(3));
        assertThat(OnnxDevice.parse("cuda:3").deviceId()).isEqualTo(3);
        assertThat(OnnxDevice.parse("cuda:3").isCuda()).isTrue();
        assertThat(OnnxDevice.CPU.isCuda()).isFalse();
    }

    @Test
    void toStringRoundTrips() {
        for (OnnxDevice d : new OnnxDevice[] {OnnxDevice.CPU, OnnxDevice.cuda(0), OnnxDevice.cuda(7)}) {
            assertThat(OnnxDevice.parse(d.toString())).isEqualTo(d);
        }
        assertThat(OnnxDevice.cuda(2)).hasToString("cuda:2");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "gpu", "cuda:", "cuda:-1", "cuda:x", "cuda0", "cpu:0", "cuda:1:2"})
    void rejectsUnknownDevices(String text) {
        assertThatThrownBy(() -> OnnxDevice.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("Unknown ONNX device '" + text + "'")
                .hasMessageContaining("expected 'cpu', 'cuda' or 'cuda:N'");
    }

    @Test
    void rejectsNullAndNegativeIds() {
        assertThatThrownBy(() -> OnnxDevice.parse(null)).hasMessageContaining("must not be null");
        assertThatThrownBy(() -> OnnxDevice.cuda(-1)).hasMessageContaining("invalid device id -1");
    }
}
