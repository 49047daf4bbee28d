package dev.phi4spark.jobs.config;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.function.Function;

/**
 * One configuration key: its dotted name, its type, its default and what it means. Every key lives in
 * {@link ConfigKeys}; nothing else in the project invents keys or defaults.
 *
 * @param name the dotted name, as in YAML nesting or {@code --set name=value}
 * @param type a word for messages: string, integer, number, boolean, list or map
 * @param defaultValue the built-in default (may be null: unset)
 * @param doc one sentence for the configuration reference
 * @param parser reads a YAML/JSON value, throwing {@link IllegalArgumentException} on a wrong type
 * @param min the smallest value allowed (integer and number keys; null: no bound)
 * @param minOpen whether {@code min} itself is excluded (top_p must be above 0)
 * @param max the largest value allowed (integer and number keys; null: no bound)
 * @param <T> the value type
 */
public record ConfigKey<T>(String name, String type, T defaultValue, String doc, Function<JsonNode, T> parser,
        Double min, boolean minOpen, Double max) {

    /** A key without a declared range. */
    public ConfigKey(String name, String type, T defaultValue, String doc, Function<JsonNode, T> parser) {
        this(name, type, defaultValue, doc, parser, null, false, null);
    }

    /**
     * The same key with a declared range, checked when a configuration is built.
     *
     * @param low smallest allowed value, or null
     * @param high largest allowed value, or null
     */
    ConfigKey<T> range(Number low, Number high) {
        return range(low, false, high);
    }

    /** The same key allowing values above {@code low} (not {@code low} itself) up to {@code high}. */
    ConfigKey<T> rangeAbove(Number low, Number high) {
        return range(low, true, high);
    }

    private ConfigKey<T> range(Number low, boolean lowOpen, Number high) {
        if (!(type.equals("integer") || type.equals("number"))) {
            throw new IllegalStateException("Cannot give a range to " + type + " key " + name);
        }
        ConfigKey<T> ranged = new ConfigKey<>(name, type, defaultValue, doc, parser,
                low == null ? null : low.doubleValue(), lowOpen, high == null ? null : high.doubleValue());
        if (defaultValue != null) {
            ranged.check(defaultValue);
        }
        return ranged;
    }

    /** The same key allowing {@code low} and up. */
    ConfigKey<T> atLeast(Number low) {
        return range(low, null);
    }

    /**
     * Reads a value and checks its range.
     *
     * @throws IllegalArgumentException with what the value must be ("an integer >= 1") when it has the
     *     wrong type, is out of range or is not finite
     */
    T read(JsonNode node) {
        T value = parser.apply(node);
        check(value);
        return value;
    }

    private void check(T value) {
        if (!(value instanceof Number n)) {
            return;
        }
        double v = n.doubleValue();
        boolean ok = !Double.isNaN(v) && !Double.isInfinite(v) && (min == null || v > min || (!minOpen && v == min)) && (max == null || v <= max);
        if (!ok) {
            throw new IllegalArgumentException(rangeText());
        }
    }

    /** What a value must be, for messages and the reference: "an integer >= 1", "a number from 0 to 1". */
    public String rangeText() {
        String what = type.equals("integer") ? "an integer" : "a finite number";
        String above = minOpen ? " > " : " >= ";
        if (min != null && max != null) {
            return minOpen ? what + " > " + show(min) + " and <= " + show(max)
                    : what + " from " + show(min) + " to " + show(max);
        }
        if (min != null) {
            return what + above + show(min);
        }
        return max != null ? what + " <= " + show(max) : what;
    }

    /** The type and range in interval notation, for the reference table: "integer [1, 65536]". */
    public String typeAndRange() {
        if (min == null && max == null) {
            return type;
        }
        return type + " " + (min == null || minOpen ? "(" : "[") + (min == null ? "-inf" : show(min)) + ", "
                + (max == null ? "inf)" : show(max) + "]");
    }

    private String show(double bound) {
        return bound == Math.rint(bound) && Math.abs(bound) < 1e15 ? Long.toString((long) bound)
                : Double.toString(bound);
    }

    static ConfigKey<String> string(String name, String defaultValue, String doc) {
        return new ConfigKey<>(name, "string", defaultValue, doc, node -> {
            if (!node.isValueNode()) {
                throw new IllegalArgumentException("a string");
            }
            return node.asText();
        });
    }

    static ConfigKey<Integer> integer(String name, Integer defaultValue, String doc) {
        return new ConfigKey<>(name, "integer", defaultValue, doc, node -> {
            if (node.isIntegralNumber() && node.canConvertToInt()) {
                return node.asInt();
            }
            if (node.isTextual() && node.asText().trim().matches("-?\\d+")) {
                return Integer.parseInt(node.asText().trim());
            }
            throw new IllegalArgumentException("an integer");
        });
    }

    static ConfigKey<Double> number(String name, Double defaultValue, String doc) {
        return new ConfigKey<>(name, "number", defaultValue, doc, node -> {
            if (node.isNumber()) {
                return node.asDouble();
            }
            if (node.isTextual()) {
                try {
                    return Double.parseDouble(node.asText().trim());
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("a number");
                }
            }
            throw new IllegalArgumentException("a number");
        });
    }

    static ConfigKey<Boolean> bool(String name, Boolean defaultValue, String doc) {
        return new ConfigKey<>(name, "boolean", defaultValue, doc, node -> {
            if (node.isBoolean()) {
                return node.asBoolean();
            }
            String t = node.asText().trim().toLowerCase(java.util.Locale.ROOT);
            if (node.isTextual() && (t.equals("true") || t.equals("false"))) {
                return Boolean.parseBoolean(t);
            }
            throw new IllegalArgumentException("true or false");
        });
    }

    /** A structured value (list or map) kept as JSON for the module that reads it. */
    static ConfigKey<JsonNode> tree(String name, String type, JsonNode defaultValue, String doc) {
        return new ConfigKey<>(name, type, defaultValue, doc, node -> {
            boolean ok = type.equals("list") ? node.isArray() : node.isObject();
            if (!ok && !node.isNull()) {
                throw new IllegalArgumentException("a " + type);
            }
            return node;
        });
    }

    /** True for keys whose value is a structure, not a scalar: YAML below them is their value. */
    boolean isTree() {
        return type.equals("list") || type.equals("map");
    }
}
