package dev.phi4spark.datagen;

import dev.phi4spark.udf.engine.SamplingParams;
import static org.apache.spark.sql.functions.col;

import dev.phi4spark.datagen.recipe.Recipe;
import dev.phi4spark.datagen.recipe.RecipeContext;
import dev.phi4spark.datagen.seed.DiversitySampler;
import dev.phi4spark.datagen.seed.SeedSource;
import dev.phi4spark.datagen.seed.SourceCheck;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.seed.Taxonomy;
import dev.phi4spark.datagen.seed.TextSeeds;
import dev.phi4spark.datagen.seed.TopicCombination;
import dev.phi4spark.datagen.seed.TopicSeeds;
import dev.phi4spark.datagen.stage.GenerationStage;
import dev.phi4spark.datagen.stage.JudgeStage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.storage.StorageLevel;

/**
 * The entry point of data generation: builds each recipe's seeds and runs the recipes of a plan
 * through one {@link GenerationStage}, the single place where the model is chosen.
 */
public final class Datagen {

    private Datagen() {
    }

    /** {@link #run(SparkSession, DatagenConfig, GenerationStage, JudgeStage, Map)} with no judge and no inputs. */
    public static DatagenResult run(SparkSession spark, DatagenConfig config, GenerationStage stage) {
        return run(spark, config, stage, null, Map.of());
    }

    /**
     * Runs a plan.
     *
     * <p>Builds every recipe first, so a bad template, parameter or source fails before any Spark job.
     * Counting text seeds runs a Spark job over the source (and the judge, when a source asks for one;
     * those seeds are then persisted so the judge runs once). The generation itself stays lazy in the
     * returned rows.
     *
     * @param spark the session
     * @param config the plan
     * @param stage the model
     * @param judge grades text seeds for sources that ask for it, or null
     * @param inputs DataFrames that sources name by {@code input}, or an empty map
     * @return the rows and the plan's row count
     */
    public static DatagenResult run(SparkSession spark, DatagenConfig config, GenerationStage stage, JudgeStage judge,
            Map<String, Dataset<Row>> inputs) {
        List<Part> parts = plan(spark, config, stage, judge, inputs);
        Dataset<Row> all = null;
        Map<String, Dataset<Row>> others = new java.util.LinkedHashMap<>();
        for (Part part : parts) {
            Dataset<Row> rows = part.run(part.seeds());
            if (!part.recipe().table().equals(Recipe.SYNTHETIC_RAW)) {
                others.merge(part.recipe().table(), rows, Dataset::unionByName);
                continue;
            }
            all = all == null ? rows : all.unionByName(rows);
        }
        if (all == null) {
            all = spark.createDataFrame(List.of(), SyntheticSchema.SCHEMA);
        }
        return new DatagenResult(all, parts.stream().map(Part::planned).toList(), others);
    }

    /**
     * One recipe of a plan, ready to run: its seeds, each with the {@code id} its row will get, and the
     * context to run them in. The jobs use this to skip ids already written ({@code --resume}) and to
     * run and commit a long plan in chunks of seeds.
     *
     * @param recipe the recipe
     * @param seeds its seeds with an {@code id} column
     * @param context the stage, sampling and options it runs with
     * @param planned its share of the plan
     */
    public record Part(Recipe recipe, Dataset<Row> seeds, RecipeContext context, DatagenResult.Planned planned) {
        /** Runs the recipe on some of its seeds (any subset of {@link #seeds()}). */
        public Dataset<Row> run(Dataset<Row> someSeeds) {
            return recipe.run(someSeeds.drop(SyntheticSchema.ID), context);
        }
    }

    /**
     * The seeds a recipe must not use again: seed ids of its rows already written by earlier runs (other
     * run keys). Only asked for plans with a run key.
     */
    @FunctionalInterface
    public interface UsedSeeds {
        /** Nothing used: every plan without a history. */
        UsedSeeds NONE = (recipe, context) -> Set.of();

        /** Seed ids the recipe, run in this context, must not draw again. */
        Set<String> of(Recipe recipe, RecipeContext context);
    }

    /** {@link #plan(SparkSession, DatagenConfig, GenerationStage, JudgeStage, Map, UsedSeeds)} with no history. */
    public static List<Part> plan(SparkSession spark, DatagenConfig config, GenerationStage stage, JudgeStage judge,
            Map<String, Dataset<Row>> inputs) {
        return plan(spark, config, stage, judge, inputs, UsedSeeds.NONE);
    }

    /**
     * Plans a run: builds and checks every recipe and its seeds. Counting text seeds runs a Spark job
     * over the source (and the judge, when a source asks for one; those seeds are then persisted so the
     * judge runs once). Nothing is generated until a part runs.
     *
     * <p>With a run key, each recipe leaves out the seeds {@code used} names (those earlier runs wrote),
     * and a topic recipe that asks for more combinations than are left fails here, before any model call.
     */
    public static List<Part> plan(SparkSession spark, DatagenConfig config, GenerationStage stage, JudgeStage judge,
            Map<String, Dataset<Row>> inputs, UsedSeeds used) {
        List<Recipe> recipes = validate(config);
        Instant createdAt = Instant.now();
        Taxonomy taxonomy = recipes.stream().anyMatch(r -> r.seedKind() == Seeds.Kind.TOPIC)
                ? Taxonomy.loadOrBundled(config.taxonomy()) : null;
        List<Part> parts = new ArrayList<>();
        for (int i = 0; i < recipes.size(); i++) {
            Recipe recipe = recipes.get(i);
            RecipePlan plan = config.recipes().get(i);
            SamplingParams sampling = config.samplingFor(plan);
            RecipeContext context = new RecipeContext(stage, sampling,
                    config.systemPrompt().isBlank() ? null : config.systemPrompt(), config.keepRejected(), createdAt,
                    config.runKey());
            Set<String> usedSeeds = config.runKey().isEmpty() ? Set.of() : used.of(recipe, context);
            Dataset<Row> seeds = seeds(spark, config, plan, recipe, taxonomy, judge, inputs, usedSeeds);
            long seedCount = recipe.seedKind() == Seeds.Kind.TOPIC ? plan.count() : seeds.count();
            parts.add(new Part(recipe, dev.phi4spark.datagen.recipe.RecipeSteps.withIds(seeds, recipe, context), context,
                    new DatagenResult.Planned(recipe.name(), recipe.variant(), seedCount,
                            seedCount * recipe.callsPerSeed())));
        }
        return parts;
    }

    /**
     * Builds every recipe of a plan, loading and checking its templates and parameters, and checks that
     * each has the seed source its kind needs. No Spark involved: for checking a plan file.
     *
     * @throws IllegalArgumentException naming the recipe and the mistake
     */
    public static List<Recipe> validate(DatagenConfig config) {
        if (config.recipes().isEmpty()) {
            throw new IllegalArgumentException("Cannot run datagen: the plan has no recipes ([])");
        }
        List<Recipe> out = new ArrayList<>();
        Taxonomy taxonomy = null;
        for (RecipePlan plan : config.recipes()) {
            Recipe recipe = Recipes.create(plan.recipe(), plan.params(), config.templatesPath());
            boolean topic = recipe.seedKind() == Seeds.Kind.TOPIC;
            if (topic) {
                taxonomy = taxonomy != null ? taxonomy : Taxonomy.loadOrBundled(config.taxonomy());
                long space = DiversitySampler.space(taxonomy, recipe.axes());
                checkCoverage(recipe, plan.count(), space, space);
            }
            if (topic && plan.source() != null) {
                throw new IllegalArgumentException("Cannot plan recipe '" + recipe.name()
                        + "': it draws topics from the taxonomy, so it takes no source (" + plan.source() + ")");
            }
            if (!topic && plan.source() == null) {
                throw new IllegalArgumentException("Cannot plan recipe '" + recipe.name() + "': it reads "
                        + recipe.seedKind().label() + " seeds, so it needs a source (null)");
            }
            if (!topic && !plan.source().answerColumn().isEmpty() && !recipe.checksReferenceAnswers()) {
                throw new IllegalArgumentException("Cannot plan recipe '" + recipe.name()
                        + "': it does not check reference answers, only preference_pairs and pivotal_tokens"
                        + " read answer_column (" + plan.source().answerColumn() + ")");
            }
            config.samplingFor(plan);
            out.add(recipe);
        }
        return out;
    }

    /**
     * Checks the source files of every recipe that reads them, as {@link SourceCheck} does: that they exist
     * (or, for a remote file system, can be reached) and have the columns the source names. Reads file
     * listings and a little of the files, no Spark; meant to run after {@link #validate}, last, since it may
     * wait on a remote file system.
     *
     * @param config the plan
     * @param hadoop the Hadoop settings to read with
     * @throws IllegalArgumentException {@code Cannot read the source of recipe 'R': why (value)}
     */
    public static void checkSources(DatagenConfig config, org.apache.hadoop.conf.Configuration hadoop) {
        for (RecipePlan plan : config.recipes()) {
            SourceCheck.check(plan.recipe(), plan.source(), hadoop);
        }
    }

    /**
     * Fails when a topic recipe asks for more rows than its taxonomy has combinations left: repeating
     * combinations would only repeat texts.
     */
    static void checkCoverage(Recipe recipe, long count, long left, long space) {
        if (count <= left) {
            return;
        }
        throw new IllegalArgumentException("Cannot plan recipe '" + recipe.name() + "': it asks for " + count
                + " rows but the taxonomy has " + left + " topic combinations left (" + space + " in all, "
                + (space - left) + " already written by earlier runs); add subjects, topics, subtopics, audiences,"
                + " styles or difficulties to the taxonomy (generate.taxonomy), or lower count to " + left);
    }

    /**
     * The seed of a recipe's topic draw: from the plan's seed, the recipe and its variant, so two
     * recipes of one plan draw different combinations while a rerun draws the same.
     */
    public static long diversitySeed(long seed, Recipe recipe) {
        return diversitySeed(seed, recipe, "");
    }

    /**
     * {@link #diversitySeed(long, Recipe)} within a run key: each key draws its own combinations; an
     * empty key gives the seed of plans without one.
     */
    public static long diversitySeed(long seed, Recipe recipe, String runKey) {
        String hash = runKey.isEmpty() ? Ids.hash("diversity", Long.toString(seed), recipe.name(), recipe.variant())
                : Ids.hash("diversity", Long.toString(seed), recipe.name(), recipe.variant(), runKey);
        return Long.parseUnsignedLong(hash.substring(0, 16), 16);
    }

    private static Dataset<Row> seeds(SparkSession spark, DatagenConfig config, RecipePlan plan, Recipe recipe,
            Taxonomy taxonomy, JudgeStage judge, Map<String, Dataset<Row>> inputs, Set<String> used) {
        int partitions = config.partitions() > 0 ? config.partitions() : spark.sparkContext().defaultParallelism();
        if (recipe.seedKind() == Seeds.Kind.TOPIC) {
            Dataset<Row> topics = topics(spark, config, plan, recipe, taxonomy, used);
            return config.partitions() > 0 ? topics.repartition(partitions, col(Seeds.SEED_ID)) : topics;
        }
        SeedSource source = plan.source();
        Dataset<Row> text = TextSeeds.buildUnused(spark, source, recipe.seedKind(), inputs, judge, plan.count(), used);
        // the seed selection ends in a limit, which leaves one partition: spread the model calls again
        text = text.repartition(partitions, col(Seeds.SEED_ID));
        return source.judge() ? text.persist(StorageLevel.MEMORY_AND_DISK()) : text;
    }

    private static Dataset<Row> topics(SparkSession spark, DatagenConfig config, RecipePlan plan, Recipe recipe,
            Taxonomy taxonomy, Set<String> used) {
        long seed = diversitySeed(config.seedFor(plan), recipe, config.runKey());
        if (config.runKey().isEmpty()) {
            return TopicSeeds.create(spark, taxonomy, plan.count(), seed, recipe.axes());
        }
        long space = DiversitySampler.space(taxonomy, recipe.axes());
        List<TopicCombination> drawn = DiversitySampler.drawUnused(taxonomy, plan.count(), seed, recipe.axes(), used);
        // the walk takes every unused combination before it stops short, so a short draw is all that is left
        checkCoverage(recipe, plan.count(), drawn.size(), space);
        return TopicSeeds.of(spark, drawn);
    }
}
