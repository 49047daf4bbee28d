package dev.phi4spark.udf.engine;

import ai.djl.engine.EngineException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * What generation, scoring, judging and the prefix cache do when the device runs out of memory: run
 * the rows again in halves, down to one row, and give a row that still runs out of memory alone an
 * {@link GenerationResult#OUT_OF_MEMORY} error while the others go on. libtorch's out-of-memory errors
 * reach Java as {@link EngineException}s; any other error is rethrown.
 */
final class OutOfMemoryPolicy {

    private OutOfMemoryPolicy() {}

    /**
     * Runs {@code work} on {@code rows} (indices into the caller's list); when the device runs out of
     * memory, on each half instead, down to single rows, a single row that still fails getting {@code
     * failed}'s result for the row error. Results come back in {@code rows}' order.
     */
    static <R> List<R> inHalves(List<Integer> rows, Function<List<Integer>, List<R>> work,
            Function<RowError, R> failed) {
        try {
            return work.apply(rows);
        } catch (EngineException e) {
            int half = retryRows(e, rows.size());
            if (half == 0) {
                List<R> one = new ArrayList<>();
                one.add(failed.apply(error(e)));
                return one;
            }
            List<R> out = new ArrayList<>(inHalves(rows.subList(0, half), work, failed));
            out.addAll(inHalves(rows.subList(half, rows.size()), work, failed));
            return out;
        }
    }

    /**
     * The rows to retry with after {@code e} hit a batch of {@code rows}: half as many, or 0 when a
     * single row ran out of memory and gets the {@link #error}.
     *
     * @throws EngineException {@code e} itself when it is not about memory
     */
    static int retryRows(EngineException e, int rows) {
        if (!is(e)) {
            throw e;
        }
        return rows > 1 ? rows / 2 : 0;
    }

    /** The error of a row that ran out of memory alone: the code and the first line of the message. */
    static RowError error(Throwable t) {
        return new RowError(GenerationResult.OUT_OF_MEMORY, summary(t));
    }

    /** True when {@code t} or one of its causes is an engine error about memory running out. */
    static boolean is(Throwable t) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (c instanceof EngineException && c.getMessage() != null) {
                String m = c.getMessage().toLowerCase(Locale.ROOT);
                if (m.contains("out of memory") || m.contains("can't allocate memory")) {
                    return true;
                }
            }
            if (c.getCause() == c) {
                break;
            }
        }
        return false;
    }

    /** The first line of the error's message, for a row's error text. */
    static String summary(Throwable t) {
        String m = String.valueOf(t.getMessage()).strip();
        int newline = m.indexOf('\n');
        return newline < 0 ? m : m.substring(0, newline);
    }
}
