package org.alignstream.evaluation.quality;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.Stroke;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A line chart as a PNG with plain {@code java.awt} (headless): x and y axes with ticks, one polyline with markers per
 * series (NaN points are left out), a legend. Enough for a learning curve; no dependency.
 */
public final class CurvePlot {

    /** One line: name, colour, dashed or solid, and its points. */
    public record Series(String name, Color color, boolean dashed, double[] x, double[] y) {
        public Series {
            if (x.length != y.length) {
                throw new IllegalArgumentException("series " + name + ": " + x.length + " x but " + y.length + " y");
            }
        }
    }

    private CurvePlot() {
    }

    /** The chart as an image. */
    public static BufferedImage render(String title, String xLabel, String yLabel, List<Series> series, int width,
                                       int height) {
        System.setProperty("java.awt.headless", "true");
        double[] xr = range(series, true);
        double[] yr = range(series, false);
        double[] xt = ticks(xr[0], xr[1]);
        double[] yt = ticks(yr[0], yr[1]);
        xr = new double[] {Math.min(xr[0], xt[0]), Math.max(xr[1], xt[xt.length - 1])};
        yr = new double[] {Math.min(yr[0], yt[0]), Math.max(yr[1], yt[yt.length - 1])};
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        int left = 70;
        int right = width - 20;
        int top = 40;
        int legendRows = series.size();
        int bottom = height - 55 - 18 * legendRows;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 15));
        g.setColor(Color.BLACK);
        g.drawString(title, left, 24);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        Stroke solid = new BasicStroke(1f);
        for (double t : yt) {
            int y = py(t, yr, top, bottom);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(left, y, right, y);
            g.setColor(Color.DARK_GRAY);
            String s = label(t, yt);
            g.drawString(s, left - 6 - fm.stringWidth(s), y + 4);
        }
        for (double t : xt) {
            int x = px(t, xr, left, right);
            g.setColor(new Color(230, 230, 230));
            g.drawLine(x, top, x, bottom);
            g.setColor(Color.DARK_GRAY);
            String s = label(t, xt);
            g.drawString(s, x - fm.stringWidth(s) / 2, bottom + 16);
        }
        g.setColor(Color.BLACK);
        g.setStroke(solid);
        g.drawRect(left, top, right - left, bottom - top);
        g.drawString(xLabel, (left + right) / 2 - fm.stringWidth(xLabel) / 2, bottom + 34);
        Graphics2D gy = (Graphics2D) g.create();
        gy.rotate(-Math.PI / 2);
        gy.drawString(yLabel, -(top + bottom) / 2 - fm.stringWidth(yLabel) / 2, 16);
        gy.dispose();
        int legendY = bottom + 52;
        for (Series s : series) {
            Stroke stroke = s.dashed()
                    ? new BasicStroke(2f, BasicStroke.CAP_BUTT, BasicStroke.JOIN_ROUND, 1f, new float[] {7f, 5f}, 0f)
                    : new BasicStroke(2f);
            g.setColor(s.color());
            g.setStroke(stroke);
            int prevX = -1;
            int prevY = -1;
            for (int i = 0; i < s.x().length; i++) {
                if (Double.isNaN(s.y()[i]) || Double.isNaN(s.x()[i])) {
                    prevX = -1;
                    continue;
                }
                int x = px(s.x()[i], xr, left, right);
                int y = py(s.y()[i], yr, top, bottom);
                if (prevX >= 0) {
                    g.drawLine(prevX, prevY, x, y);
                }
                g.fillOval(x - 3, y - 3, 7, 7);
                prevX = x;
                prevY = y;
            }
            g.drawLine(left, legendY - 4, left + 36, legendY - 4);
            g.fillOval(left + 15, legendY - 7, 7, 7);
            g.setStroke(solid);
            g.setColor(Color.BLACK);
            g.drawString(s.name(), left + 46, legendY);
            legendY += 18;
        }
        g.dispose();
        return img;
    }

    /** Renders and writes the chart as a PNG. */
    public static void write(Path file, String title, String xLabel, String yLabel, List<Series> series) {
        writePng(file, render(title, xLabel, yLabel, series, 960, 600 + 18 * Math.max(0, series.size() - 4)));
    }

    /** Writes {@code img} as a PNG, creating the parent directories. */
    static void writePng(Path file, BufferedImage img) {
        try {
            if (file.getParent() != null) {
                Files.createDirectories(file.getParent());
            }
            if (!ImageIO.write(img, "png", file.toFile())) {
                throw new IOException("no PNG writer");
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file, e);
        }
    }

    /** Min and max over all finite values of x or y (a span of at least 1e-9). */
    static double[] range(List<Series> series, boolean x) {
        double lo = Double.POSITIVE_INFINITY;
        double hi = Double.NEGATIVE_INFINITY;
        for (Series s : series) {
            for (double v : x ? s.x() : s.y()) {
                if (Double.isFinite(v)) {
                    lo = Math.min(lo, v);
                    hi = Math.max(hi, v);
                }
            }
        }
        if (lo > hi) {
            return new double[] {0, 1};
        }
        if (hi - lo < 1e-9) {
            return new double[] {lo - 0.5, hi + 0.5};
        }
        return new double[] {lo, hi};
    }

    /** "Nice" ticks (steps of 1, 2 or 5 times a power of ten) covering [lo, hi], about 5 to 10 of them. */
    static double[] ticks(double lo, double hi) {
        double raw = (hi - lo) / 6;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = raw / mag < 1.5 ? mag : raw / mag < 3.5 ? 2 * mag : raw / mag < 7.5 ? 5 * mag : 10 * mag;
        double first = Math.floor(lo / step + 1e-9) * step;
        double last = Math.ceil(hi / step - 1e-9) * step;
        int n = (int) Math.round((last - first) / step) + 1;
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = Math.round((first + i * step) * 1e9) / 1e9;
        }
        return out;
    }

    private static String label(double v, double[] ticks) {
        double step = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
        int decimals = Math.max(0, (int) Math.ceil(-Math.log10(step) - 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", v);
    }

    private static int px(double x, double[] r, int left, int right) {
        return (int) Math.round(left + (x - r[0]) / (r[1] - r[0]) * (right - left));
    }

    private static int py(double y, double[] r, int top, int bottom) {
        return (int) Math.round(bottom - (y - r[0]) / (r[1] - r[0]) * (bottom - top));
    }
}
