package org.alignstream.evaluation.quality;

import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * The reward/KL frontiers the papers draw, as PNGs beside docs/EVALUATION.md: for each proxy one image with two panels,
 * mean proxy reward and mean gold reward against the mean KL figure from π_ref, one line per method setting (Best-of-N
 * across N, each RBoN β across N, each soft Best-of-N λ across N, speculative rejection's settings as points); and one
 * image for the tokenwise methods (ARGS across w, PARGS across β, Transfer Q* per m), the full-sequence reward model in
 * the proxy panel. Drawn with {@link CurvePlot}.
 */
public final class FrontierPlot {

    private static final Color[] PALETTE = {new Color(0, 0, 0), new Color(31, 119, 180), new Color(44, 160, 44),
        new Color(214, 39, 40), new Color(148, 103, 189), new Color(255, 127, 14), new Color(23, 190, 207),
        new Color(140, 86, 75), new Color(227, 119, 194), new Color(127, 127, 127)};

    private FrontierPlot() {
    }

    /** The lines of one proxy's panels: each family and variant across its knob, y by {@code y}. */
    static List<CurvePlot.Series> selectionSeries(ProxyResults p, ToDoubleFunction<RowResult> y) {
        List<CurvePlot.Series> out = new ArrayList<>();
        int colour = 0;
        for (String family : List.of(SelectionFamilies.BON, SelectionFamilies.RBON_KL, SelectionFamilies.RBON_WD,
                SelectionFamilies.SOFT, SelectionFamilies.SPECREJ)) {
            for (String variant : p.variants(family)) {
                List<RowResult> rows = p.curve(family, variant).stream().map(ProxyResults.Row::result).toList();
                String name = switch (family) {
                    case SelectionFamilies.BON -> "best_of_n across N";
                    case SelectionFamilies.RBON_KL -> "rbon_kl " + variant + " across N";
                    case SelectionFamilies.RBON_WD -> "rbon_wd " + variant + " across N";
                    case SelectionFamilies.SOFT -> "soft_bon " + variant + " across N";
                    default -> "speculative_rejection N=" + (int) p.curve(family, variant).get(0).knob() + " " + variant;
                };
                out.add(new CurvePlot.Series(name, PALETTE[colour++ % PALETTE.length],
                        family.equals(SelectionFamilies.RBON_WD) || family.equals(SelectionFamilies.SOFT),
                        rows.stream().mapToDouble(RowResult::meanKl).toArray(),
                        rows.stream().mapToDouble(y).toArray()));
            }
        }
        return out;
    }

    /** The tokenwise lines: ARGS across w, PARGS across β, each Transfer Q* row a point. */
    static List<CurvePlot.Series> tokenwiseSeries(List<RowResult> rows, ToDoubleFunction<RowResult> y) {
        List<CurvePlot.Series> out = new ArrayList<>();
        int colour = 0;
        for (String prefix : List.of("args-w", "pargs-b")) {
            List<RowResult> line = rows.stream().filter(r -> r.key().startsWith(prefix)).toList();
            if (!line.isEmpty()) {
                out.add(series(prefix.startsWith("args") ? "args greedy across w (" + line.get(0).decodingReward() + ")"
                        : "pargs greedy across β (" + line.get(0).decodingReward() + ")", PALETTE[colour], line, y));
            }
            colour++;
        }
        for (RowResult r : rows) {
            if (r.key().startsWith("tq-")) {
                out.add(series(r.label(), PALETTE[colour++ % PALETTE.length], List.of(r), y));
            }
        }
        return out;
    }

    private static CurvePlot.Series series(String name, Color c, List<RowResult> rows, ToDoubleFunction<RowResult> y) {
        return new CurvePlot.Series(name, c, false, rows.stream().mapToDouble(RowResult::meanKl).toArray(),
                rows.stream().mapToDouble(y).toArray());
    }

    /** Two panels side by side (proxy left, gold right) as one image. */
    static BufferedImage panels(String title, String proxyName, List<CurvePlot.Series> proxy,
                                List<CurvePlot.Series> gold, String xLabel) {
        int height = 560 + 18 * Math.max(0, proxy.size() - 4);
        BufferedImage left = CurvePlot.render(title + ": " + proxyName, xLabel, "mean " + proxyName + " reward", proxy,
                820, height);
        BufferedImage right = CurvePlot.render(title + ": gold", xLabel, "mean gold reward", gold, 820, height);
        BufferedImage img = new BufferedImage(left.getWidth() + right.getWidth(), height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.drawImage(left, 0, 0, null);
        g.drawImage(right, left.getWidth(), 0, null);
        g.dispose();
        return img;
    }

    /** The image file of one proxy's panels in {@code dir}. */
    public static Path proxyFile(Path dir, String proxy) {
        return dir.resolve("eval-frontier-" + proxy.replaceAll("[^A-Za-z0-9._-]", "_") + ".png");
    }

    /** The image file of the tokenwise panels in {@code dir}. */
    public static Path tokenwiseFile(Path dir) {
        return dir.resolve("eval-frontier-tokenwise.png");
    }

    /** Writes one image per proxy and one for the tokenwise rows (if any); returns the files written. */
    public static List<Path> write(Path dir, List<ProxyResults> proxies, List<RowResult> tokenwise) {
        List<Path> files = new ArrayList<>();
        for (ProxyResults p : proxies) {
            Path f = proxyFile(dir, p.proxy());
            write(f, panels("Whole-response methods, proxy " + p.proxy(), "proxy",
                    selectionSeries(p, RowResult::meanProxy), selectionSeries(p, RowResult::meanGold),
                    "mean KL of the choice from plain sampling's, given the candidates (nats; bounds KL from π_ref)"));
            files.add(f);
        }
        if (!tokenwise.isEmpty()) {
            Path f = tokenwiseFile(dir);
            write(f, panels("Tokenwise methods", tokenwise.get(0).decodingReward(),
                    tokenwiseSeries(tokenwise, RowResult::meanProxy), tokenwiseSeries(tokenwise, RowResult::meanGold),
                    "mean KL along the path (nats; one-sample estimate)"));
            files.add(f);
        }
        return files;
    }

    private static void write(Path file, BufferedImage img) {
        CurvePlot.writePng(file, img);
    }
}
