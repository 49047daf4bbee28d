package dev.phi4spark.datagen.stage;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.udf;

import java.io.Serializable;
import java.util.Objects;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** A {@link JudgeStage} whose grades come from a function of the text: for tests and dry runs. */
public final class ScriptedJudgeStage implements JudgeStage {

    private static final long serialVersionUID = 1L;

    /** The grading script; a thrown exception becomes the row's error. */
    @FunctionalInterface
    public interface Grader extends Serializable {
        /** The score of one text. */
        double grade(String text);
    }

    private static final StructType RESULT = new StructType()
            .add(SCORE, DataTypes.DoubleType)
            .add(ERROR, DataTypes.StringType);

    private final Grader grader;

    /** A judge grading with {@code grader}. */
    public ScriptedJudgeStage(Grader grader) {
        this.grader = Objects.requireNonNull(grader, "grader");
    }

    @Override
    public Dataset<Row> judge(Dataset<Row> input, String textColumn, String outputPrefix) {
        Grader g = grader;
        UDF1<String, Row> call = text -> {
            try {
                return RowFactory.create(g.grade(text), null);
            } catch (RuntimeException e) {
                return RowFactory.create(null, "Cannot judge: " + e.getMessage());
            }
        };
        String tmp = outputPrefix + "__scripted";
        // non-deterministic for the reason given in ScriptedGenerationStage
        Dataset<Row> out = input.withColumn(tmp, udf(call, RESULT).asNondeterministic().apply(col(textColumn)));
        return out.withColumn(outputPrefix + SCORE, col(tmp).getField(SCORE))
                .withColumn(outputPrefix + ERROR, col(tmp).getField(ERROR))
                .drop(tmp);
    }
}
