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
import org.apache.spark.sql.types.StructType;

/**
 * The schema of the {@code preference_pairs} table: one preference pair per row, for DPO. Written by the
 * {@code preference_pairs} recipe (whole completions, chosen by the judge's rubric score or by
 * correctness) and the {@code pivotal_tokens} recipe (single tokens after a solution prefix).
 */
public final class PairSchema {

    /** The table the pair recipes write. */
    public static final String TABLE = "preference_pairs";

    /** Pair id: a hash of the recipe's row id and, for pivotal tokens, the token's position. */
    public static final String ID = "id";
    /**
     * The id of the recipe row (one question of the plan) the pair came from, as {@code synthetic_raw}
     * rows are identified: a question's pivotal-token pairs share it, and {@code generate --resume} skips
     * the questions whose row id is here.
     */
    public static final String ROW_ID = "row_id";
    /** The prompt, as chat messages. */
    public static final String PROMPT = "prompt";
    /** The start of the assistant's answer both completions continue (pivotal tokens), null otherwise. */
    public static final String PREFIX = "prefix";
    /** The preferred completion (after the prefix, if any). */
    public static final String CHOSEN = "chosen";
    /** The other completion. */
    public static final String REJECTED = "rejected";
    /** The chosen completion's score: rubric score out of 10, 1/0 for correctness, or success probability. */
    public static final String CHOSEN_SCORE = "chosen_score";
    /** The rejected completion's score, on the same scale. */
    public static final String REJECTED_SCORE = "rejected_score";
    /** {@code chosen_score - rejected_score}. */
    public static final String MARGIN = "margin";
    /** How the pair was chosen: {@code judge}, {@code correctness}, {@code reference} or {@code pivotal_token}. */
    public static final String HOW = "how";
    /** {@code how} of a pair chosen by the judge's rubric score. */
    public static final String BY_JUDGE = "judge";
    /** {@code how} of a pair chosen by the checked answer, the majority answer of the prompt's completions. */
    public static final String BY_CORRECTNESS = "correctness";
    /** {@code how} of a pair chosen by the checked answer, the reference answer of the seed source. */
    public static final String BY_REFERENCE = "reference";
    /** {@code how} of a pivotal-token pair. */
    public static final String BY_PIVOTAL_TOKEN = "pivotal_token";
    /** The answer correctness was checked against, when it was. */
    public static final String REFERENCE_ANSWER = SyntheticSchema.REFERENCE_ANSWER;

    /** The schema, in column order. */
    public static final StructType SCHEMA = new StructType()
            .add(ID, DataTypes.StringType, false)
            .add(ROW_ID, DataTypes.StringType, false)
            .add(SyntheticSchema.RECIPE, DataTypes.StringType, false)
            .add(SyntheticSchema.VARIANT, DataTypes.StringType, false)
            .add(Seeds.SEED_ID, DataTypes.StringType, false)
            .add(Seeds.SEED_TEXT, DataTypes.StringType)
            .add(PROMPT, Messages.TYPE)
            .add(PREFIX, DataTypes.StringType)
            .add(CHOSEN, DataTypes.StringType)
            .add(REJECTED, DataTypes.StringType)
            .add(CHOSEN_SCORE, DataTypes.DoubleType)
            .add(REJECTED_SCORE, DataTypes.DoubleType)
            .add(MARGIN, DataTypes.DoubleType)
            .add(HOW, DataTypes.StringType)
            .add(REFERENCE_ANSWER, DataTypes.StringType)
            .add(SyntheticSchema.ACCEPTED, DataTypes.BooleanType, false)
            .add(SyntheticSchema.REJECT_REASON, DataTypes.StringType)
            .add(SyntheticSchema.TOTAL_COMPLETION_TOKENS, DataTypes.IntegerType)
            .add(SyntheticSchema.ERROR, DataTypes.StringType)
            .add(SyntheticSchema.MODEL, DataTypes.StringType, false)
            .add(SyntheticSchema.SAMPLING, DataTypes.StringType, false)
            .add(SyntheticSchema.CREATED_AT, DataTypes.TimestampType, false);

    /** The columns that must be equal between two runs of the same plan: all but created_at. */
    public static final List<String> CONTENT_COLUMNS = Arrays.stream(SCHEMA.fieldNames())
            .filter(c -> !c.equals(SyntheticSchema.CREATED_AT))
            .toList();

    private PairSchema() {}

    /** Selects the schema's columns in order, cast to their types; a missing column is a typed null. */
    public static Dataset<Row> conform(Dataset<Row> df) {
        List<String> present = Arrays.asList(df.columns());
        Column[] cols = Arrays.stream(SCHEMA.fields())
                .map(f -> (present.contains(f.name()) ? col(f.name()) : lit(null)).cast(f.dataType()).as(f.name()))
                .toArray(Column[]::new);
        return df.select(cols);
    }
}
