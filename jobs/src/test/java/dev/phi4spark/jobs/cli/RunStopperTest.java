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

    private static Row runRow(TableStore store, RunRecorder run) {
        return store.read(TableStore.RUNS).where("run_id = '" + run.runId() + "'").select("status", "error").head();
    }

    @Test
    void aCommandThatDoesNotAnswerTheStopIsRecordedByTheHook() {
        SparkSession spark = JobsSpark.get();
        TableStore store = store(spark);
        RunRecorder run = RunRecorder.start(spark, store, "generate", JobConfig.load(null, List.of()));
        RunStopper stopper = new RunStopper(spark.sparkContext(), run, TimeUnit.MILLISECONDS.toNanos(500));
        stopper.stop();
        Row row = runRow(store, run);
        assertThat(row.getString(0)).isEqualTo("failed");
        assertThat(row.getString(1)).isEqualTo(RunStopper.STOPPED);
        // The command's own late record changes nothing: the first end counts.
        assertThat(stopper.stopping()).isTrue();
        run.failed("Job 7 cancelled as part of cancellation of all jobs");
        stopper.close();
        assertThat(runRow(store, run).getString(1)).isEqualTo(RunStopper.STOPPED);
    }

    @Test
    void aStopAfterTheRunEndedChangesNothing() {
        SparkSession spark = JobsSpark.get();
        TableStore store = store(spark);
        RunRecorder run = RunRecorder.start(spark, store, "score", JobConfig.load(null, List.of()));
        RunStopper stopper = new RunStopper(spark.sparkContext(), run, TimeUnit.SECONDS.toNanos(30));
        run.succeeded();
        stopper.close();
        long started = System.nanoTime();
        stopper.stop();
        assertThat(TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - started)).as("seconds the hook waited")
                .isLessThan(5);
        assertThat(stopper.stopping()).as("a stop that came after the end is a stop, but the record stands").isTrue();
        assertThat(runRow(store, run).getString(0)).isEqualTo("succeeded");
    }
}
