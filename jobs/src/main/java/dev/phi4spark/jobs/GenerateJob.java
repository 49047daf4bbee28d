package dev.phi4spark.jobs;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.pmod;
import static org.apache.spark.sql.functions.xxhash64;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phi4spark.datagen.Datagen;
import dev.phi4spark.datagen.DatagenConfig;
import dev.phi4spark.datagen.Ids;
import dev.phi4spark.datagen.PairSchema;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.stage.Phi4GeneratorStage;
import dev.phi4spark.datagen.stage.Phi4JudgeStage;
import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKey;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code generate}: seeds, then the datagen recipes on Phi-4, then {@code synthetic_raw}. Seeds are run
 * and committed in chunks of about {@code write.commit_rows}, so hours of finished work are durable
 * before the run ends; with {@code --resume}, seeds whose row id is already in the table are skipped. The
 * pair recipes write {@code preference_pairs}, where a question's row id is {@code row_id} (its pivotal
 * tokens give it several pairs, each with its own {@code id}).
 */
public final class GenerateJob {

    private GenerateJob() {}

    /** The datagen plan the config describes: its keys handed over as they are typed. */
    public static DatagenConfig datagenConfig(JobConfig config) {
        return new DatagenConfig(config.get(ConfigKeys.GENERATE_SEED), sampling(config),
                unlessBlank(config.get(ConfigKeys.GENERATE_TAXONOMY)),
                unlessBlank(config.get(ConfigKeys.GENERATE_TEMPLATES_DIR)),
                unlessBlank(config.get(ConfigKeys.GENERATE_SYSTEM_PROMPT)),
                config.get(ConfigKeys.GENERATE_KEEP_REJECTED), config.get(ConfigKeys.GENERATE_PARTITIONS),
                DatagenConfig.recipes(config.get(ConfigKeys.GENERATE_RECIPES)),
                unlessBlank(config.get(ConfigKeys.GENERATE_RUN_KEY)));
    }

    /** The plan-wide sampling keys: every {@code sampling.<key>} value under its plan name {@code <key>}. */
    static Map<String, Object> sampling(JobConfig config) {
        Map<String, Object> keys = new LinkedHashMap<>();
        for (ConfigKey<?> key : ConfigKeys.SAMPLING_KEYS) {
            Object value = config.get(key);
            keys.put(key.name().substring("sampling.".length()), value instanceof JsonNode list ? strings(key, list)
                    : value);
        }
        return keys;
    }

    private static List<String> strings(ConfigKey<?> key, JsonNode list) {
        List<String> out = new ArrayList<>();
        for (JsonNode s : list) {
            if (!s.isTextual()) {
                throw new ConfigException("Cannot use " + key.name() + ": every item must be a string (" + s + ")");
            }
            out.add(s.asText());
        }
        return out;
    }

    private static String unlessBlank(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    /** Checks the plan without Spark: templates, recipe parameters and that each recipe has a source if it needs one. */
    public static void validate(JobConfig config) {
        Datagen.validate(datagenConfig(config));
    }

    /**
     * Checks the recipes' source files without Spark: that each exists (a remote one is asked with short
     * retries and a time limit) and has the columns its source names. Runs after every other check, as it
     * may reach a remote file system.
     */
    public static void checkSources(JobConfig config) {
        Datagen.checkSources(datagenConfig(config), dev.phi4spark.udf.spark.HadoopFiles.conf());
    }

    /**
     * Runs the plan and returns the rows inserted into {@code synthetic_raw}. Rows a recipe's own check
     * rejects are inserted too (with {@code accepted = false}), so {@code --resume} does not generate them
     * again; rows whose model call failed only with {@code generate.keep_rejected}, so a resume retries them.
     */
    public static long run(JobContext ctx) {
        // Datagen keeps every row; what is dropped is decided here, see keep().
        DatagenConfig plan = datagenConfig(ctx.config()).withKeepRejected(true);
        var options = ctx.modelOptions();
        var stage = new Phi4GeneratorStage(options, ctx.model().identity());
        var judge = new Phi4JudgeStage(options);
        List<Datagen.Part> parts = Datagen.plan(ctx.spark(), plan, stage, judge, Map.of(), usedSeeds(ctx));
        long planned = parts.stream().mapToLong(p -> p.planned().seeds()).sum();
        long calls = parts.stream().mapToLong(p -> p.planned().modelCalls()).sum();
        ctx.out().println("generate: " + parts.size() + " recipe(s), " + planned + " planned row(s), " + calls
                + " model call(s)" + (plan.runKey().isEmpty() ? "" : ", run key " + plan.runKey()));
        if (!ctx.resume()) {
            checkNotWritten(ctx, parts, planned);
        }
        long inserted = 0;
        long started = System.nanoTime();
        // The accumulators count model calls (a self-revision row takes several), so progress is in calls.
        try (JobContext.Progress progress = ctx.progress(calls)) {
            stage.withMetrics(ctx.metrics());
            for (Datagen.Part part : parts) {
                inserted += runPart(ctx, part);
            }
            ctx.out().printf("generate: %d of %d prompt tokens came from the prefix cache%n",
                    ctx.metrics().cachedPromptTokens().value(), ctx.metrics().promptTokens().value());
        }
        ctx.run().count(TableStore.SYNTHETIC_RAW, inserted);
        ctx.run().stage("generate", ctx.metrics(), (System.nanoTime() - started) / 1e9);
        return inserted;
    }

    /**
     * With a run key, the seeds each recipe wrote under other keys (or another model or sampling): their
     * rows are in {@code synthetic_raw} with ids this run would not give them. This run's own rows are not
     * among them, so a rerun of the same key draws the same seeds and {@code --resume} skips its rows.
     */
    static Datagen.UsedSeeds usedSeeds(JobContext ctx) {
        return (recipe, context) -> {
            if (!ctx.tables().exists(recipe.table())) {
                return Set.of();
            }
            String rowId = rowIdColumn(recipe.table());
            return new HashSet<>(ctx.tables().read(recipe.table())
                    .where(col(SyntheticSchema.RECIPE).equalTo(recipe.name())
                            .and(col(SyntheticSchema.VARIANT).equalTo(recipe.variant()))
                            .and(col(rowId).notEqual(Ids.rowId(recipe.name(), col(Seeds.SEED_ID),
                                    recipe.variant(), context.stage().model(), context.sampling().toJson(),
                                    context.runKey()))))
                    .select(Seeds.SEED_ID).distinct().as(Encoders.STRING()).collectAsList());
        };
    }

    /** The column of a recipe's table holding the row id its seeds get ({@code RecipeSteps.withIds}). */
    static String rowIdColumn(String table) {
        return table.equals(TableStore.SYNTHETIC_RAW) ? SyntheticSchema.ID : PairSchema.ROW_ID;
    }

    /** The row ids already in a part's table, as column {@code _written}. */
    private static Dataset<Row> written(JobContext ctx, Datagen.Part part) {
        String table = part.recipe().table();
        return ctx.tables().ids(table, rowIdColumn(table)).toDF("_written");
    }

    /**
     * Without {@code --resume}, rows already in {@code synthetic_raw} would be generated again only for
     * the insert to skip them: refuse when that is all the run would do, say so when it is part of it.
     */
    private static void checkNotWritten(JobContext ctx, List<Datagen.Part> parts, long planned) {
        if (planned == 0 || parts.stream().noneMatch(p -> ctx.tables().exists(p.recipe().table()))) {
            return;
        }
        long already = parts.stream().mapToLong(p -> p.seeds()
                .join(written(ctx, p), col(SyntheticSchema.ID).equalTo(col("_written")), "left_semi").count()).sum();
        String tables = String.join(", ", parts.stream().map(p -> p.recipe().table()).distinct().toList());
        if (already == planned) {
            throw new ConfigException("Cannot generate: all " + planned + " planned rows are already in " + tables
                    + " (add --resume to skip finished rows, or give a new --run-date for new ones)");
        }
        if (already > 0) {
            ctx.out().println("generate: " + already + " of " + planned + " planned rows are already in " + tables
                    + "; they are generated again and not inserted (--resume skips them)");
        }
    }

    /** The rows to insert: all but those whose model call failed, unless generate.keep_rejected keeps them. */
    private static Dataset<Row> keep(JobContext ctx, Dataset<Row> rows) {
        return ctx.config().get(ConfigKeys.GENERATE_KEEP_REJECTED) ? rows
                : rows.where(col(SyntheticSchema.ERROR).isNull());
    }

    private static long runPart(JobContext ctx, Datagen.Part part) {
        Dataset<Row> seeds = part.seeds();
        if (ctx.resume()) {
            seeds = seeds.join(written(ctx, part), col(SyntheticSchema.ID).equalTo(col("_written")), "left_anti");
        }
        seeds = seeds.persist(StorageLevel.MEMORY_AND_DISK());
        long todo = seeds.count();
        int chunks = (int) Math.max(1, (todo + ctx.config().get(ConfigKeys.WRITE_COMMIT_ROWS) - 1)
                / ctx.config().get(ConfigKeys.WRITE_COMMIT_ROWS));
        long inserted = 0;
        for (int chunk = 0; chunk < chunks && todo > 0; chunk++) {
            Dataset<Row> some = chunks == 1 ? seeds : seeds.where(pmod(xxhash64(col("id")), lit(chunks)).equalTo(chunk));
            // Materialised once: the Delta MERGE may read its source twice, and that must not generate twice.
            Dataset<Row> rows = keep(ctx, part.run(some)).persist(StorageLevel.MEMORY_AND_DISK());
            try {
                long added = ctx.tables().insertNew(part.recipe().table(), rows, "id");
                inserted += added;
                if (!part.recipe().table().equals(TableStore.SYNTHETIC_RAW)) {
                    ctx.run().count(part.recipe().table(), added); // the pair recipes write preference_pairs
                }
            } finally {
                rows.unpersist();
            }
            ctx.out().printf("  %s: chunk %d/%d committed (%d rows in %s so far from this run)%n",
                    part.recipe().name(), chunk + 1, chunks, inserted, part.recipe().table());
        }
        seeds.unpersist();
        return part.recipe().table().equals(TableStore.SYNTHETIC_RAW) ? inserted : 0;
    }
}
