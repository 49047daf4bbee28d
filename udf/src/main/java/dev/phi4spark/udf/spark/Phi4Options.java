package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.EngineOptions;
import dev.phi4spark.udf.engine.ModelOption;
import dev.phi4spark.udf.engine.ModelOptions;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Where a model is and how to run it: the model location and every option of {@link ModelOptions},
 * checked. It is what the Spark entry points share (the transformers' params, the SQL functions, the
 * registry key) and what travels to the executors instead of an engine. A new option is a row of that
 * table, read here with {@link #get}; the named accessors are shortcuts.
 *
 * @param modelPath a local folder, or a Hadoop FileSystem URI ({@code file:}, {@code hdfs:},
 *     {@code s3a:}, {@code abfss:}, {@code gs:}) that is copied once per machine into the cache folder
 * @param values each option's checked value, by name, in table order
 */
public record Phi4Options(String modelPath, Map<String, Object> values) implements Serializable {

    private static final long serialVersionUID = 2L;

    /** Default rows read from a partition before they are sorted into batches (a transformer param). */
    public static final int DEFAULT_WINDOW_ROWS = 256;
    /** Most rows in a window that {@code windowRows} accepts. */
    public static final int MAX_WINDOW_ROWS = 1_048_576;

    /** Checks every option against the table; a missing one takes its default, an unknown one is refused. */
    public Phi4Options {
        Map<String, Object> given = new HashMap<>(values);
        for (String name : given.keySet()) {
            if (ModelOptions.byName(name) == null) {
                throw new IllegalArgumentException("Cannot use model option " + name + ": expected one of "
                        + ModelOptions.ALL.stream().map(ModelOption::name).toList() + " (" + name + ").");
            }
        }
        values = ModelOptions.values(ModelOptions.ALL, o -> given.get(o.name()));
        modelPath = modelPath == null ? "" : modelPath.trim();
    }

    /** Defaults for a model location. */
    public static Phi4Options of(String modelPath) {
        return of(modelPath, o -> null);
    }

    /**
     * The options that {@code source} gives for a model location (null: the default): a job's config,
     * a transformer's params and the command line all build options this way.
     */
    public static Phi4Options of(String modelPath, Function<ModelOption<?>, Object> source) {
        return new Phi4Options(modelPath, ModelOptions.values(ModelOptions.ALL, source));
    }

    /** One option's value. */
    public <T> T get(ModelOption<T> option) {
        return option.type().cast(values.get(option.name()));
    }

    /** The same options with one changed (checked). */
    public <T> Phi4Options with(ModelOption<T> option, T value) {
        return new Phi4Options(modelPath, ModelOptions.with(values, option, value));
    }

    /** The same options with another model location. */
    public Phi4Options withModelPath(String path) {
        return new Phi4Options(path, values);
    }

    /** {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N} (see {@link DeviceSelector}). */
    public String device() {
        return get(ModelOptions.DEVICE);
    }

    /** {@code auto}, {@code float32} or {@code float16}. */
    public String dtype() {
        return get(ModelOptions.DTYPE);
    }

    /** libtorch intra-op threads per executor JVM (0: libtorch's default). */
    public int threads() {
        return get(ModelOptions.THREADS);
    }

    /** Prompt columns per forward while prefilling. */
    public int prefillChunk() {
        return get(ModelOptions.PREFILL_CHUNK);
    }

    /** {@code auto}, {@code layers}, {@code fused} or {@code plain} (see {@link EngineOptions#attention()}). */
    public String attention() {
        return get(ModelOptions.ATTENTION);
    }

    /** Local folder that staged models are copied into (empty: {@link #defaultCacheDir()}). */
    public String cacheDir() {
        return get(ModelOptions.CACHE_DIR);
    }

    /**
     * Shortest prompt prefix, in tokens, that rows share (a system prompt, a template, a judge's rubric)
     * whose keys and values are computed once and copied into each row (0: off).
     */
    public int minSharedPrefix() {
        return get(ModelOptions.MIN_SHARED_PREFIX);
    }

    /** The same options with another device. */
    public Phi4Options withDevice(String newDevice) {
        return with(ModelOptions.DEVICE, newDevice);
    }

    /** The same options with another dtype. */
    public Phi4Options withDtype(String newDtype) {
        return with(ModelOptions.DTYPE, newDtype);
    }

    /** The same options with another thread count. */
    public Phi4Options withThreads(int newThreads) {
        return with(ModelOptions.THREADS, newThreads);
    }

    /** The same options with another staging cache folder. */
    public Phi4Options withCacheDir(String dir) {
        return with(ModelOptions.CACHE_DIR, dir);
    }

    /** The same options with another attention path. */
    public Phi4Options withAttention(String newAttention) {
        return with(ModelOptions.ATTENTION, newAttention);
    }

    /** The same options with another minimum shared prefix (0: no prefix reuse). */
    public Phi4Options withMinSharedPrefix(int tokens) {
        return with(ModelOptions.MIN_SHARED_PREFIX, tokens);
    }

    /** The model path, or a clear error when none was given. */
    public String requireModelPath() {
        if (modelPath.isEmpty()) {
            throw new IllegalArgumentException("Cannot load model: modelPath is not set (\"\")");
        }
        return modelPath;
    }

    /** The staging cache folder: the {@code cache_dir} option or the default. */
    public Path cacheFolder() {
        return cacheDir().isEmpty() ? defaultCacheDir() : Path.of(cacheDir());
    }

    /** {@code ${java.io.tmpdir}/phi4spark-models}. */
    public static Path defaultCacheDir() {
        return Path.of(Objects.requireNonNull(System.getProperty("java.io.tmpdir")), "phi4spark-models");
    }

    /** The batch limits of the {@code max_batch_tokens} and {@code max_batch_rows} options. */
    public Phi4Transformer.Batching batching() {
        return new Phi4Transformer.Batching(get(ModelOptions.MAX_BATCH_TOKENS), get(ModelOptions.MAX_BATCH_ROWS));
    }

    /** The engine options (the table's engine scope) on a resolved device ({@code cpu} or {@code gpu:N}). */
    public EngineOptions engineOptions(String resolvedDevice) {
        return EngineOptions.of(o -> values.get(o.name())).withDevice(resolvedDevice);
    }
}
