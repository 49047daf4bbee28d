package dev.phi4spark.datagen.stage;

import java.io.Serializable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A model that grades texts: used to keep only passages of high educational and reasoning value as
 * seeds, as the Phi-4 report did. The grading prompt (rubric) belongs to the stage, as it does to the
 * Spark {@code Phi4Judge}, whose scores are on its rubric's scale (0 to 5 for its default); a source's
 * {@code min_score} is on the same scale.
 *
 * <p>Contract: the result has every input column and row, plus {@code <prefix>score} (double, higher
 * is better, null when the call failed) and {@code <prefix>error} (string, null on success).
 */
public interface JudgeStage extends Serializable {

    /** Suffix of the score column. */
    String SCORE = "score";
    /** Suffix of the per-row error column. */
    String ERROR = "error";

    /**
     * Scores every row's text.
     *
     * @param input the rows
     * @param textColumn a string column with the text to grade
     * @param outputPrefix prefix of the two added columns
     * @return the input plus the two prefixed columns
     */
    Dataset<Row> judge(Dataset<Row> input, String textColumn, String outputPrefix);
}
