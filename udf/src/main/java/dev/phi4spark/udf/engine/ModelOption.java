package dev.phi4spark.udf.engine;

import java.util.Locale;
import java.util.Objects;

/**
 * One model option: a row of {@link ModelOptions}, the table that the {@code model.*} config keys, the
 * command line's engine options and the Spark ML params of the Phi-4 transformers are all made from.
 * Only its name is written here in other forms: {@code prefill_chunk} is the config key
 * {@code model.prefill_chunk}, the Spark param {@code prefillChunk} and the option {@code --prefill-chunk}.
 *
 * @param name the snake_case name
 * @param type {@code Integer.class} or {@code String.class}
 * @param defaultValue the one default of the option (an empty string: unset)
 * @param min the smallest integer allowed (integers only)
 * @param max the largest integer allowed (integers only)
 * @param pattern the regular expression a string must match after trimming and lower-casing, or null for
 *     any string (kept as written, trimmed)
 * @param expected what a string must be, for messages ("auto, cpu, gpu or gpu:N")
 * @param doc one sentence for the configuration reference, the Spark param and the command line
 * @param scope where the option acts
 * @param <T> the value type
 */
public record ModelOption<T>(String name, Class<T> type, T defaultValue, int min, int max, String pattern,
        String expected, String doc, Scope scope) {

    /** Where an option acts, which says which projections carry it. */
    public enum Scope {
        /** How the engine is loaded: part of {@link EngineOptions}, of the registry key and of the CLI group. */
        ENGINE,
        /** Where a remote model is staged: part of the registry key, not of the engine. */
        STAGING,
        /** How each transform runs its rows on a loaded engine (batching, prefix reuse). */
        RUN
    }

    /** Checks the row itself: its default must pass its own rule. */
    public ModelOption {
        Objects.requireNonNull(name, "name");
        if (type != Integer.class && type != String.class) {
            throw new IllegalArgumentException("Cannot declare model option " + name + ": type must be Integer or"
                    + " String (" + type + ")");
        }
        check(name, type, defaultValue, min, max, pattern, expected);
    }

    /** An integer option allowed from {@code min} to {@code max}. */
    public static ModelOption<Integer> integer(String name, int defaultValue, int min, int max, String doc,
            Scope scope) {
        return new ModelOption<>(name, Integer.class, defaultValue, min, max, null, null, doc, scope);
    }

    /** A string option whose value (trimmed, lower-cased) must match {@code pattern}. */
    public static ModelOption<String> choice(String name, String defaultValue, String pattern, String expected,
            String doc, Scope scope) {
        return new ModelOption<>(name, String.class, defaultValue, 0, 0, pattern, expected, doc, scope);
    }

    /** A free string option, trimmed; empty means unset. */
    public static ModelOption<String> text(String name, String doc, Scope scope) {
        return new ModelOption<>(name, String.class, "", 0, 0, null, null, doc, scope);
    }

    /** The Spark ML param name: {@code prefill_chunk} is {@code prefillChunk}. */
    public String paramName() {
        StringBuilder out = new StringBuilder();
        boolean upper = false;
        for (char c : name.toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                out.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return out.toString();
    }

    /** The command-line option: {@code prefill_chunk} is {@code --prefill-chunk}. */
    public String cliName() {
        return "--" + name.replace('_', '-');
    }

    /**
     * A value checked and normalised: null gives the default, strings are trimmed (and lower-cased when
     * the option has a pattern), numbers in text are read.
     *
     * @throws IllegalArgumentException "Cannot use threads: it must be from 0 to 1024 (-1)."
     */
    public T check(Object value) {
        return type.cast(check(name, type, value == null ? defaultValue : value, min, max, pattern, expected));
    }

    private static Object check(String name, Class<?> type, Object value, int min, int max, String pattern,
            String expected) {
        if (type == Integer.class) {
            int v = integerOf(name, value);
            if (v < min || v > max) {
                throw new IllegalArgumentException("Cannot use " + name + ": it must be from " + min + " to " + max
                        + " (" + v + ").");
            }
            return v;
        }
        if (!(value instanceof String s)) {
            throw new IllegalArgumentException("Cannot use " + name + ": it must be a string (" + value + ").");
        }
        if (pattern == null) {
            return s.trim();
        }
        String v = s.trim().toLowerCase(Locale.ROOT);
        if (!v.matches(pattern)) {
            throw new IllegalArgumentException("Cannot use " + name + ": expected " + expected + " (" + s + ").");
        }
        return v;
    }

    private static int integerOf(String name, Object value) {
        if (value instanceof Integer i) {
            return i;
        }
        if (value instanceof String s && s.trim().matches("-?\\d{1,10}")) {
            long v = Long.parseLong(s.trim());
            if (v == (int) v) {
                return (int) v;
            }
        }
        throw new IllegalArgumentException("Cannot use " + name + ": it must be an integer (" + value + ").");
    }
}
