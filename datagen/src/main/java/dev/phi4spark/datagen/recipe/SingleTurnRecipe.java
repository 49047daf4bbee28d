package dev.phi4spark.datagen.recipe;

import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.stage.GenerationStage;
import dev.phi4spark.datagen.template.PromptTemplate;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** A recipe of one model call per seed: a template filled from the seed, and its completion. */
abstract class SingleTurnRecipe implements Recipe {

    private static final long serialVersionUID = 1L;

    /** The template of the one prompt. */
    protected abstract PromptTemplate template();

    /** Its placeholder values, as columns over the seeds. */
    protected abstract Map<String, Column> values();

    /** The step's name, which prefixes its columns and is the scripted stage's {@code step}. */
    protected abstract String step();

    @Override
    public Dataset<Row> run(Dataset<Row> seeds, RecipeContext context) {
        String step = step();
        Dataset<Row> df = RecipeSteps.withIds(seeds, this, context);
        df = RecipeSteps.generate(df, context, step, template().toColumn(values()));
        df = RecipeSteps.withExampleFrom(df, step)
                .withColumn(SyntheticSchema.COMPLETION, RecipeSteps.out(step, GenerationStage.COMPLETION));
        return RecipeSteps.finish(df, this, context, List.of(step));
    }
}
