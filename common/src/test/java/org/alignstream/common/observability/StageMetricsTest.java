package org.alignstream.common.observability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class StageMetricsTest {

  @Test
  void countsAndHistogramsAreLabelledWithTheStage() {
    StageMetrics m = new StageMetrics("scorer");
    m.recordIn();
    m.recordIn();
    m.recordOut();
    m.recordsOut(3);
    m.deadLetter("decode");
    m.observeBatch(4);
    m.observeBatch(16);
    m.observeInference("minilm", 0.25);
    try (StageMetrics.Timer t = m.startInference("minilm")) {
      assertThat(t).isNotNull();
    }
    assertThat(m.recordsIn()).isEqualTo(2);
    assertThat(m.recordsOut()).isEqualTo(4);
    assertThat(m.deadLetters("decode")).isEqualTo(1);
    assertThat(m.batches()).isEqualTo(2);
    assertThat(m.inferences("minilm")).isEqualTo(2);
    assertThat(m.inferenceSeconds("minilm")).isBetween(0.25, 1.0);

    String text = m.scrapeText();
    assertThat(text)
        .contains("alignstream_records_in_total{stage=\"scorer\"} 2.0")
        .contains("alignstream_records_out_total{stage=\"scorer\"} 4.0")
        .contains("alignstream_dead_letters_total{reason_class=\"decode\",stage=\"scorer\"} 1.0")
        .contains("alignstream_batch_size_bucket{stage=\"scorer\",le=\"4.0\"} 1")
        .contains("alignstream_batch_size_bucket{stage=\"scorer\",le=\"16.0\"} 2")
        .contains("alignstream_batch_size_count{stage=\"scorer\"} 2")
        .contains("alignstream_inference_seconds_count{model=\"minilm\",stage=\"scorer\"} 2");
  }

  @Test
  void timerRecordsOnce() {
    StageMetrics m = new StageMetrics("g");
    StageMetrics.Timer t = m.startInference("lm");
    t.close();
    t.close();
    assertThat(m.inferences("lm")).isEqualTo(1);
  }

  @Test
  void twoStagesInOneJvmHaveSeparateRegistries() {
    StageMetrics a = new StageMetrics("generator");
    StageMetrics b = new StageMetrics("selector");
    a.recordIn();
    assertThat(b.recordsIn()).isZero();
    assertThat(b.scrapeText()).doesNotContain("generator");
  }

  @Test
  void badValuesAreRejected() {
    StageMetrics m = new StageMetrics("g");
    assertThatThrownBy(() -> m.observeBatch(-1)).hasMessage("batch size must be >= 0, was -1");
    assertThatThrownBy(() -> m.observeInference("lm", Double.NaN)).hasMessage("inference seconds must be >= 0, was NaN");
    assertThatThrownBy(() -> new StageMetrics(" ")).hasMessage("stage must not be blank");
  }
}
