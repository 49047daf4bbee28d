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
 * @param <T> the value type
 */
public record ConfigKey<T>(String name, String type, T defaultValue, String doc, Function<JsonNode, T> parser) {

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
