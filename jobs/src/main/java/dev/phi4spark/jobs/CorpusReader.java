package dev.phi4spark.jobs;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.length;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;
import static org.apache.spark.sql.functions.sha2;
import static org.apache.spark.sql.functions.substring;

import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.AnalysisException;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;

/**
 * Reads the corpus to score: Delta, Parquet, JSON lines, plain text or a catalog table, with an {@code id}
 * (the configured id column, or a hash of the text, which also stands in for a null id), a {@code text}
 * column and a {@value #READ_ERROR} column: {@code too_long: ...} for a document over {@code
 * score.max_document_chars} (its text is then null, never silently lost), {@code malformed: ...} for a JSON
 * line that does not parse, null otherwise.
 */
public final class CorpusReader {

    /** Column of per-row read errors ("code: message"), null for a row read whole. */
    public static final String READ_ERROR = "_read_error";
    /** Row error code of a document over the size limit. */
    public static final String TOO_LONG = "too_long";

    private static final String CORRUPT = "_corrupt_record";

    private CorpusReader() {}

    /** The corpus as {@code id, text, ...}, checked before any scoring starts. */
    public static Dataset<Row> read(SparkSession spark, JobConfig config) {
        String input = config.get(ConfigKeys.SCORE_INPUT);
        if (input == null || input.isBlank()) {
            throw new ConfigException("Cannot score a corpus: score.input is unset (set it to a path or a table,"
                    + " e.g. --set score.input=data/corpus.jsonl)");
        }
        String format = format(spark, input, config.get(ConfigKeys.SCORE_FORMAT));
        Dataset<Row> df = load(spark, input, format, config.get(ConfigKeys.SCORE_MAX_DOCUMENT_CHARS));
        String textColumn = format.equals("text") ? "value" : config.get(ConfigKeys.SCORE_TEXT_COLUMN);
        List<String> columns = Arrays.asList(df.columns());
        if (columns.isEmpty()) {
            throw noDataFiles(input, format);
        }
        if (!columns.contains(textColumn) && columns.contains(CORRUPT) && format.equals("json")) {
            df = df.withColumn(textColumn, lit(null).cast(DataTypes.StringType)); // no line parsed at all
            columns = Arrays.asList(df.columns());
        }
        if (!columns.contains(textColumn)) {
            throw new ConfigException("Cannot score " + input + ": it has no text column '" + textColumn
                    + "' (columns: " + String.join(", ", df.columns()) + "; set score.text_column)");
        }
        if (df.schema().apply(textColumn).dataType() != DataTypes.StringType) {
            throw new ConfigException("Cannot score " + input + ": column '" + textColumn + "' is "
                    + df.schema().apply(textColumn).dataType().simpleString() + ", not a string");
        }
        String idColumn = config.get(ConfigKeys.SCORE_ID_COLUMN);
        if (idColumn != null && !columns.contains(idColumn)) {
            throw new ConfigException("Cannot score " + input + ": it has no id column '" + idColumn
                    + "' (columns: " + String.join(", ", df.columns()) + ")");
        }
        int limit = config.get(ConfigKeys.SCORE_MAX_DOCUMENT_CHARS);
        Column corrupt = columns.contains(CORRUPT) ? col(CORRUPT) : lit(null).cast(DataTypes.StringType);
        Dataset<Row> withText = df.withColumn("_raw", col(textColumn)).withColumn(READ_ERROR,
                readError(col(textColumn), corrupt, limit));
        // An id column with nulls falls back to the text hash, so a rerun still writes each row once.
        Column hash = substring(sha2(coalesce(col("_raw"), corrupt, lit("")), 256), 1, 32);
        Dataset<Row> withId = withText.withColumn("_id", idColumn == null ? hash
                : coalesce(col(idColumn).cast("string"), hash));
        return withId.select(col("_id").as("id"), when(col(READ_ERROR).isNull(), col("_raw")).as("text"),
                col(READ_ERROR)).dropDuplicates("id");
    }

    /** {@code too_long} naming the size and the limit, {@code malformed} for an unparsed JSON line, or null. */
    private static Column readError(Column text, Column corrupt, int limit) {
        String setting = " characters and the limit is " + limit + " (score.max_document_chars)";
        return when(length(text).gt(limit), concat(lit(TOO_LONG + ": the document has "),
                        length(text).cast("string"), lit(setting)))
                .when(text.isNull().and(corrupt.isNotNull()).and(length(corrupt).gt(limit)),
                        concat(lit(TOO_LONG + ": the document's line has "), length(corrupt).cast("string"),
                                lit(setting)))
                .when(text.isNull().and(corrupt.isNotNull()),
                        concat(lit("malformed: the line is not a JSON object with a string field ("),
                                length(corrupt).cast("string"), lit(" characters)")));
    }

    private static ConfigException noDataFiles(String input, String format) {
        return new ConfigException("Cannot score " + input + ": it holds no " + format + " data files (an empty"
                + " folder, or files of another format: set score.format)");
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

    private static Dataset<Row> load(SparkSession spark, String input, String format, int limit) {
        try {
            return switch (format) {
                case "table" -> spark.table(input);
                case "text" -> spark.read().text(input);
                // Jackson's 20,000,000-character string limit would turn a longer document into a null text;
                // with the limit just above ours, a longer line is a corrupt record whose size we report.
                case "json" -> spark.read().option("maxStringLen", Integer.toString(limit + 1))
                        .option("columnNameOfCorruptRecord", CORRUPT).json(input);
                default -> spark.read().format(format).load(input);
            };
        } catch (Exception e) { // AnalysisException is checked in Scala's eyes only
            if (e instanceof AnalysisException a && "UNABLE_TO_INFER_SCHEMA".equals(a.getCondition())) {
                throw noDataFiles(input, format);
            }
            throw e;
        }
    }
}
