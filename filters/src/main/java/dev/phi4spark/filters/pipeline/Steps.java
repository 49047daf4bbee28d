package dev.phi4spark.filters.pipeline;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.udf;
import static org.apache.spark.sql.functions.when;

import dev.phi4spark.filters.CleanedText;
import dev.phi4spark.filters.DocumentFilter;
import dev.phi4spark.filters.TextCleaner;
import dev.phi4spark.filters.decontam.Decontaminator;
import dev.phi4spark.filters.decontam.Verdict;
import dev.phi4spark.filters.dedup.ExactDedup;
import dev.phi4spark.filters.dedup.MinHashDedup;
import dev.phi4spark.filters.heuristic.LanguageFilter;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.api.java.UDF1;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;

/** The built-in {@link PipelineStep}s. */
public final class Steps {
    /** Column of the detected language's ISO 639-1 code (language step). */
    public static final String LANGUAGE = "language";
    /** Column of the language step's confidence. */
    public static final String LANGUAGE_CONFIDENCE = "language_confidence";

    private Steps() {}

    /** Runs a {@link DocumentFilter} on each row. */
    public static PipelineStep filter(DocumentFilter filter) {
        return new FilterStep(filter);
    }

    /**
     * Runs a {@link TextCleaner} on each row: rewrites the text column and adds a map column {@code
     * <cleaner>_counts} (kind to count). Rejects nothing.
     */
    public static PipelineStep clean(TextCleaner cleaner) {
        return new CleanStep(cleaner);
    }

    /**
     * Language identification: adds the columns {@code language} (ISO 639-1 code, null when none
     * was detected) and {@code language_confidence}, and rejects as {@link LanguageFilter} does.
     */
    public static PipelineStep language(LanguageFilter filter) {
        return new LanguageStep(filter);
    }

    /** Exact dedup; keeps the smallest id of each group. */
    public static PipelineStep exactDedup(ExactDedup dedup) {
        return new ExactDedupStep(dedup);
    }

    /** MinHash near dedup; keeps the smallest id of each cluster. */
    public static PipelineStep nearDedup(MinHashDedup dedup) {
        return new NearDedupStep(dedup);
    }

    /**
     * Decontamination: adds the {@code decontam_*} columns, rejects contaminated rows ({@code
     * decontam_contaminated}) and, when {@code rejectPartial}, partial ones ({@code
     * decontam_partial}); otherwise partial rows are kept with their verdict.
     */
    public static PipelineStep decontaminate(Decontaminator decontaminator, boolean rejectPartial) {
        return new DecontaminateStep(decontaminator, rejectPartial);
    }

    record FilterStep(DocumentFilter filter) implements PipelineStep {
        @Override
        public String name() {
            return filter.name();
        }

        @Override
        public Dataset<Row> apply(Dataset<Row> docs, StepContext context) {
            DocumentFilter f = filter;
            var reason = udf((UDF1<String, String>) text -> f.apply(text).reason(), DataTypes.StringType)
                    .withName(f.name());
            return docs.withColumn(context.reasonColumn(), reason.apply(col(context.textColumn())));
        }
    }

    record LanguageStep(LanguageFilter filter) implements PipelineStep {
        @Override
        public String name() {
            return filter.name();
        }

        @Override
        public Dataset<Row> apply(Dataset<Row> docs, StepContext context) {
            LanguageFilter f = filter;
            StructType type = new StructType()
                    .add("reason", DataTypes.StringType, true)
                    .add("language", DataTypes.StringType, true)
                    .add("confidence", DataTypes.DoubleType, false);
            var detect = udf((UDF1<String, Row>) text -> {
                LanguageFilter.Detection d = f.detect(text);
                return RowFactory.create(f.judge(d).reason(), d.code(), d.confidence());
            }, type).withName(f.name());
            String tmp = "__language";
            return docs.withColumn(tmp, detect.apply(col(context.textColumn())))
                    .withColumn(LANGUAGE, col(tmp + ".language"))
                    .withColumn(LANGUAGE_CONFIDENCE, col(tmp + ".confidence"))
                    .withColumn(context.reasonColumn(), col(tmp + ".reason"))
                    .drop(tmp);
        }
    }

    record CleanStep(TextCleaner cleaner) implements PipelineStep {
        @Override
        public String name() {
            return cleaner.name();
        }

        @Override
        public String editsColumn() {
            return cleaner.name() + "_counts";
        }

        @Override
        public Dataset<Row> apply(Dataset<Row> docs, StepContext context) {
            TextCleaner c = cleaner;
            StructType type = new StructType()
                    .add("text", DataTypes.StringType, false)
                    .add("counts", DataTypes.createMapType(DataTypes.StringType, DataTypes.IntegerType, false),
                            false);
            var cleanUdf = udf((UDF1<String, Row>) text -> {
                CleanedText cleaned = c.clean(text);
                return RowFactory.create(cleaned.text(), cleaned.counts());
            }, type).withName(c.name());
            String tmp = "__clean_" + c.name();
            return docs.withColumn(tmp, cleanUdf.apply(col(context.textColumn())))
                    .withColumn(context.textColumn(), col(tmp + ".text"))
                    .withColumn(c.name() + "_counts", col(tmp + ".counts"))
                    .drop(tmp)
                    .withColumn(context.reasonColumn(), lit(null).cast(DataTypes.StringType));
        }
    }

    record ExactDedupStep(ExactDedup dedup) implements PipelineStep {
        @Override
        public String name() {
            return "exact_dedup";
        }

        @Override
        public boolean needsId() {
            return true;
        }

        @Override
        public Dataset<Row> apply(Dataset<Row> docs, StepContext context) {
            return dedup.markDuplicates(docs, context.textColumn(), context.idColumn(),
                    context.reasonColumn());
        }
    }

    record NearDedupStep(MinHashDedup dedup) implements PipelineStep {
        @Override
        public String name() {
            return "near_dedup";
        }

        @Override
        public boolean needsId() {
            return true;
        }

        @Override
        public Dataset<Row> apply(Dataset<Row> docs, StepContext context) {
            return dedup.markDuplicates(docs, context.textColumn(), context.idColumn(),
                    context.reasonColumn());
        }
    }

    record DecontaminateStep(Decontaminator decontaminator, boolean rejectPartial)
            implements PipelineStep {
        @Override
        public String name() {
            return "decontaminate";
        }

        @Override
        public Dataset<Row> apply(Dataset<Row> docs, StepContext context) {
            var verdict = col(Decontaminator.VERDICT);
            var reason = when(verdict.equalTo(Verdict.CONTAMINATED), lit("decontam_contaminated"));
            if (rejectPartial) {
                reason = reason.when(verdict.equalTo(Verdict.PARTIAL), lit("decontam_partial"));
            }
            return decontaminator.annotate(docs, context.textColumn())
                    .withColumn(context.reasonColumn(), reason);
        }
    }
}
