package dev.phi4spark.datagen;

import dev.phi4spark.datagen.recipe.ExercisesWithSolutions;
import dev.phi4spark.datagen.recipe.InstructionReversal;
import dev.phi4spark.datagen.recipe.MajorityVoteQA;
import dev.phi4spark.datagen.recipe.PivotalTokens;
import dev.phi4spark.datagen.recipe.PreferencePairs;
import dev.phi4spark.datagen.recipe.Recipe;
import dev.phi4spark.datagen.recipe.SeedRewrite;
import dev.phi4spark.datagen.recipe.SelfRevision;
import dev.phi4spark.datagen.recipe.TextbookSection;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/** The recipes by name. */
public final class Recipes {

    /** Every recipe's name. */
    public static final List<String> NAMES = List.of(TextbookSection.NAME, ExercisesWithSolutions.NAME,
            SeedRewrite.NAME, SelfRevision.NAME, MajorityVoteQA.NAME, InstructionReversal.NAME, PreferencePairs.NAME,
            PivotalTokens.NAME);

    private Recipes() {
    }

    /**
     * Makes a recipe from its name and plan parameters: loads and checks its templates.
     *
     * @throws IllegalArgumentException for an unknown name or parameter, or a bad template
     */
    public static Recipe create(String name, Map<String, String> params, Path templatesDir) {
        return switch (name) {
            case TextbookSection.NAME -> TextbookSection.fromParams(params, templatesDir);
            case ExercisesWithSolutions.NAME -> ExercisesWithSolutions.fromParams(params, templatesDir);
            case SeedRewrite.NAME -> SeedRewrite.fromParams(params, templatesDir);
            case SelfRevision.NAME -> SelfRevision.fromParams(params, templatesDir);
            case MajorityVoteQA.NAME -> MajorityVoteQA.fromParams(params, templatesDir);
            case InstructionReversal.NAME -> InstructionReversal.fromParams(params, templatesDir);
            case PreferencePairs.NAME -> PreferencePairs.fromParams(params, templatesDir);
            case PivotalTokens.NAME -> PivotalTokens.fromParams(params, templatesDir);
            default -> throw new IllegalArgumentException(
                    "Cannot plan recipe: unknown recipe '" + name + "' (known: " + String.join(", ", NAMES) + ")");
        };
    }
}
