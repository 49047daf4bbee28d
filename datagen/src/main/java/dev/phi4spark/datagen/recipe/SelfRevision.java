package dev.phi4spark.datagen.recipe;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;

import dev.phi4spark.datagen.Ids;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.stage.GenerationStage;
import dev.phi4spark.datagen.template.PromptTemplate;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.expressions.UserDefinedFunction;
import org.apache.spark.sql.types.DataTypes;

/**
 * Draft, then rounds of critique against a rubric and revision: the Phi-4 report's self-revision. The
 * row's example is the drafting prompt with the last revision; every draft, critique and score is kept
 * ({@code drafts}, {@code critiques}, {@code scores}). A critique ends in a score line that
 * {@link CritiqueScores} reads; a critique without one has a null score.
 *
 * <p>Templates: {@code self_revision_draft}, {@code self_revision_critique},
 * {@code self_revision_revise}; the default rubric is {@code self_revision_rubric}.
 */
public final class SelfRevision implements Recipe {

    private static final long serialVersionUID = 1L;

    /** The recipe's name. */
    public static final String NAME = "self_revision";
    /** Default number of critique-and-revise rounds. */
    public static final int DEFAULT_ROUNDS = 2;
    /** Placeholders of the drafting template. */
    public static final Set<String> DRAFT_PLACEHOLDERS = new LinkedHashSet<>(
            List.of("subject", "topic", "subtopic", "audience", "style", "difficulty"));
    /** Placeholders of the critique template. */
    public static final Set<String> CRITIQUE_PLACEHOLDERS = new LinkedHashSet<>(List.of("task", "draft", "rubric"));
    /** Placeholders of the revision template. */
    public static final Set<String> REVISE_PLACEHOLDERS = new LinkedHashSet<>(
            List.of("task", "draft", "critique", "rubric"));

    private final int rounds;
    private final String rubric;
    private final PromptTemplate draft;
    private final PromptTemplate critique;
    private final PromptTemplate revise;

    /** Defaults, bundled templates and rubric. */
    public SelfRevision() {
        this(DEFAULT_ROUNDS, null, null);
    }

    /**
     * A self-revision recipe.
     *
     * @param rounds critique-and-revise rounds, at least 1
     * @param rubric the rubric text, or null for the bundled {@code self_revision_rubric}
     * @param templatesDir folder overriding the bundled templates, or null
     */
    public SelfRevision(int rounds, String rubric, Path templatesDir) {
        if (rounds < 1) {
            throw new IllegalArgumentException("Cannot configure recipe '" + NAME + "': rounds must be >= 1 (" + rounds + ")");
        }
        this.rounds = rounds;
        this.rubric = rubric != null ? rubric : PromptTemplate.load("self_revision_rubric", Set.of(), templatesDir).text().strip();
        this.draft = PromptTemplate.load("self_revision_draft", DRAFT_PLACEHOLDERS, templatesDir);
        this.critique = PromptTemplate.load("self_revision_critique", CRITIQUE_PLACEHOLDERS, templatesDir);
        this.revise = PromptTemplate.load("self_revision_revise", REVISE_PLACEHOLDERS, templatesDir);
    }

    /** From plan parameters: {@code rounds} (default {@value #DEFAULT_ROUNDS}), {@code rubric}. */
    public static SelfRevision fromParams(Map<String, String> params, Path templatesDir) {
        RecipeParams p = new RecipeParams(NAME, params);
        int rounds = p.integer("rounds", DEFAULT_ROUNDS, 1);
        String rubric = p.string("rubric", null);
        p.finish();
        return new SelfRevision(rounds, rubric, templatesDir);
    }

    @Override
    public String name() {
        return NAME;
    }

    /** Rounds and a short hash of the rubric, so another rubric gives other ids. */
    @Override
    public String variant() {
        return "rounds=" + rounds + ";rubric=" + Ids.hash(rubric).substring(0, 8);
    }

    @Override
    public int callsPerSeed() {
        return 1 + 2 * rounds;
    }

    @Override
    public Seeds.Kind seedKind() {
        return Seeds.Kind.TOPIC;
    }

    @Override
    public Dataset<Row> run(Dataset<Row> seeds, RecipeContext context) {
        Dataset<Row> df = RecipeSteps.withIds(seeds, this, context)
                .withColumn("task", draft.toColumn(RecipeSteps.topicColumns()));
        df = RecipeSteps.generate(df, context, "draft", col("task"));
        List<String> steps = new ArrayList<>(List.of("draft"));
        List<Column> drafts = new ArrayList<>(List.of(RecipeSteps.out("draft", GenerationStage.COMPLETION)));
        List<Column> critiques = new ArrayList<>();
        List<Column> scores = new ArrayList<>();
        UserDefinedFunction score = scoreUdf();
        Column current = drafts.get(0);
        for (int r = 1; r <= rounds; r++) {
            String c = "critique" + r;
            String v = "revision" + r;
            df = RecipeSteps.generate(df, context, c, critique.toColumn(
                    Map.of("task", col("task"), "draft", current, "rubric", lit(rubric))));
            Column critiqueText = RecipeSteps.out(c, GenerationStage.COMPLETION);
            df = RecipeSteps.generate(df, context, v, revise.toColumn(
                    Map.of("task", col("task"), "draft", current, "critique", critiqueText, "rubric", lit(rubric))));
            current = RecipeSteps.out(v, GenerationStage.COMPLETION);
            steps.addAll(List.of(c, v));
            critiques.add(critiqueText);
            scores.add(score.apply(critiqueText));
            drafts.add(current);
        }
        df = RecipeSteps.withExampleFrom(df, "revision" + rounds)
                .withColumn(SyntheticSchema.MESSAGES, col("draft_messages"))
                .withColumn(SyntheticSchema.COMPLETION, current)
                .withColumn(SyntheticSchema.DRAFTS, array(drafts.toArray(Column[]::new)))
                .withColumn(SyntheticSchema.CRITIQUES, array(critiques.toArray(Column[]::new)))
                .withColumn(SyntheticSchema.SCORES, array(scores.toArray(Column[]::new)));
        return RecipeSteps.finish(df, this, context, steps);
    }

    private static UserDefinedFunction scoreUdf() {
        UDF1<String, Double> parse = CritiqueScores::parse;
        return udf(parse, DataTypes.DoubleType);
    }
}
