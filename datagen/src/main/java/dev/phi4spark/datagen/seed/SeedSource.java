package dev.phi4spark.datagen.seed;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.io.Serializable;
import java.util.Locale;

/**
 * Where a recipe's text seeds come from and which of them to keep. Exactly one of {@code input} and
 * {@code path} is set.
 *
 * @param input the name of a DataFrame handed to {@code Datagen.run}, or else of a table in the Spark
 *     catalog
 * @param path file or folder to read (a comma-separated list for several)
 * @param format {@code json} (JSON lines), {@code parquet}, {@code text} (one seed a line, column
 *     {@code value}), {@code csv} (with header) or {@code delta}; empty: from the path's extension
 * @param textColumn the column with the passage, question or code (default {@code text}; {@code value}
 *     for the text format)
 * @param idColumn a column with a stable key to hash into the seed id instead of the text; empty: the
 *     text is the key
 * @param languageColumn a column with the programming language of code seeds, or empty
 * @param scoreColumn a column with an existing quality score, or empty
 * @param minScore keep only seeds scored at least this (by {@code scoreColumn} or the judge); null
 *     keeps all
 * @param judge score the seeds with the {@code JudgeStage} (on its rubric's scale)
 * @param answerColumn a column with each question's reference answer (a bare answer or a worked solution,
 *     read by {@code AnswerExtractor.reference}), which the pair recipes check completions against; empty:
 *     none
 */
public record SeedSource(
        @JsonProperty("input") String input,
        @JsonProperty("path") String path,
        @JsonProperty("format") String format,
        @JsonProperty("text_column") String textColumn,
        @JsonProperty("id_column") String idColumn,
        @JsonProperty("language_column") String languageColumn,
        @JsonProperty("score_column") String scoreColumn,
        @JsonProperty("min_score") Double minScore,
        @JsonProperty("judge") boolean judge,
        @JsonProperty("answer_column") String answerColumn) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Normalises blanks and checks the combination of settings. */
    @JsonCreator
    public SeedSource {
        input = blankToEmpty(input);
        path = blankToEmpty(path);
        format = blankToEmpty(format).toLowerCase(Locale.ROOT);
        idColumn = blankToEmpty(idColumn);
        languageColumn = blankToEmpty(languageColumn);
        scoreColumn = blankToEmpty(scoreColumn);
        answerColumn = blankToEmpty(answerColumn);
        if (input.isEmpty() == path.isEmpty()) {
            throw new IllegalArgumentException(
                    "Cannot use seed source: set exactly one of input and path (input '" + input + "', path '" + path + "')");
        }
        if (!format.isEmpty() && !format.matches("json|parquet|text|csv|delta")) {
            throw new IllegalArgumentException(
                    "Cannot use seed source: format must be json, parquet, text, csv or delta (" + format + ")");
        }
        if (judge && !scoreColumn.isEmpty()) {
            throw new IllegalArgumentException(
                    "Cannot use seed source: judge and score_column both give a score (" + scoreColumn + ")");
        }
        if ((judge || !scoreColumn.isEmpty()) && minScore == null) {
            throw new IllegalArgumentException("Cannot use seed source: a score needs min_score to select by (null)");
        }
        if (format.isEmpty() && !path.isEmpty()) {
            format = formatOf(path);
        }
        textColumn = textColumn == null || textColumn.isBlank() ? ("text".equals(format) ? "value" : "text") : textColumn;
    }

    /** Seeds from a named DataFrame or catalog table with a {@code text} column. */
    public static SeedSource input(String name) {
        return new SeedSource(name, null, null, null, null, null, null, null, false, null);
    }

    /** Seeds from files; the format comes from the extension. */
    public static SeedSource path(String path) {
        return new SeedSource(null, path, null, null, null, null, null, null, false, null);
    }

    /** The same source reading another text column. */
    public SeedSource withTextColumn(String column) {
        return new SeedSource(input, path, format, column, idColumn, languageColumn, scoreColumn, minScore, judge,
                answerColumn);
    }

    /** The same source keyed by another column. */
    public SeedSource withIdColumn(String column) {
        return new SeedSource(input, path, format, textColumn, column, languageColumn, scoreColumn, minScore, judge,
                answerColumn);
    }

    /** The same source with a language column. */
    public SeedSource withLanguageColumn(String column) {
        return new SeedSource(input, path, format, textColumn, idColumn, column, scoreColumn, minScore, judge,
                answerColumn);
    }

    /** The same source keeping rows whose existing score column is at least {@code min}. */
    public SeedSource withMinScore(String column, double min) {
        return new SeedSource(input, path, format, textColumn, idColumn, languageColumn, column, min, false,
                answerColumn);
    }

    /** The same source keeping rows the judge scores at least {@code min}. */
    public SeedSource withJudge(double min) {
        return new SeedSource(input, path, format, textColumn, idColumn, languageColumn, null, min, true,
                answerColumn);
    }

    /** The same source with each question's reference answer in {@code column}. */
    public SeedSource withAnswerColumn(String column) {
        return new SeedSource(input, path, format, textColumn, idColumn, languageColumn, scoreColumn, minScore, judge,
                column);
    }

    private static String blankToEmpty(String s) {
        return s == null ? "" : s.trim();
    }

    private static String formatOf(String path) {
        String p = path.split(",")[0].trim().toLowerCase(Locale.ROOT);
        if (p.endsWith(".json") || p.endsWith(".jsonl")) {
            return "json";
        }
        if (p.endsWith(".parquet")) {
            return "parquet";
        }
        if (p.endsWith(".txt")) {
            return "text";
        }
        if (p.endsWith(".csv")) {
            return "csv";
        }
        throw new IllegalArgumentException("Cannot use seed source: no format given and none known for the extension ("
                + path + ")");
    }
}
