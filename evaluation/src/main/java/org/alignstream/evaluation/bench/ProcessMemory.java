package org.alignstream.evaluation.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A process's resident memory from Linux's {@code /proc/PID/status}: {@code VmRSS} (resident now) and {@code VmHWM}
 * (the peak resident size so far), in KiB.
 */
record ProcessMemory(long rssKib, long peakRssKib) {

    /** Reads {@code /proc/PID/status}. */
    static ProcessMemory of(long pid) throws IOException {
        return parse(Files.readString(Path.of("/proc", Long.toString(pid), "status")));
    }

    /** Parses the text of a {@code /proc/PID/status} file. */
    static ProcessMemory parse(String status) {
        return new ProcessMemory(field(status, "VmRSS"), field(status, "VmHWM"));
    }

    private static long field(String status, String name) {
        for (String line : status.split("\n")) {
            if (line.startsWith(name + ":")) {
                String[] parts = line.substring(name.length() + 1).strip().split("\\s+");
                if (parts.length != 2 || !parts[1].equals("kB")) {
                    throw new IllegalArgumentException("unexpected " + name + " line in /proc status: '" + line + "'");
                }
                return Long.parseLong(parts[0]);
            }
        }
        throw new IllegalArgumentException("no " + name + " line in /proc status");
    }

    double rssMib() {
        return rssKib / 1024.0;
    }

    double peakRssMib() {
        return peakRssKib / 1024.0;
    }
}
