package dev.phi4spark.jobs.sql;

import dev.phi4spark.jobs.ModelLocation;
import dev.phi4spark.jobs.SparkSessions;
import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.udf.spark.Phi4Functions;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Consumer;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * A Spark SQL session over the project's tables: each table of the configured warehouse that exists is
 * a temp view of its own name ({@code synthetic_raw}, ..., {@code runs}), or with {@code database} set
 * that database is the current one; and {@code phi4_generate}, {@code phi4_score} and {@code phi4_judge}
 * are registered with the configured model. The model loads on the executors on the functions' first
 * call; the tiny random model (when {@code model.path} is unset) is written only when a statement names
 * one of the functions, so plain queries never pay for it.
 */
public final class ProjectSql {

    /** The project's tables, in the order they are listed. */
    public static final List<String> TABLES = List.of(TableStore.SYNTHETIC_RAW, TableStore.SYNTHETIC_CURATED,
            TableStore.SYNTHETIC_REJECTED, TableStore.CORPUS_SCORES, TableStore.RUNS);

    private final SparkSession spark;
    private final JobConfig config;
    private final Consumer<String> say;
    private final List<String> registered;
    private boolean modelReady;

    private ProjectSql(SparkSession spark, JobConfig config, Consumer<String> say, List<String> registered) {
        this.spark = spark;
        this.config = config;
        this.say = say;
        this.registered = registered;
    }

    /** Starts (or joins) the Spark session, registers the tables and the functions. */
    public static ProjectSql open(JobConfig config, Consumer<String> say) {
        SparkSession spark = SparkSessions.getOrCreate(config);
        List<String> registered = registerTables(spark, config);
        ProjectSql sql = new ProjectSql(spark, config, say, registered);
        try {
            Phi4Functions.register(spark, ModelLocation.resolve(config, false, m -> { }).options(config));
        } catch (ConfigException e) {
            // A wrong model.path must not stop plain queries: the first phi4_ statement reports it.
        }
        return sql;
    }

    /** Registers the tables of {@code config}'s warehouse that exist and returns their names. */
    public static List<String> registerTables(SparkSession spark, JobConfig config) {
        TableStore tables = new TableStore(spark, config);
        String database = config.get(ConfigKeys.DATABASE);
        if (database != null) {
            spark.sql("USE `" + database.replace("`", "``") + "`");
        }
        List<String> found = new ArrayList<>();
        for (String t : TABLES) {
            if (tables.exists(t)) {
                if (database == null) {
                    var rows = tables.read(t);
                    if (t.equals(TableStore.RUNS)) { // a running row without heartbeats reads as died
                        rows = dev.phi4spark.jobs.delta.RunRecorder.withLiveness(rows,
                                config.get(ConfigKeys.RUNS_HEARTBEAT_SECONDS));
                    }
                    rows.createOrReplaceTempView(t);
                }
                found.add(t);
            }
        }
        return found;
    }

    /** The session. */
    public SparkSession spark() {
        return spark;
    }

    /** The project tables that exist and can be queried by name. */
    public List<String> tables() {
        return registered;
    }

    /** Runs one statement; commands run now, queries when their result is fetched. */
    public Dataset<Row> sql(String statement) {
        if (!modelReady && statement.toLowerCase(Locale.ROOT).contains("phi4_")) {
            // Writes the tiny model on first use when model.path is unset; a real path is only checked.
            Phi4Functions.register(spark, ModelLocation.resolve(config, true, say).options(config));
            modelReady = true;
        }
        return spark.sql(statement);
    }
}
