package dev.phi4spark.datagen;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;

import dev.phi4spark.datagen.recipe.Messages;
import dev.phi4spark.datagen.seed.Seeds;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;

/**
 * The one output schema of every recipe, so all their outputs union into one {@code synthetic_raw}
 * table. Recipe-specific stage columns are explicit and nullable: a recipe that has no critiques leaves
 * {@code critiques} null. {@code datagen/README.md} documents every column.
 */
public final class SyntheticSchema {

    /** Row id: hash of recipe, seed id, variant, model and sampling. */
    public static final String ID = "id";
    /** Recipe name, for example {@code textbook_section}. */
    public static final String RECIPE = "recipe";
    /** The recipe's parameters in canonical form. */
    public static final String VARIANT = "variant";
    /** The training example's prompt. */
    public static final String MESSAGES = "messages";
    /** The training example's answer. */
    public static final String COMPLETION = "completion";
    /** True when the row passed the recipe's own checks and has no error. */
    public static final String ACCEPTED = "accepted";
    /** Why a row was not accepted, null when it was. */
    public static final String REJECT_REASON = "reject_reason";
    /** self_revision: the draft, then each round's revision. */
    public static final String DRAFTS = "drafts";
    /** self_revision: each round's critique. */
    public static final String CRITIQUES = "critiques";
    /** self_revision: each round's score out of 10, null where the critique had none. */
    public static final String SCORES = "scores";
    /** majority_vote_qa: the final answer extracted from each sample, in sample order. */
    public static final String ANSWERS = "answers";
    /** majority_vote_qa: the majority answer. */
    public static final String REFERENCE_ANSWER = "reference_answer";
    /** majority_vote_qa: the share of samples that gave the majority answer. */
    public static final String AGREEMENT = "agreement";
    /** instruction_reversal: the instruction written for the seed code. */
    public static final String INSTRUCTION = "instruction";
    /** instruction_reversal: the code regenerated from the instruction. */
    public static final String REGENERATED = "regenerated";
    /** instruction_reversal: similarity of regenerated and original code. */
    public static final String SIMILARITY = "similarity";
    /** Finish reason of the call that wrote the row's synthetic text. */
    public static final String FINISH_REASON = "finish_reason";
    /** Prompt tokens of that call. */
    public static final String PROMPT_TOKENS = "prompt_tokens";
    /** Completion tokens of that call. */
    public static final String COMPLETION_TOKENS = "completion_tokens";
    /** Total completion tokens over all of the row's model calls. */
    public static final String TOTAL_COMPLETION_TOKENS = "total_completion_tokens";
    /** The first error of any of the row's model calls, prefixed by its step. */
    public static final String ERROR = "error";
    /** The generation stage's model identity. */
    public static final String MODEL = "model";
    /** The sampling settings as canonical JSON. */
    public static final String SAMPLING = "sampling";
    /** When the run started; the only column allowed to differ between reruns. */
    public static final String CREATED_AT = "created_at";

    /** The schema, in column order. */
    public static final StructType SCHEMA = new StructType()
            .add(ID, DataTypes.StringType, false)
            .add(RECIPE, DataTypes.StringType, false)
            .add(VARIANT, DataTypes.StringType, false)
            .add(Seeds.SEED_ID, DataTypes.StringType, false)
            .add(Seeds.SEED_KIND, DataTypes.StringType, false)
            .add(Seeds.SUBJECT, DataTypes.StringType)
            .add(Seeds.TOPIC, DataTypes.StringType)
            .add(Seeds.SUBTOPIC, DataTypes.StringType)
            .add(Seeds.AUDIENCE, DataTypes.StringType)
            .add(Seeds.STYLE, DataTypes.StringType)
            .add(Seeds.DIFFICULTY, DataTypes.StringType)
            .add(Seeds.SEED_TEXT, DataTypes.StringType)
            .add(Seeds.SEED_LANGUAGE, DataTypes.StringType)
            .add(Seeds.SEED_SCORE, DataTypes.DoubleType)
            .add(MESSAGES, Messages.TYPE)
            .add(COMPLETION, DataTypes.StringType)
            .add(ACCEPTED, DataTypes.BooleanType, false)
            .add(REJECT_REASON, DataTypes.StringType)
            .add(DRAFTS, DataTypes.createArrayType(DataTypes.StringType))
            .add(CRITIQUES, DataTypes.createArrayType(DataTypes.StringType))
            .add(SCORES, DataTypes.createArrayType(DataTypes.DoubleType))
            .add(ANSWERS, DataTypes.createArrayType(DataTypes.StringType))
            .add(REFERENCE_ANSWER, DataTypes.StringType)
            .add(AGREEMENT, DataTypes.DoubleType)
            .add(INSTRUCTION, DataTypes.StringType)
            .add(REGENERATED, DataTypes.StringType)
            .add(SIMILARITY, DataTypes.DoubleType)
            .add(FINISH_REASON, DataTypes.StringType)
            .add(PROMPT_TOKENS, DataTypes.IntegerType)
            .add(COMPLETION_TOKENS, DataTypes.IntegerType)
            .add(TOTAL_COMPLETION_TOKENS, DataTypes.IntegerType)
            .add(ERROR, DataTypes.StringType)
            .add(MODEL, DataTypes.StringType, false)
            .add(SAMPLING, DataTypes.StringType, false)
            .add(CREATED_AT, DataTypes.TimestampType, false);

    /** The columns whose values must be equal between two runs of the same plan: all but created_at. */
    public static final List<String> CONTENT_COLUMNS = Arrays.stream(SCHEMA.fieldNames())
            .filter(c -> !c.equals(CREATED_AT))
            .toList();

    private SyntheticSchema() {
    }

    /**
     * Selects the schema's columns in order, casting each to its type; a column the frame lacks
     * becomes a typed null. Only the nullability of the non-null columns is left to the recipe.
     */
    public static Dataset<Row> conform(Dataset<Row> df) {
        List<String> present = Arrays.asList(df.columns());
        Column[] cols = Arrays.stream(SCHEMA.fields())
                .map(f -> column(f, present))
                .toArray(Column[]::new);
        return df.select(cols);
    }

    private static Column column(StructField f, List<String> present) {
        Column c = present.contains(f.name()) ? col(f.name()) : lit(null);
        return c.cast(f.dataType()).as(f.name());
    }
}
