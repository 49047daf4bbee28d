package dev.phi4spark.udf.spark;

import java.io.Serializable;
import org.apache.spark.SparkContext;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * Named accumulators a transform adds to as it runs: created on the driver, handed to a Transformer
 * with {@code setMetrics}, and shipped with the tasks (accumulators are serializable). The names show in
 * the Spark UI. The driver sees a task's additions when the task ends, so progress advances per task.
 */
public final class Phi4Metrics implements Serializable {

    private static final long serialVersionUID = 1L;

    private final LongAccumulator rows;
    private final LongAccumulator promptTokens;
    private final LongAccumulator generatedTokens;
    private final LongAccumulator errors;
    private final LongAccumulator cachedPromptTokens;
    private final DoubleAccumulator loadSeconds;
    private final DoubleAccumulator inferenceSeconds;

    private Phi4Metrics(SparkContext sc, String prefix) {
        this.rows = sc.longAccumulator(prefix + ".rows");
        this.promptTokens = sc.longAccumulator(prefix + ".promptTokens");
        this.generatedTokens = sc.longAccumulator(prefix + ".generatedTokens");
        this.errors = sc.longAccumulator(prefix + ".errors");
        this.cachedPromptTokens = sc.longAccumulator(prefix + ".cachedPromptTokens");
        this.loadSeconds = sc.doubleAccumulator(prefix + ".modelLoadSeconds");
        this.inferenceSeconds = sc.doubleAccumulator(prefix + ".inferenceSeconds");
    }

    /** Registers the accumulators as {@code <prefix>.rows}, {@code <prefix>.promptTokens}, ... */
    public static Phi4Metrics create(SparkSession spark, String prefix) {
        return new Phi4Metrics(spark.sparkContext(), prefix);
    }

    /** Rows processed, failed ones included. */
    public LongAccumulator rows() {
        return rows;
    }

    /** Input tokens: prompts, or scored and judged text. */
    public LongAccumulator promptTokens() {
        return promptTokens;
    }

    /** Tokens generated. */
    public LongAccumulator generatedTokens() {
        return generatedTokens;
    }

    /** Prompt tokens not prefilled because their keys and values came from the prefix cache. */
    public LongAccumulator cachedPromptTokens() {
        return cachedPromptTokens;
    }

    /** Rows that got an error. */
    public LongAccumulator errors() {
        return errors;
    }

    /** Seconds spent staging and loading models, summed over executors. */
    public DoubleAccumulator loadSeconds() {
        return loadSeconds;
    }

    /** Seconds spent in the engine, summed over tasks. */
    public DoubleAccumulator inferenceSeconds() {
        return inferenceSeconds;
    }
}
