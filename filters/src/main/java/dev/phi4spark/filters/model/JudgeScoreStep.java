package dev.phi4spark.filters.model;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.when;

import dev.phi4spark.filters.pipeline.PipelineStep;
import dev.phi4spark.udf.spark.Phi4Judge;
import dev.phi4spark.udf.spark.Phi4Options;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Keeps documents the Phi-4 judge scores at least {@code minScore} on its educational-value rubric
 * (0 to 5, FineWeb-Edu style). Adds {@code judge_score}; reasons {@code judge_low_score} and
 * {@code judge_error} (the document could not be judged).
 */
public final class JudgeScoreStep implements PipelineStep {

    private static final long serialVersionUID = 1L;

    /** FineWeb-Edu keeps documents scoring 3 or more. */
    public static final double DEFAULT_MIN_SCORE = 3.0;
    /** The column the score is kept in. */
    public static final String SCORE = "judge_score";

    private final Phi4Options options;
    private final double minScore;

    /** A judge filter over the model in {@code options}. */
    public JudgeScoreStep(Phi4Options options, double minScore) {
        if (minScore < 0 || minScore > 5) {
            throw new IllegalArgumentException("Cannot build judge_score filter: min_score must be in [0, 5] ("
                    + minScore + ")");
        }
        this.options = options;
        this.minScore = minScore;
    }

    @Override
    public String name() {
        return "judge_score";
    }

    /** The model location and options the judge runs with, batching included. */
    public Phi4Options options() {
        return options;
    }

    /** The judge over a text column: every model option, batching included, from {@link #options()}. */
    Phi4Judge judge(String textColumn) {
        return new Phi4Judge().setOptions(options).setInputCol(textColumn)
                .setScoreCol(SCORE).setArgmaxCol("_judge_argmax").setDistributionCol("_judge_distribution")
                .setErrorCol("_judge_error");
    }

    @Override
    public Dataset<Row> apply(Dataset<Row> docs, StepContext context) {
        Dataset<Row> judged = judge(context.textColumn()).transform(docs);
        return judged.withColumn(context.reasonColumn(),
                        when(col("_judge_error").isNotNull(), lit("judge_error"))
                                .when(col(SCORE).lt(minScore), lit("judge_low_score")))
                .drop("_judge_argmax", "_judge_distribution", "_judge_error");
    }
}
