package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.RunRecorder;
import dev.phi4spark.jobs.delta.TableStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, items 4 and 5: a run that stops without recording its end (kill -9, a full disk) is shown and
 * then recorded as {@code died} with what it had committed; a crafted run id never becomes a path.
 */
class RunsTruthTest {

    @TempDir
    Path tmp;

    private static TableStore tables(Path warehouse) {
        return new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
    }

    /** Rewrites a runs row as a process killed an hour ago would have left it. */
    private static void rewind(TableStore tables, Row run, String runId, String status) {
        Timestamp hourAgo = Timestamp.from(Instant.now().minusSeconds(3600));
        Row killed = RowFactory.create(runId, run.getAs("command"), status, run.getAs("config"),
                run.getAs("config_hash"), run.getAs("model"), run.getJavaMap(run.fieldIndex("versions")),
                hourAgo, null, Map.of(), 0, 0, null, null, hourAgo);
        tables.upsert(TableStore.RUNS, JobsSpark.get().createDataFrame(List.of(killed), RunRecorder.SCHEMA), "run_id");
    }

    @Test
    void aRunThatStoppedBeatingIsShownAndRecordedAsDied() throws IOException {
        Path warehouse = tmp.resolve("warehouse");
        Cli.Run first = Cli.job("generate", warehouse, "--set", Cli.recipes(3), "--set", "runs.heartbeat_seconds=2",
                "--set", "generate.keep_rejected=true"); // random text: keep every row the recipe rejects
        assertThat(first.status()).as("%s", first).isZero();
        TableStore tables = tables(warehouse);
        Row run = tables.read(TableStore.RUNS).collectAsList().get(0);
        assertThat(run.<String>getAs("status")).isEqualTo("succeeded");
        assertThat(run.<Timestamp>getAs("heartbeat_at")).isNotNull();
        // The end records the last sign of life; whether a 2 s beat fell between start and end depends on
        // the machine's speed, so only the order is asserted.
        assertThat(run.<Timestamp>getAs("heartbeat_at")).isAfterOrEqualTo(run.<Timestamp>getAs("started_at"));

        String id = run.getAs("run_id");
        rewind(tables, run, id, "running"); // as left by kill -9: running, empty counts, old heartbeat
        Cli.Run sql = Cli.run("sql", "--set", "warehouse=" + warehouse, "--format", "csv", "-e",
                "SELECT status FROM runs WHERE run_id = '" + id + "'");
        assertThat(sql.status()).as("%s", sql).isZero();
        assertThat(sql.out()).contains(RunRecorder.DIED).doesNotContain("running");
        Path report = tmp.resolve("died.html");
        Cli.Run html = Cli.run("report", "--set", "warehouse=" + warehouse, "--run", id, "--out", report.toString());
        assertThat(html.status()).as("%s", html).isZero();
        assertThat(Files.readString(report)).contains(RunRecorder.DIED);

        // The next run records it: died, when it was last seen, and the rows it had committed.
        Cli.Run next = Cli.job("generate", warehouse, "--set", Cli.recipes(1), "--resume");
        assertThat(next.status()).as("%s", next).isZero();
        Row died = tables.read(TableStore.RUNS).where(functions.col("run_id").equalTo(id)).collectAsList().get(0);
        assertThat(died.<String>getAs("status")).isEqualTo(RunRecorder.DIED);
        assertThat(died.<String>getAs("error")).startsWith("died: no heartbeat since ");
        assertThat(died.<Timestamp>getAs("ended_at")).isEqualTo(died.<Timestamp>getAs("heartbeat_at"));
        assertThat(died.<String, Long>getJavaMap(died.fieldIndex("row_counts")))
                .containsEntry(TableStore.SYNTHETIC_RAW, 3L);
    }

    @Test
    void aCraftedRunIdNeverBecomesAPath() throws IOException {
        Path warehouse = tmp.resolve("deep/warehouse");
        Cli.Run first = Cli.job("generate", warehouse, "--set", Cli.recipes(1));
        assertThat(first.status()).as("%s", first).isZero();
        TableStore tables = tables(warehouse);
        Row run = tables.read(TableStore.RUNS).collectAsList().get(0);
        rewind(tables, run, "../../../escaped", "succeeded");
        tables.upsert(TableStore.RUNS, tables.read(TableStore.RUNS).where(functions.col("run_id").equalTo("../../../escaped"))
                .withColumn("started_at", functions.current_timestamp()), "run_id"); // the newest run

        Cli.Run latest = Cli.run("report", "--set", "warehouse=" + warehouse);
        assertThat(latest.status()).as("%s", latest).isEqualTo(1);
        assertThat(latest.err()).isEqualTo("phi4spark: Cannot write the run report: run id '../../../escaped' is not a"
                + " phi4spark run id (expected yyyyMMdd-HHmmss- and 8 hex digits, e.g. 20261130-150405-1a2b3c4d)"
                + System.lineSeparator());
        Cli.Run given = Cli.run("report", "--set", "warehouse=" + warehouse, "--run", "../x");
        assertThat(given.status()).isEqualTo(1);
        assertThat(given.err()).startsWith("phi4spark: Cannot write the run report: run id '../x' is not a");
        try (Stream<Path> files = Files.walk(tmp)) {
            assertThat(files.filter(p -> p.toString().endsWith(".html")).toList()).isEmpty();
        }
        assertThat(RunRecorder.checkRunId(run.getAs("run_id"), "test")).isEqualTo(run.getAs("run_id"));
    }
}
