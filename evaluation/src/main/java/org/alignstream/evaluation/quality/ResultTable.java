package org.alignstream.evaluation.quality;

import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/** The evaluation table, as aligned plain text (console) or Markdown (docs/EVALUATION.md); numbers in 3 significant digits. */
public final class ResultTable {

    /** One column: its header and how a row shows in it. */
    record Column(String header, boolean numeric, Function<RowResult, String> cell) {
    }

    static final List<Column> COLUMNS = List.of(
            new Column("row", false, RowResult::label),
            new Column("decoding RM", false, RowResult::decodingReward),
            new Column("proxy", true, r -> sig3(r.meanProxy())),
            new Column("gold", true, r -> sig3(r.meanGold())),
            new Column("KL", true, r -> sig3(r.meanKl())),
            new Column("distinct-1", true, r -> sig3(r.distinct1())),
            new Column("distinct-2", true, r -> sig3(r.distinct2())),
            new Column("RM calls/token", true, r -> sig3(r.callsPerToken())),
            new Column("s/response", true, r -> sig3(r.secondsPerResponse())));

    private ResultTable() {
    }

    /**
     * {@code value} rounded to 3 significant digits (half up), in plain notation, trailing zeros kept so every figure
     * shows three digits: 1.2 gives {@code 1.20}, 0.012345 {@code 0.0123}, 1234.5 {@code 1230}, 0 {@code 0.00}; NaN
     * gives {@code n/a}; magnitudes below 1e-4 in scientific notation ({@code 4.51e-17}).
     */
    public static String sig3(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "inf" : "-inf";
        }
        if (value != 0 && Math.abs(value) < 1e-4) {
            return String.format(Locale.ROOT, "%.2e", value);
        }
        BigDecimal rounded = new BigDecimal(value).round(new MathContext(3, RoundingMode.HALF_UP));
        int leadingExponent = rounded.precision() - rounded.scale() - 1;
        return rounded.setScale(Math.max(0, 2 - leadingExponent), RoundingMode.HALF_UP).toPlainString();
    }

    /** Plain text with columns padded to a common width (text left-aligned, numbers right-aligned). */
    public static String text(List<RowResult> rows) {
        List<String[]> cells = cells(rows);
        int[] widths = new int[COLUMNS.size()];
        for (String[] line : cells) {
            for (int c = 0; c < line.length; c++) {
                widths[c] = Math.max(widths[c], line[c].length());
            }
        }
        StringBuilder out = new StringBuilder();
        for (int l = 0; l < cells.size(); l++) {
            String[] line = cells.get(l);
            StringBuilder sb = new StringBuilder();
            for (int c = 0; c < line.length; c++) {
                if (c > 0) {
                    sb.append("  ");
                }
                String pad = " ".repeat(widths[c] - line[c].length());
                sb.append(COLUMNS.get(c).numeric() ? pad + line[c] : line[c] + pad);
            }
            out.append(sb.toString().stripTrailing()).append('\n');
            if (l == 0) {
                int total = 0;
                for (int w : widths) {
                    total += w;
                }
                out.append("-".repeat(total + 2 * (widths.length - 1))).append('\n');
            }
        }
        return out.toString();
    }

    /** A Markdown table (numbers right-aligned). */
    public static String markdown(List<RowResult> rows) {
        List<String[]> cells = cells(rows);
        StringBuilder out = new StringBuilder();
        out.append(markdownLine(cells.get(0)));
        StringBuilder rule = new StringBuilder("|");
        for (Column c : COLUMNS) {
            rule.append(c.numeric() ? " ---: |" : " --- |");
        }
        out.append(rule).append('\n');
        for (int l = 1; l < cells.size(); l++) {
            out.append(markdownLine(cells.get(l)));
        }
        return out.toString();
    }

    private static String markdownLine(String[] line) {
        StringBuilder sb = new StringBuilder("|");
        for (String cell : line) {
            sb.append(' ').append(cell.replace("|", "\\|")).append(" |");
        }
        return sb.append('\n').toString();
    }

    private static List<String[]> cells(List<RowResult> rows) {
        List<String[]> out = new ArrayList<>();
        out.add(COLUMNS.stream().map(Column::header).toArray(String[]::new));
        for (RowResult r : rows) {
            out.add(COLUMNS.stream().map(c -> c.cell().apply(r)).toArray(String[]::new));
        }
        return out;
    }
}
