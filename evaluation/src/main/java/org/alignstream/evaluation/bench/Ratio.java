package org.alignstream.evaluation.bench;

import java.util.Locale;
import java.util.regex.Pattern;

/**
 * One headline figure of the benchmark, printed as {@code ratio NAME=VALUE} (the format the benchmark's last lines
 * use, also for the one rate among them, so a script can read all of them with one pattern).
 *
 * @param name  {@code [a-z0-9_]+}, e.g. {@code scorer_pipeline_vs_bare}
 * @param value a finite number
 */
public record Ratio(String name, double value) {
    private static final Pattern NAME = Pattern.compile("[a-z0-9_]+");
    private static final Pattern LINE = Pattern.compile("ratio ([a-z0-9_]+)=(-?[0-9]+\\.[0-9]+)");

    public Ratio {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("ratio name must match [a-z0-9_]+, was '" + name + "'");
        }
        if (!Double.isFinite(value)) {
            throw new IllegalArgumentException("ratio " + name + " must be finite, was " + value);
        }
    }

    /** {@code ratio NAME=VALUE} with three decimals and a dot as the decimal separator, whatever the locale. */
    public String line() {
        return String.format(Locale.ROOT, "ratio %s=%.3f", name, value);
    }

    /** Reads a line written by {@link #line()}. */
    public static Ratio parse(String line) {
        var m = LINE.matcher(line == null ? "" : line.strip());
        if (!m.matches()) {
            throw new IllegalArgumentException("not a 'ratio NAME=VALUE' line: '" + line + "'");
        }
        return new Ratio(m.group(1), Double.parseDouble(m.group(2)));
    }
}
