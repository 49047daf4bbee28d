package dev.phi4spark.udf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The machine's CPU time and this process's, from Linux's {@code /proc}, so a benchmark can say how much of
 * the CPUs other processes and kernel threads took while it measured. On a 2-vCPU VM one such thread (here
 * the kernel's DAMON reclaim thread, {@code kdamond}) takes a whole vCPU for tens of milliseconds at a time,
 * and the decode's two threads then share the other: the steps it lands on run 2-3x slower
 * (docs/benchmarks.md, issue 14).
 *
 * @param busyTicks all CPUs' non-idle time, hypervisor steal included, in clock ticks
 * @param totalTicks all CPUs' time, idle included, in clock ticks
 * @param selfTicks this process's user and system time, in the same ticks
 */
record HostCpu(long busyTicks, long totalTicks, long selfTicks) {

    /** Now, or null where {@code /proc} cannot be read (not Linux). */
    static HostCpu sample() {
        try {
            String stat = Files.readString(Path.of("/proc/stat"));
            String self = Files.readString(Path.of("/proc/self/stat"));
            return parse(stat.substring(0, stat.indexOf('\n')), self);
        } catch (IOException | RuntimeException e) {
            return null;
        }
    }

    /**
     * From {@code /proc/stat}'s first line ({@code cpu user nice system idle iowait irq softirq steal ...}) and
     * {@code /proc/self/stat} (utime and stime, the 14th and 15th fields, counted after the command name's
     * closing parenthesis since the name may hold spaces).
     */
    static HostCpu parse(String cpuLine, String selfStat) {
        String[] f = cpuLine.trim().split("\\s+");
        long total = 0;
        for (int i = 1; i <= 8 && i < f.length; i++) { // guest time is already inside user
            total += Long.parseLong(f[i]);
        }
        long idle = Long.parseLong(f[4]) + Long.parseLong(f[5]);
        String[] s = selfStat.substring(selfStat.lastIndexOf(')') + 2).trim().split("\\s+");
        long self = Long.parseLong(s[11]) + Long.parseLong(s[12]);
        return new HostCpu(total - idle, total, self);
    }

    /** The share of all CPUs' time since {@code before} that other processes and kernel threads used. */
    double otherShareSince(HostCpu before) {
        long total = totalTicks - before.totalTicks;
        if (total <= 0) {
            return 0;
        }
        long other = (busyTicks - before.busyTicks) - (selfTicks - before.selfTicks);
        return Math.max(0, Math.min(1, (double) other / total));
    }
}
