package dev.phi4spark.datagen;

import dev.phi4spark.udf.engine.SamplingParams;
import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.phi4spark.udf.spark.HadoopFiles;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * A data-generation plan: which recipes, how many rows each, with which seed and sampling. Built from
 * YAML by {@link #fromYaml} (see {@code conf/datagen/plan.example.yaml}) or in code; run by
 * {@link Datagen#run}.
 *
 * @param seed the master seed: of the topic draws and the base of every model call's seed
 * @param sampling the plan-wide sampling keys ({@link SamplingParams#KEYS}) over {@link SamplingParams#DEFAULTS}
 * @param taxonomy path of a taxonomy YAML, or empty for the bundled one
 * @param templatesDir folder whose {@code <name>.txt} files override bundled templates, or empty
 * @param systemPrompt system message put before every prompt, or empty for none
 * @param keepRejected keep rows that failed a recipe's check, with {@code accepted = false}
 * @param partitions Spark partitions of each recipe's seeds (0: the default parallelism)
 * @param recipes the recipes, in output order
 * @param runKey a run key (a date, say) hashed into the topic draws and row ids, so each key gets new
 *     combinations and ids; empty for none (the draws and ids of plans without one)
 */
public record DatagenConfig(
        @JsonProperty("seed") long seed,
        @JsonProperty("sampling") Map<String, Object> sampling,
        @JsonProperty("taxonomy") String taxonomy,
        @JsonProperty("templates_dir") String templatesDir,
        @JsonProperty("system_prompt") String systemPrompt,
        @JsonProperty("keep_rejected") boolean keepRejected,
        @JsonProperty("partitions") int partitions,
        @JsonProperty(value = "recipes", required = true) List<RecipePlan> recipes,
        @JsonProperty("run_key") String runKey) implements Serializable {

    private static final long serialVersionUID = 1L;

    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);

    /** Normalises empties and checks the partitions. */
    @JsonCreator
    public DatagenConfig {
        sampling = SamplingParams.checkKeys(sampling);
        taxonomy = taxonomy == null ? "" : taxonomy.trim();
        templatesDir = templatesDir == null ? "" : templatesDir.trim();
        systemPrompt = systemPrompt == null ? "" : systemPrompt;
        recipes = recipes == null ? List.of() : List.copyOf(recipes);
        runKey = runKey == null ? "" : runKey.trim();
        if (partitions < 0) {
            throw new IllegalArgumentException("Cannot use datagen config: partitions must be >= 0 (" + partitions + ")");
        }
    }

    /** A plan of recipes with defaults for everything else. */
    public static DatagenConfig of(long seed, List<RecipePlan> recipes) {
        return new DatagenConfig(seed, null, null, null, null, false, 0, recipes, null);
    }

    /** The same plan with plan-wide sampling keys. */
    public DatagenConfig withSampling(Map<String, ?> newSampling) {
        return new DatagenConfig(seed, SamplingParams.checkKeys(newSampling), taxonomy, templatesDir, systemPrompt, keepRejected, partitions, recipes,
                runKey);
    }

    /** The same plan keeping or dropping rejected rows. */
    public DatagenConfig withKeepRejected(boolean keep) {
        return new DatagenConfig(seed, sampling, taxonomy, templatesDir, systemPrompt, keep, partitions, recipes,
                runKey);
    }

    /** The same plan with a system prompt. */
    public DatagenConfig withSystemPrompt(String prompt) {
        return new DatagenConfig(seed, sampling, taxonomy, templatesDir, prompt, keepRejected, partitions, recipes,
                runKey);
    }

    /** The same plan with a taxonomy file. */
    public DatagenConfig withTaxonomy(String path) {
        return new DatagenConfig(seed, sampling, path, templatesDir, systemPrompt, keepRejected, partitions, recipes,
                runKey);
    }

    /** The same plan with a run key. */
    public DatagenConfig withRunKey(String key) {
        return new DatagenConfig(seed, sampling, taxonomy, templatesDir, systemPrompt, keepRejected, partitions, recipes,
                key);
    }

    /** Reads a plan from a YAML file. */
    public static DatagenConfig fromYaml(Path file) {
        try {
            return parseYaml(Files.readString(file));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read datagen config " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Reads a plan from YAML text.
     *
     * @throws IllegalArgumentException naming the offending key or value
     */
    public static DatagenConfig parseYaml(String yaml) {
        try {
            return YAML.readValue(yaml, DatagenConfig.class);
        } catch (JsonMappingException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
            throw new IllegalArgumentException("Cannot read datagen config: " + cause.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read datagen config: " + e.getMessage(), e);
        }
    }

    /**
     * Reads the {@code recipes} list of a plan given as a tree (a job config's {@code generate.recipes}).
     *
     * @throws IllegalArgumentException naming the offending key or value
     */
    public static List<RecipePlan> recipes(com.fasterxml.jackson.databind.JsonNode recipes) {
        if (recipes == null || recipes.isNull()) {
            return List.of();
        }
        try {
            return YAML.readerFor(new com.fasterxml.jackson.core.type.TypeReference<List<RecipePlan>>() { })
                    .readValue(recipes);
        } catch (JsonMappingException e) {
            Throwable cause = e.getCause() instanceof IllegalArgumentException ? e.getCause() : e;
            throw new IllegalArgumentException("Cannot read datagen config: " + cause.getMessage(), e);
        } catch (IOException e) {
            throw new IllegalArgumentException("Cannot read datagen config: " + e.getMessage(), e);
        }
    }

    /** The sampling of one recipe: its keys over the plan's over the defaults, with its seed. */
    public SamplingParams samplingFor(RecipePlan plan) {
        return SamplingParams.DEFAULTS.over(sampling).over(plan.sampling()).withSeed(seedFor(plan));
    }

    /** The recipe's own seed, else the plan's. */
    public long seedFor(RecipePlan plan) {
        return plan.seed() != null ? plan.seed() : seed;
    }

    /** The templates override folder (a local copy when it is a Hadoop URI), or null. */
    public Path templatesPath() {
        return templatesDir.isEmpty() ? null : HadoopFiles.localFolder(templatesDir, ".txt");
    }
}
