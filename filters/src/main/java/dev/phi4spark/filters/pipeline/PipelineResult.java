package dev.phi4spark.filters.pipeline;

import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * Output of {@link FilterPipeline#run}: the kept rows, the rejected rows (with {@code
 * reject_step} and {@code reject_reason}), and the {@link Funnel}. The intermediate results of
 * each step are cached; call {@link #unpersist()} once the outputs have been written.
 */
public final class PipelineResult {
    private final Dataset<Row> kept;
    private final Dataset<Row> rejected;
    private final Funnel funnel;
    private final List<Dataset<Row>> cached;

    PipelineResult(Dataset<Row> kept, Dataset<Row> rejected, Funnel funnel,
            List<Dataset<Row>> cached) {
        this.kept = kept;
        this.rejected = rejected;
        this.funnel = funnel;
        this.cached = List.copyOf(cached);
    }

    /** Rows that passed every step, with any columns the steps added. */
    public Dataset<Row> kept() {
        return kept;
    }

    /** Rows some step rejected, with {@code reject_step} and {@code reject_reason}. */
    public Dataset<Row> rejected() {
        return rejected;
    }

    /** Counts per step. */
    public Funnel funnel() {
        return funnel;
    }

    /** Releases the cached per-step results. */
    public void unpersist() {
        cached.forEach(Dataset::unpersist);
    }
}
