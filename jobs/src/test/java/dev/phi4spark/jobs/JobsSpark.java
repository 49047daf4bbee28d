package dev.phi4spark.jobs;

import org.apache.spark.sql.SparkSession;

/** The one SparkSession of the jobs tests' JVM, with Delta, kept small and quiet. */
public final class JobsSpark {

    private static SparkSession session;

    private JobsSpark() {}

    /** The shared session. */
    public static synchronized SparkSession get() {
        if (session == null) {
            session = SparkSession.builder()
                    .master("local[2]")
                    .appName("phi4spark-jobs-tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "2")
                    .config("spark.databricks.delta.snapshotPartitions", "2")
                    .config("spark.ui.showConsoleProgress", "false")
                    .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
                    .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
                    .getOrCreate();
        }
        return session;
    }
}
