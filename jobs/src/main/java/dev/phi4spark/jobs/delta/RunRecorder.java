package dev.phi4spark.jobs.delta;

import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.config.Secrets;
import dev.phi4spark.udf.spark.Phi4Metrics;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.functions;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One row of the {@code runs} table per command: written as {@code running} when the command starts and
 * updated when it ends, with the resolved config (secrets masked), the model's identity, versions, row
 * counts, the task retries and lost executors Spark survived, the error if it failed, and per-stage figures
 * ({@code stage_metrics}: tokens, cached prompt tokens, tokens per second, Delta commit retries). While it runs,
 * {@code heartbeat_at} is refreshed every {@code runs.heartbeat_seconds}: a process killed with
 * {@code kill -9} or stopped by a full disk leaves a {@code running} row whose heartbeat goes stale, and
 * such rows are shown, and at the next run recorded, as {@code died} with the rows they had committed.
 */
public final class RunRecorder {

    /** The runs table's schema. */
    public static final StructType SCHEMA = new StructType()
            .add("run_id", DataTypes.StringType, false)
            .add("command", DataTypes.StringType)
            .add("status", DataTypes.StringType)
            .add("config", DataTypes.StringType)
            .add("config_hash", DataTypes.StringType)
            .add("model", DataTypes.StringType)
            .add("versions", DataTypes.createMapType(DataTypes.StringType, DataTypes.StringType))
            .add("started_at", DataTypes.TimestampType)
            .add("ended_at", DataTypes.TimestampType)
            .add("row_counts", DataTypes.createMapType(DataTypes.StringType, DataTypes.LongType))
            .add("task_failures", DataTypes.IntegerType)
            .add("executors_lost", DataTypes.IntegerType)
            .add("error", DataTypes.StringType)
            .add("stage_metrics", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType))
            .add("heartbeat_at", DataTypes.TimestampType);

    /** Status of a run whose process stopped without recording its end (kill -9, a full disk). */
    public static final String DIED = "died";
    /** Heartbeats a running row may miss before it counts as died. */
    public static final int MISSED_BEATS = 3;

    private static final Logger LOG = LoggerFactory.getLogger(RunRecorder.class);

    /** The project's run ids: start time (UTC) and 8 hex digits, e.g. {@code 20261130-150405-1a2b3c4d}. */
    public static final java.util.regex.Pattern RUN_ID = java.util.regex.Pattern.compile("\\d{8}-\\d{6}-[0-9a-f]{8}");

    private final SparkSession spark;
    private final TableStore tables;
    private final String runId;
    private final String command;
    private final JobConfig config;
    private final Instant started = Instant.now();
    private final Map<String, Long> rowCounts = new LinkedHashMap<>();
    private final Map<String, Double> stageMetrics = new LinkedHashMap<>();
    private final AtomicInteger taskFailures = new AtomicInteger();
    private final AtomicInteger executorsLost = new AtomicInteger();
    private String model = "";
    private Instant heartbeat;
    private boolean ended;
    private java.util.concurrent.ScheduledExecutorService beats;
    // removed at the end: a session that runs many commands (a notebook, a test JVM) must not keep them all
    private final SparkListener listener;

    private RunRecorder(SparkSession spark, TableStore tables, String command, JobConfig config) {
        this.spark = spark;
        this.tables = tables;
        this.command = command;
        this.config = config;
        this.runId = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started)
                + "-" + UUID.randomUUID().toString().substring(0, 8);
        this.listener = new SparkListener() {
            @Override
            public void onTaskEnd(SparkListenerTaskEnd end) {
                if (!end.taskInfo().successful()) {
                    taskFailures.incrementAndGet();
                }
            }

            @Override
            public void onExecutorRemoved(SparkListenerExecutorRemoved removed) {
                executorsLost.incrementAndGet();
            }
        };
        spark.sparkContext().addSparkListener(listener);
    }

    /**
     * Starts recording: marks earlier runs that stopped beating as {@code died}, writes this run's
     * {@code running} row, and refreshes its {@code heartbeat_at} every {@code runs.heartbeat_seconds}.
     */
    public static RunRecorder start(SparkSession spark, TableStore tables, String command, JobConfig config) {
        int seconds = config.get(ConfigKeys.RUNS_HEARTBEAT_SECONDS);
        markDied(spark, tables, seconds);
        RunRecorder r = new RunRecorder(spark, tables, command, config);
        r.heartbeat = r.started;
        r.write("running", null, null);
        if (seconds > 0) {
            r.beats = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(task -> {
                Thread t = new Thread(task, "phi4spark-heartbeat-" + r.runId);
                t.setDaemon(true);
                return t;
            });
            r.beats.scheduleWithFixedDelay(r::beat, seconds, seconds, java.util.concurrent.TimeUnit.SECONDS);
        }
        return r;
    }

    /** One heartbeat; a failed one is logged, never fatal: the work itself is what matters. */
    private void beat() {
        try {
            synchronized (this) {
                if (ended) {
                    return;
                }
                heartbeat = Instant.now();
                write("running", null, null);
            }
        } catch (Exception e) {
            // Exception: Delta's undeclared IOExceptions (a full disk) included; one escaping would cancel
            // every later beat without a word
            LOG.warn("Cannot record the heartbeat of run {}: {}", runId, e.getMessage());
        }
    }

    /**
     * The runs rows with {@code status = died} where a {@code running} row has had no heartbeat for
     * {@link #MISSED_BEATS} beats of {@code heartbeatSeconds} (rows from before heartbeats: since their
     * start). For {@code report}, {@code sql} and anything else that shows runs.
     */
    public static Dataset<Row> withLiveness(Dataset<Row> runs, int heartbeatSeconds) {
        if (heartbeatSeconds <= 0) {
            return runs;
        }
        Column last = java.util.Arrays.asList(runs.columns()).contains("heartbeat_at")
                ? functions.coalesce(functions.col("heartbeat_at"), functions.col("started_at")) : functions.col("started_at");
        Column stale = functions.col("status").equalTo("running").and(last.lt(functions.expr(
                "current_timestamp() - INTERVAL " + (long) heartbeatSeconds * MISSED_BEATS + " SECONDS")));
        return runs.withColumn("status", functions.when(stale, functions.lit(DIED)).otherwise(functions.col("status")));
    }

    /**
     * Records runs that stopped beating as {@code died}, with the rows each had committed (counted by
     * its {@code run_id} in the tables) and when it was last seen alive.
     */
    static void markDied(SparkSession spark, TableStore tables, int heartbeatSeconds) {
        if (heartbeatSeconds <= 0 || !tables.exists(TableStore.RUNS)) {
            return;
        }
        List<Row> dead = withLiveness(tables.read(TableStore.RUNS), heartbeatSeconds)
                .where(functions.col("status").equalTo(DIED)).collectAsList();
        for (Row run : dead) {
            String id = run.getAs("run_id");
            Map<String, Long> committed = committedBy(tables, id, run.getAs("started_at"));
            Timestamp seen = java.util.Arrays.asList(run.schema().fieldNames()).contains("heartbeat_at")
                    && run.getAs("heartbeat_at") != null ? run.getAs("heartbeat_at") : run.getAs("started_at");
            Row row = RowFactory.create(id, run.getAs("command"), DIED, run.getAs("config"), run.getAs("config_hash"),
                    run.getAs("model"), run.getJavaMap(run.fieldIndex("versions")), run.getAs("started_at"), seen,
                    committed, run.getAs("task_failures"), run.getAs("executors_lost"),
                    "died: no heartbeat since " + seen.toInstant() + " (the process was killed or its disk filled);"
                            + " the rows it committed are kept",
                    java.util.Arrays.asList(run.schema().fieldNames()).contains("stage_metrics")
                            ? run.getJavaMap(run.fieldIndex("stage_metrics")) : null, seen);
            tables.upsertEvolving(TableStore.RUNS, spark.createDataFrame(List.of(row), SCHEMA), "run_id");
            LOG.warn("Run {} ({}) died: no heartbeat since {}; it had committed {}", id, run.getAs("command"),
                    seen.toInstant(), committed);
        }
    }

    /**
     * Checks that a run id has the project's format before a path or query is built from it: an id read
     * from a table is data, and {@code ../../x} must not place a file outside its folder.
     *
     * @throws IllegalArgumentException "Cannot &lt;doing&gt;: run id '...' is not a phi4spark run id ..."
     */
    public static String checkRunId(String runId, String doing) {
        if (runId == null || !RUN_ID.matcher(runId).matches()) {
            throw new IllegalArgumentException("Cannot " + doing + ": run id '" + runId + "' is not a phi4spark run id"
                    + " (expected yyyyMMdd-HHmmss- and 8 hex digits, e.g. 20261130-150405-1a2b3c4d)");
        }
        return runId;
    }

    /** The run's id. */
    public String runId() {
        return runId;
    }

    /** Records the model's identity. */
    public void model(String identity) {
        this.model = identity;
    }

    /** Records a table's row count for this run. */
    public void count(String table, long rows) {
        rowCounts.merge(table, rows, Long::sum);
    }

    /**
     * Records a model stage's figures as {@code <stage>:<figure>}: prompt, generated and cached prompt
     * tokens, wall seconds, and tokens per second (prompt plus generated tokens over the stage's wall time,
     * Delta commits included).
     */
    public void stage(String stage, Phi4Metrics metrics, double seconds) {
        long prompt = metrics.promptTokens().value();
        long generated = metrics.generatedTokens().value();
        stageMetrics.put(stage + ":prompt_tokens", (double) prompt);
        stageMetrics.put(stage + ":generated_tokens", (double) generated);
        stageMetrics.put(stage + ":cached_prompt_tokens", (double) metrics.cachedPromptTokens().value());
        stageMetrics.put(stage + ":seconds", seconds);
        stageMetrics.put(stage + ":tokens_per_second", seconds > 0 ? (prompt + generated) / seconds : 0.0);
        stageMetrics.put(stage + ":generated_tokens_per_second", seconds > 0 ? generated / seconds : 0.0);
    }

    /** The stage figures recorded so far. */
    public Map<String, Double> stageMetrics() {
        return Map.copyOf(stageMetrics);
    }

    /** Rows this run wrote so far, by table. */
    public Map<String, Long> counts() {
        return Map.copyOf(rowCounts);
    }

    /** Task attempts that failed and were retried so far. */
    public int taskFailures() {
        return taskFailures.get();
    }

    /**
     * Rows a run committed, by table: by {@code run_id} where the table has one ({@code corpus_scores}),
     * else by {@code created_at} from the run's start to the next run's (the synthetic tables, as the
     * report attributes them).
     */
    private static Map<String, Long> committedBy(TableStore tables, String id, Timestamp started) {
        Row next = tables.read(TableStore.RUNS).where(functions.col("started_at").gt(functions.lit(started)))
                .agg(functions.min("started_at")).head();
        Column until = next.isNullAt(0) ? functions.lit(true)
                : functions.col("created_at").lt(functions.lit(next.getTimestamp(0)));
        Map<String, Long> committed = new LinkedHashMap<>();
        for (String t : List.of(TableStore.SYNTHETIC_RAW, TableStore.SYNTHETIC_CURATED,
                TableStore.SYNTHETIC_REJECTED, TableStore.CORPUS_SCORES)) {
            if (!tables.exists(t)) {
                continue;
            }
            Dataset<Row> rows = tables.read(t);
            List<String> columns = java.util.Arrays.asList(rows.columns());
            long n;
            if (columns.contains("run_id")) {
                n = rows.where(functions.col("run_id").equalTo(id)).count();
            } else if (columns.contains("created_at")) {
                n = rows.where(functions.col("created_at").geq(functions.lit(started)).and(until)).count();
            } else {
                continue;
            }
            if (n > 0) {
                committed.put(t, n);
            }
        }
        return committed;
    }

    /** Marks the run succeeded. */
    public void succeeded() {
        end("succeeded", null);
    }

    /** Marks the run failed with a message (the one line the command printed). */
    public void failed(String message) {
        end("failed", message);
    }

    /** Marks the run failed with the error's message. */
    public void failed(Throwable error) {
        end("failed", error.getMessage() == null ? error.toString() : error.getMessage());
    }

    private void end(String status, String error) {
        if (beats != null) {
            beats.shutdown(); // no interrupt: a beat inside a Delta commit finishes, then ended stops the next
        }
        try {
            synchronized (this) {
                if (ended) { // a stopped run's hook and its command may both record the end: the first one counts
                    return;
                }
                heartbeat = Instant.now();
                write(status, heartbeat, error);
                // Only once written: an end whose write failed (a stop cancelled the "succeeded" MERGE, a full
                // disk) leaves the next end, the command's "failed", free to record.
                ended = true;
            }
        } finally {
            spark.sparkContext().removeSparkListener(listener);
        }
    }

    private synchronized void write(String status, Instant ended, String error) {
        String json = config.toJson();
        Row row = RowFactory.create(runId, command, status, json, sha256(json).substring(0, 16), model,
                versions(),
                Timestamp.from(started), ended == null ? null : Timestamp.from(ended),
                new LinkedHashMap<>(rowCounts),
                taskFailures.get(), executorsLost.get(), Secrets.maskText(error), stageFigures(),
                heartbeat == null ? null : Timestamp.from(heartbeat));
        // runs tables written before stage_metrics or heartbeat_at existed gain the columns
        tables.upsertEvolving(TableStore.RUNS, spark.createDataFrame(List.of(row), SCHEMA), "run_id");
    }

    private Map<String, Double> stageFigures() {
        Map<String, Double> figures = new LinkedHashMap<>(stageMetrics);
        figures.put("commit_retries", (double) tables.commitRetries());
        return figures;
    }

    private Map<String, String> versions() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("phi4spark", String.valueOf(RunRecorder.class.getPackage().getImplementationVersion()));
        v.put("spark", spark.version());
        v.put("java", System.getProperty("java.version"));
        v.put("djl", ai.djl.engine.Engine.getDjlVersion());
        return v;
    }

    private static String sha256(String text) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
