package dev.phi4spark.filters.pipeline;

import com.github.pemistahl.lingua.api.Language;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One declared parameter of a filter step: its name, type, default, allowed range and meaning. {@link
 * StepSpecs} declares every step's parameters once with these; parsing, the unknown-parameter check,
 * {@code --dry-run} validation and the documentation table all read the declaration.
 *
 * @param name the snake_case name in a step spec
 * @param type how a value is read and checked
 * @param defaultValue the value when the parameter is absent (already of the parsed type), or null
 * @param shownDefault the default as the documentation shows it
 * @param range the allowed numbers (integer and number types), or null for any
 * @param fields the parameters of each entry (list-of-maps types), else empty
 * @param required true when the parameter must be given
 * @param doc what it means, one sentence
 */
public record StepParam(String name, Type type, Object defaultValue, String shownDefault, Range range,
        List<StepParam> fields, boolean required, String doc) {

    /** The value types a step parameter can have, with how a mistake is described. */
    public enum Type {
        INTEGER("integer", "an integer"),
        NUMBER("number", "a number"),
        BOOLEAN("boolean", "true or false"),
        STRING("string", "a string"),
        STRINGS("list of strings", "a list of strings"),
        LANGUAGES("list of languages", "a list of Lingua language names"),
        FRACTIONS_BY_N("map n: fraction", "a map from n to a fraction"),
        MAPS("list of maps", "a list of maps");

        private final String shown;
        private final String expected;

        Type(String shown, String expected) {
            this.shown = shown;
            this.expected = expected;
        }

        /** The type as the documentation table shows it. */
        public String shown() {
            return shown;
        }
    }

    /**
     * Allowed numbers: {@code min} to {@code max}, each end inclusive unless marked open.
     *
     * @param min the lower end ({@code -Infinity}: none)
     * @param minOpen true when {@code min} itself is not allowed
     * @param max the upper end ({@code Infinity}: none)
     * @param maxOpen true when {@code max} itself is not allowed
     */
    public record Range(double min, boolean minOpen, double max, boolean maxOpen) {
        /** {@code [min, max]}. */
        public static Range closed(double min, double max) {
            return new Range(min, false, max, false);
        }

        /** {@code [min, Infinity)}. */
        public static Range atLeast(double min) {
            return new Range(min, false, Double.POSITIVE_INFINITY, true);
        }

        /** {@code (min, Infinity)}. */
        public static Range above(double min) {
            return new Range(min, true, Double.POSITIVE_INFINITY, true);
        }

        /** {@code (min, max]}. */
        public static Range openClosed(double min, double max) {
            return new Range(min, true, max, false);
        }

        boolean contains(double v) {
            boolean low = minOpen ? v > min : v >= min;
            boolean high = maxOpen ? v < max : v <= max;
            return low && high;
        }

        /** As the documentation and messages show it: {@code [0, 1]}, {@code > 1}, {@code >= 0}. */
        @Override
        public String toString() {
            if (Double.isInfinite(max)) {
                return (minOpen ? "> " : ">= ") + num(min);
            }
            return (minOpen ? "(" : "[") + num(min) + ", " + num(max) + (maxOpen ? ")" : "]");
        }

        private static String num(double v) {
            return v == Math.rint(v) && Math.abs(v) < 1e15 ? String.valueOf((long) v) : String.valueOf(v);
        }
    }

    /** An integer parameter. */
    public static StepParam integer(String name, int defaultValue, Range range, String doc) {
        return new StepParam(name, Type.INTEGER, defaultValue, String.valueOf(defaultValue), range, List.of(),
                false, doc);
    }

    /** A number parameter. */
    public static StepParam number(String name, double defaultValue, Range range, String doc) {
        return new StepParam(name, Type.NUMBER, defaultValue, Range.num(defaultValue), range, List.of(), false,
                doc);
    }

    /** A true/false parameter. */
    public static StepParam bool(String name, boolean defaultValue, String doc) {
        return new StepParam(name, Type.BOOLEAN, defaultValue, String.valueOf(defaultValue), null, List.of(),
                false, doc);
    }

    /** A string parameter; {@code defaultValue} may be null (unset). */
    public static StepParam string(String name, String defaultValue, String doc) {
        return new StepParam(name, Type.STRING, defaultValue, defaultValue == null ? "(unset)" : defaultValue,
                null, List.of(), false, doc);
    }

    /** A parameter of another type, with its default as the documentation shows it. */
    public static StepParam of(String name, Type type, Object defaultValue, String shownDefault, String doc) {
        return new StepParam(name, type, defaultValue, shownDefault, null, List.of(), false, doc);
    }

    /** A list of maps, each entry with its own declared {@code fields}. */
    public static StepParam maps(String name, List<StepParam> fields, String doc) {
        return new StepParam(name, Type.MAPS, List.of(), "[]", null, List.copyOf(fields), false, doc);
    }

    /** This parameter, which must be given ({@link #required()} true). */
    public StepParam mandatory() {
        return new StepParam(name, type, defaultValue, "(required)", range, fields, true, doc);
    }

    /**
     * The value of this parameter in {@code raw} (null: the default), checked against the type and
     * range; {@code owner} names where it is set in a message ({@code filter 'near_dedup'}).
     */
    Object parse(Object raw, String owner) {
        if (raw == null) {
            return defaultValue;
        }
        Object value = switch (type) {
            case INTEGER -> raw instanceof Number n && n.doubleValue() == Math.rint(n.doubleValue())
                    && Math.abs(n.doubleValue()) <= Integer.MAX_VALUE ? (Object) n.intValue() : null;
            case NUMBER -> raw instanceof Number n ? (Object) n.doubleValue() : null;
            case BOOLEAN -> raw instanceof Boolean ? raw : null;
            case STRING -> raw instanceof String ? raw : null;
            case STRINGS -> strings(raw);
            case LANGUAGES -> languages(raw, owner);
            case FRACTIONS_BY_N -> fractionsByN(raw);
            case MAPS -> raw instanceof List<?> list && list.stream().allMatch(x -> x instanceof Map)
                    ? raw : null;
        };
        if (value == null) {
            throw bad(owner, type.expected, raw);
        }
        if (range != null && !range.contains(((Number) value).doubleValue())) {
            throw bad(owner, type.expected + (Double.isInfinite(range.max()) ? " " : " in ") + range, raw);
        }
        return value;
    }

    private IllegalArgumentException bad(String owner, String expected, Object value) {
        return new IllegalArgumentException(StepSpecs.WHY + "parameter '" + name + "' of " + owner + " must be "
                + expected + " (" + value + ")");
    }

    private static List<String> strings(Object raw) {
        if (raw instanceof List<?> list && list.stream().allMatch(x -> x instanceof String)) {
            return list.stream().map(String.class::cast).toList();
        }
        return null;
    }

    private Set<Language> languages(Object raw, String owner) {
        List<String> names = strings(raw);
        if (names == null) {
            return null;
        }
        Set<Language> out = EnumSet.noneOf(Language.class);
        for (String n : names) {
            try {
                out.add(Language.valueOf(n.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw bad(owner, type.expected, n);
            }
        }
        return out;
    }

    private static Map<Integer, Double> fractionsByN(Object raw) {
        if (!(raw instanceof Map<?, ?> map)) {
            return null;
        }
        Map<Integer, Double> out = new TreeMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            int n;
            try {
                n = Integer.parseInt(String.valueOf(e.getKey()).trim());
            } catch (NumberFormatException ex) {
                return null;
            }
            if (!(e.getValue() instanceof Number f) || n < 1) {
                return null;
            }
            out.put(n, f.doubleValue());
        }
        return out;
    }
}
