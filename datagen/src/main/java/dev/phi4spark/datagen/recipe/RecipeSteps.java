package dev.phi4spark.datagen.recipe;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.phi4spark.datagen.Ids;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.stage.GenerationStage;
import java.sql.Timestamp;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/** The DataFrame steps every recipe shares: ids, model calls and the common output. */
public final class RecipeSteps {

    private RecipeSteps() {
    }

    /** Adds the row {@code id}: a hash of recipe, seed id, variant, model, sampling and the run key if any. */
    public static Dataset<Row> withIds(Dataset<Row> seeds, Recipe recipe, RecipeContext ctx) {
        return seeds.withColumn(SyntheticSchema.ID, Ids.rowId(recipe.name(), col(Seeds.SEED_ID), recipe.variant(),
                ctx.stage().model(), ctx.sampling().toJson(), ctx.runKey()));
    }

    /**
     * One model call per row: builds {@code <step>_messages} from {@code userContent} (after the
     * context's system prompt) and {@code <step>_seed} from the row id, step and sample, and adds the
     * stage's five {@code <step>_} columns.
     */
    public static Dataset<Row> generate(Dataset<Row> df, RecipeContext ctx, String step, Column userContent,
            Column sample) {
        Dataset<Row> prompted = df
                .withColumn(step + "_messages", Messages.of(ctx.systemPrompt(), userContent))
                .withColumn(step + "_seed", Ids.rowSeed(col(SyntheticSchema.ID), step, sample));
        return ctx.stage().generate(prompted, step + "_messages", step + "_seed", ctx.sampling(), step + "_");
    }

    /** {@link #generate} with sample 0, for steps called once per row. */
    public static Dataset<Row> generate(Dataset<Row> df, RecipeContext ctx, String step, Column userContent) {
        return generate(df, ctx, step, userContent, lit(0));
    }

    /** A step's output column, for example {@code col("draft_completion")}. */
    public static Column out(String step, String suffix) {
        return col(step + "_" + suffix);
    }

    /**
     * Sets the example columns from one step: its prompt as {@code messages}, and its finish reason and
     * token counts.
     */
    public static Dataset<Row> withExampleFrom(Dataset<Row> df, String step) {
        return df.withColumn(SyntheticSchema.MESSAGES, col(step + "_messages"))
                .withColumn(SyntheticSchema.FINISH_REASON, out(step, GenerationStage.FINISH_REASON))
                .withColumn(SyntheticSchema.PROMPT_TOKENS, out(step, GenerationStage.PROMPT_TOKENS))
                .withColumn(SyntheticSchema.COMPLETION_TOKENS, out(step, GenerationStage.COMPLETION_TOKENS));
    }

    /**
     * The common tail of every recipe: the first error of {@code steps} (prefixed with its step), the
     * total completion tokens, acceptance (a row with an error is never accepted), the run's metadata,
     * the schema's column order, and the drop of rejected rows unless the context keeps them.
     *
     * <p>{@code accepted} and {@code reject_reason} may already be set by the recipe's own check;
     * absent, every row without error is accepted.
     */
    public static Dataset<Row> finish(Dataset<Row> df, Recipe recipe, RecipeContext ctx, List<String> steps) {
        List<String> present = Arrays.asList(df.columns());
        Column checked = present.contains(SyntheticSchema.ACCEPTED) ? col(SyntheticSchema.ACCEPTED) : lit(true);
        Column reason = present.contains(SyntheticSchema.REJECT_REASON)
                ? col(SyntheticSchema.REJECT_REASON) : lit(null).cast("string");
        Column error = coalesce(steps.stream()
                .map(s -> concat(lit(s + ": "), out(s, GenerationStage.ERROR)))
                .toArray(Column[]::new));
        Column tokens = steps.stream()
                .map(s -> coalesce(out(s, GenerationStage.COMPLETION_TOKENS), lit(0)))
                .reduce(Column::plus)
                .orElse(lit(0));
        Dataset<Row> out = df
                .withColumn(SyntheticSchema.ERROR, error)
                .withColumn(SyntheticSchema.TOTAL_COMPLETION_TOKENS, tokens)
                .withColumn(SyntheticSchema.REJECT_REASON,
                        when(col(SyntheticSchema.ERROR).isNotNull(), lit("error")).otherwise(reason))
                .withColumn(SyntheticSchema.ACCEPTED,
                        col(SyntheticSchema.ERROR).isNull().and(coalesce(checked, lit(false))))
                .withColumn(SyntheticSchema.RECIPE, lit(recipe.name()))
                .withColumn(SyntheticSchema.VARIANT, lit(recipe.variant()))
                .withColumn(SyntheticSchema.MODEL, lit(ctx.stage().model()))
                .withColumn(SyntheticSchema.SAMPLING, lit(ctx.sampling().toJson()))
                .withColumn(SyntheticSchema.CREATED_AT, lit(Timestamp.from(ctx.createdAt())));
        out = SyntheticSchema.conform(out);
        return ctx.keepRejected() ? out : out.where(col(SyntheticSchema.ACCEPTED));
    }

    /** The columns a topic seed offers its templates, by placeholder name. */
    public static java.util.Map<String, Column> topicColumns() {
        return java.util.Map.of(
                "subject", col(Seeds.SUBJECT),
                "topic", col(Seeds.TOPIC),
                "subtopic", coalesce(col(Seeds.SUBTOPIC), col(Seeds.TOPIC)),
                "audience", col(Seeds.AUDIENCE),
                "style", col(Seeds.STYLE),
                "difficulty", col(Seeds.DIFFICULTY));
    }
}
