package dev.phi4spark.jobs;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat_ws;
import static org.apache.spark.sql.functions.current_timestamp;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.substring;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phi4spark.filters.decontam.Decontaminator;
import dev.phi4spark.filters.pipeline.PipelineStep;
import dev.phi4spark.filters.pipeline.StepSpecs;
import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.udf.spark.JudgePrompt;
import dev.phi4spark.udf.spark.Phi4Judge;
import dev.phi4spark.udf.spark.Phi4Options;
import dev.phi4spark.udf.spark.Phi4Scorer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code score}: a corpus into {@code corpus_scores}: per document perplexity, mean log-probability and
 * token count (Phi4Scorer), the judge's educational-value score (Phi4Judge), heuristic flags and the
 * decontamination verdict. Committed in chunks; {@code --resume} skips rows already scored by this model
 * with these settings.
 */
public final class ScoreJob {

    private ScoreJob() {}

    /** The key of a score row: document, model identity and scoring settings. */
    public static final String SCORE_ID = "score_id";

    /**
     * Scores {@code corpus (id, text)} and returns the rows inserted. A row is keyed by document, model
     * identity and scoring settings, so re-scoring with another model or settings adds rows beside the
     * old ones, and re-scoring with the same ones adds none.
     */
    public static long run(JobContext ctx, Dataset<Row> corpus, String label) {
        checkTable(ctx.tables());
        String settings = settings(ctx.config());
        Dataset<Row> todo = corpus.withColumn(SCORE_ID, substring(sha2(concat_ws("\u0001", col("id"),
                lit(ctx.model().identity()), lit(settings)), 256), 1, 32));
        if (ctx.resume()) {
            todo = todo.join(ctx.tables().ids(TableStore.CORPUS_SCORES, SCORE_ID).withColumnRenamed(SCORE_ID, "_done"),
                    col(SCORE_ID).equalTo(col("_done")), "left_anti");
        }
        todo = todo.persist(StorageLevel.MEMORY_AND_DISK());
        long count = todo.count();
        int commitRows = ctx.config().get(ConfigKeys.WRITE_COMMIT_ROWS);
        int chunks = (int) Math.max(1, (count + commitRows - 1) / commitRows);
        ctx.out().println("score: " + count + " document(s) from " + label + " in " + chunks + " commit(s)");
        PipelineStep decontam = decontaminationStep(ctx.config());
        long inserted = 0;
        long calls = count * (ctx.config().get(ConfigKeys.SCORE_JUDGE) ? 2 : 1); // scorer, then judge
        long started = System.nanoTime();
        try (JobContext.Progress progress = ctx.progress(calls)) {
            for (int chunk = 0; chunk < chunks && count > 0; chunk++) {
                Dataset<Row> some = chunks == 1 ? todo : todo.where(pmod(xxhash64(col("id")), lit(chunks)).equalTo(chunk));
                Dataset<Row> scored = score(ctx, some, decontam).persist(StorageLevel.MEMORY_AND_DISK());
                try {
                    inserted += ctx.tables().insertNew(TableStore.CORPUS_SCORES, scored, SCORE_ID);
                } finally {
                    scored.unpersist();
                }
            }
        } finally {
            todo.unpersist();
        }
        ctx.run().count(TableStore.CORPUS_SCORES, inserted);
        ctx.run().stage("score", ctx.metrics(), (System.nanoTime() - started) / 1e9);
        if (ctx.config().get(ConfigKeys.SCORE_JUDGE)) {
            ctx.out().printf("score: %d judge prompt tokens came from the prefix cache (the rubric before each"
                    + " document)%n", ctx.metrics().cachedPromptTokens().value());
        }
        return inserted;
    }

    /**
     * What, besides the model, makes a score row: the perplexity window, the judge and its rubric, the
     * benchmarks decontaminated against, and the dtype the model computes in.
     */
    static String settings(JobConfig config) {
        boolean judge = config.get(ConfigKeys.SCORE_JUDGE);
        return "window_tokens=" + config.get(ConfigKeys.SCORE_WINDOW_TOKENS)
                + ";judge=" + (judge ? "rubric-" + sha256(JudgePrompt.DEFAULT_RUBRIC).substring(0, 12) : "off")
                + ";benchmarks=" + config.get(ConfigKeys.SCORE_BENCHMARKS)
                + ";dtype=" + config.get(ConfigKeys.model(dev.phi4spark.udf.engine.ModelOptions.DTYPE));
    }

    /** A table from before score keys cannot take keyed rows: say so instead of failing in the MERGE. */
    private static void checkTable(TableStore tables) {
        if (tables.exists(TableStore.CORPUS_SCORES)
                && !List.of(tables.read(TableStore.CORPUS_SCORES).columns()).contains(SCORE_ID)) {
            throw new ConfigException("Cannot write " + TableStore.CORPUS_SCORES + ": the table at "
                    + tables.location(TableStore.CORPUS_SCORES) + " has no " + SCORE_ID + " column (written by an"
                    + " older phi4spark; move it aside or set warehouse to a new folder)");
        }
    }

    private static String sha256(String text) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
                    .digest(text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Dataset<Row> score(JobContext ctx, Dataset<Row> docs, PipelineStep decontam) {
        if (!java.util.Arrays.asList(docs.columns()).contains(CorpusReader.READ_ERROR)) {
            docs = docs.withColumn(CorpusReader.READ_ERROR, lit(null).cast(DataTypes.StringType));
        }
        JobConfig config = ctx.config();
        Phi4Options options = ctx.modelOptions();
        Dataset<Row> df = new Phi4Scorer().setOptions(options).setMetrics(ctx.metrics()).setInputCol("text")
                .setWindowTokens(config.get(ConfigKeys.SCORE_WINDOW_TOKENS))
                .setMeanLogprobCol("mean_logprob").setPerplexityCol("perplexity").setTokenCountCol("token_count")
                .setErrorCol("_score_error").transform(docs);
        boolean judge = config.get(ConfigKeys.SCORE_JUDGE);
        if (judge) {
            df = new Phi4Judge().setOptions(options).setMetrics(ctx.metrics()).setInputCol("text")
                    .setScoreCol("judge_score")
                    .setArgmaxCol("judge_argmax").setDistributionCol("judge_distribution")
                    .setErrorCol("_judge_error").transform(df);
        } else {
            df = df.withColumn("judge_score", lit(null).cast(DataTypes.DoubleType))
                    .withColumn("judge_argmax", lit(null).cast(DataTypes.IntegerType))
                    .withColumn("judge_distribution", lit(null).cast(DataTypes.createArrayType(DataTypes.DoubleType)))
                    .withColumn("_judge_error", lit(null).cast(DataTypes.StringType));
        }
        df = df.withColumn("heuristic_flags", HeuristicFlags.flags(col("text")));
        if (decontam != null) {
            df = decontam.apply(df, new PipelineStep.StepContext("text", "id", "_decontam_reason"));
        } else {
            df = df.withColumn(Decontaminator.VERDICT, lit("not_checked"))
                    .withColumn(Decontaminator.BENCHMARK, lit(null).cast(DataTypes.StringType))
                    .withColumn(Decontaminator.ITEM, lit(null).cast(DataTypes.StringType))
                    .withColumn(Decontaminator.OVERLAP, lit(null).cast(DataTypes.DoubleType));
        }
        List<Column> out = new ArrayList<>(List.of(col(SCORE_ID), col("id"), substring(col("text"), 1, 200).as("text_preview"),
                col("mean_logprob"), col("perplexity"), col("token_count"), col("judge_score"), col("judge_argmax"),
                col("judge_distribution"), col("heuristic_flags"), col(Decontaminator.VERDICT),
                col(Decontaminator.BENCHMARK), col(Decontaminator.ITEM).cast("string").as(Decontaminator.ITEM),
                col(Decontaminator.OVERLAP).cast("double").as(Decontaminator.OVERLAP),
                coalesce(col(CorpusReader.READ_ERROR), col("_score_error"), col("_judge_error")).as("error"),
                lit(ctx.model().identity()).as("model"), lit(settings(config)).as("scoring"),
                lit(ctx.run().runId()).as("run_id"),
                current_timestamp().as("scored_at")));
        return df.select(out.toArray(new Column[0]));
    }

    /**
     * The {@code decontaminate} step spec of {@code score.benchmarks} (each entry takes the fields of that
     * step's {@code benchmarks}), or null when none are configured.
     */
    public static Map<String, Object> decontaminationSpec(JobConfig config) {
        JsonNode benchmarks = config.get(ConfigKeys.SCORE_BENCHMARKS);
        if (benchmarks == null || benchmarks.isEmpty()) {
            return null;
        }
        Map<String, Object> spec = new LinkedHashMap<>();
        spec.put("name", "decontaminate");
        spec.put("benchmarks", new ObjectMapper().convertValue(benchmarks, List.class));
        return spec;
    }

    /** The decontamination step of {@code score.benchmarks} (benchmark files read), or null when none are configured. */
    public static PipelineStep decontaminationStep(JobConfig config) {
        Map<String, Object> spec = decontaminationSpec(config);
        return spec == null ? null : StepSpecs.build(spec);
    }
}
