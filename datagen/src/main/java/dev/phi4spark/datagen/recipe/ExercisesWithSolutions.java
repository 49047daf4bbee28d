package dev.phi4spark.datagen.recipe;

import dev.phi4spark.datagen.seed.DiversitySampler;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;

/**
 * Exercises on a drawn topic, each with a worked solution. The style axis is not drawn (the style is
 * the exercise set itself). Template {@code exercises_with_solutions}.
 */
public final class ExercisesWithSolutions extends TopicRecipe {

    private static final long serialVersionUID = 1L;

    /** The recipe's name. */
    public static final String NAME = "exercises_with_solutions";
    /** Default number of exercises per row. */
    public static final int DEFAULT_EXERCISES = 3;
    /** The placeholders its template must use. */
    public static final Set<String> PLACEHOLDERS = new LinkedHashSet<>(
            List.of("subject", "topic", "subtopic", "audience", "difficulty", "exercises"));

    /** Defaults, bundled template. */
    public ExercisesWithSolutions() {
        this(DEFAULT_EXERCISES, null);
    }

    /**
     * An exercises recipe.
     *
     * @param exercises how many exercises per row
     * @param templatesDir folder overriding the bundled templates, or null
     */
    public ExercisesWithSolutions(int exercises, Path templatesDir) {
        super(NAME, PLACEHOLDERS, "exercises", exercises, "exercises", templatesDir);
    }

    /** From plan parameters: {@code exercises} (default {@value #DEFAULT_EXERCISES}). */
    public static ExercisesWithSolutions fromParams(Map<String, String> params, Path templatesDir) {
        RecipeParams p = new RecipeParams(NAME, params);
        int n = p.integer("exercises", DEFAULT_EXERCISES, 1);
        p.finish();
        return new ExercisesWithSolutions(n, templatesDir);
    }

    @Override
    public List<DiversitySampler.Axis> axes() {
        return List.of(DiversitySampler.Axis.AUDIENCE, DiversitySampler.Axis.DIFFICULTY);
    }

    @Override
    protected Map<String, Column> values() {
        Map<String, Column> v = super.values();
        v.remove("style");
        return v;
    }
}
