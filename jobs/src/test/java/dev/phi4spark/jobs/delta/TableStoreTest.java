package dev.phi4spark.jobs.delta;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.ConfigException;
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
    void aCatalogDatabaseRegistersExternalTablesAtTheWarehouse() throws Exception {
        SparkSession spark = JobsSpark.get();
        Path warehouse = tmp.resolve("wh");
        JobConfig config = JobConfig.load(null, List.of("database=phi4spark_store_test", "warehouse=" + warehouse));
        try {
            // The tests' catalog is Spark's in-memory one, which a real run refuses (below); the
            // registration itself is the same against a Hive metastore.
            TableStore store = new TableStore(spark, config, true);
            assertThat(store.sqlName("t")).isEqualTo("`phi4spark_store_test`.`t`");
            assertThat(store.location("t")).isEqualTo(warehouse.resolve("t").toString());
            assertThat(store.exists("t")).isFalse();
            assertThat(store.insertNew("t", rows(spark, 0, 10), "id")).isEqualTo(10);
            assertThat(store.insertNew("t", rows(spark, 5, 15), "id")).isEqualTo(5);
            assertThat(store.exists("t")).isTrue();
            assertThat(warehouse.resolve("t").resolve("_delta_log")).isDirectory();
            assertThat(spark.catalog().tableExists("phi4spark_store_test", "t")).isTrue();
            assertThat(spark.catalog().getTable("phi4spark_store_test", "t").tableType()).isEqualTo("EXTERNAL");
            assertThat(spark.sql("SELECT count(DISTINCT id) FROM phi4spark_store_test.t").head().getLong(0)).isEqualTo(15);
            assertThat(store.read("t").count()).isEqualTo(15);
            assertThat(store.version("t")).isEqualTo(1);
            RunRecorder run = RunRecorder.start(spark, store, "generate", config);
            run.succeeded();
            assertThat(spark.sql("SELECT status FROM phi4spark_store_test.runs").head().getString(0))
                    .isEqualTo("succeeded");
            // Dropping the registration keeps the data; the next store registers the table again.
            spark.sql("DROP TABLE phi4spark_store_test.t");
            assertThat(warehouse.resolve("t").resolve("_delta_log")).isDirectory();
            assertThat(new TableStore(spark, config, true).exists("t")).isTrue();
            assertThat(spark.sql("SELECT count(*) FROM phi4spark_store_test.t").head().getLong(0)).isEqualTo(15);
        } finally {
            spark.sql("DROP DATABASE IF EXISTS phi4spark_store_test CASCADE");
        }
    }

    @Test
    void aDatabaseInTheInMemoryCatalogIsRefused() {
        SparkSession spark = JobsSpark.get();
        assertThatThrownBy(() -> new TableStore(spark, JobConfig.load(null, List.of("database=phi4spark_gone"))))
                .isInstanceOf(ConfigException.class)
                .hasMessage("Cannot use database phi4spark_gone: Spark's catalog is in-memory"
                        + " (spark.sql.catalogImplementation=in-memory), so its tables vanish when this job ends; set"
                        + " spark.sql.catalogImplementation=hive with a metastore (e.g. --conf"
                        + " spark.sql.catalogImplementation=hive on a cluster with Hive support), or unset database to"
                        + " read the tables by path under the warehouse");
        assertThat(spark.catalog().databaseExists("phi4spark_gone")).isFalse();
    }

    @Test
    void aWarehouseUriIsKeptAsAUri() {
        TableStore store = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=s3a://bucket/wh")));
        assertThat(store.location("synthetic_raw")).isEqualTo("s3a://bucket/wh/synthetic_raw");
        assertThat(store.sqlName("runs")).isEqualTo("delta.`s3a://bucket/wh/runs`");
        TableStore hdfs = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=hdfs://nn:8020/wh/")));
        assertThat(hdfs.location("runs")).isEqualTo("hdfs://nn:8020/wh/runs");
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

    @Test
    void anEndedRunLeavesNoListenerAndNoHeartbeatBehind() throws InterruptedException {
        SparkSession spark = JobsSpark.get();
        TableStore store = store(spark);
        long listeners = recorderListeners(spark);
        RunRecorder ok = RunRecorder.start(spark, store, "generate", JobConfig.load(null, List.of()));
        RunRecorder failed = RunRecorder.start(spark, store, "score", JobConfig.load(null, List.of()));
        List<String> beats = List.of("phi4spark-heartbeat-" + ok.runId(), "phi4spark-heartbeat-" + failed.runId());
        assertThat(recorderListeners(spark)).isEqualTo(listeners + 2);
        assertThat(liveThreads()).containsAll(beats);

        ok.succeeded();
        failed.failed("Cannot read or write files: the disk is full");

        assertThat(recorderListeners(spark)).isEqualTo(listeners);
        for (int i = 0; i < 50 && liveThreads().stream().anyMatch(beats::contains); i++) {
            Thread.sleep(100); // a shut-down executor's thread ends just after
        }
        assertThat(liveThreads()).doesNotContainAnyElementsOf(beats);
        assertThat(store.read("runs").where("run_id = '" + failed.runId() + "'").head().<String>getAs("status"))
                .isEqualTo("failed");
    }

    /** The session's listeners that run recorders added (other code may add its own meanwhile). */
    private static long recorderListeners(SparkSession spark) {
        return spark.sparkContext().listenerBus().listeners().stream()
                .filter(l -> l.getClass().getName().startsWith(RunRecorder.class.getName() + "$")).count();
    }

    private static List<String> liveThreads() {
        return Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive).map(Thread::getName).toList();
    }
}
