package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.Color;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.alignstream.harness.annotator.AgreementSet;
import org.alignstream.harness.annotator.ProxyCeiling;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FeedbackCurveTest {

    static AgreementSet.Figures fig(double pairwise, double within, double gold) {
        return new AgreementSet.Figures(pairwise, 0.7, 0.8, 0.75, within, gold);
    }

    static FeedbackCurve.Curve curve() {
        return new FeedbackCurve.Curve(0.01, List.of(
                new FeedbackCurve.Row(0, 1, Double.NaN, Double.NaN, Double.NaN, fig(0.80, 0.75, 0.35), 0),
                new FeedbackCurve.Row(50, 2, 10, 0.60, 0.70, fig(0.78, 0.74, 0.36), 20),
                new FeedbackCurve.Row(100, 3, 21, 0.71, 0.70, fig(0.805, 0.77, 0.40), 40)));
    }

    @Test
    void theDefaultGateColumnFollowsTheMargin() {
        List<FeedbackCurve.Row> rows = curve().rows();
        assertThat(rows.get(0).passesDefaultGate()).isTrue();
        assertThat(rows.get(1).passesDefaultGate()).isFalse(); // 0.60 < 0.70 - 0.02
        assertThat(rows.get(2).passesDefaultGate()).isTrue();
        assertThat(new FeedbackCurve.Row(1, 2, 5, 0.68, 0.70, fig(0, 0, 0), 0).passesDefaultGate()).isTrue(); // exactly the margin
    }

    @Test
    void theReadingIsComputedFromTheRows() {
        String text = FeedbackCurve.reading(curve());
        assertThat(text).contains("After 100 events", "stayed level (within 0.01) (0.800 -> 0.805, +0.005",
                "within a candidate set 0.750 -> 0.770, +0.020", "Best-of-N pick moved by less than 0.1 (+0.350 -> +0.400;",
                "highest agreement on the way was 0.805 after 100 events", "from 0.600", "to 0.710",
                "1 of 2 retrainings would have been refused");
        assertThat(text).doesNotContain("does not carry over");
        assertThat(FeedbackCurve.reading(new FeedbackCurve.Curve(0.01, List.of(curve().rows().get(0), curve().rows().get(1),
                new FeedbackCurve.Row(100, 3, 21, 0.75, 0.70, fig(0.76, 0.74, 0.36), 40))))).contains("does not carry over");
        assertThat(FeedbackCurve.verb(-0.02)).isEqualTo("fell");
        assertThat(FeedbackCurve.verb(0.02)).isEqualTo("rose");
    }

    @Test
    void theSectionHasTheTableThePlotAndTheCommand() {
        String md = FeedbackCurve.markdown(List.of(curve()), new FeedbackCurve.Setup("ops/eval.sh --section feedback",
                "2026-11-30", 9.5, 3.2, 2, 468, 48, 8, 32, 50, 1.0, 0.25, "feedback-learning-curve.png",
                "sentiment+family", "gold-sentiment (e5 encoder) + 5.0 x family", new ProxyCeiling.Result(
                        fig(0.853, 0.84, 0.6), 1.0, 800), 100));
        assertThat(md).contains("`ops/eval.sh --section feedback`", "![feedback learning curve](feedback-learning-curve.png)",
                "| 0 | 1 | - | - | - | (bundled) | 0.800 |", "| 50 | 2 | 10 | 0.600 | 0.700 | **refuse** | 0.780 |",
                "| 100 | 3 | 21 | 0.710 | 0.700 | pass | 0.805 |", "### prior-l2 0.01 (the service's default)",
                "84 held-out sentences", "`--gold sentiment+family`", "She spoke of her mother and her sisters.",
                "reaches pairwise agreement **0.853** (within a set 0.840, gold of pick +0.600)", "100 sets at seeds 100000",
                "prior centred on the bundled head",
                "Of the gap between the bundled head (0.800) and the ceiling of the proxy class (0.853), the last version "
                        + "closed 9 %.");
        assertThat(FeedbackCurve.gapClosed(curve(), 0.79)).isEmpty();
        String plain = FeedbackCurve.markdown(List.of(curve()), new FeedbackCurve.Setup("ops/eval.sh --section feedback",
                "2026-11-30", 9.5, 3.2, 2, 468, 48, 8, 32, 50, 1.0, 0.25, "feedback-learning-curve.png", "sentiment",
                "gold-sentiment (e5 encoder)", null, 0));
        assertThat(plain).contains("- **Gold taste** (`--gold sentiment`): gold-sentiment (e5 encoder) alone.")
                .doesNotContain("Ceiling of the proxy class");
    }

    @Test
    void theSectionCarriesNoFiguresBeyondTheRunsOwn() {
        String md = FeedbackCurve.markdown(List.of(curve()), new FeedbackCurve.Setup("ops/eval.sh --section feedback",
                "2026-11-30", 9.5, 3.2, 2, 468, 48, 8, 32, 50, 1.0, 0.25, "feedback-learning-curve.png",
                "sentiment+family", "gold-sentiment (e5 encoder) + 5.0 x family", new ProxyCeiling.Result(
                        fig(0.853, 0.84, 0.6), 1.0, 800), 100));
        // every decimal in the section is a figure of the run (rows, setup, ceiling), a setting, or a threshold the
        // reading applies; a measurement of an earlier run written in as text would show up here
        java.util.Set<String> ofTheRun = java.util.Set.of("0.800", "0.780", "0.805", "0.750", "0.740", "0.770", "0.700",
                "0.600", "0.710", "+0.350", "+0.360", "+0.400", "+0.005", "+0.020", "0.853", "0.840",
                "+0.600", "9.5", "3.2", "1.0", "0.25", "5.0", "0.01", "0.02", "0.05", "0.1", "0.9", "0.95", "0.5");
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?<![\\w.])[-+]?\\d+\\.\\d+").matcher(md);
        java.util.Set<String> others = new java.util.TreeSet<>();
        while (m.find()) {
            if (!ofTheRun.contains(m.group())) {
                others.add(m.group());
            }
        }
        assertThat(others).isEmpty();
    }

    @Test
    void thePlotIsAPng(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("curve.png");
        FeedbackCurve.writePlot(file, List.of(curve()));
        BufferedImage img = ImageIO.read(file.toFile());
        assertThat(img.getWidth()).isEqualTo(960);
        assertThat(img.getHeight()).isGreaterThan(500);
        // some pixels in the first series' colour were drawn
        int blue = FeedbackCurve.COLORS[0].getRGB();
        boolean found = false;
        for (int x = 0; x < img.getWidth() && !found; x++) {
            for (int y = 0; y < img.getHeight() && !found; y++) {
                found = img.getRGB(x, y) == blue;
            }
        }
        assertThat(found).isTrue();
        assertThat(new Color(img.getRGB(2, 2))).isEqualTo(Color.WHITE);
    }

    @Test
    void ticksAreRoundAndCoverTheRange() {
        assertThat(CurvePlot.ticks(0, 800)).containsExactly(0, 100, 200, 300, 400, 500, 600, 700, 800);
        assertThat(CurvePlot.ticks(0.61, 0.83)).contains(0.6, 0.65, 0.7, 0.75, 0.8, 0.85);
        double[] r = CurvePlot.range(List.of(new CurvePlot.Series("a", Color.RED, false, new double[] {0, 1},
                new double[] {Double.NaN, 0.5})), false);
        assertThat(r).containsExactly(0.0, 1.0);
    }
}
