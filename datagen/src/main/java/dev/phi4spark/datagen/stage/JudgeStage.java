package dev.phi4spark.datagen.stage;

import java.io.Serializable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * A model that grades prompts: used to keep only passages of high educational and reasoning value as
 * seeds, as the Phi-4 report did. The grading prompt comes from datagen's {@code judge_passage}
 * template; the stage only runs it.
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
     * Scores every row.
     *
     * @param input the rows
     * @param messagesColumn a column of type {@code array<struct<role:string,content:string>>}
     * @param outputPrefix prefix of the two added columns
     * @return the input plus the two prefixed columns
     */
    Dataset<Row> judge(Dataset<Row> input, String messagesColumn, String outputPrefix);
}
