package dev.phi4spark.datagen;

import org.apache.spark.sql.SparkSession;

/** The one SparkSession of the test JVM, made on first use and stopped when the JVM exits. */
public final class SparkTestSession {

    private static SparkSession spark;

    private SparkTestSession() {
    }

    /** The shared session: local[2], no UI, two shuffle partitions. */
    public static synchronized SparkSession get() {
        if (spark == null) {
            spark = SparkSession.builder()
                    .master("local[2]")
                    .appName("datagen-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.default.parallelism", "2")
                    .config("spark.databricks.delta.snapshotPartitions", "2")
                    .config("spark.sql.warehouse.dir", System.getProperty("java.io.tmpdir") + "/datagen-tests-warehouse")
                    .getOrCreate();
            Runtime.getRuntime().addShutdownHook(new Thread(spark::stop));
        }
        return spark;
    }
}
