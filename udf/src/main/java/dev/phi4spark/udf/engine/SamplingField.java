package dev.phi4spark.udf.engine;

import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * One sampling field: a row of {@link SamplingParams#FIELDS}, the table that the {@code sampling.*}
 * config keys, the Spark ML params of {@code Phi4Generator}, {@link SamplingParams#DEFAULTS} and the keys
 * of a partial setting ({@link SamplingParams#KEYS}, {@link SamplingParams#over}) are all made from.
 *
 * @param name the snake_case name: the key of a plan's {@code sampling:} block and of the JSON form, and
 *     the config key {@code sampling.<name>}
 * @param javaName the record component of {@link SamplingParams}, which is also the Spark param's name
 *     and the stem of its getter and setter ({@code stop} is {@code stopStrings})
 * @param type {@code Double.class}, {@code Integer.class}, {@code Long.class} or {@code List.class} (of
 *     strings)
 * @param accessor the record component's accessor
 * @param defaultValue the one default of the field: its value in {@link SamplingParams#DEFAULTS}, which
 *     is made from these
 * @param min the smallest value a config key allows (numbers only; null: no bound)
 * @param minOpen whether {@code min} itself is excluded
 * @param max the largest value a config key allows (numbers only; null: no bound)
 * @param doc one sentence for the configuration reference and the Spark param
 * @param keyed whether the field is a key of a partial setting and a {@code sampling.*} config key (the
 *     seed is given apart: per recipe, per row or by {@code Phi4Generator}'s {@code seed} param)
 * @param <T> the value type
 */
public record SamplingField<T>(String name, String javaName, Class<T> type, Function<SamplingParams, T> accessor,
        T defaultValue, Double min, boolean minOpen, Double max, String doc, boolean keyed) {

    /** Checks the row itself. */
    public SamplingField {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(javaName, "javaName");
        Objects.requireNonNull(accessor, "accessor");
        Objects.requireNonNull(doc, "doc");
        Objects.requireNonNull(defaultValue, "defaultValue");
        if (type != Double.class && type != Integer.class && type != Long.class && type != List.class) {
            throw new IllegalArgumentException("Cannot declare sampling field " + name + ": type must be Double,"
                    + " Integer, Long or List (" + type + ")");
        }
        boolean numeric = type != List.class;
        if (!numeric && (min != null || max != null)) {
            throw new IllegalArgumentException("Cannot declare sampling field " + name + ": a list has no range");
        }
        if (numeric && keyed && min == null && max == null) {
            throw new IllegalArgumentException("Cannot declare sampling field " + name + ": a numeric config key"
                    + " needs a range");
        }
    }

    /** A floating-point field allowed from {@code min} (above it when {@code minOpen}) to {@code max}. */
    public static SamplingField<Double> number(String name, Function<SamplingParams, Double> accessor,
            double defaultValue, double min, boolean minOpen, double max, String doc) {
        return new SamplingField<>(name, camelCase(name), Double.class, accessor, defaultValue, min, minOpen, max,
                doc, true);
    }

    /** An integer field allowed from {@code min} to {@code max}. */
    public static SamplingField<Integer> integer(String name, Function<SamplingParams, Integer> accessor,
            int defaultValue, int min, int max, String doc) {
        return new SamplingField<>(name, camelCase(name), Integer.class, accessor, defaultValue, (double) min, false,
                (double) max, doc, true);
    }

    /** A long field given apart from the keys (the seed). */
    public static SamplingField<Long> apart(String name, Function<SamplingParams, Long> accessor,
            long defaultValue, String doc) {
        return new SamplingField<>(name, camelCase(name), Long.class, accessor, defaultValue, null, false, null, doc,
                false);
    }

    /** A list of strings, whose record component (and Spark param) is {@code javaName}. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    public static SamplingField<List<String>> strings(String name, String javaName,
            Function<SamplingParams, List<String>> accessor, List<String> defaultValue, String doc) {
        return new SamplingField<>(name, javaName, (Class) List.class, accessor, List.copyOf(defaultValue), null,
                false, null, doc, true);
    }

    /** The command-line option: {@code --} and the name with dashes ({@code --max-new-tokens}). */
    public String cliName() {
        return "--" + name.replace('_', '-');
    }

    /** This field's value in some parameters. */
    public T get(SamplingParams params) {
        return accessor.apply(params);
    }

    /** Whether a value of a partial setting (a number, an integer, a list of strings) has this field's type. */
    public boolean accepts(Object value) {
        if (type == Double.class) {
            return value instanceof Number;
        }
        if (type == Integer.class || type == Long.class) {
            return value instanceof Integer || value instanceof Long;
        }
        return value instanceof List<?> l && l.stream().allMatch(x -> x instanceof String);
    }

    /** What a value must be, for messages: "a number", "an integer", "a list of strings". */
    public String expected() {
        return type == Double.class ? "a number" : type == List.class ? "a list of strings" : "an integer";
    }

    /**
     * A value of a partial setting as this field's type (see {@link #accepts}): numbers widened or
     * narrowed exactly, lists copied.
     *
     * @throws ArithmeticException when an integer does not fit
     */
    @SuppressWarnings("unchecked")
    public T convert(Object value) {
        if (type == Double.class) {
            return type.cast(((Number) value).doubleValue());
        }
        if (type == Integer.class) {
            return type.cast(Math.toIntExact(((Number) value).longValue()));
        }
        if (type == Long.class) {
            return type.cast(((Number) value).longValue());
        }
        return (T) List.copyOf((List<?>) value);
    }

    private static String camelCase(String name) {
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
}
