package dev.phi4spark.jobs.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import dev.phi4spark.udf.engine.ModelOption;
import dev.phi4spark.udf.engine.ModelOptions;
import dev.phi4spark.udf.engine.SamplingField;
import dev.phi4spark.udf.engine.SamplingParams;

/**
 * Every configuration key of the jobs, with its default: the one place they are defined (the README's
 * configuration reference is generated from the same list by {@code phi4spark config keys}).
 * Precedence, lowest first: these defaults, the YAML file, {@code --set key=value}.
 */
public final class ConfigKeys {

    private static final JsonNodeFactory JSON = JsonNodeFactory.instance;
    /** Upper bound of token counts: far above any context (Phi-4: 16,384), far below int overflow. */
    private static final int MAX_TOKENS = ModelOptions.MAX_TOKENS;

    public static final ConfigKey<String> SPARK_MASTER = ConfigKey.string("spark.master", null,
            "Spark master; unset runs embedded local[*] unless spark-submit or --master gives one.");
    public static final ConfigKey<String> SPARK_APP_NAME = ConfigKey.string("spark.app_name", "phi4spark",
            "Spark application name.");
    public static final ConfigKey<JsonNode> SPARK_CONF = ConfigKey.tree("spark.conf", "map", JSON.objectNode(),
            "Extra Spark settings, e.g. {spark.executor.memory: 8g}.");

    public static final ConfigKey<String> WAREHOUSE = ConfigKey.string("warehouse", "phi4spark-warehouse",
            "Where the Delta tables live (<warehouse>/<table>): a folder or a Hadoop URI (hdfs:, s3a:, abfss:, gs:).");
    public static final ConfigKey<String> DATABASE = ConfigKey.string("database", null,
            "Catalog database (persistent catalog, e.g. Hive) where each table is also registered as an external"
                    + " table at its warehouse location.");

    public static final ConfigKey<String> MODEL_PATH = ConfigKey.string("model.path", null,
            "Phi-4 snapshot: a local folder or a Hadoop URI (hdfs:, s3a:, abfss:, gs:). Unset: a tiny random model.");
    public static final ConfigKey<String> MODEL_TINY_PATH = ConfigKey.string("model.tiny_path", "phi4spark-work/tiny-model",
            "Where the tiny random model is written when model.path is unset.");
    /** The {@code model.*} keys of the model options table ({@link ModelOptions}), in its order. */
    public static final List<ConfigKey<?>> MODEL_OPTIONS = ModelOptions.ALL.stream()
            .<ConfigKey<?>>map(ConfigKeys::modelKey).toList();

    /**
     * The {@code sampling.*} keys: one per keyed row of the sampling table ({@link SamplingParams#FIELDS}),
     * in its order, named {@code sampling.<name>} after {@code SamplingParams.KEYS}, with the row's default
     * ({@code SamplingParams.DEFAULTS}), doc and range, so the generate command hands them to a plan by name.
     */
    public static final List<ConfigKey<?>> SAMPLING_KEYS = SamplingParams.FIELDS.stream()
            .filter(SamplingField::keyed).<ConfigKey<?>>map(ConfigKeys::samplingKey).toList();
    public static final ConfigKey<Double> SAMPLING_TEMPERATURE = sampling(SamplingParams.TEMPERATURE);
    public static final ConfigKey<Double> SAMPLING_TOP_P = sampling(SamplingParams.TOP_P);
    public static final ConfigKey<Integer> SAMPLING_TOP_K = sampling(SamplingParams.TOP_K);
    public static final ConfigKey<Double> SAMPLING_REPETITION_PENALTY = sampling(SamplingParams.REPETITION_PENALTY);
    public static final ConfigKey<Integer> SAMPLING_MAX_NEW_TOKENS = sampling(SamplingParams.MAX_NEW_TOKENS);
    public static final ConfigKey<JsonNode> SAMPLING_STOP = sampling(SamplingParams.STOP);

    public static final ConfigKey<JsonNode> GENERATE_RECIPES = ConfigKey.tree("generate.recipes", "list",
            defaultRecipes(), "Recipes to run: [{recipe: textbook_section, count: 100, params: {...},"
                    + " sampling: {...}, source: {...}}] (see conf/datagen/plan.example.yaml).");
    public static final ConfigKey<Integer> GENERATE_SEED = ConfigKey.integer("generate.seed", 7,
            "Master seed: the (topic, audience, style, difficulty) draws and every model call's seed.")
            .range(Integer.MIN_VALUE, Integer.MAX_VALUE);
    public static final ConfigKey<String> GENERATE_RUN_KEY = ConfigKey.string("generate.run_key", null,
            "Run key (e.g. the date; --run-date sets it) hashed with generate.seed into the topic draws and row ids:"
                    + " each key draws combinations no earlier key wrote. Unset: the same draws and ids on every run.");
    public static final ConfigKey<String> GENERATE_TAXONOMY = ConfigKey.string("generate.taxonomy", null,
            "Topic taxonomy YAML (default: the bundled copy of conf/taxonomy.yaml).");
    public static final ConfigKey<String> GENERATE_TEMPLATES_DIR = ConfigKey.string("generate.templates_dir", null,
            "Folder of <template>.txt files overriding the bundled prompt templates.");
    public static final ConfigKey<String> GENERATE_SYSTEM_PROMPT = ConfigKey.string("generate.system_prompt", null,
            "System prompt before every generation prompt.");
    public static final ConfigKey<Boolean> GENERATE_KEEP_REJECTED = ConfigKey.bool("generate.keep_rejected", false,
            "Also keep rows whose model call failed (error set, accepted = false); rows a recipe's own check"
                    + " rejects are always kept with accepted = false, so --resume does not generate them again.");
    public static final ConfigKey<Integer> GENERATE_PARTITIONS = ConfigKey.integer("generate.partitions", 0,
            "Spark partitions of each recipe's seeds (0: the default parallelism).").range(0, 1_000_000);

    public static final ConfigKey<String> FILTER_INPUT = ConfigKey.string("filter.input", "synthetic_raw",
            "Table the filter command reads.");
    public static final ConfigKey<String> FILTER_TEXT_COLUMN = ConfigKey.string("filter.text_column", "completion",
            "Column the filters read.");
    public static final ConfigKey<JsonNode> FILTER_STEPS = ConfigKey.tree("filter.steps", "list", null,
            "Ordered filter steps, e.g. [{name: gopher_quality}, {name: near_dedup, threshold: 0.8}]; unset: the"
                    + " default pipeline. Steps and parameters: filters/README.md.");

    public static final ConfigKey<String> SCORE_INPUT = ConfigKey.string("score.input", null,
            "Corpus to score: a path or Hadoop URI (delta, parquet, json lines, text), a catalog table name, or"
                    + " a project table's name (synthetic_curated).");
    public static final ConfigKey<String> SCORE_FORMAT = ConfigKey.string("score.format", "auto",
            "auto, delta, parquet, json, text or table.");
    public static final ConfigKey<String> SCORE_TEXT_COLUMN = ConfigKey.string("score.text_column", "text",
            "The corpus' text column.");
    public static final ConfigKey<String> SCORE_ID_COLUMN = ConfigKey.string("score.id_column", null,
            "The corpus' id column (default: a hash of the text).");
    public static final ConfigKey<Integer> SCORE_WINDOW_TOKENS = ConfigKey.integer("score.window_tokens", 1024,
            "Perplexity window length in tokens for long documents.").range(2, MAX_TOKENS);
    public static final ConfigKey<Integer> SCORE_MAX_DOCUMENT_CHARS = ConfigKey.integer("score.max_document_chars",
            1_000_000, "Longest document scored, in characters; longer ones get a too_long row error.")
            .range(1, 100_000_000);
    public static final ConfigKey<Boolean> SCORE_JUDGE = ConfigKey.bool("score.judge", true,
            "Add the LLM judge's educational-value score.");
    public static final ConfigKey<JsonNode> SCORE_BENCHMARKS = ConfigKey.tree("score.benchmarks", "list",
            JSON.arrayNode(), "Benchmark JSONL files to decontaminate against, e.g."
            + " [{path: conf/benchmarks/sample-math.jsonl, question_field: question}]; fields as in the"
            + " decontaminate step's benchmarks.");

    // export: the training-set files (issue 18)
    public static final ConfigKey<String> EXPORT_INPUT = ConfigKey.string("export.input", "synthetic_curated",
            "Table to export: synthetic_curated (chat messages) or preference_pairs (prompt/chosen/rejected).");
    public static final ConfigKey<String> EXPORT_PATH = ConfigKey.string("export.path", "phi4spark-export",
            "Folder or Hadoop URI the training set is written to (its data/ and README.md are replaced).");
    public static final ConfigKey<JsonNode> EXPORT_FORMATS = ConfigKey.tree("export.formats", "list",
            JSON.arrayNode().add("jsonl").add("parquet"), "File formats written: jsonl and/or parquet.");
    public static final ConfigKey<Double> EXPORT_VALIDATION_FRACTION = ConfigKey.number("export.validation_fraction",
            0.05, "Share of rows in the validation split, chosen by a hash of the row id.").range(0, 1);
    public static final ConfigKey<Integer> EXPORT_SHARD_ROWS = ConfigKey.integer("export.shard_rows", 100000,
            "Rows per file; the last file of a split holds the rest.").range(1, Integer.MAX_VALUE);
    public static final ConfigKey<Double> EXPORT_MIN_JUDGE_SCORE = ConfigKey.number("export.min_judge_score", null,
            "Keep rows whose corpus_scores judge_score is at least this (unset: no threshold).").range(0, 5);
    public static final ConfigKey<Double> EXPORT_MAX_PERPLEXITY = ConfigKey.number("export.max_perplexity", null,
            "Keep rows whose corpus_scores perplexity is at most this (unset: no threshold).").rangeAbove(0, 1e9);
    public static final ConfigKey<JsonNode> EXPORT_RECIPES = ConfigKey.tree("export.recipes", "list",
            JSON.arrayNode(), "Recipes to export, e.g. [textbook_section]; empty: all.");

    public static final ConfigKey<Integer> WRITE_COMMIT_ROWS = ConfigKey.integer("write.commit_rows", 2000,
            "Rows per Delta commit: finished work is durable before the run ends.").range(1, Integer.MAX_VALUE);
    public static final ConfigKey<Integer> WRITE_MAX_RETRIES = ConfigKey.integer("write.max_retries", 5,
            "Retries of a Delta commit that lost a conflict with a concurrent writer.").range(0, 1000);
    public static final ConfigKey<Boolean> FAIL_ON_ERROR = ConfigKey.bool("fail_on_error", false,
            "Fail the job on a bad row instead of recording its error.");
    public static final ConfigKey<Integer> RUNS_HEARTBEAT_SECONDS = ConfigKey.integer("runs.heartbeat_seconds", 60,
            "Seconds between a running command's heartbeats in the runs table; a running row without one for"
                    + " 3 beats is shown as died (killed, or its disk filled).").range(0, 86400);
    public static final ConfigKey<Integer> PROGRESS_SECONDS = ConfigKey.integer("progress_seconds", 10,
            "Seconds between progress lines (0: none).").range(0, 86_400);

    /** Every key, in reference order. */
    public static final List<ConfigKey<?>> ALL = concat(List.of(SPARK_MASTER, SPARK_APP_NAME, SPARK_CONF, WAREHOUSE,
            DATABASE, MODEL_PATH, MODEL_TINY_PATH), MODEL_OPTIONS, SAMPLING_KEYS, List.of(GENERATE_RECIPES,
            GENERATE_SEED, GENERATE_RUN_KEY, GENERATE_TAXONOMY, GENERATE_TEMPLATES_DIR, GENERATE_SYSTEM_PROMPT, GENERATE_KEEP_REJECTED,
            GENERATE_PARTITIONS, FILTER_INPUT,
            FILTER_TEXT_COLUMN, FILTER_STEPS, SCORE_INPUT, SCORE_FORMAT, SCORE_TEXT_COLUMN, SCORE_ID_COLUMN,
            SCORE_WINDOW_TOKENS, SCORE_MAX_DOCUMENT_CHARS, SCORE_JUDGE, SCORE_BENCHMARKS,
            EXPORT_INPUT, EXPORT_PATH, EXPORT_FORMATS, EXPORT_VALIDATION_FRACTION, EXPORT_SHARD_ROWS,
            EXPORT_MIN_JUDGE_SCORE, EXPORT_MAX_PERPLEXITY, EXPORT_RECIPES,
            WRITE_COMMIT_ROWS, WRITE_MAX_RETRIES, FAIL_ON_ERROR, PROGRESS_SECONDS, RUNS_HEARTBEAT_SECONDS));

    private static final Map<String, ConfigKey<?>> BY_NAME = new LinkedHashMap<>();

    static {
        ALL.forEach(k -> BY_NAME.put(k.name(), k));
    }

    private ConfigKeys() {}

    @SafeVarargs
    private static List<ConfigKey<?>> concat(List<ConfigKey<?>>... parts) {
        return java.util.Arrays.stream(parts).flatMap(List::stream).toList();
    }

    /**
     * The config key of a model option: {@code model.<name>}, its default (an empty string is shown as
     * unset), doc and range from the table.
     */
    private static ConfigKey<?> modelKey(ModelOption<?> option) {
        String name = "model." + option.name();
        if (option.type() == Integer.class) {
            return ConfigKey.integer(name, (Integer) option.defaultValue(), option.doc())
                    .range(option.min(), option.max());
        }
        String d = (String) option.defaultValue();
        return ConfigKey.string(name, d.isEmpty() ? null : d, option.doc());
    }

    /**
     * The config key of a sampling field: {@code sampling.<name>}, its default, doc and range from the
     * table; a list of strings is a list key.
     */
    private static ConfigKey<?> samplingKey(SamplingField<?> field) {
        String name = "sampling." + field.name();
        Object d = field.defaultValue();
        ConfigKey<?> key;
        if (field.type() == Double.class) {
            key = ConfigKey.number(name, (Double) d, field.doc());
        } else if (field.type() == Integer.class) {
            key = ConfigKey.integer(name, (Integer) d, field.doc());
        } else if (field.type() == java.util.List.class) {
            com.fasterxml.jackson.databind.node.ArrayNode list = JSON.arrayNode();
            ((List<?>) d).forEach(s -> list.add((String) s));
            return ConfigKey.tree(name, "list", list, field.doc());
        } else {
            throw new IllegalStateException("Cannot make config key " + name + ": no key type for "
                    + field.type().getSimpleName());
        }
        return field.minOpen() ? key.rangeAbove(field.min(), field.max()) : key.range(field.min(), field.max());
    }

    /**
     * The {@code sampling.*} key of a sampling field; its value type is the field's, a list of strings
     * being a {@link JsonNode}.
     */
    @SuppressWarnings("unchecked")
    public static <T> ConfigKey<T> sampling(SamplingField<?> field) {
        int i = SamplingParams.FIELDS.stream().filter(SamplingField::keyed).toList().indexOf(field);
        if (i < 0) {
            throw new IllegalArgumentException("Cannot find the config key of " + field.name()
                    + ": not a sampling key.");
        }
        return (ConfigKey<T>) SAMPLING_KEYS.get(i);
    }

    /** The {@code model.*} key of a model option. */
    @SuppressWarnings("unchecked")
    public static <T> ConfigKey<T> model(ModelOption<T> option) {
        return (ConfigKey<T>) MODEL_OPTIONS.get(ModelOptions.ALL.indexOf(option));
    }

    private static JsonNode defaultRecipes() {
        com.fasterxml.jackson.databind.node.ArrayNode list = JSON.arrayNode();
        list.addObject().put("recipe", "textbook_section").put("count", 8);
        list.addObject().put("recipe", "exercises_with_solutions").put("count", 4);
        return list;
    }

    /** The key of a name, or null. */
    public static ConfigKey<?> byName(String name) {
        return BY_NAME.get(name);
    }

    /** True when some key's name starts with {@code prefix + "."}. */
    static boolean isSection(String prefix) {
        return BY_NAME.keySet().stream().anyMatch(n -> n.startsWith(prefix + "."));
    }

    /** The known key nearest to a mistyped one, or null when none is close (the project's one rule). */
    static String nearest(String name) {
        return dev.phi4spark.filters.DidYouMean.nearest(name, BY_NAME.keySet());
    }

    /** Every key, its type, default and meaning as a Markdown table (the README's reference). */
    public static String markdownTable() {
        StringBuilder out = new StringBuilder("| key | type | default | meaning |\n|---|---|---|---|\n");
        for (ConfigKey<?> k : ALL) {
            Object d = k.defaultValue();
            out.append(String.format("| `%s` | %s | %s | %s |%n", k.name(), k.typeAndRange(),
                    d == null ? "(unset)" : "`" + d + "`", k.doc().replace("|", "\\|")));
        }
        return out.toString();
    }
}
