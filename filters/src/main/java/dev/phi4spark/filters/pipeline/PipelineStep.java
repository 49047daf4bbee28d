package dev.phi4spark.filters.pipeline;

import java.io.Serializable;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * One stage of a {@link FilterPipeline}: a {@code Dataset<Row> -> Dataset<Row>} transformation
 * that adds the string column {@link StepContext#reasonColumn()} (null keeps the row, a value
 * rejects it). A step may also rewrite the text column or add columns of its own. Row-level work
 * must run in the executors (UDFs, mapPartitions); only small aggregates may reach the driver.
 *
 * <p>The model-based filters ({@code filters.model}: {@code JudgeScoreStep} and {@code PerplexityStep},
 * over the udf module's Phi-4 judge and scorer) are implementations of it like the others, registered
 * with their parameters in {@link StepSpecs}.
 */
public interface PipelineStep extends Serializable {

    /** Step name, reported in the funnel and in the {@code reject_step} column. */
    String name();

    /** Marks the rows of {@code docs} to reject; must not drop or duplicate rows. */
    Dataset<Row> apply(Dataset<Row> docs, StepContext context);

    /**
     * A map column (kind to count) of the edits a cleaning step made to each row, summed per kind
     * into the funnel; null for a step that edits nothing.
     */
    default String editsColumn() {
        return null;
    }

    /** True when the step needs the id column (dedup keeps the smallest id). */
    default boolean needsId() {
        return false;
    }

    /**
     * Column names a step works with.
     *
     * @param textColumn the document text
     * @param idColumn a unique, orderable document id
     * @param reasonColumn where to write the reject reason
     */
    record StepContext(String textColumn, String idColumn, String reasonColumn)
            implements Serializable {}
}
