package dev.phi4spark.jobs.report;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.element_at;
import static org.apache.spark.sql.functions.row_number;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import dev.phi4spark.datagen.PairSchema;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.delta.RunRecorder;
import dev.phi4spark.jobs.delta.TableStore;
import java.sql.Timestamp;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.expressions.Window;

/**
 * Reads one run's figures from the tables. {@code corpus_scores} rows carry their {@code run_id}; the
 * generated rows do not, so those of a run are the {@code synthetic_raw} rows whose {@code created_at}
 * (the generate stage's start) falls between the run's start and end. A resumed run does not rewrite the
 * rows an earlier attempt wrote, so they count for the earlier run.
 */
public final class RunReportReader {

    /** Most rows collected per distribution; beyond it a random sample of about this size is drawn. */
    static final long SAMPLE_ROWS = 200_000;

    private RunReportReader() {}

    /** The id of the run that started last. */
    public static String latestRunId(TableStore tables) {
        requireRuns(tables);
        List<Row> last = tables.read(TableStore.RUNS).orderBy(col("started_at").desc()).select("run_id").takeAsList(1);
        if (last.isEmpty()) {
            throw new IllegalArgumentException("Cannot write the run report: the runs table is empty ("
                    + tables.location(TableStore.RUNS) + ")");
        }
        return last.get(0).getString(0);
    }

    /** The report's figures for {@code runId}. */
    public static RunReport read(TableStore tables, String runId) {
        requireRuns(tables);
        List<Row> found = RunRecorder.withLiveness(tables.read(TableStore.RUNS),
                        ConfigKeys.RUNS_HEARTBEAT_SECONDS.defaultValue())
                .where(col("run_id").equalTo(runId)).takeAsList(1);
        if (found.isEmpty()) {
            throw new IllegalArgumentException("Cannot write the run report: no run has this id in "
                    + tables.location(TableStore.RUNS) + " (" + runId + ")");
        }
        Row run = found.get(0);
        Instant started = instant(run.getAs("started_at"));
        Instant ended = instant(run.getAs("ended_at"));
        Map<String, Long> rowCounts = new LinkedHashMap<>(run.<String, Long>getJavaMap(run.fieldIndex("row_counts")));

        Dataset<Row> scores = tables.exists(TableStore.CORPUS_SCORES)
                ? tables.read(TableStore.CORPUS_SCORES).where(col("run_id").equalTo(runId)) : null;
        Dataset<Row> raw = tables.exists(TableStore.SYNTHETIC_RAW)
                ? tables.read(TableStore.SYNTHETIC_RAW).where(col("created_at").geq(lit(Timestamp.from(started)))
                        .and(col("created_at").leq(lit(Timestamp.from(ended == null ? Instant.now() : ended)))))
                : null;

        Dataset<Row> pairs = tables.exists(PairSchema.TABLE)
                ? tables.read(PairSchema.TABLE).where(col("created_at").geq(lit(Timestamp.from(started)))
                        .and(col("created_at").leq(lit(Timestamp.from(ended == null ? Instant.now() : ended))))
                        .and(col(PairSchema.CHOSEN).isNotNull()))
                : null;
        double[] rawLengths = raw == null ? new double[0] : doubles(raw, "completion_tokens");
        boolean fromRaw = rawLengths.length > 0;
        return new RunReport(runId, run.getAs("command"), run.getAs("status"), run.getAs("model"), started, ended,
                run.getAs("error"), run.getAs("config"), rowCounts, raw == null ? Map.of() : recipes(raw),
                scores == null ? new double[0] : doubles(scores, "judge_score"),
                scores == null ? new double[0] : doubles(scores, "perplexity"),
                fromRaw ? rawLengths : scores == null ? new double[0] : doubles(scores, "token_count"),
                fromRaw ? "completion_tokens of the synthetic_raw rows generated in this run"
                        : "token_count of the corpus_scores rows scored in this run",
                scores == null ? List.of() : chunks(scores, ended), stageMetrics(run),
                raw == null ? Map.of() : examples(raw),
                pairs == null ? Map.of() : counts(pairs, PairSchema.HOW),
                pairs == null ? new double[0] : doubles(pairs, PairSchema.MARGIN));
    }

    /** Examples shown per recipe. */
    static final int EXAMPLES = 3;

    private static Map<String, Double> stageMetrics(Row run) {
        if (!Arrays.asList(run.schema().fieldNames()).contains("stage_metrics") || run.isNullAt(run.fieldIndex("stage_metrics"))) {
            return Map.of(); // a runs row recorded before stage_metrics
        }
        return new LinkedHashMap<>(run.<String, Double>getJavaMap(run.fieldIndex("stage_metrics")));
    }

    /** The first rows by id of each recipe: a stable choice, so a rerun's report shows the same ones. */
    private static Map<String, List<RunReport.Example>> examples(Dataset<Row> raw) {
        Dataset<Row> ranked = raw.withColumn("_n", row_number().over(Window.partitionBy("recipe").orderBy("id")))
                .where(col("_n").leq(EXAMPLES))
                .select(col("recipe"), col("id"), element_at(col("messages"), -1).getField("content").as("prompt"),
                        col("completion"), col("accepted"))
                .orderBy("recipe", "id");
        Map<String, List<RunReport.Example>> out = new LinkedHashMap<>();
        for (Row r : ranked.collectAsList()) {
            out.computeIfAbsent(r.isNullAt(0) ? "(none)" : r.getString(0), k -> new ArrayList<>())
                    .add(new RunReport.Example(r.getString(1), r.getString(2), r.getString(3),
                            !r.isNullAt(4) && r.getBoolean(4)));
        }
        return out;
    }

    private static void requireRuns(TableStore tables) {
        if (!tables.exists(TableStore.RUNS)) {
            throw new IllegalArgumentException("Cannot write the run report: there is no runs table yet ("
                    + tables.location(TableStore.RUNS) + "); run a job first");
        }
    }

    private static Instant instant(Object timestamp) {
        return timestamp == null ? null : ((Timestamp) timestamp).toInstant();
    }

    /** The non-null values of a numeric column, sampled down to about {@link #SAMPLE_ROWS}. */
    private static double[] doubles(Dataset<Row> rows, String column) {
        Dataset<Row> values = rows.where(col(column).isNotNull()).select(col(column).cast("double"));
        long n = values.count();
        if (n > SAMPLE_ROWS) {
            values = values.sample(false, (double) SAMPLE_ROWS / n, 7);
        }
        return values.collectAsList().stream().mapToDouble(r -> r.getDouble(0)).toArray();
    }

    private static Map<String, Long> recipes(Dataset<Row> raw) {
        return counts(raw, "recipe");
    }

    private static Map<String, Long> counts(Dataset<Row> raw, String column) {
        Map<String, Long> out = new LinkedHashMap<>();
        raw.groupBy(column).agg(count(lit(1))).orderBy(column).collectAsList()
                .forEach(r -> out.put(r.isNullAt(0) ? "(none)" : r.getString(0), r.getLong(1)));
        return out;
    }

    private static List<RunReport.Chunk> chunks(Dataset<Row> scores, Instant ended) {
        List<Row> rows = scores.groupBy("scored_at").agg(count(lit(1)), sum(col("token_count").cast("long")))
                .orderBy("scored_at").collectAsList();
        List<RunReport.Chunk> out = new ArrayList<>();
        for (int i = 0; i < rows.size(); i++) {
            Instant at = instant(rows.get(i).get(0));
            Instant next = i + 1 < rows.size() ? instant(rows.get(i + 1).get(0)) : ended;
            double seconds = at == null || next == null ? 0 : (next.toEpochMilli() - at.toEpochMilli()) / 1000.0;
            out.add(new RunReport.Chunk(at, rows.get(i).getLong(1), rows.get(i).isNullAt(2) ? 0 : rows.get(i).getLong(2),
                    Math.max(0, seconds)));
        }
        return out;
    }
}
