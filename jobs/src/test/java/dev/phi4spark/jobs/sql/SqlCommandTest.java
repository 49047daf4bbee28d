package dev.phi4spark.jobs.sql;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.PipelineFixture;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code phi4spark sql} against the tables of a real local pipeline run. */
class SqlCommandTest {

    private static PipelineFixture run;

    @TempDir
    Path tmp;

    @BeforeAll
    static void pipeline() {
        run = PipelineFixture.get();
    }

    private static PipelineFixture.Result sql(String... options) {
        String[] base = run.args("sql");
        String[] args = new String[base.length + options.length];
        System.arraycopy(base, 0, args, 0, base.length);
        System.arraycopy(options, 0, args, base.length, options.length);
        return PipelineFixture.cli(args);
    }

    @Test
    void countsTheGeneratedRowsAsATable() {
        long rows = JobsSpark.get().read().format("delta").load(run.warehouse().resolve("synthetic_raw").toString())
                .count();
        assertThat(rows).isPositive();
        PipelineFixture.Result r = sql("-e", "SELECT count(*) FROM synthetic_raw");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(String.format(" count(1)%n----------%n %8d%n(1 row)%n", rows));
    }

    @Test
    void readsTheRunsTableByName() {
        PipelineFixture.Result r = sql("-e", "SELECT status FROM runs");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(String.format("  status%n-----------%n succeeded%n(1 row)%n"));
    }

    @Test
    void runsSeveralStatementsAndAlignsColumns() {
        PipelineFixture.Result r = sql("-e", "SELECT 1 AS a, 'xyz' AS bb; SELECT 'x;y' AS s, CAST(NULL AS INT) AS n");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(String.format(" a | bb%n---+-----%n 1 | xyz%n(1 row)%n"
                + "  s  |  n%n-----+------%n x;y | NULL%n(1 row)%n"));
    }

    @Test
    void everyProjectTableIsAView() {
        PipelineFixture.Result r = sql("--format", "csv", "-e", "SELECT (SELECT count(*) FROM synthetic_curated)"
                + " + (SELECT count(*) FROM synthetic_rejected) = (SELECT count(*) FROM synthetic_raw) AS whole,"
                + " (SELECT count(*) FROM corpus_scores) = (SELECT count(*) FROM synthetic_curated) AS scored");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(String.format("whole,scored%ntrue,true%n"));
    }

    @Test
    void printsCsvAndJson() {
        PipelineFixture.Result csv = sql("--format", "csv", "-e", "SELECT 'a,b' AS x, 1 AS y, CAST(NULL AS STRING) AS z");
        assertThat(csv.out()).isEqualTo(String.format("x,y,z%n\"a,b\",1,%n"));
        PipelineFixture.Result json = sql("--format", "json", "-e", "SELECT count(*) AS n, 'ok' AS s FROM runs");
        assertThat(json.out()).isEqualTo(String.format("{\"n\":1,\"s\":\"ok\"}%n"));
    }

    @Test
    void aFailingQueryIsOneLineAndExitOne() {
        PipelineFixture.Result r = sql("-e", "SELECT 1 AS one; SELECT * FROM nope; SELECT 2 AS two");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.out()).contains(" one").doesNotContain("two");
        assertThat(r.err()).startsWith("phi4spark: Cannot run query: [TABLE_OR_VIEW_NOT_FOUND] The table or view"
                + " `nope` cannot be found");
        assertThat(r.err().strip().lines()).hasSize(1);
    }

    @Test
    void badFormatAndMissingFileSayWhy() {
        PipelineFixture.Result format = sql("--format", "xml", "-e", "SELECT 1");
        assertThat(format.status()).isEqualTo(1);
        assertThat(format.err()).contains("Cannot print results: unknown format (xml); use table, csv or json");
        PipelineFixture.Result file = sql("-f", tmp.resolve("missing.sql").toString());
        assertThat(file.status()).isEqualTo(1);
        assertThat(file.err()).contains("Cannot read the SQL file: it does not exist (" + tmp.resolve("missing.sql"));
    }

    @Test
    void runsAFileOfStatements() throws Exception {
        Path file = tmp.resolve("q.sql");
        Files.writeString(file, "-- the runs; then a literal\nSELECT command FROM runs;\n/* ; */ SELECT 'a;b' AS v;\n");
        PipelineFixture.Result r = sql("-f", file.toString());
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(String.format(" command%n----------%n pipeline%n(1 row)%n"
                + "  v%n-----%n a;b%n(1 row)%n"));
    }

    @Test
    void thePromptGoesOnAfterAnErrorAndStopsAtExit() {
        InputStream stdin = System.in;
        try {
            System.setIn(new ByteArrayInputStream(("SELECT 1 AS one;\nSELECT * FROM nope;\nSELECT\n  2 AS two;\n"
                    + "exit\nSELECT 3 AS three;\n").getBytes(StandardCharsets.UTF_8)));
            PipelineFixture.Result r = sql();
            assertThat(r.status()).isZero();
            assertThat(r.out()).isEqualTo(String.format(" one%n-----%n   1%n(1 row)%n two%n-----%n   2%n(1 row)%n"));
            assertThat(r.err()).startsWith("phi4spark: Cannot run query: [TABLE_OR_VIEW_NOT_FOUND]");
        } finally {
            System.setIn(stdin);
        }
    }

    @Test
    void thePhi4FunctionsUseTheConfiguredModel() {
        PipelineFixture.Result r = sql("--format", "csv", "-e",
                "SELECT phi4_generate('Say hi', 4) IS NOT NULL AS generated, phi4_judge('Some text.') BETWEEN 0 AND 5"
                        + " AS judged");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).isEqualTo(String.format("generated,judged%ntrue,true%n"));
    }
}
