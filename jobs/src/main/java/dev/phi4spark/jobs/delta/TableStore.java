package dev.phi4spark.jobs.delta;

import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import io.delta.tables.DeltaTable;
import java.nio.file.Path;
import java.util.ConcurrentModificationException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The project's Delta tables, under the warehouse folder or in a catalog database. Writes are MERGEs that
 * insert only ids not already present, so writing the same rows twice leaves them once, and a rerun leaves
 * the table's rows exactly as they were. A commit that loses a conflict with a concurrent writer is
 * retried: Delta's optimistic concurrency detects it, the MERGE re-reads and inserts what is still new.
 */
public final class TableStore {

    /** Table names. */
    public static final String SYNTHETIC_RAW = "synthetic_raw";
    public static final String SYNTHETIC_CURATED = "synthetic_curated";
    public static final String SYNTHETIC_REJECTED = "synthetic_rejected";
    public static final String CORPUS_SCORES = "corpus_scores";
    public static final String RUNS = "runs";

    private static final Logger LOG = LoggerFactory.getLogger(TableStore.class);

    private final SparkSession spark;
    private final String warehouse;
    private final String database;
    private final int maxRetries;

    public TableStore(SparkSession spark, JobConfig config) {
        this.spark = spark;
        this.warehouse = config.get(ConfigKeys.WAREHOUSE);
        this.database = config.get(ConfigKeys.DATABASE);
        this.maxRetries = config.get(ConfigKeys.WRITE_MAX_RETRIES);
        if (database != null) {
            spark.sql("CREATE DATABASE IF NOT EXISTS `" + database + "`");
        }
    }

    /** Where a table lives: a path under the warehouse, or {@code database.table}. */
    public String location(String table) {
        return database != null ? "`" + database + "`.`" + table + "`"
                : Path.of(warehouse).toAbsolutePath().resolve(table).toString();
    }

    /** The name that Spark SQL reads the table by: {@code delta.`/path`} or {@code db.table}. */
    public String sqlName(String table) {
        return database != null ? location(table) : "delta.`" + location(table) + "`";
    }

    /** True when the table has been written. */
    public boolean exists(String table) {
        if (database != null) {
            return spark.catalog().tableExists(database, table);
        }
        return DeltaTable.isDeltaTable(spark, location(table));
    }

    /** The table's rows. */
    public Dataset<Row> read(String table) {
        return database != null ? spark.table(location(table)) : spark.read().format("delta").load(location(table));
    }

    /** The table's current Delta version, or -1 when it does not exist. */
    public long version(String table) {
        if (!exists(table)) {
            return -1;
        }
        return deltaTable(table).history(1).select("version").head().getLong(0);
    }

    /** Ids already in the table (an empty frame when it does not exist). */
    public Dataset<Row> ids(String table, String idColumn) {
        if (!exists(table)) {
            return spark.emptyDataFrame().withColumn(idColumn, functions.lit(null).cast("string"));
        }
        return read(table).select(idColumn);
    }

    /**
     * Inserts the rows whose {@code idColumn} is not yet in the table, creating the table on first write,
     * and returns how many rows the commit inserted.
     */
    public long insertNew(String table, Dataset<Row> rows, String idColumn) {
        for (int attempt = 0; ; attempt++) {
            try {
                return insertOnce(table, rows, idColumn);
            } catch (ConcurrentModificationException e) {
                if (attempt >= maxRetries) {
                    throw e;
                }
                LOG.warn("Delta commit to {} lost a conflict with a concurrent writer (attempt {} of {}): retrying",
                        table, attempt + 1, maxRetries);
                sleep(attempt);
            }
        }
    }

    private long insertOnce(String table, Dataset<Row> rows, String idColumn) {
        if (!exists(table)) {
            try {
                Dataset<Row> distinct = rows.dropDuplicates(idColumn);
                if (database != null) {
                    distinct.write().format("delta").mode("errorifexists").saveAsTable(location(table));
                } else {
                    distinct.write().format("delta").mode("errorifexists").save(location(table));
                }
                // Our write created the table, so it is version 0; a concurrent writer may already have
                // merged into it, and counting the current version would count their rows as ours.
                return versionZero(table).count();
            } catch (Exception e) {
                if (!exists(table)) {
                    throw e instanceof RuntimeException r ? r : new IllegalStateException(e);
                }
                // Another writer created it between our check and our write: merge into theirs instead.
            }
        }
        // The MERGE's own metrics: reading history(1) afterwards could return a concurrent writer's commit.
        Row metrics = deltaTable(table).as("t")
                .merge(rows.dropDuplicates(idColumn).as("s"), "t." + idColumn + " = s." + idColumn)
                .whenNotMatched().insertAll()
                .execute()
                .head();
        return metrics.getLong(metrics.fieldIndex("num_inserted_rows"));
    }

    private Dataset<Row> versionZero(String table) {
        return database != null ? spark.read().format("delta").option("versionAsOf", 0).table(location(table))
                : spark.read().format("delta").option("versionAsOf", 0).load(location(table));
    }

    /** Updates the rows matched on {@code idColumn} and inserts the others (the runs table's upsert). */
    public void upsert(String table, Dataset<Row> rows, String idColumn) {
        if (!exists(table)) {
            insertNew(table, rows, idColumn);
            return;
        }
        for (int attempt = 0; ; attempt++) {
            try {
                // Schema evolution: a table from an older phi4spark gains the new columns (runs.heartbeat_at).
                deltaTable(table).as("t").merge(rows.as("s"), "t." + idColumn + " = s." + idColumn)
                        .whenMatched().updateAll().whenNotMatched().insertAll().withSchemaEvolution().execute();
                return;
            } catch (ConcurrentModificationException e) {
                if (attempt >= maxRetries) {
                    throw e;
                }
                sleep(attempt);
            }
        }
    }

    private DeltaTable deltaTable(String table) {
        return database != null ? DeltaTable.forName(spark, location(table)) : DeltaTable.forPath(spark, location(table));
    }

    private static void sleep(int attempt) {
        try {
            Thread.sleep((long) (200 * Math.pow(2, attempt) * (0.5 + Math.random())));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Cannot retry the Delta commit: interrupted", ie);
        }
    }
}
