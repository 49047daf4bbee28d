package dev.phi4spark.datagen.seed;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.min;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.trim;

import dev.phi4spark.datagen.Ids;
import dev.phi4spark.datagen.stage.JudgeStage;
import java.util.Arrays;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.DataFrameReader;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * Text seeds (passages, questions, code) from any table or file with a text column.
 *
 * <p>Blank texts are dropped; seeds with the same id (the same text, or the same key when an id column
 * is given) count once; when a score selects seeds, only those scored at least {@code min_score} stay
 * (the Phi-4 report selected seeds for educational and reasoning value with a model judge). The
 * {@code limit} seeds kept are those with the smallest seed ids: a hash order, so the choice is
 * pseudo-random over the table yet the same on every run.
 */
public final class TextSeeds {

    private static final String JUDGE_PREFIX = "seed_judge_";

    private TextSeeds() {
    }

    /**
     * Reads a source and builds its seeds.
     *
     * @param spark the session
     * @param source where and what to read
     * @param kind the kind of seed
     * @param inputs DataFrames by name, looked up for {@link SeedSource#input()} before the catalog
     * @param judge the judge, needed only when {@code source.judge()} is set
     * @param limit the most seeds to keep
     * @return seeds in the {@link Seeds#SCHEMA}
     */
    public static Dataset<Row> build(SparkSession spark, SeedSource source, Seeds.Kind kind,
            Map<String, Dataset<Row>> inputs, JudgeStage judge, long limit) {
        return fromTable(read(spark, source, inputs), source, kind, judge, limit);
    }

    /**
     * {@link #build} leaving out the seeds whose id is in {@code used} before the judge and the limit,
     * so the next seeds in hash order take their place.
     */
    public static Dataset<Row> buildUnused(SparkSession spark, SeedSource source, Seeds.Kind kind,
            Map<String, Dataset<Row>> inputs, JudgeStage judge, long limit, java.util.Set<String> used) {
        Dataset<Row> table = read(spark, source, inputs);
        if (used.isEmpty()) {
            return fromTable(table, source, kind, judge, limit);
        }
        Dataset<Row> usedIds = spark.createDataset(new java.util.ArrayList<>(used),
                org.apache.spark.sql.Encoders.STRING()).toDF("_used");
        return fromTable(table, source, kind, judge, limit, usedIds);
    }

    /** Passages from a table's text column, all of them (up to {@code limit}), no score filter. */
    public static Dataset<Row> passages(Dataset<Row> table, String textColumn, long limit) {
        return fromTable(table, SeedSource.input("table").withTextColumn(textColumn), Seeds.Kind.PASSAGE, null, limit);
    }

    /** Questions from a table's text column, all of them (up to {@code limit}). */
    public static Dataset<Row> questions(Dataset<Row> table, String textColumn, long limit) {
        return fromTable(table, SeedSource.input("table").withTextColumn(textColumn), Seeds.Kind.QUESTION, null, limit);
    }

    /**
     * Builds seeds from a table already read. See {@link #build} for the parameters.
     *
     * @throws IllegalArgumentException if a named column is missing or a judge is needed and absent
     */
    public static Dataset<Row> fromTable(Dataset<Row> table, SeedSource source, Seeds.Kind kind, JudgeStage judge,
            long limit) {
        return fromTable(table, source, kind, judge, limit, null);
    }

    private static Dataset<Row> fromTable(Dataset<Row> table, SeedSource source, Seeds.Kind kind, JudgeStage judge,
            long limit, Dataset<Row> usedIds) {
        if (kind == Seeds.Kind.TOPIC) {
            throw new IllegalArgumentException("Cannot build text seeds: topic seeds come from the taxonomy (" + kind + ")");
        }
        requireColumn(table, source.textColumn(), "text_column");
        Column key = source.idColumn().isEmpty() ? col(source.textColumn()) : col(requireColumn(table, source.idColumn(), "id_column"));
        Column language = source.languageColumn().isEmpty() ? lit(null).cast(DataTypes.StringType)
                : col(requireColumn(table, source.languageColumn(), "language_column")).cast(DataTypes.StringType);
        Column score = source.scoreColumn().isEmpty() ? lit(null).cast(DataTypes.DoubleType)
                : col(requireColumn(table, source.scoreColumn(), "score_column")).cast(DataTypes.DoubleType);
        Column answer = source.answerColumn().isEmpty() ? lit(null).cast(DataTypes.StringType)
                : col(requireColumn(table, source.answerColumn(), "answer_column")).cast(DataTypes.StringType);
        Dataset<Row> seeds = table
                .select(Ids.hash(lit(kind.label()), key).as(Seeds.SEED_ID),
                        col(source.textColumn()).cast(DataTypes.StringType).as(Seeds.SEED_TEXT),
                        language.as(Seeds.SEED_LANGUAGE), score.as(Seeds.SEED_SCORE), answer.as(Seeds.SEED_ANSWER))
                .where(col(Seeds.SEED_TEXT).isNotNull().and(length(trim(col(Seeds.SEED_TEXT))).gt(0)));
        seeds = dedupe(seeds);
        if (usedIds != null) {
            seeds = seeds.join(usedIds, col(Seeds.SEED_ID).equalTo(col("_used")), "left_anti");
        }
        if (source.judge()) {
            seeds = judged(seeds, judge);
        }
        if (source.minScore() != null) {
            seeds = seeds.where(col(Seeds.SEED_SCORE).geq(source.minScore()));
        }
        return conform(seeds.orderBy(Seeds.SEED_ID).limit((int) Math.min(limit, Integer.MAX_VALUE)), kind);
    }

    /** The smallest (text, language, score, answer) per id: deterministic, unlike dropDuplicates. */
    private static Dataset<Row> dedupe(Dataset<Row> seeds) {
        return seeds.groupBy(Seeds.SEED_ID)
                .agg(min(struct(Seeds.SEED_TEXT, Seeds.SEED_LANGUAGE, Seeds.SEED_SCORE, Seeds.SEED_ANSWER)).as("s"))
                .select(col(Seeds.SEED_ID), col("s." + Seeds.SEED_TEXT).as(Seeds.SEED_TEXT),
                        col("s." + Seeds.SEED_LANGUAGE).as(Seeds.SEED_LANGUAGE),
                        col("s." + Seeds.SEED_SCORE).as(Seeds.SEED_SCORE),
                        col("s." + Seeds.SEED_ANSWER).as(Seeds.SEED_ANSWER));
    }

    private static Dataset<Row> judged(Dataset<Row> seeds, JudgeStage judge) {
        if (judge == null) {
            throw new IllegalArgumentException("Cannot judge seeds: the source asks for a judge but none was given (null)");
        }
        return judge.judge(seeds, Seeds.SEED_TEXT, JUDGE_PREFIX)
                .withColumn(Seeds.SEED_SCORE, col(JUDGE_PREFIX + JudgeStage.SCORE).cast(DataTypes.DoubleType));
    }

    private static Dataset<Row> conform(Dataset<Row> seeds, Seeds.Kind kind) {
        return Seeds.select(seeds
                .withColumn(Seeds.SEED_KIND, lit(kind.label()))
                .withColumn(Seeds.SUBJECT, lit(null).cast(DataTypes.StringType))
                .withColumn(Seeds.TOPIC, lit(null).cast(DataTypes.StringType))
                .withColumn(Seeds.SUBTOPIC, lit(null).cast(DataTypes.StringType))
                .withColumn(Seeds.AUDIENCE, lit(null).cast(DataTypes.StringType))
                .withColumn(Seeds.STYLE, lit(null).cast(DataTypes.StringType))
                .withColumn(Seeds.DIFFICULTY, lit(null).cast(DataTypes.StringType)));
    }

    private static String requireColumn(Dataset<Row> table, String column, String setting) {
        if (!Arrays.asList(table.columns()).contains(column)) {
            throw new IllegalArgumentException("Cannot read seeds: " + setting + " '" + column + "' is not a column ("
                    + String.join(", ", table.columns()) + ")");
        }
        return column;
    }

    /** The source's table: a named input, a catalog table, or files. */
    public static Dataset<Row> read(SparkSession spark, SeedSource source, Map<String, Dataset<Row>> inputs) {
        if (!source.input().isEmpty()) {
            Dataset<Row> given = inputs == null ? null : inputs.get(source.input());
            return given != null ? given : spark.table(source.input());
        }
        DataFrameReader reader = spark.read().format(source.format());
        if ("csv".equals(source.format())) {
            reader = reader.option("header", "true");
        }
        return reader.load(Arrays.stream(source.path().split(",")).map(String::trim).toArray(String[]::new));
    }
}
