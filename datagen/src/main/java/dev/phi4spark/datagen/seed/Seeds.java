package dev.phi4spark.datagen.seed;

import static org.apache.spark.sql.functions.col;

import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/**
 * The one schema of every seed DataFrame, whatever its kind, so the recipes read seeds the same way.
 * Columns a kind does not have are null: topic seeds have no text, text seeds no topic.
 */
public final class Seeds {

    /** Stable id: a hash of the seed's content or key. */
    public static final String SEED_ID = "seed_id";
    /** {@code topic}, {@code passage}, {@code question} or {@code code}. */
    public static final String SEED_KIND = "seed_kind";
    /** Subject of a topic seed. */
    public static final String SUBJECT = "subject";
    /** Topic of a topic seed. */
    public static final String TOPIC = "topic";
    /** Subtopic of a topic seed. */
    public static final String SUBTOPIC = "subtopic";
    /** Audience of a topic seed. */
    public static final String AUDIENCE = "audience";
    /** Style of a topic seed. */
    public static final String STYLE = "style";
    /** Difficulty of a topic seed. */
    public static final String DIFFICULTY = "difficulty";
    /** The passage, question or code of a text seed. */
    public static final String SEED_TEXT = "seed_text";
    /** The programming language of a code seed, when known. */
    public static final String SEED_LANGUAGE = "seed_language";
    /** The score a text seed was selected by, when it was. */
    public static final String SEED_SCORE = "seed_score";
    /**
     * The reference answer of a question seed, as its source's {@code answer_column} gives it (not yet
     * normalised), or null.
     */
    public static final String SEED_ANSWER = "seed_answer";

    /** The seed schema. */
    public static final StructType SCHEMA = new StructType()
            .add(SEED_ID, DataTypes.StringType, false)
            .add(SEED_KIND, DataTypes.StringType, false)
            .add(SUBJECT, DataTypes.StringType)
            .add(TOPIC, DataTypes.StringType)
            .add(SUBTOPIC, DataTypes.StringType)
            .add(AUDIENCE, DataTypes.StringType)
            .add(STYLE, DataTypes.StringType)
            .add(DIFFICULTY, DataTypes.StringType)
            .add(SEED_TEXT, DataTypes.StringType)
            .add(SEED_LANGUAGE, DataTypes.StringType)
            .add(SEED_SCORE, DataTypes.DoubleType)
            .add(SEED_ANSWER, DataTypes.StringType);

    /** The kinds of seed, each read by some recipes. */
    public enum Kind {
        /** A drawn taxonomy combination. */
        TOPIC,
        /** A passage of text to rewrite. */
        PASSAGE,
        /** A question to answer. */
        QUESTION,
        /** A code snippet. */
        CODE;

        /** The lower-case name stored in {@link #SEED_KIND}. */
        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    private Seeds() {
    }

    /** The seed column names, in schema order. */
    public static List<String> columns() {
        return Arrays.asList(SCHEMA.fieldNames());
    }

    /** Only the seed columns, in schema order. */
    public static Dataset<Row> select(Dataset<Row> df) {
        return df.select(columns().stream().map(c -> col(c)).toArray(Column[]::new));
    }
}
