package dev.phi4spark.filters;

import java.io.Serializable;

/**
 * Rewrites a document's text (dropping lines, redacting spans) and reports what it did as counts
 * per kind. Implementations are {@link Serializable} so Spark can ship them to the executors.
 */
public interface TextCleaner extends Serializable {

    /** Short snake_case name, used as the pipeline step name and in the counts column name. */
    String name();

    /** Cleans {@code text}; a {@code null} text is treated as empty. */
    CleanedText clean(String text);
}
