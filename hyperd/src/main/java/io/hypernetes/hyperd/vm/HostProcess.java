package io.hypernetes.hyperd.vm;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.OptionalLong;

/** What /proc says about a process: enough to tell a live QEMU from a zombie or a reused pid. */
final class HostProcess {
    private HostProcess() {
    }

    /** Field 22 of /proc/pid/stat (start time in clock ticks since boot); empty if there is no such process. */
    static OptionalLong startTime(long pid) {
        String[] fields = statFields(pid);
        return fields == null ? OptionalLong.empty() : OptionalLong.of(Long.parseLong(fields[19]));
    }

    /** Alive, not a zombie, started when recorded, and a QEMU. */
    static boolean isSameQemu(long pid, long startTime) {
        String[] fields = statFields(pid);
        if (fields == null || fields[0].equals("Z") || fields[0].equals("X") || Long.parseLong(fields[19]) != startTime) {
            return false;
        }
        try {
            String cmdline = new String(Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline")), StandardCharsets.UTF_8);
            return cmdline.contains("qemu");
        } catch (IOException e) {
            return false;
        }
    }

    /** VmRSS from /proc/pid/status in bytes, 0 if gone. */
    static long rssBytes(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** The fields after "(comm)", so field 3 (state) is index 0 whatever the command's name contains. */
    private static String[] statFields(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            return stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        } catch (IOException | StringIndexOutOfBoundsException e) {
            return null;
        }
    }
}
