package org.alignstream.evaluation.quality;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A section of a generated document owned by one writer, between {@code <!-- NAME -->} and {@code <!-- /NAME -->}
 * lines, so that several reports (e.g. the method table and the feedback learning curve in docs/EVALUATION.md) can
 * share one file: each writer replaces only its own section.
 */
public final class MarkedSection {
    private static final Pattern ANY = Pattern.compile("(?s)<!-- ([a-z0-9-]+) -->\\n.*?<!-- /\\1 -->\\n?");

    private MarkedSection() {
    }

    public static String start(String name) {
        return "<!-- " + name + " -->";
    }

    public static String end(String name) {
        return "<!-- /" + name + " -->";
    }

    /**
     * {@code document} with section {@code name} set to {@code body}: replaced in place if the markers are there,
     * else appended at the end (after a blank line). {@code document} may be null or empty (a new file).
     */
    public static String put(String document, String name, String body) {
        requireName(name);
        String section = start(name) + "\n" + (body.endsWith("\n") ? body : body + "\n") + end(name) + "\n";
        String doc = document == null ? "" : document;
        int from = doc.indexOf(start(name) + "\n");
        int to = doc.indexOf(end(name), Math.max(from, 0));
        if (from >= 0 && to > from) {
            int after = to + end(name).length();
            if (after < doc.length() && doc.charAt(after) == '\n') {
                after++;
            }
            return doc.substring(0, from) + section + doc.substring(after);
        }
        if (doc.isEmpty()) {
            return section;
        }
        return doc + (doc.endsWith("\n\n") ? "" : doc.endsWith("\n") ? "\n" : "\n\n") + section;
    }

    /** The body of section {@code name} in {@code document}, or null if it has none. */
    public static String get(String document, String name) {
        requireName(name);
        int from = document.indexOf(start(name) + "\n");
        int to = document.indexOf(end(name), Math.max(from, 0));
        return from >= 0 && to > from ? document.substring(from + start(name).length() + 1, to) : null;
    }

    /**
     * For a writer that regenerates a whole file: {@code fresh} plus every marked section of {@code old} that
     * {@code fresh} does not have (appended in their old order), so other writers' sections survive. E.g.
     * {@code Files.writeString(file, MarkedSection.keepOthers(Files.exists(file) ? Files.readString(file) : null, report))}.
     */
    public static String keepOthers(String old, String fresh) {
        if (old == null) {
            return fresh;
        }
        String out = fresh;
        List<String> names = new ArrayList<>();
        Matcher m = ANY.matcher(old);
        while (m.find()) {
            names.add(m.group(1));
        }
        for (String name : names) {
            if (get(out, name) == null) {
                out = put(out, name, get(old, name));
            }
        }
        return out;
    }

    private static void requireName(String name) {
        if (name == null || !name.matches("[a-z0-9-]+")) {
            throw new IllegalArgumentException("section name must match [a-z0-9-]+, was '" + name + "'");
        }
    }
}
