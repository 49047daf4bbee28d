package dev.phi4spark.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.substring;

import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import java.util.Arrays;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * Reads the corpus to score: Delta, Parquet, JSON lines, plain text or a catalog table, with an {@code id}
 * (the configured id column, or a hash of the text) and a {@code text} column.
 */
public final class CorpusReader {

    private CorpusReader() {}

    /** The corpus as {@code id, text, ...}, checked before any scoring starts. */
    public static Dataset<Row> read(SparkSession spark, JobConfig config) {
        String input = config.get(ConfigKeys.SCORE_INPUT);
        if (input == null || input.isBlank()) {
            throw new ConfigException("Cannot score a corpus: score.input is unset (set it to a path or a table,"
                    + " e.g. --set score.input=data/corpus.jsonl)");
        }
        String format = format(spark, input, config.get(ConfigKeys.SCORE_FORMAT));
        Dataset<Row> df = load(spark, input, format);
        String textColumn = format.equals("text") ? "value" : config.get(ConfigKeys.SCORE_TEXT_COLUMN);
        if (!Arrays.asList(df.columns()).contains(textColumn)) {
            throw new ConfigException("Cannot score " + input + ": it has no text column '" + textColumn
                    + "' (columns: " + String.join(", ", df.columns()) + "; set score.text_column)");
        }
        if (df.schema().apply(textColumn).dataType() != DataTypes.StringType) {
            throw new ConfigException("Cannot score " + input + ": column '" + textColumn + "' is "
                    + df.schema().apply(textColumn).dataType().simpleString() + ", not a string");
        }
        String idColumn = config.get(ConfigKeys.SCORE_ID_COLUMN);
        if (idColumn != null && !Arrays.asList(df.columns()).contains(idColumn)) {
            throw new ConfigException("Cannot score " + input + ": it has no id column '" + idColumn
                    + "' (columns: " + String.join(", ", df.columns()) + ")");
        }
        Dataset<Row> withText = df.withColumnRenamed(textColumn, "_text");
        Dataset<Row> withId = withText.withColumn("_id", idColumn == null
                ? substring(sha2(col("_text"), 256), 1, 32) : col(idColumn).cast("string"));
        return withId.select(col("_id").as("id"), col("_text").as("text")).dropDuplicates("id");
    }

    private static String format(SparkSession spark, String input, String configured) {
        String f = configured.toLowerCase(Locale.ROOT);
        if (!f.equals("auto")) {
            if (!f.matches("delta|parquet|json|text|table")) {
                throw new ConfigException("Cannot read configuration: score.format must be auto, delta, parquet,"
                        + " json, text or table (got \"" + configured + "\")");
            }
            return f;
        }
        if (!exists(spark, input)) {
            if (isTable(spark, input)) {
                return "table";
            }
            throw new ConfigException("Cannot score " + input + ": no such file, folder or table (set score.input)");
        }
        String lower = input.toLowerCase(Locale.ROOT);
        if (exists(spark, input + "/_delta_log")) {
            return "delta";
        }
        if (lower.endsWith(".parquet") || lower.endsWith("/")) {
            return "parquet";
        }
        if (lower.endsWith(".json") || lower.endsWith(".jsonl") || lower.endsWith(".json.gz") || lower.endsWith(".jsonl.gz")) {
            return "json";
        }
        if (lower.endsWith(".txt") || lower.endsWith(".txt.gz")) {
            return "text";
        }
        return "parquet";
    }

    /** True for a catalog table; a path like {@code /nope} is not a table name and must not fail to parse. */
    private static boolean isTable(SparkSession spark, String name) {
        try {
            return spark.catalog().tableExists(name);
        } catch (Exception e) { // ParseException (checked, thrown from Scala): not a table identifier at all
            return false;
        }
    }

    private static boolean exists(SparkSession spark, String path) {
        try {
            Path p = new Path(path);
            FileSystem fs = p.getFileSystem(spark.sparkContext().hadoopConfiguration());
            return fs.exists(p);
        } catch (java.io.IOException | IllegalArgumentException e) {
            return false;
        }
    }

    private static Dataset<Row> load(SparkSession spark, String input, String format) {
        return switch (format) {
            case "table" -> spark.table(input);
            case "text" -> spark.read().text(input);
            case "json" -> spark.read().json(input);
            default -> spark.read().format(format).load(input);
        };
    }
}
