package dev.phi4spark.filters.decontam;

import java.io.Serializable;
import java.nio.file.Path;

/**
 * A benchmark file to decontaminate against, at any URI Hadoop reads (a local path, {@code
 * file:}, {@code hdfs:}, {@code s3a:}, ...): JSON Lines, one item per line. An item's text is its
 * question, its choices and its answer joined by spaces; fields are named by dotted paths ({@code
 * "input.question"}); a choices field may be a string, an array or an object (its values are
 * used); a missing choices or answer field is skipped, a missing question is an error.
 *
 * @param name benchmark name reported in {@code decontam_benchmark}
 * @param path the file: a local path or a Hadoop URI ({@code hdfs:}, {@code s3a:}, ...)
 * @param idField field holding the item id, or null to use the 1-based line number
 */
public record BenchmarkSource(String name, String path, String questionField, String choicesField,
        String answerField, String idField) implements Serializable {

    /** A local file. */
    public BenchmarkSource(String name, Path path, String questionField, String choicesField, String answerField,
            String idField) {
        this(name, path.toString(), questionField, choicesField, answerField, idField);
    }

    /** The file name of a path or URI, the default benchmark name. */
    public static String fileName(String location) {
        String trimmed = location.replaceAll("/+$", "");
        return trimmed.substring(trimmed.lastIndexOf('/') + 1);
    }

    /** A file with fields {@code question}, {@code choices}, {@code answer} and no id field. */
    public static BenchmarkSource of(String name, Path path) {
        return new BenchmarkSource(name, path, "question", "choices", "answer", null);
    }
}
