package dev.phi4spark.filters.pipeline;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.explode;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.sum;

import dev.phi4spark.filters.DocumentFilter;
import dev.phi4spark.filters.TextCleaner;
import dev.phi4spark.filters.decontam.BenchmarkIndex;
import dev.phi4spark.filters.decontam.Decontaminator;
import dev.phi4spark.filters.dedup.ExactDedup;
import dev.phi4spark.filters.dedup.MinHashDedup;
import dev.phi4spark.filters.heuristic.LanguageFilter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;

/**
 * An ordered list of filters, cleaners, dedup and decontamination steps applied to the text column
 * of a DataFrame.
 *
 * <pre>{@code
 * PipelineResult result = FilterPipeline.builder()
 *     .textColumn("text").idColumn("id")
 *     .clean(new C4LineCleaner())
 *     .filter(new GopherQualityFilter())
 *     .exactDedup()
 *     .nearDedup(MinHashDedup.defaults())
 *     .decontaminate(index)
 *     .build()
 *     .run(df);
 * }</pre>
 *
 * <p>Each step runs in the executors on the rows the previous steps kept; its output is cached and
 * counted (one Spark job per step), so the funnel is exact and later reads of the outputs do not
 * recompute the steps. Only the counts reach the driver. A pipeline can also be built from a spec,
 * a list of maps with a {@code name} and parameters, as the jobs module reads it from YAML: see
 * {@link #fromSpec}.
 */
public final class FilterPipeline {
    /** Column holding the reject reason in {@link PipelineResult#rejected()}. */
    public static final String REJECT_REASON = "reject_reason";
    /** Column holding the rejecting step's name in {@link PipelineResult#rejected()}. */
    public static final String REJECT_STEP = "reject_step";

    private final String textColumn;
    private final String idColumn;
    private final List<PipelineStep> steps;

    private FilterPipeline(String textColumn, String idColumn, List<PipelineStep> steps) {
        this.textColumn = textColumn;
        this.idColumn = idColumn;
        this.steps = List.copyOf(steps);
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * A pipeline over columns {@code text} and {@code id} built from {@code spec}; see {@link
     * StepSpecs} for step names and parameters.
     *
     * @throws IllegalArgumentException for an unknown step or parameter, or a bad value
     */
    public static FilterPipeline fromSpec(List<Map<String, Object>> spec) {
        return builder().spec(spec).build();
    }

    /** The steps, in order. */
    public List<PipelineStep> steps() {
        return steps;
    }

    /** Runs the pipeline; computes the funnel eagerly. */
    public PipelineResult run(Dataset<Row> input) {
        validate(input);
        PipelineStep.StepContext context =
                new PipelineStep.StepContext(textColumn, idColumn, REJECT_REASON);
        Dataset<Row> alive = input;
        List<Dataset<Row>> rejectedParts = new ArrayList<>();
        List<Dataset<Row>> cached = new ArrayList<>();
        List<Funnel.StepCount> counts = new ArrayList<>();
        long inputCount = -1;
        long remaining = -1;
        for (PipelineStep step : steps) {
            Dataset<Row> marked = step.apply(alive, context).persist(StorageLevel.MEMORY_AND_DISK());
            cached.add(marked);
            Row c = marked.agg(count(lit(1)), count(col(REJECT_REASON))).first();
            long total = c.getLong(0);
            long removed = c.getLong(1);
            if (inputCount < 0) {
                inputCount = total;
            }
            remaining = total - removed;
            counts.add(new Funnel.StepCount(step.name(), removed, remaining, edits(step, marked)));
            rejectedParts.add(marked.filter(col(REJECT_REASON).isNotNull())
                    .withColumn(REJECT_STEP, lit(step.name())));
            alive = marked.filter(col(REJECT_REASON).isNull()).drop(REJECT_REASON);
        }
        if (inputCount < 0) {
            inputCount = input.count();
            remaining = inputCount;
        }
        Dataset<Row> rejected = rejectedParts.stream()
                .reduce((a, b) -> a.unionByName(b, true))
                .orElseGet(() -> input.limit(0)
                        .withColumn(REJECT_REASON, lit(null).cast(DataTypes.StringType))
                        .withColumn(REJECT_STEP, lit(null).cast(DataTypes.StringType)));
        return new PipelineResult(alive, rejected, new Funnel(inputCount, counts, remaining), cached);
    }

    /** The step's edits summed per kind over all rows (a small aggregate of the cached result). */
    private static Map<String, Long> edits(PipelineStep step, Dataset<Row> marked) {
        String column = step.editsColumn();
        if (column == null) {
            return Map.of();
        }
        Map<String, Long> out = new TreeMap<>();
        for (Row r : marked.select(explode(col(column))).groupBy("key").agg(sum("value"))
                .collectAsList()) {
            out.put(r.getString(0), r.getLong(1));
        }
        return out;
    }

    private void validate(Dataset<Row> input) {
        List<String> columns = Arrays.asList(input.columns());
        if (!columns.contains(textColumn)) {
            throw new IllegalArgumentException("Cannot run filter pipeline: the input has no text column"
                    + " (" + textColumn + ")");
        }
        if (columns.contains(REJECT_REASON) || columns.contains(REJECT_STEP)) {
            throw new IllegalArgumentException("Cannot run filter pipeline: the input already has a"
                    + " reject column (" + columns + ")");
        }
        boolean needsId = steps.stream().anyMatch(PipelineStep::needsId);
        if (needsId && !columns.contains(idColumn)) {
            throw new IllegalArgumentException("Cannot run filter pipeline: dedup steps need an id"
                    + " column, which the input lacks (" + idColumn + ")");
        }
    }

    /** Collects steps in order. */
    public static final class Builder {
        private String textColumn = "text";
        private String idColumn = "id";
        private final List<PipelineStep> steps = new ArrayList<>();

        private Builder() {}

        /** Text column to filter and clean (default {@code text}). */
        public Builder textColumn(String name) {
            this.textColumn = name;
            return this;
        }

        /** Unique, orderable id column used by dedup (default {@code id}). */
        public Builder idColumn(String name) {
            this.idColumn = name;
            return this;
        }

        public Builder filter(DocumentFilter filter) {
            if (filter instanceof LanguageFilter language) {
                return step(Steps.language(language));
            }
            return step(Steps.filter(filter));
        }

        public Builder clean(TextCleaner cleaner) {
            return step(Steps.clean(cleaner));
        }

        public Builder exactDedup() {
            return step(Steps.exactDedup(new ExactDedup()));
        }

        public Builder nearDedup(MinHashDedup dedup) {
            return step(Steps.nearDedup(dedup));
        }

        /** Decontamination with the default thresholds; partial matches are kept and flagged. */
        public Builder decontaminate(BenchmarkIndex index) {
            return decontaminate(new Decontaminator(index), false);
        }

        public Builder decontaminate(Decontaminator decontaminator, boolean rejectPartial) {
            return step(Steps.decontaminate(decontaminator, rejectPartial));
        }

        /** Any step, such as a model-based filter. */
        public Builder step(PipelineStep step) {
            steps.add(step);
            return this;
        }

        /** Appends the model-free steps described by {@code spec} (see {@link StepSpecs}). */
        public Builder spec(List<Map<String, Object>> spec) {
            return spec(spec, null);
        }

        /**
         * Appends the steps described by {@code spec}; the model-based ones ({@code judge_score},
         * {@code perplexity}) run the model of {@code model}.
         */
        public Builder spec(List<Map<String, Object>> spec, dev.phi4spark.udf.spark.Phi4Options model) {
            for (Map<String, Object> entry : spec) {
                steps.add(StepSpecs.build(entry, model));
            }
            return this;
        }

        public FilterPipeline build() {
            return new FilterPipeline(textColumn, idColumn, steps);
        }
    }
}
