package dev.phi4spark.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.RunRecorder;
import dev.phi4spark.jobs.delta.TableStore;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The stop hook's own paths, run directly (a JVM's shutdown happens once): the command records the stop when
 * it can ({@code StopSignalTest} shows that end to end, through a real SIGTERM); when it does not within the
 * grace time (stuck outside Spark), the hook records the run itself; a run already ended is left alone.
 */
class RunStopperTest {

    @TempDir
    Path tmp;

    private TableStore store(SparkSession spark) {
        return new TableStore(spark, JobConfig.load(null, List.of("warehouse=" + tmp.resolve("wh"))));
    }

    /** A run of {@code command} in this test's warehouse, with a stopper that waits {@code graceMillis}. */
    private record Stoppable(TableStore store, RunRecorder run, RunStopper stopper) {
        Row row() {
            return store.read(TableStore.RUNS).where("run_id = '" + run.runId() + "'").select("status", "error").head();
        }
    }

    private Stoppable start(String command, long graceMillis) {
        SparkSession spark = JobsSpark.get();
        TableStore store = store(spark);
        RunRecorder run = RunRecorder.start(spark, store, command, JobConfig.load(null, List.of()));
        long grace = TimeUnit.MILLISECONDS.toNanos(graceMillis);
        return new Stoppable(store, run, new RunStopper(spark.sparkContext(), run, grace));
    }

    @Test
    void aCommandThatDoesNotAnswerTheStopIsRecordedByTheHook() {
        Stoppable s = start("generate", 500);
        s.stopper().stop();
        Row row = s.row();
        assertThat(row.getString(0)).isEqualTo("failed");
        assertThat(row.getString(1)).isEqualTo(RunStopper.STOPPED);
        // The command's own late record changes nothing: the first end counts.
        assertThat(s.stopper().beginFailureRecord()).isTrue();
        s.run().failed("Job 7 cancelled as part of cancellation of all jobs");
        s.stopper().close();
        assertThat(s.row().getString(1)).isEqualTo(RunStopper.STOPPED);
    }

    @Test
    void aStopAfterTheRunEndedChangesNothing() {
        Stoppable s = start("score", 30_000);
        s.run().succeeded();
        s.stopper().close();
        long started = System.nanoTime();
        s.stopper().stop();
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).as("seconds the hook waited")
                .isLessThan(5);
        assertThat(s.stopper().beginFailureRecord()).as("a stop after the end is a stop; the record stands").isTrue();
        assertThat(s.row().getString(0)).isEqualTo("succeeded");
    }
}
