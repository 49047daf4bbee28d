package dev.phi4spark.jobs;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import java.util.Iterator;
import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/** The Spark session of a command: embedded {@code local[*]} unless spark-submit or the config names a master. */
public final class SparkSessions {

    private SparkSessions() {}

    /**
     * Gets or creates the session with Delta enabled. Under spark-submit the master is already in the
     * Spark conf and wins; otherwise {@code spark.master} from the config, else {@code local[*]}.
     */
    public static SparkSession getOrCreate(JobConfig config) {
        return SparkSession.builder().config(conf(config)).getOrCreate();
    }

    /**
     * Spark's default redaction pattern misses Azure account keys and SAS tokens, which would then show
     * in the Spark UI's environment page and the event log: the driver's pattern also covers them.
     */
    public static final String REDACTION_REGEX =
            "(?i)secret|password|passwd|token|access[.]?key|account[.]?key|private[.]?key|encryption[.-]?key|credential|sas";

    /** The Spark conf of a command's session. */
    public static SparkConf conf(JobConfig config) {
        SparkConf conf = new SparkConf();
        conf.setIfMissing("spark.redaction.regex", REDACTION_REGEX);
        if (!conf.contains("spark.master")) {
            String master = config.get(ConfigKeys.SPARK_MASTER);
            conf.setMaster(master == null ? "local[*]" : master);
        }
        conf.setAppName(conf.get("spark.app.name", config.get(ConfigKeys.SPARK_APP_NAME)));
        conf.set("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension");
        conf.set("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog");
        conf.setIfMissing("spark.ui.showConsoleProgress", "false");
        JsonNode extra = config.get(ConfigKeys.SPARK_CONF);
        if (extra != null) {
            Iterator<Map.Entry<String, JsonNode>> it = extra.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                conf.set(e.getKey(), e.getValue().asText());
            }
        }
        tuneLocal(conf);
        return conf;
    }

    /** Delta's partitions for rebuilding a table's state from its log, unless set. */
    static final String SNAPSHOT_PARTITIONS = "spark.databricks.delta.snapshotPartitions";

    /**
     * Settings for an embedded {@code local[...]} master that the user has not set: Delta rebuilds a
     * table's state from its log in 50 tasks by default, sized for clusters; on a laptop's few cores
     * those tasks are mostly scheduling (about a quarter of a 100,000-document near-dedup run on 2
     * cores, docs/benchmarks.md), so two per core.
     */
    public static SparkConf tuneLocal(SparkConf conf) {
        String master = conf.get("spark.master", "");
        if (master.startsWith("local")) {
            conf.setIfMissing(SNAPSHOT_PARTITIONS, Integer.toString(2 * localCores(master)));
        }
        return conf;
    }

    /** The cores of a {@code local}, {@code local[N]}, {@code local[*]} or {@code local[N,F]} master. */
    static int localCores(String master) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("local\\[(\\d+|\\*)(,\\d+)?]").matcher(master);
        if (!m.matches()) {
            return 1;
        }
        return m.group(1).equals("*") ? Runtime.getRuntime().availableProcessors() : Integer.parseInt(m.group(1));
    }
}
