package org.alignstream.evaluation.quality;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FrontierPlotTest {

    private static RowResult row(String key, double proxy, double gold, double kl) {
        return new RowResult(key, key, "p", new double[] {proxy, proxy}, new double[] {gold, gold},
                new double[] {kl, kl}, 0.5, 0.8, 2, 20, Double.NaN, List.of("a", "b"));
    }

    private static ProxyResults results() {
        List<ProxyResults.Row> rows = new ArrayList<>();
        for (int n : new int[] {1, 2, 4, 8}) {
            rows.add(new ProxyResults.Row(row("bon-" + n, n, n / 2.0, Math.log(n)), SelectionFamilies.BON, "", n));
            rows.add(new ProxyResults.Row(row("rbon_wd-10@" + n, n / 2.0, n / 3.0, Math.log(n) / 2),
                    SelectionFamilies.RBON_WD, "β=10", n));
            rows.add(new ProxyResults.Row(row("soft_bon-1@" + n, n / 4.0, n / 5.0, Math.log(n) / 3),
                    SelectionFamilies.SOFT, "λ=1", n));
        }
        rows.add(new ProxyResults.Row(row("specrej-8:4:0.5", 5, 2, Math.log(8)), SelectionFamilies.SPECREJ, "M=4 α=0.5",
                8));
        return new ProxyResults("reward-sentiment-100", rows);
    }

    @Test
    void oneLinePerSettingAcrossItsKnobWithTheKlOnX() {
        List<CurvePlot.Series> series = FrontierPlot.selectionSeries(results(), RowResult::meanGold);
        assertThat(series).extracting(CurvePlot.Series::name).containsExactly(
                "best_of_n across N", "rbon_wd β=10 across N", "soft_bon λ=1 across N",
                "speculative_rejection N=8 M=4 α=0.5");
        assertThat(series.get(0).x()).containsExactly(0, Math.log(2), Math.log(4), Math.log(8));
        assertThat(series.get(0).y()).containsExactly(0.5, 1, 2, 4);
        assertThat(series.get(3).x()).containsExactly(Math.log(8));
        List<CurvePlot.Series> tokenwise = FrontierPlot.tokenwiseSeries(List.of(row("args-w1", 1, 1, 10),
                row("args-w2", 2, 1.5, 20), row("pargs-b1", 1.5, 1.2, 12), row("tq-m1", 1, 1, 30)), RowResult::meanProxy);
        assertThat(tokenwise).extracting(CurvePlot.Series::name).containsExactly("args greedy across w (p)",
                "pargs greedy across β (p)", "tq-m1");
        assertThat(tokenwise.get(0).x()).containsExactly(10, 20);
    }

    @Test
    void writesOneImageWithTwoPanelsPerProxyAndOneForTheTokenwiseRows(@TempDir Path dir) throws Exception {
        List<Path> files = FrontierPlot.write(dir, List.of(results()), List.of(row("args-w1", 1, 1, 10)));
        assertThat(files).containsExactly(dir.resolve("eval-frontier-reward-sentiment-100.png"),
                dir.resolve("eval-frontier-tokenwise.png"));
        BufferedImage img = ImageIO.read(files.get(0).toFile());
        assertThat(img.getWidth()).isEqualTo(2 * 820);
        assertThat(img.getHeight()).isGreaterThanOrEqualTo(560);
        // something was drawn in both panels (not only the white background)
        assertThat(countNonWhite(img, 0, 820)).isGreaterThan(1000);
        assertThat(countNonWhite(img, 820, 1640)).isGreaterThan(1000);
        assertThat(FrontierPlot.write(dir, List.of(), List.of())).isEmpty();
    }

    private static int countNonWhite(BufferedImage img, int from, int to) {
        int count = 0;
        for (int x = from; x < to; x++) {
            for (int y = 0; y < img.getHeight(); y++) {
                count += (img.getRGB(x, y) & 0xFFFFFF) != 0xFFFFFF ? 1 : 0;
            }
        }
        return count;
    }
}
