package dev.phi4spark.datagen;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.phi4spark.datagen.seed.SeedSource;
import java.io.Serializable;
import java.util.Map;
import java.util.TreeMap;

/**
 * One recipe of a plan: what to run and how many rows.
 *
 * @param recipe the recipe's name ({@link Recipes#NAMES})
 * @param count rows to plan: topic combinations to draw, or the most text seeds to use
 * @param params the recipe's named parameters; each recipe documents its own and their defaults
 * @param sampling sampling keys ({@code SamplingParams.KEYS}) overriding the plan's, or null
 * @param seed a seed overriding the plan's for this recipe, or null
 * @param source where text seeds come from; required by the recipes that read passages, questions or
 *     code, refused by those that draw topics
 */
public record RecipePlan(
        @JsonProperty(value = "recipe", required = true) String recipe,
        @JsonProperty(value = "count", required = true) int count,
        @JsonProperty("params") Map<String, String> params,
        @JsonProperty("sampling") Map<String, Object> sampling,
        @JsonProperty("seed") Long seed,
        @JsonProperty("source") SeedSource source) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Checks the count; sorts the parameters so equal plans print equally. */
    @JsonCreator
    public RecipePlan {
        if (recipe == null || recipe.isBlank()) {
            throw new IllegalArgumentException("Cannot plan recipe: no recipe name (" + recipe + ")");
        }
        if (count < 0) {
            throw new IllegalArgumentException("Cannot plan recipe '" + recipe + "': count must be >= 0 (" + count + ")");
        }
        params = params == null ? Map.of() : new TreeMap<>(params);
        sampling = dev.phi4spark.udf.engine.SamplingParams.checkKeys(sampling);
    }

    /** A recipe with its defaults. */
    public static RecipePlan of(String recipe, int count) {
        return new RecipePlan(recipe, count, null, null, null, null);
    }

    /** The same plan with parameters. */
    public RecipePlan withParams(Map<String, String> newParams) {
        return new RecipePlan(recipe, count, newParams, sampling, seed, source);
    }

    /** The same plan with a seed source. */
    public RecipePlan withSource(SeedSource newSource) {
        return new RecipePlan(recipe, count, params, sampling, seed, newSource);
    }

    /** The same plan with its own sampling overrides. */
    public RecipePlan withSampling(Map<String, ?> newSampling) {
        return new RecipePlan(recipe, count, params, dev.phi4spark.udf.engine.SamplingParams.checkKeys(newSampling),
                seed, source);
    }
}
