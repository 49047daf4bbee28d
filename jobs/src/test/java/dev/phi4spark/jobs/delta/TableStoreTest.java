package dev.phi4spark.jobs.delta;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TableStoreTest {

    @TempDir
    Path tmp;

    private static final StructType SCHEMA = new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType);

    private Dataset<Row> rows(SparkSession spark, int from, int to) {
        List<Row> rows = new ArrayList<>();
        for (int i = from; i < to; i++) {
            rows.add(RowFactory.create("id-" + i, "text " + i));
        }
        return spark.createDataFrame(rows, SCHEMA);
    }

    private TableStore store(SparkSession spark) {
        return new TableStore(spark, JobConfig.load(null, List.of("warehouse=" + tmp.resolve("wh"))));
    }

    @Test
    void insertingTheSameRowsTwiceLeavesThemOnce() {
        SparkSession spark = JobsSpark.get();
        TableStore store = store(spark);
        assertThat(store.exists("t")).isFalse();
        assertThat(store.insertNew("t", rows(spark, 0, 10), "id")).isEqualTo(10);
        long version = store.version("t");
        assertThat(store.insertNew("t", rows(spark, 0, 10), "id")).isZero();
        assertThat(store.insertNew("t", rows(spark, 5, 15), "id")).isEqualTo(5);
        assertThat(store.read("t").count()).isEqualTo(15);
        assertThat(store.read("t").select("id").distinct().count()).isEqualTo(15);
        assertThat(store.version("t")).isGreaterThan(version);
        assertThat(spark.sql("SELECT count(*) FROM " + store.sqlName("t")).head().getLong(0)).isEqualTo(15);
    }

    @Test
    void aCatalogDatabaseHoldsTheTablesByName() {
        SparkSession spark = JobsSpark.get();
        // Created here so that its tables live in the temp folder; the store's CREATE ... IF NOT EXISTS keeps it.
        spark.sql("CREATE DATABASE IF NOT EXISTS phi4spark_store_test LOCATION '" + tmp.resolve("db").toUri() + "'");
        try {
            TableStore store = new TableStore(spark, JobConfig.load(null, List.of("database=phi4spark_store_test")));
            assertThat(store.sqlName("t")).isEqualTo("`phi4spark_store_test`.`t`");
            assertThat(store.exists("t")).isFalse();
            assertThat(store.insertNew("t", rows(spark, 0, 10), "id")).isEqualTo(10);
            assertThat(store.insertNew("t", rows(spark, 5, 15), "id")).isEqualTo(5);
            assertThat(store.exists("t")).isTrue();
            assertThat(spark.catalog().tableExists("phi4spark_store_test", "t")).isTrue();
            assertThat(spark.sql("SELECT count(DISTINCT id) FROM phi4spark_store_test.t").head().getLong(0)).isEqualTo(15);
            assertThat(store.read("t").count()).isEqualTo(15);
            assertThat(store.version("t")).isEqualTo(1);
            RunRecorder run = RunRecorder.start(spark, store, "generate", JobConfig.load(null, List.of()));
            run.succeeded();
            assertThat(spark.sql("SELECT status FROM phi4spark_store_test.runs").head().getString(0))
                    .isEqualTo("succeeded");
        } finally {
            spark.sql("DROP DATABASE IF EXISTS phi4spark_store_test CASCADE");
        }
    }

    @Test
    void concurrentWritersBothLandWithoutDuplicates() throws Exception {
        SparkSession spark = JobsSpark.get();
        TableStore store = store(spark);
        store.insertNew("c", rows(spark, 0, 1), "id");
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Long>> f = new ArrayList<>();
            for (int w = 0; w < 2; w++) {
                int from = w * 50;
                f.add(pool.submit(() -> {
                    long n = 0;
                    for (int chunk = 0; chunk < 4; chunk++) {
                        n += store.insertNew("c", rows(spark, from + chunk * 20, from + chunk * 20 + 30), "id");
                    }
                    return n;
                }));
            }
            long inserted = f.get(0).get() + f.get(1).get();
            long total = store.read("c").count();
            assertThat(total).isEqualTo(store.read("c").select("id").distinct().count());
            assertThat(total).isEqualTo(140); // ids 0..89 and 50..139
            assertThat(inserted + 1).isEqualTo(total);
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void theRunsRowGoesFromRunningToSucceeded() {
        SparkSession spark = JobsSpark.get();
        TableStore store = store(spark);
        JobConfig config = JobConfig.load(null, List.of("spark.conf.spark.hadoop.fs.s3a.secret.key=TOPSECRET"));
        RunRecorder run = RunRecorder.start(spark, store, "generate", config);
        Row started = store.read("runs").where("run_id = '" + run.runId() + "'").head();
        assertThat(started.<String>getAs("status")).isEqualTo("running");
        run.model("tiny@abc");
        run.count("synthetic_raw", 12);
        run.succeeded();
        Row done = store.read("runs").where("run_id = '" + run.runId() + "'").head();
        assertThat(done.<String>getAs("status")).isEqualTo("succeeded");
        assertThat(done.<String>getAs("model")).isEqualTo("tiny@abc");
        assertThat(done.getJavaMap(done.fieldIndex("row_counts"))).containsEntry("synthetic_raw", 12L);
        assertThat(done.<String>getAs("config")).doesNotContain("TOPSECRET");
        assertThat(store.read("runs").count()).isEqualTo(1);
    }
}
