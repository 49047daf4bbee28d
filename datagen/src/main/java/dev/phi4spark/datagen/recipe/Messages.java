package dev.phi4spark.datagen.recipe;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;

import org.apache.spark.sql.Column;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** Chat prompts as Spark columns of type {@code array<struct<role:string,content:string>>}. */
public final class Messages {

    /** The element type of a messages column. */
    public static final StructType MESSAGE = new StructType()
            .add("role", DataTypes.StringType)
            .add("content", DataTypes.StringType);

    /** The type of a messages column. */
    public static final ArrayType TYPE = DataTypes.createArrayType(MESSAGE);

    private Messages() {
    }

    /**
     * A one-turn prompt: an optional system message, then the user's.
     *
     * @param systemPrompt the system message, or null or blank for none
     * @param user the user message's content
     */
    public static Column of(String systemPrompt, Column user) {
        Column userTurn = turn("user", user);
        if (systemPrompt == null || systemPrompt.isBlank()) {
            return array(userTurn).cast(TYPE);
        }
        return array(turn("system", lit(systemPrompt)), userTurn).cast(TYPE);
    }

    private static Column turn(String role, Column content) {
        return struct(lit(role).as("role"), content.cast(DataTypes.StringType).as("content"));
    }
}
