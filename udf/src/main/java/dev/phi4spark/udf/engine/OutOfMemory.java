package dev.phi4spark.udf.engine;

import ai.djl.engine.EngineException;
import java.util.Locale;

/** Recognises libtorch's out-of-memory errors, which reach Java as {@link EngineException}s. */
final class OutOfMemory {

    private OutOfMemory() {}

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
