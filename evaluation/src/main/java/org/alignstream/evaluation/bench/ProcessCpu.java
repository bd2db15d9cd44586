package org.alignstream.evaluation.bench;

import java.lang.management.ManagementFactory;

/**
 * CPU time used by this JVM (all threads: stages, embedded broker, clients). On a shared machine the wall clock
 * depends on what else runs; the CPU spent per record does much less, so it shows where the pipeline's extra work goes.
 */
final class ProcessCpu {
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private ProcessCpu() {
    }

    /** CPU nanoseconds this process has used, or -1 if the JVM cannot tell. */
    static long nanos() {
        return OS.getProcessCpuTime();
    }
}
