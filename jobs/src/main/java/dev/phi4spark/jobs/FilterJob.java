package dev.phi4spark.jobs;

import static org.apache.spark.sql.functions.col;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.filters.pipeline.FilterPipeline;
import dev.phi4spark.filters.pipeline.Funnel;
import dev.phi4spark.filters.pipeline.PipelineResult;
import dev.phi4spark.filters.pipeline.StepSpecs;
import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.udf.spark.Phi4Options;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;

/**
 * {@code filter}: a table (by default {@code synthetic_raw}) through the configured {@link FilterPipeline}
 * into {@code synthetic_curated} (kept) and {@code synthetic_rejected} (with the step and reason), and the
 * funnel: rows removed by each step, in order.
 */
public final class FilterJob {

    /**
     * Used when {@code filter.steps} is unset: a model-free curation pipeline. PII first (dedup then sees
     * redacted text), exact and near dedup, Gopher quality and repetition, English only, and a token-length
     * window.
     */
    static final String DEFAULT_STEPS = "[{name: pii}, {name: exact_dedup}, {name: near_dedup},"
            + " {name: gopher_quality}, {name: gopher_repetition}, {name: language}, {name: token_length}]";

    private FilterJob() {}

    /** The steps as configured (or the defaults). */
    public static List<Map<String, Object>> steps(JobConfig config) {
        JsonNode node = config.get(ConfigKeys.FILTER_STEPS);
        try {
            if (node == null || node.isNull()) {
                node = new ObjectMapper(new com.fasterxml.jackson.dataformat.yaml.YAMLFactory()).readTree(DEFAULT_STEPS);
            }
            List<Map<String, Object>> out = new ArrayList<>();
            for (JsonNode step : node) {
                if (!step.isObject() || !step.has("name")) {
                    throw new ConfigException("Cannot read configuration: each filter.steps entry needs a name ("
                            + step + ")");
                }
                out.add(new ObjectMapper().convertValue(step, LinkedHashMap.class));
            }
            return out;
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Checks every configured step against the step registry without a model (for {@code --dry-run} and
     * before a run): model-free steps are built as the run builds them (benchmark files read), model-based
     * ones have their declared parameters checked. Returns the step names in run order, {@value
     * EarlierRunsDedup#NAME} included.
     */
    public static List<String> validate(JobConfig config) {
        List<Map<String, Object>> steps = steps(config);
        List<String> names = new ArrayList<>();
        for (Map<String, Object> step : steps) {
            if (StepSpecs.needsModel(step)) {
                StepSpecs.check(step);
                names.add(String.valueOf(step.get("name")));
            } else {
                names.add(StepSpecs.build(step).name());
            }
        }
        EarlierRunsDedup earlier = EarlierRunsDedup.of(steps);
        if (earlier != null) {
            names.add(EarlierRunsDedup.position(steps), earlier.name());
        }
        return names;
    }

    /** Builds the pipeline; {@code model} runs the model-based steps. */
    public static FilterPipeline pipeline(JobConfig config, Phi4Options model) {
        return pipeline(config, model, null);
    }

    /** {@link #pipeline(JobConfig, Phi4Options)} with {@code earlier} (if not null) after the dedup steps. */
    public static FilterPipeline pipeline(JobConfig config, Phi4Options model, EarlierRunsDedup earlier) {
        FilterPipeline.Builder builder = FilterPipeline.builder()
                .textColumn(config.get(ConfigKeys.FILTER_TEXT_COLUMN)).idColumn("id");
        List<Map<String, Object>> steps = steps(config);
        int earlierAt = EarlierRunsDedup.position(steps);
        for (int i = 0; i < steps.size(); i++) {
            if (earlier != null && i == earlierAt) {
                builder.step(earlier);
            }
            builder.spec(List.of(steps.get(i)), model);
        }
        if (earlier != null && earlierAt == steps.size()) {
            builder.step(earlier);
        }
        return builder.build();
    }

    /**
     * The input rows to filter: not those a recipe's own check rejected ({@code accepted = false}: they
     * are in {@code synthetic_raw} only so that a resumed generate skips them), not those already curated
     * (their decision stands, and they are what new rows are deduplicated against), and under
     * {@code --resume} not those already rejected.
     */
    private static Dataset<Row> candidates(JobContext ctx, Dataset<Row> rows) {
        if (Arrays.asList(rows.columns()).contains(SyntheticSchema.ACCEPTED)) {
            long notAccepted = rows.where(col(SyntheticSchema.ACCEPTED).equalTo(false)).count();
            if (notAccepted > 0) {
                ctx.out().println("filter: " + notAccepted + " row(s) with accepted = false (rejected by their"
                        + " recipe) are not filtered");
            }
            rows = rows.where(col(SyntheticSchema.ACCEPTED).equalTo(true));
        }
        rows = rows.join(ctx.tables().ids(TableStore.SYNTHETIC_CURATED, "id").withColumnRenamed("id", "_kept"),
                col("id").equalTo(col("_kept")), "left_anti");
        Dataset<Row> rejected = ctx.tables().ids(TableStore.SYNTHETIC_REJECTED, "id").withColumnRenamed("id", "_gone");
        if (ctx.resume()) {
            return rows.join(rejected, col("id").equalTo(col("_gone")), "left_anti");
        }
        long again = ctx.tables().exists(TableStore.SYNTHETIC_REJECTED)
                ? rows.join(rejected, col("id").equalTo(col("_gone")), "left_semi").count() : 0;
        if (again > 0) {
            ctx.out().println("filter: " + again + " row(s) already in " + TableStore.SYNTHETIC_REJECTED
                    + " are filtered again (--resume skips them)");
        }
        return rows;
    }

    /**
     * The rows to filter: a warehouse table by name, else whatever {@code score} reads (Delta, Parquet, JSON
     * lines, text, a catalog table, any URI), through {@link CorpusReader} with {@code filter.input} and
     * {@code filter.text_column} as its input and text column; its {@code text} column is renamed back to
     * {@code filter.text_column}, and the id is {@code score.id_column} or a hash of the text.
     */
    static Dataset<Row> input(JobContext ctx, String input) {
        if (ctx.tables().exists(input)) {
            return ctx.tables().read(input);
        }
        String textColumn = ctx.config().get(ConfigKeys.FILTER_TEXT_COLUMN);
        JobConfig asCorpus = ctx.config().with(ConfigKeys.SCORE_INPUT.name() + "=" + input)
                .with(ConfigKeys.SCORE_TEXT_COLUMN.name() + "=" + textColumn);
        try {
            return CorpusReader.read(ctx.spark(), asCorpus).withColumnRenamed("text", textColumn);
        } catch (ConfigException e) {
            throw new ConfigException("Cannot filter " + input + ": it is no table in " + ctx.tables().location(input)
                    + " and no corpus score could read (" + e.getMessage() + "; run 'phi4spark generate' first, or"
                    + " set filter.input)");
        }
    }

    /** Runs the pipeline on the input table and writes the two output tables; returns the funnel. */
    public static Funnel run(JobContext ctx) {
        String input = ctx.config().get(ConfigKeys.FILTER_INPUT);
        Dataset<Row> rows = input(ctx, input);
        if (!Arrays.asList(rows.columns()).contains("id")) {
            throw new ConfigException("Cannot filter table " + input + ": it has no id column (" 
                    + String.join(", ", rows.columns()) + ")");
        }
        // synthetic_raw carries the recipes' own reject_reason; the pipeline writes its own.
        boolean hasRecipeReason = Arrays.asList(rows.columns()).contains(FilterPipeline.REJECT_REASON);
        if (hasRecipeReason) {
            rows = rows.withColumnRenamed(FilterPipeline.REJECT_REASON, "recipe_reject_reason");
        }
        rows = candidates(ctx, rows);
        EarlierRunsDedup earlier = EarlierRunsDedup.of(steps(ctx.config()));
        if (earlier != null) {
            long computed = earlier.loadHistory(ctx.tables(), ctx.config().get(ConfigKeys.FILTER_TEXT_COLUMN));
            if (computed > 0) {
                ctx.out().println("filter: stored the dedup signatures of " + computed + " curated row(s) from"
                        + " earlier runs in " + EarlierRunsDedup.TABLE);
            }
        }
        PipelineResult result = pipeline(ctx.config(), ctx.modelOptions(), earlier).run(rows);
        try {
            Dataset<Row> kept = result.kept();
            if (hasRecipeReason) {
                kept = kept.withColumnRenamed("recipe_reject_reason", FilterPipeline.REJECT_REASON);
            }
            Dataset<Row> signatures = earlier == null ? null
                    : earlier.keptSignatures(kept, ctx.config().get(ConfigKeys.FILTER_TEXT_COLUMN));
            long curated = ctx.tables().insertNew(TableStore.SYNTHETIC_CURATED, kept, "id");
            long rejected = ctx.tables().insertNew(TableStore.SYNTHETIC_REJECTED, result.rejected(), "id");
            if (earlier != null) {
                earlier.record(ctx.tables(), signatures);
            }
            ctx.run().count(TableStore.SYNTHETIC_CURATED, curated);
            ctx.run().count(TableStore.SYNTHETIC_REJECTED, rejected);
            Funnel funnel = result.funnel();
            ctx.out().println("filter funnel (" + input + "):");
            ctx.out().printf("  %-22s %10d%n", "input", funnel.input());
            for (Funnel.StepCount s : funnel.steps()) {
                ctx.out().printf("  %-22s %10d removed, %d left%n", s.step(), s.removed(), s.remaining());
                ctx.run().count("removed:" + s.step(), s.removed());
                s.edits().forEach((kind, n) -> {
                    ctx.out().printf("    %-20s %10d edits%n", kind, n);
                    ctx.run().count(s.step() + ":" + kind, n);
                });
            }
            ctx.out().printf("  %-22s %10d%n", "kept", funnel.kept());
            // as printed: on a rerun the inserts count only new rows, so the report could not rebuild it
            ctx.run().count("funnel:input", funnel.input());
            ctx.run().count("funnel:kept", funnel.kept());
            return funnel;
        } finally {
            result.unpersist();
        }
    }
}
