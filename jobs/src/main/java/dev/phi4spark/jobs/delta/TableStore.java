package dev.phi4spark.jobs.delta;

import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import io.delta.tables.DeltaTable;
import dev.phi4spark.udf.spark.HadoopFiles;
import java.util.ConcurrentModificationException;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The project's Delta tables. Every table lives at {@code <warehouse>/<table>}, where the warehouse is a
 * local folder or any Hadoop URI ({@code hdfs:}, {@code s3a:}, {@code abfss:}, {@code gs:}); with
 * {@code database} set, each table is also registered in Spark's catalog as an external table at that
 * location, so it is readable by name in any later session and dropping it never deletes the data.
 * Writes are MERGEs that insert only ids not already present, so writing the same rows twice leaves them
 * once, and a rerun leaves the table's rows exactly as they were. A commit that loses a conflict with a
 * concurrent writer is retried: Delta's optimistic concurrency detects it, the MERGE re-reads and inserts
 * what is still new.
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
    private final java.util.concurrent.atomic.AtomicInteger commitRetries = new java.util.concurrent.atomic.AtomicInteger();

    /**
     * The tables of {@code config}'s warehouse (and database).
     *
     * @throws ConfigException when {@code database} is set but Spark's catalog is in-memory: the tables
     *     would vanish from it when the job ends
     */
    public TableStore(SparkSession spark, JobConfig config) {
        this(spark, config, false);
    }

    /** As above; {@code allowEphemeralCatalog} lets tests register tables in the in-memory catalog. */
    TableStore(SparkSession spark, JobConfig config, boolean allowEphemeralCatalog) {
        this.spark = spark;
        this.warehouse = HadoopFiles.absolute(config.get(ConfigKeys.WAREHOUSE));
        this.database = config.get(ConfigKeys.DATABASE);
        this.maxRetries = config.get(ConfigKeys.WRITE_MAX_RETRIES);
        if (database != null) {
            if (!allowEphemeralCatalog) {
                requirePersistentCatalog(spark, database);
            }
            spark.sql("CREATE DATABASE IF NOT EXISTS " + quote(database));
        }
    }

    /** Refuses {@code database} when the catalog forgets its tables at the end of the session. */
    static void requirePersistentCatalog(SparkSession spark, String database) {
        String catalog = spark.conf().get("spark.sql.catalogImplementation", "in-memory");
        if (catalog.equals("in-memory")) {
            throw new ConfigException("Cannot use database " + database + ": Spark's catalog is in-memory"
                    + " (spark.sql.catalogImplementation=in-memory), so its tables vanish when this job ends; set"
                    + " spark.sql.catalogImplementation=hive with a metastore (e.g. --conf"
                    + " spark.sql.catalogImplementation=hive on a cluster with Hive support), or unset database to"
                    + " read the tables by path under the warehouse");
        }
    }

    /** The warehouse the tables live under (an absolute path or a URI). */
    public String warehouse() {
        return warehouse;
    }

    /** The catalog database the tables are registered in, or null. */
    public String database() {
        return database;
    }

    /** Where a table lives: {@code <warehouse>/<table>}, a local path or a URI. */
    public String location(String table) {
        return HadoopFiles.child(warehouse, table);
    }

    /** The name that Spark SQL reads the table by: {@code delta.`/path`} or {@code db.table}. */
    public String sqlName(String table) {
        return database != null ? quote(database) + "." + quote(table) : "delta.`" + location(table).replace("`", "``") + "`";
    }

    private static String quote(String name) {
        return "`" + name.replace("`", "``") + "`";
    }

    /** True when the table has been written (and, with a database, is registered there). */
    public boolean exists(String table) {
        boolean written = DeltaTable.isDeltaTable(spark, location(table));
        if (written && database != null) {
            register(table);
        }
        return written;
    }

    /**
     * Registers a written table in the database as an external table at its location. A table written
     * before {@code database} was set, or by a run whose catalog was another, is registered here on first
     * sight; one registered elsewhere under the same name is left as it is, with a warning.
     */
    private void register(String table) {
        if (spark.catalog().tableExists(database, table)) {
            return;
        }
        spark.sql("CREATE TABLE IF NOT EXISTS " + sqlName(table) + " USING DELTA LOCATION '"
                + location(table).replace("\\", "\\\\").replace("'", "\\'") + "'");
        LOG.info("Registered {} as an external table at {}", sqlName(table), location(table));
    }

    /** The table's rows. */
    public Dataset<Row> read(String table) {
        return spark.read().format("delta").load(location(table));
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
                commitRetries.incrementAndGet();
                sleep(attempt);
            }
        }
    }

    private long insertOnce(String table, Dataset<Row> rows, String idColumn) {
        if (!exists(table)) {
            try {
                rows.dropDuplicates(idColumn).write().format("delta").mode("errorifexists").save(location(table));
                if (database != null) {
                    register(table);
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
        return spark.read().format("delta").option("versionAsOf", 0).load(location(table));
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

    /** Delta commits retried after losing a conflict with a concurrent writer, since this store was made. */
    public int commitRetries() {
        return commitRetries.get();
    }

    /**
     * {@link #upsert} that adds the columns {@code rows} has and the table lacks (Delta schema evolution),
     * for tables whose schema grows between versions of phi4spark, like {@code runs}.
     */
    public void upsertEvolving(String table, Dataset<Row> rows, String idColumn) {
        if (!exists(table)) {
            insertNew(table, rows, idColumn);
            return;
        }
        for (int attempt = 0; ; attempt++) {
            try {
                deltaTable(table).as("t").merge(rows.as("s"), "t." + idColumn + " = s." + idColumn)
                        .whenMatched().updateAll().whenNotMatched().insertAll().withSchemaEvolution().execute();
                return;
            } catch (ConcurrentModificationException e) {
                if (attempt >= maxRetries) {
                    throw e;
                }
                commitRetries.incrementAndGet();
                sleep(attempt);
            }
        }
    }

    private DeltaTable deltaTable(String table) {
        return DeltaTable.forPath(spark, location(table));
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
