package org.alignstream.evaluation.bench;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One headline figure of the benchmark, printed as {@code ratio NAME=VALUE} (the format the benchmark's last lines
 * use, also for the one rate among them, so a script can read all of them with one pattern), or, for a figure this
 * build cannot measure, {@code ratio NAME=NA (why)}.
 *
 * @param name        {@code [a-z0-9_]+}, e.g. {@code scorer_pipeline_vs_bare}
 * @param value       a finite number; NaN exactly when {@code unavailable} is given
 * @param unavailable why the figure is not measured (one line, no parentheses), or null for a measured figure
 */
public record Ratio(String name, double value, String unavailable) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]+");
    private static final Pattern LINE = Pattern.compile("ratio ([a-z0-9_]+)=(?:(-?[0-9]+\\.[0-9]+)|NA \\(([^()]+)\\))");

    public Ratio {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("ratio name must match [a-z0-9_]+, was '" + name + "'");
        }
        if (unavailable == null && !Double.isFinite(value)) {
            throw new IllegalArgumentException("ratio " + name + " must be finite, was " + value);
        }
        if (unavailable != null && (unavailable.isBlank() || !unavailable.matches("[^()\\n]+") || !Double.isNaN(value))) {
            throw new IllegalArgumentException("ratio " + name + ": an unavailable figure has NaN as its value and a "
                    + "one-line reason without parentheses, was " + value + " '" + unavailable + "'");
        }
    }

    /** A measured figure. */
    public Ratio(String name, double value) {
        this(name, value, null);
    }

    /** A figure this build cannot measure, printed as {@code ratio NAME=NA (reason)}. */
    public static Ratio unavailable(String name, String reason) {
        return new Ratio(name, Double.NaN, reason);
    }

    /** Whether the figure was measured. */
    public boolean measured() {
        return unavailable == null;
    }

    /**
     * {@code ratio NAME=VALUE} with three decimals and a dot as the decimal separator, whatever the locale, or
     * {@code ratio NAME=NA (reason)}.
     */
    public String line() {
        return unavailable != null ? "ratio " + name + "=NA (" + unavailable + ")"
                : String.format(Locale.ROOT, "ratio %s=%.3f", name, value);
    }

    /** Reads a line written by {@link #line()}. */
    public static Ratio parse(String line) {
        var m = LINE.matcher(line == null ? "" : line.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a 'ratio NAME=VALUE' line: '" + line + "'");
        }
        return m.group(2) != null ? new Ratio(m.group(1), Double.parseDouble(m.group(2)))
                : unavailable(m.group(1), m.group(3));
    }
}
