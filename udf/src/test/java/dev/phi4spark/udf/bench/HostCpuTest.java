package dev.phi4spark.udf.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HostCpuTest {

    @Test
    void parsesTheMachineLineAndThisProcessTimesAfterANameWithSpaces() {
        HostCpu cpu = HostCpu.parse("cpu  465506 76 68616 340218 1320 0 1641 7 0 0",
                "4242 (java main) R 18930 18930 1270 0 -1 4194304 126 0 0 0 300 45 0 0 20 0 1 0 441894");
        // busy: user + nice + system + irq + softirq + steal; idle and iowait are not busy
        assertThat(cpu.busyTicks()).isEqualTo(465506 + 76 + 68616 + 1641 + 7);
        assertThat(cpu.totalTicks()).isEqualTo(465506 + 76 + 68616 + 340218 + 1320 + 1641 + 7);
        assertThat(cpu.selfTicks()).isEqualTo(345);
    }

    @Test
    void otherTasksShareIsTheBusyTimeThisProcessDidNotUse() {
        HostCpu before = new HostCpu(1000, 2000, 400);
        // 200 ticks passed on the machine, 180 of them busy, 100 of those ours
        assertThat(new HostCpu(1180, 2200, 500).otherShareSince(before)).isEqualTo(0.4);
        assertThat(new HostCpu(1100, 2200, 500).otherShareSince(before)).isZero(); // all the busy time was ours
        assertThat(before.otherShareSince(before)).isZero();
    }

    @Test
    void aBusyThreadOfAnotherProcessShowsUpAndThisProcessDoesNot() throws Exception {
        HostCpu start = HostCpu.sample();
        assertThat(start).as("/proc is readable on the test machine (Linux)").isNotNull();
        // 0.3 s of this thread's CPU time (however busy the machine) shows in this process's ticks (100 a second)
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        long cpuEnd = threads.getCurrentThreadCpuTime() + 300_000_000L;
        long wallEnd = System.nanoTime() + 10_000_000_000L;
        AtomicBoolean sink = new AtomicBoolean();
        while (threads.getCurrentThreadCpuTime() < cpuEnd && System.nanoTime() < wallEnd) {
            sink.set(!sink.get());
        }
        HostCpu ours = HostCpu.sample();
        assertThat(ours.selfTicks() - start.selfTicks()).isGreaterThanOrEqualTo(25);
        // another process spinning: its time counts as other tasks'
        Process spin = new ProcessBuilder("sh", "-c", "end=$(($(date +%s) + 2)); while [ $(date +%s) -lt $end ]; do :; done")
                .start();
        HostCpu before = HostCpu.sample();
        assertThat(spin.waitFor()).isZero();
        HostCpu after = HostCpu.sample();
        long otherTicks = (after.busyTicks() - before.busyTicks()) - (after.selfTicks() - before.selfTicks());
        assertThat(otherTicks).as("the shell's busy loop, ~1-2 s of one CPU").isGreaterThanOrEqualTo(50);
        assertThat(after.otherShareSince(before)).isBetween(0.1, 1.0);
    }
}
