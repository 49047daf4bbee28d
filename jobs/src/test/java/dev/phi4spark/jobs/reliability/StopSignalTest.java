package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.Main;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The driver (a child JVM on {@code local[2]}) stopped with SIGTERM, as Airflow, Kubernetes and YARN stop a
 * task and as Ctrl-C does, while its tasks generate: the run is recorded {@code failed} with the reason at
 * once (before: {@code running}, shown as {@code died} only after three missed heartbeats), the rows it
 * committed stay, and the process exits within the stop's time instead of finishing its window.
 */
class StopSignalTest {

    static final int ROWS = 40;

    @TempDir
    Path tmp;

    @Test
    void aStoppedDriverRecordsItsRunAsStoppedAndExitsPromptly() throws Exception {
        Path warehouse = tmp.resolve("warehouse");
        List<String> args = new ArrayList<>(DriverLossTest.args(warehouse, ROWS, 10));
        // Long rows, so the signal comes while tasks are generating (each chunk takes several seconds)
        args.addAll(List.of("--set", "sampling.max_new_tokens=2000", "--master", "local[2]"));
        long signalled;
        int exit;
        long seconds;
        try (ChildJvm driver = ChildJvm.start(ChildJvm.CLIENT_COMPILER, tmp, "driver", "1g", ChildJvm.sparkHome(tmp),
                Main.class.getName(), args.toArray(new String[0]))) {
            assertThat(driver.await(s -> s.contains("committed"), 240))
                    .as("a chunk committed; output:\n%s", driver.tail()).isTrue();
            Thread.sleep(500); // into the next chunk's generation
            signalled = System.nanoTime();
            driver.process().destroy(); // SIGTERM
            exit = driver.waitFor(120);
            seconds = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - signalled);
            assertThat(exit).as("exit status (128 + SIGTERM); output:\n%s", driver.tail()).isEqualTo(143);
            assertThat(seconds).as("seconds from SIGTERM to exit; output:\n%s", driver.tail())
                    .isLessThanOrEqualTo(30);
            assertThat(driver.out()).as("stopped before the end").doesNotContain("Tables written");
        }
        TableStore tables = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
        List<Row> runs = tables.read(TableStore.RUNS).select("status", "error", "ended_at").collectAsList();
        assertThat(runs).hasSize(1);
        assertThat(runs.get(0).getString(0)).as("the stopped run's status").isEqualTo("failed");
        assertThat(runs.get(0).getString(1)).isEqualTo("Cannot finish the run: the process was stopped (SIGTERM, Ctrl-C"
                + " or an exit) while it ran; the rows it committed are kept (run the command again with --resume to"
                + " finish it)");
        assertThat(runs.get(0).get(2)).as("ended_at").isNotNull();
        long kept = tables.read(TableStore.SYNTHETIC_RAW).count();
        assertThat(kept).as("rows committed before the stop").isBetween(1L, ROWS - 1L);
        System.out.printf("stop signal: %d of %d rows committed before SIGTERM, exit %d s after it%n", kept, ROWS,
                seconds);
    }
}
