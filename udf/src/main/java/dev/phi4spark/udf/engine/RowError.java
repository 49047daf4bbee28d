package dev.phi4spark.udf.engine;

import java.io.Serializable;
import java.util.Objects;

/**
 * Why a row produced no result: a short machine-readable code ({@code prompt_too_long}, {@code out_of_memory},
 * ...) and a sentence for people. Results carry it typed; only the edge (a Spark error column, a report, a
 * command's message) renders it, as {@code "code: message"}, so nothing parses the text back.
 *
 * @param code the error code, never blank
 * @param message what happened, may be empty
 */
public record RowError(String code, String message) implements Serializable {

    /** Checks the parts: a code is required, a missing message becomes empty. */
    public RowError {
        if (code == null || code.isBlank()) {
            throw new IllegalArgumentException("Cannot make a row error: the code is blank (" + code + ")");
        }
        message = Objects.requireNonNullElse(message, "");
    }

    /** {@code "code: message"}, or the code alone when there is no message: the text of the error column. */
    public String render() {
        return message.isEmpty() ? code : code + ": " + message;
    }

    /** The rendered form; null for null, so an optional error renders as a null column value. */
    public static String render(RowError error) {
        return error == null ? null : error.render();
    }

    @Override
    public String toString() {
        return render();
    }
}
