package dev.phi4spark.datagen.recipe;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * A recipe's named parameters as given in a plan (strings), read with defaults. Reading records the
 * name; {@link #finish} then rejects any parameter the recipe never read, so a typo in a plan fails
 * instead of silently using a default.
 */
public final class RecipeParams {

    private final String recipe;
    private final Map<String, String> values;
    private final Set<String> known = new LinkedHashSet<>();

    /**
     * Parameters of one recipe.
     *
     * @param recipe the recipe's name, for messages
     * @param values the given values, possibly null
     */
    public RecipeParams(String recipe, Map<String, String> values) {
        this.recipe = recipe;
        this.values = values == null ? Map.of() : values;
    }

    /** A string parameter. */
    public String string(String name, String fallback) {
        known.add(name);
        String v = values.get(name);
        return v == null ? fallback : v.trim();
    }

    /** A string parameter that must be one of {@code allowed}. */
    public String choice(String name, String fallback, List<String> allowed) {
        String v = string(name, fallback);
        if (!allowed.contains(v)) {
            throw fail(name + " must be one of " + String.join(", ", allowed), v);
        }
        return v;
    }

    /** An integer parameter of at least {@code min}. */
    public int integer(String name, int fallback, int min) {
        String v = string(name, null);
        int n;
        try {
            n = v == null ? fallback : Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw fail(name + " must be an integer", v);
        }
        if (n < min) {
            throw fail(name + " must be >= " + min, n);
        }
        return n;
    }

    /** A number in {@code [min, max]}. */
    public double decimal(String name, double fallback, double min, double max) {
        String v = string(name, null);
        double d;
        try {
            d = v == null ? fallback : Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw fail(name + " must be a number", v);
        }
        if (!(d >= min && d <= max)) {
            throw fail(name + " must be in [" + min + ", " + max + "]", d);
        }
        return d;
    }

    /** Rejects the parameters that were given but never read. */
    public void finish() {
        Set<String> unknown = new TreeSet<>(values.keySet());
        unknown.removeAll(known);
        if (!unknown.isEmpty()) {
            throw new IllegalArgumentException("Cannot configure recipe '" + recipe + "': unknown parameter '"
                    + unknown.iterator().next() + "' (known: " + String.join(", ", known) + ")");
        }
    }

    /** An error naming the recipe and the parameter's value. */
    public IllegalArgumentException fail(String why, Object value) {
        return new IllegalArgumentException("Cannot configure recipe '" + recipe + "': " + why + " (" + value + ")");
    }
}
