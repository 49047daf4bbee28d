package dev.phi4spark.datagen.recipe;

import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.format_string;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.regexp_replace;
import static org.apache.spark.sql.functions.trim;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.stage.GenerationStage;
import dev.phi4spark.datagen.template.PromptTemplate;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.api.java.UDF2;
import org.apache.spark.sql.types.DataTypes;

/**
 * Instruction reversal for code, from the Phi-4 report: the model writes the instruction that a code
 * snippet answers, then writes code for that instruction; the pair (instruction, original code) is
 * accepted when the regenerated code is similar enough to the original
 * ({@link CodeSimilarity#jaccard}, token shingles, at least {@code threshold}), which shows the
 * instruction says what the code does.
 *
 * <p>The row's example is the instruction as the user's prompt with the original snippet as the
 * completion; its finish reason and token counts are those of the instruction call, the one that wrote
 * the example's synthetic part. Templates {@code instruction_reversal_instruction} and
 * {@code instruction_reversal_code}.
 */
public final class InstructionReversal implements Recipe {

    private static final long serialVersionUID = 1L;

    /** The recipe's name. */
    public static final String NAME = "instruction_reversal";
    /** Default lowest similarity accepted. */
    public static final double DEFAULT_THRESHOLD = 0.5;
    /** Default language of seeds without one. */
    public static final String DEFAULT_LANGUAGE = "python";
    /** Placeholders of the instruction template. */
    public static final Set<String> INSTRUCTION_PLACEHOLDERS = new LinkedHashSet<>(List.of("language", "code"));
    /** Placeholders of the code template. */
    public static final Set<String> CODE_PLACEHOLDERS = new LinkedHashSet<>(List.of("language", "instruction"));

    /** A leading "Instruction:" label, with optional Markdown emphasis. */
    private static final String LABEL = "^(?i)[*_\\s]*instruction[*_\\s]*:[*_\\s]*";

    private final double threshold;
    private final int shingle;
    private final String language;
    private final PromptTemplate instructionTemplate;
    private final PromptTemplate codeTemplate;

    /** Defaults, bundled templates. */
    public InstructionReversal() {
        this(DEFAULT_THRESHOLD, CodeSimilarity.DEFAULT_SHINGLE, DEFAULT_LANGUAGE, null);
    }

    /**
     * An instruction-reversal recipe.
     *
     * @param threshold lowest similarity accepted, in [0, 1]
     * @param shingle tokens per shingle, at least 1
     * @param language language of seeds that have none
     * @param templatesDir folder overriding the bundled templates, or null
     */
    public InstructionReversal(double threshold, int shingle, String language, Path templatesDir) {
        if (!(threshold >= 0 && threshold <= 1) || shingle < 1) {
            throw new IllegalArgumentException("Cannot configure recipe '" + NAME
                    + "': need 0 <= threshold <= 1 and shingle >= 1 (threshold " + threshold + ", shingle " + shingle + ")");
        }
        this.threshold = threshold;
        this.shingle = shingle;
        this.language = language;
        this.instructionTemplate = PromptTemplate.load(NAME + "_instruction", INSTRUCTION_PLACEHOLDERS, templatesDir);
        this.codeTemplate = PromptTemplate.load(NAME + "_code", CODE_PLACEHOLDERS, templatesDir);
    }

    /**
     * From plan parameters: {@code threshold} (default {@value #DEFAULT_THRESHOLD}), {@code shingle}
     * (default 3), {@code language} (default {@value #DEFAULT_LANGUAGE}).
     */
    public static InstructionReversal fromParams(Map<String, String> params, Path templatesDir) {
        RecipeParams p = new RecipeParams(NAME, params);
        double threshold = p.decimal("threshold", DEFAULT_THRESHOLD, 0, 1);
        int shingle = p.integer("shingle", CodeSimilarity.DEFAULT_SHINGLE, 1);
        String language = p.string("language", DEFAULT_LANGUAGE);
        p.finish();
        return new InstructionReversal(threshold, shingle, language, templatesDir);
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public String variant() {
        return String.format(Locale.ROOT, "threshold=%s;shingle=%d;language=%s", threshold, shingle, language);
    }

    @Override
    public int callsPerSeed() {
        return 2;
    }

    @Override
    public Seeds.Kind seedKind() {
        return Seeds.Kind.CODE;
    }

    /** The keep rule. */
    public boolean keeps(double similarity) {
        return similarity >= threshold;
    }

    @Override
    public Dataset<Row> run(Dataset<Row> seeds, RecipeContext context) {
        Column lang = coalesce(col(Seeds.SEED_LANGUAGE), lit(language));
        Dataset<Row> df = RecipeSteps.withIds(seeds, this, context);
        df = RecipeSteps.generate(df, context, "instruction",
                instructionTemplate.toColumn(Map.of("language", lang, "code", col(Seeds.SEED_TEXT))));
        df = df.withColumn(SyntheticSchema.INSTRUCTION,
                trim(regexp_replace(RecipeSteps.out("instruction", GenerationStage.COMPLETION), LABEL, "")));
        df = RecipeSteps.generate(df, context, "regen",
                codeTemplate.toColumn(Map.of("language", lang, "instruction", col(SyntheticSchema.INSTRUCTION))));
        int n = shingle;
        UDF1<String, String> extract = CodeSimilarity::extractCode;
        UDF2<String, String, Double> similarity = (a, b) -> b == null ? null : CodeSimilarity.jaccard(a, b, n);
        Column sim = col(SyntheticSchema.SIMILARITY);
        df = df
                .withColumn(SyntheticSchema.REGENERATED, udf(extract, DataTypes.StringType)
                        .apply(RecipeSteps.out("regen", GenerationStage.COMPLETION)))
                .withColumn(SyntheticSchema.SIMILARITY, udf(similarity, DataTypes.DoubleType)
                        .apply(col(Seeds.SEED_TEXT), col(SyntheticSchema.REGENERATED)))
                .withColumn(SyntheticSchema.ACCEPTED, coalesce(sim.geq(lit(threshold)), lit(false)))
                .withColumn(SyntheticSchema.REJECT_REASON, when(sim.lt(lit(threshold)),
                        format_string("regenerated code too different: similarity %.2f below %.2f", sim, lit(threshold))));
        df = RecipeSteps.withExampleFrom(df, "instruction")
                .withColumn(SyntheticSchema.MESSAGES, Messages.of(context.systemPrompt(), col(SyntheticSchema.INSTRUCTION)))
                .withColumn(SyntheticSchema.COMPLETION, col(Seeds.SEED_TEXT));
        return RecipeSteps.finish(df, this, context, List.of("instruction", "regen"));
    }
}
