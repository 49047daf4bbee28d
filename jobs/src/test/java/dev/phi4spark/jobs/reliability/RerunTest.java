package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The same generate run twice gives the same table; {@code --resume} generates only what is missing. */
class RerunTest {

    private static final int ROWS = 6;

    @TempDir
    Path tmp;

    private static GenerationCounter counter;

    @BeforeAll
    static void listen() {
        counter = GenerationCounter.register(JobsSpark.get());
    }

    @AfterAll
    static void stop() {
        counter.remove(JobsSpark.get());
    }

    private static TableStore tables(Path warehouse) {
        return new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
    }

    /** Every column but created_at (and run_id, which names the run), sorted by id, as JSON lines. */
    static List<String> content(Path warehouse) {
        Dataset<Row> t = tables(warehouse).read(TableStore.SYNTHETIC_RAW);
        List<Column> cols = new ArrayList<>();
        for (String c : t.columns()) {
            if (!c.equals(SyntheticSchema.CREATED_AT) && !c.equals("run_id")) {
                cols.add(functions.col(c));
            }
        }
        return t.select(cols.toArray(new Column[0])).orderBy("id").toJSON().collectAsList();
    }

    private static long generate(Path warehouse, String... extra) throws InterruptedException {
        SparkSession spark = JobsSpark.get();
        Cli.Run[] run = new Cli.Run[1];
        long rows = counter.during(spark, () -> run[0] = Cli.job("generate", warehouse, concat(extra)));
        assertThat(run[0].status()).as("%s", run[0]).isZero();
        return rows;
    }

    private static String[] concat(String... extra) {
        List<String> args = new ArrayList<>(List.of("--set", Cli.recipes(ROWS)));
        args.addAll(List.of(extra));
        return args.toArray(new String[0]);
    }

    @Test
    void aRerunLeavesTheSameTableAndAnotherWarehouseGetsTheSameContent() throws Exception {
        Path a = tmp.resolve("a");
        assertThat(generate(a)).isEqualTo(ROWS);
        List<Row> first = tables(a).read(TableStore.SYNTHETIC_RAW).orderBy("id").collectAsList();
        assertThat(first).hasSize(ROWS);
        long version = tables(a).version(TableStore.SYNTHETIC_RAW);

        // every planned row is written: the rerun says so instead of generating them again for nothing
        Cli.Run[] rerun = new Cli.Run[1];
        long regenerated = counter.during(JobsSpark.get(), () -> rerun[0] = Cli.job("generate", a, concat()));
        assertThat(rerun[0].status()).as("%s", rerun[0]).isNotZero();
        assertThat(rerun[0].err()).contains("Cannot generate: all " + ROWS + " planned rows are already in"
                + " synthetic_raw (add --resume to skip finished rows, or give a new --run-date for new ones)");
        assertThat(regenerated).as("rows the model ran on").isZero();
        assertThat(tables(a).read(TableStore.SYNTHETIC_RAW).orderBy("id").collectAsList()).isEqualTo(first);
        assertThat(tables(a).version(TableStore.SYNTHETIC_RAW)).as("no empty commits").isEqualTo(version);

        Path b = tmp.resolve("b");
        generate(b);
        assertThat(content(b)).isEqualTo(content(a));
    }

    @Test
    void resumeGeneratesOnlyTheMissingIds() throws Exception {
        Path wh = tmp.resolve("resume");
        generate(wh);
        List<String> full = content(wh);
        List<String> ids = tables(wh).read(TableStore.SYNTHETIC_RAW).orderBy("id").select("id").as(
                org.apache.spark.sql.Encoders.STRING()).collectAsList();
        List<String> gone = List.of(ids.get(1), ids.get(3), ids.get(4));
        io.delta.tables.DeltaTable.forPath(JobsSpark.get(), tables(wh).location(TableStore.SYNTHETIC_RAW))
                .delete(functions.col("id").isin(gone.toArray()));
        assertThat(tables(wh).read(TableStore.SYNTHETIC_RAW).count()).isEqualTo(ROWS - gone.size());

        long generated = generate(wh, "--resume");

        assertThat(generated).as("rows the model ran on under --resume").isEqualTo(gone.size());
        assertThat(content(wh)).isEqualTo(full);
        assertThat(tables(wh).read(TableStore.SYNTHETIC_RAW).groupBy("id").count().where("count > 1").count()).isZero();

        assertThat(generate(wh, "--resume")).as("nothing is left to generate").isZero();
    }
}
