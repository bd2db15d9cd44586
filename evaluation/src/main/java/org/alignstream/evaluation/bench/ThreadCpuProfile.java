package org.alignstream.evaluation.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * CPU time per thread group between two snapshots (threads grouped by name with numbers and client ids removed, e.g.
 * all {@code data-plane-kafka-request-handler-N}). Shows where a pipeline spends CPU beyond the model call.
 */
final class ThreadCpuProfile {
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final Pattern NUMBERS = Pattern.compile("[0-9a-f]{8}-[0-9a-f-]{27}|\\d+");

    private final Map<Long, Long> startCpu;
    private final Map<Long, String> names = new HashMap<>();

    private ThreadCpuProfile(Map<Long, Long> startCpu) {
        this.startCpu = startCpu;
    }

    static ThreadCpuProfile start() {
        return new ThreadCpuProfile(snapshot(new HashMap<>()));
    }

    /** CPU milliseconds per thread group since {@link #start()}, largest first. */
    Map<String, Double> stop() {
        Map<Long, Long> end = snapshot(names);
        Map<String, Double> groups = new HashMap<>();
        end.forEach((id, cpu) -> {
            double ms = (cpu - startCpu.getOrDefault(id, 0L)) / 1e6;
            if (ms > 0) {
                groups.merge(group(names.get(id)), ms, Double::sum);
            }
        });
        Map<String, Double> sorted = new LinkedHashMap<>();
        groups.entrySet().stream().sorted(Map.Entry.<String, Double>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /** A thread's group: its name up to any " | " suffix, with numbers and UUIDs replaced by '#'. */
    static String group(String threadName) {
        String name = threadName == null ? "?" : threadName;
        int bar = name.indexOf(" | ");
        if (bar >= 0) {
            name = name.substring(0, bar);
        }
        return NUMBERS.matcher(name).replaceAll("#");
    }

    /** Prints the groups using at least 1% of the total, per record. */
    static void print(Map<String, Double> cpuMs, int records) {
        double total = cpuMs.values().stream().mapToDouble(Double::doubleValue).sum();
        System.out.printf(Locale.ROOT, "    thread cpu: %.1f ms/record in all threads%n", total / records);
        cpuMs.forEach((group, ms) -> {
            if (ms >= total / 100) {
                System.out.printf(Locale.ROOT, "      %6.2f ms/record  %s%n", ms / records, group);
            }
        });
    }

    private static Map<Long, Long> snapshot(Map<Long, String> namesOut) {
        Map<Long, Long> cpu = new HashMap<>();
        for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long t = THREADS.getThreadCpuTime(info.getThreadId());
            if (t >= 0) {
                cpu.put(info.getThreadId(), t);
                namesOut.put(info.getThreadId(), info.getThreadName());
            }
        }
        return cpu;
    }
}
