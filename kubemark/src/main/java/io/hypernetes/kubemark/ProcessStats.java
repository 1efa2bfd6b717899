package io.hypernetes.kubemark;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;

/**
 * One reading of a Linux process from {@code /proc}: CPU seconds used so far (user + system, all threads), resident
 * memory now and at its peak ({@code VmHWM}, which the kernel keeps, so a peak between two readings is not missed).
 */
record ProcessStats(double cpuSeconds, long rssBytes, long peakRssBytes) {
    /** USER_HZ: the unit of utime and stime, 100 on every Linux this runs on (sysconf(_SC_CLK_TCK)). */
    private static final double CLOCK_TICKS = 100.0;

    /** The process's reading, or empty when it is gone or /proc is not there. */
    static Optional<ProcessStats> read(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // the command name may hold spaces and parentheses: fields are counted after the last ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            double cpu = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / CLOCK_TICKS; // utime, stime (fields 14, 15)
            long rss = 0;
            long peak = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) rss = kilobytes(line) * 1024;
                if (line.startsWith("VmHWM:")) peak = kilobytes(line) * 1024;
            }
            return Optional.of(new ProcessStats(cpu, rss, Math.max(peak, rss)));
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static long kilobytes(String line) {
        return Long.parseLong(line.replaceAll("[^0-9]", ""));
    }
}
