package dev.phi4spark.jobs.delta;

import dev.phi4spark.jobs.config.JobConfig;
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
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * One row of the {@code runs} table per command: written as {@code running} when the command starts and
 * updated when it ends, with the resolved config (secrets masked), the model's identity, versions, row
 * counts, the task retries and lost executors Spark survived, the error if it failed, and per-stage figures
 * ({@code stage_metrics}: tokens, cached prompt tokens, tokens per second, Delta commit retries).
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
            .add("stage_metrics", DataTypes.createMapType(DataTypes.StringType, DataTypes.DoubleType));

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

    private RunRecorder(SparkSession spark, TableStore tables, String command, JobConfig config) {
        this.spark = spark;
        this.tables = tables;
        this.command = command;
        this.config = config;
        this.runId = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC).format(started)
                + "-" + UUID.randomUUID().toString().substring(0, 8);
        spark.sparkContext().addSparkListener(new SparkListener() {
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
        });
    }

    /** Starts recording: writes the {@code running} row. */
    public static RunRecorder start(SparkSession spark, TableStore tables, String command, JobConfig config) {
        RunRecorder r = new RunRecorder(spark, tables, command, config);
        r.write("running", null, null);
        return r;
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

    /** Task attempts that failed and were retried so far. */
    public int taskFailures() {
        return taskFailures.get();
    }

    /** Marks the run succeeded. */
    public void succeeded() {
        write("succeeded", Instant.now(), null);
    }

    /** Marks the run failed with a message (the one line the command printed). */
    public void failed(String message) {
        write("failed", Instant.now(), message);
    }

    /** Marks the run failed with the error's message. */
    public void failed(Throwable error) {
        write("failed", Instant.now(), error.getMessage() == null ? error.toString() : error.getMessage());
    }

    private void write(String status, Instant ended, String error) {
        String json = config.toJson();
        Row row = RowFactory.create(runId, command, status, json, sha256(json).substring(0, 16), model,
                versions(),
                Timestamp.from(started), ended == null ? null : Timestamp.from(ended),
                new LinkedHashMap<>(rowCounts),
                taskFailures.get(), executorsLost.get(), error, stageFigures());
        // runs tables written before stage_metrics existed gain the column
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
