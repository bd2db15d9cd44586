package org.alignstream.evaluation.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One stage configuration the tokenwise section measures: processing guarantee, {@code commit.interval.ms}, producer
 * {@code linger.ms} and optionally Kafka Streams' {@code poll.ms}, given to all three stages. Written
 * {@code GUARANTEE:COMMIT_MS[:LINGER_MS[:POLL_MS]]} with GUARANTEE {@code eos} (exactly_once_v2) or {@code alo}
 * (at_least_once) and {@code -} for "the stages' default", e.g. {@code eos:10} (the stages' defaults; the ratio lines are for the first config), {@code eos:100},
 * {@code alo:100:0}, {@code eos:20:-:20}. Without a linger the stages' default (5 ms) applies, without a poll Kafka
 * Streams' (100 ms).
 *
 * @param exactlyOnce exactly_once_v2 (true) or at_least_once (false)
 * @param commitMs    {@code --commit-interval-ms}, at least 0 (0 = commit after every processing loop)
 * @param lingerMs    {@code --producer-linger-ms}, or null for the stages' default
 * @param pollMs      Kafka Streams {@code poll.ms} (as {@code --config=poll.ms=N}), or null for its default
 */
public record TokenwiseConfig(boolean exactlyOnce, long commitMs, Integer lingerMs, Integer pollMs) {

    /** The stage flags this benchmark sets itself for each configuration; {@code --stage-arg} must leave them alone. */
    static final List<String> FLAGS = List.of("--processing-guarantee", "--commit-interval-ms", "--producer-linger-ms");

    /** Without a poll.ms. */
    public TokenwiseConfig(boolean exactlyOnce, long commitMs, Integer lingerMs) {
        this(exactlyOnce, commitMs, lingerMs, null);
    }

    /** The configurations measured when {@code --tokenwise-configs} is not given; the first is the stages' default. */
    public static final String DEFAULTS = "eos:10,eos:100,eos:50,eos:20,alo:100:5,alo:100:0";

    public TokenwiseConfig {
        if (commitMs < 0) {
            throw new IllegalArgumentException("commit interval must be >= 0 ms, was " + commitMs);
        }
        if (lingerMs != null && lingerMs < 0) {
            throw new IllegalArgumentException("linger must be >= 0 ms, was " + lingerMs);
        }
        if (pollMs != null && pollMs < 1) {
            throw new IllegalArgumentException("poll.ms must be >= 1 ms, was " + pollMs);
        }
    }

    /** Reads {@code GUARANTEE:COMMIT_MS[:LINGER_MS[:POLL_MS]]}. */
    public static TokenwiseConfig parse(String spec) {
        String s = spec == null ? "" : spec.strip();
        String[] parts = s.split(":", -1);
        if (parts.length < 2 || parts.length > 4) {
            throw new IllegalArgumentException("tokenwise config must be GUARANTEE:COMMIT_MS[:LINGER_MS[:POLL_MS]] with "
                    + "GUARANTEE eos or alo and - for a default, e.g. eos:100, alo:100:0 or eos:20:-:20; was '" + spec
                    + "'");
        }
        boolean eos = switch (parts[0].toLowerCase(Locale.ROOT)) {
            case "eos", "exactly_once_v2" -> true;
            case "alo", "at_least_once" -> false;
            default -> throw new IllegalArgumentException("tokenwise config '" + spec + "': guarantee must be eos "
                    + "(exactly_once_v2) or alo (at_least_once), was '" + parts[0] + "'");
        };
        long commit = number(parts[1], "commit interval", spec);
        Integer linger = optional(parts, 2, "linger", spec);
        Integer poll = optional(parts, 3, "poll.ms", spec);
        return new TokenwiseConfig(eos, commit, linger, poll);
    }

    private static Integer optional(String[] parts, int i, String what, String spec) {
        if (parts.length <= i || parts[i].strip().equals("-")) {
            return null;
        }
        return Math.toIntExact(number(parts[i], what, spec));
    }

    /** Reads a comma-separated list of configurations (at least one, no repeats). */
    public static List<TokenwiseConfig> parseList(String specs) {
        List<TokenwiseConfig> out = new ArrayList<>();
        for (String spec : (specs == null ? "" : specs).split(",")) {
            if (spec.isBlank()) {
                continue;
            }
            TokenwiseConfig c = parse(spec);
            if (out.contains(c)) {
                throw new IllegalArgumentException("tokenwise config " + c.label() + " is listed twice");
            }
            out.add(c);
        }
        if (out.isEmpty()) {
            throw new IllegalArgumentException("no tokenwise configs in '" + specs + "'");
        }
        return List.copyOf(out);
    }

    private static long number(String text, String what, String spec) {
        try {
            return Long.parseLong(text.strip());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("tokenwise config '" + spec + "': " + what + " must be a whole number "
                    + "of ms, was '" + text + "'");
        }
    }

    /**
     * @throws IllegalArgumentException if a {@code --stage-arg} sets one of the flags the configurations set (the stages
     *                                  would reject the flag given twice)
     */
    static void requireNoConflict(List<String> stageArgs, List<TokenwiseConfig> configs) {
        boolean setsPoll = configs.stream().anyMatch(c -> c.pollMs() != null);
        for (String arg : stageArgs) {
            for (String flag : FLAGS) {
                if (arg.equals(flag) || arg.startsWith(flag + "=")) {
                    throw new IllegalArgumentException("--stage-arg=" + arg + " conflicts with --tokenwise-configs, "
                            + "which sets " + String.join(", ", FLAGS) + " itself; give the setting as a tokenwise "
                            + "config instead");
                }
            }
            if (setsPoll && arg.contains("poll.ms=")) {
                throw new IllegalArgumentException("--stage-arg=" + arg + " conflicts with a tokenwise config that "
                        + "sets poll.ms");
            }
        }
    }

    public String guarantee() {
        return exactlyOnce ? "exactly_once_v2" : "at_least_once";
    }

    /** The flags for every stage. */
    public List<String> stageArgs() {
        List<String> args = new ArrayList<>(List.of("--processing-guarantee=" + guarantee(),
                "--commit-interval-ms=" + commitMs));
        if (lingerMs != null) {
            args.add("--producer-linger-ms=" + lingerMs);
        }
        if (pollMs != null) {
            args.add("--config=poll.ms=" + pollMs);
        }
        return List.copyOf(args);
    }

    /** As written, shortest form: {@code eos:100}, {@code alo:100:0}, {@code eos:20:-:20}. */
    public String label() {
        String label = (exactlyOnce ? "eos" : "alo") + ":" + commitMs;
        if (pollMs != null) {
            return label + ":" + (lingerMs == null ? "-" : lingerMs) + ":" + pollMs;
        }
        return lingerMs == null ? label : label + ":" + lingerMs;
    }
}
