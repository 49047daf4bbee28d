package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.EngineOptions;
import java.io.Serializable;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;

/**
 * Where a model is and how to run it: the options every Spark entry point shares (the Transformers'
 * params of the same names, the SQL functions, the registry key). Every config key and default lives
 * here. Serializable and small, so it is what travels to the executors instead of an engine.
 *
 * @param modelPath a local folder, or a Hadoop FileSystem URI ({@code file:}, {@code hdfs:},
 *     {@code s3a:}, {@code abfss:}, {@code gs:}) that is copied once per machine into {@code cacheDir}
 * @param device {@code auto}, {@code cpu}, {@code gpu} or {@code gpu:N} (see {@link DeviceSelector})
 * @param dtype {@code auto}, {@code float32} or {@code float16}
 * @param threads libtorch intra-op threads per executor JVM (0: libtorch's default)
 * @param prefillChunk prompt columns per forward while prefilling
 * @param cacheDir local folder that staged models are copied into (empty: {@link #defaultCacheDir()})
 * @param attention {@code auto}, {@code fused} or {@code plain} (see {@link EngineOptions#attention()})
 * @param minSharedPrefix shortest prompt prefix, in tokens, that rows share (a system prompt, a template,
 *     a judge's rubric) whose keys and values are computed once and copied into each row (0: off)
 */
public record Phi4Options(String modelPath, String device, String dtype, int threads, int prefillChunk,
        String cacheDir, String attention, int minSharedPrefix) implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Param name and {@code spark.phi4spark.*} suffix of {@link #modelPath}. */
    public static final String MODEL_PATH = "modelPath";
    /** Param name and conf suffix of {@link #device}. */
    public static final String DEVICE = "device";
    /** Param name and conf suffix of {@link #dtype}. */
    public static final String DTYPE = "dtype";
    /** Param name and conf suffix of {@link #threads}. */
    public static final String THREADS = "threads";
    /** Param name and conf suffix of {@link #prefillChunk}. */
    public static final String PREFILL_CHUNK = "prefillChunk";
    /** Param name and conf suffix of {@link #attention}. */
    public static final String ATTENTION = "attention";
    /** Param name and conf suffix of {@link #minSharedPrefix}. */
    public static final String MIN_SHARED_PREFIX = "minSharedPrefix";
    /** Param name and conf suffix of {@link #cacheDir}. */
    public static final String CACHE_DIR = "cacheDir";
    /** Prefix of the Spark conf keys {@link #fromConf} reads: {@code spark.phi4spark.modelPath}, ... */
    public static final String CONF_PREFIX = "spark.phi4spark.";

    /** Default device: GPU when one is usable, else the CPU. */
    public static final String DEFAULT_DEVICE = EngineOptions.DEFAULTS.device();
    /** Default dtype: float32 on the CPU, float16 on a GPU. */
    public static final String DEFAULT_DTYPE = EngineOptions.DEFAULTS.dtype();
    /** Default thread count: libtorch's. */
    public static final int DEFAULT_THREADS = EngineOptions.DEFAULTS.threads();
    /** Default prefill chunk. */
    public static final int DEFAULT_PREFILL_CHUNK = EngineOptions.DEFAULTS.prefillChunk();
    /** Default attention: fused where libtorch loads it. */
    public static final String DEFAULT_ATTENTION = EngineOptions.DEFAULTS.attention();
    /** Default {@link #minSharedPrefix}: shorter shared prefixes save less than their bookkeeping costs. */
    public static final int DEFAULT_MIN_SHARED_PREFIX = 64;
    /** Default most padded tokens in one batch (longest row times rows). */
    public static final int DEFAULT_MAX_BATCH_TOKENS = 16384;
    /** Default most rows in one batch. */
    public static final int DEFAULT_MAX_BATCH_ROWS = 32;
    /** Default rows read from a partition before they are sorted into batches. */
    public static final int DEFAULT_WINDOW_ROWS = 256;
    /** Most rows in one batch that the jobs' model.max_batch_rows and {@code maxBatchRows} accept. */
    public static final int MAX_BATCH_ROWS = 65_536;
    /** Most rows in a window that {@code windowRows} accepts. */
    public static final int MAX_WINDOW_ROWS = 1_048_576;
    /** Upper bound of token counts (prefill chunk, shared prefix): far above any context. */
    public static final int MAX_TOKENS = 1 << 20;
    /** Most libtorch threads accepted. */
    public static final int MAX_THREADS = 1024;
    /** Default new tokens per completion. */
    public static final int DEFAULT_MAX_NEW_TOKENS = 256;

    /** Checks and normalises; the device and dtype rules are the engine's. */
    public Phi4Options {
        EngineOptions checked = new EngineOptions(device, dtype, threads, prefillChunk, attention);
        device = checked.device();
        dtype = checked.dtype();
        attention = checked.attention();
        if (minSharedPrefix < 0 || minSharedPrefix > MAX_TOKENS) {
            throw new IllegalArgumentException("Cannot reuse prefixes: minSharedPrefix must be from 0 (off) to "
                    + MAX_TOKENS + " (" + minSharedPrefix + ")");
        }
        if (threads > MAX_THREADS || prefillChunk > MAX_TOKENS) {
            throw new IllegalArgumentException("Cannot use options: threads must be at most " + MAX_THREADS
                    + " and prefillChunk at most " + MAX_TOKENS + " (" + threads + ", " + prefillChunk + ")");
        }
        modelPath = modelPath == null ? "" : modelPath.trim();
        cacheDir = cacheDir == null ? "" : cacheDir.trim();
    }

    /** Options with the default attention and prefix reuse. */
    public Phi4Options(String modelPath, String device, String dtype, int threads, int prefillChunk,
            String cacheDir) {
        this(modelPath, device, dtype, threads, prefillChunk, cacheDir, DEFAULT_ATTENTION, DEFAULT_MIN_SHARED_PREFIX);
    }

    /** Defaults for a model location. */
    public static Phi4Options of(String modelPath) {
        return new Phi4Options(modelPath, DEFAULT_DEVICE, DEFAULT_DTYPE, DEFAULT_THREADS, DEFAULT_PREFILL_CHUNK, "");
    }

    /**
     * Reads {@code spark.phi4spark.<name>} keys (the names above), defaults for the missing ones: lets a
     * job set the model once in its Spark conf.
     */
    public static Phi4Options fromConf(Map<String, String> conf) {
        return new Phi4Options(
                conf.getOrDefault(CONF_PREFIX + MODEL_PATH, ""),
                conf.getOrDefault(CONF_PREFIX + DEVICE, DEFAULT_DEVICE),
                conf.getOrDefault(CONF_PREFIX + DTYPE, DEFAULT_DTYPE),
                intOf(conf, THREADS, DEFAULT_THREADS),
                intOf(conf, PREFILL_CHUNK, DEFAULT_PREFILL_CHUNK),
                conf.getOrDefault(CONF_PREFIX + CACHE_DIR, ""),
                conf.getOrDefault(CONF_PREFIX + ATTENTION, DEFAULT_ATTENTION),
                intOf(conf, MIN_SHARED_PREFIX, DEFAULT_MIN_SHARED_PREFIX));
    }

    /** {@link #fromConf(Map)} over a session's runtime conf. */
    public static Phi4Options fromConf(org.apache.spark.sql.SparkSession spark) {
        return fromConf(scala.jdk.javaapi.CollectionConverters.asJava(spark.conf().getAll()));
    }

    private static int intOf(Map<String, String> conf, String name, int fallback) {
        String v = conf.get(CONF_PREFIX + name);
        if (v == null) {
            return fallback;
        }
        try {
            return Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Cannot read " + CONF_PREFIX + name + ": not an integer (" + v + ")");
        }
    }

    /** The same options with another model location. */
    public Phi4Options withModelPath(String path) {
        return new Phi4Options(path, device, dtype, threads, prefillChunk, cacheDir, attention, minSharedPrefix);
    }

    /** The same options with another device. */
    public Phi4Options withDevice(String newDevice) {
        return new Phi4Options(modelPath, newDevice, dtype, threads, prefillChunk, cacheDir, attention, minSharedPrefix);
    }

    /** The same options with another dtype. */
    public Phi4Options withDtype(String newDtype) {
        return new Phi4Options(modelPath, device, newDtype, threads, prefillChunk, cacheDir, attention, minSharedPrefix);
    }

    /** The same options with another thread count. */
    public Phi4Options withThreads(int newThreads) {
        return new Phi4Options(modelPath, device, dtype, newThreads, prefillChunk, cacheDir, attention, minSharedPrefix);
    }

    /** The same options with another staging cache folder. */
    public Phi4Options withCacheDir(String dir) {
        return new Phi4Options(modelPath, device, dtype, threads, prefillChunk, dir, attention, minSharedPrefix);
    }

    /** The same options with another attention path. */
    public Phi4Options withAttention(String newAttention) {
        return new Phi4Options(modelPath, device, dtype, threads, prefillChunk, cacheDir, newAttention, minSharedPrefix);
    }

    /** The same options with another minimum shared prefix (0: no prefix reuse). */
    public Phi4Options withMinSharedPrefix(int tokens) {
        return new Phi4Options(modelPath, device, dtype, threads, prefillChunk, cacheDir, attention, tokens);
    }

    /** The model path, or a clear error when none was given. */
    public String requireModelPath() {
        if (modelPath.isEmpty()) {
            throw new IllegalArgumentException("Cannot load model: modelPath is not set (\"\")");
        }
        return modelPath;
    }

    /** The staging cache folder: {@link #cacheDir} or the default. */
    public Path cacheFolder() {
        return cacheDir.isEmpty() ? defaultCacheDir() : Path.of(cacheDir);
    }

    /** {@code ${java.io.tmpdir}/phi4spark-models}. */
    public static Path defaultCacheDir() {
        return Path.of(Objects.requireNonNull(System.getProperty("java.io.tmpdir")), "phi4spark-models");
    }

    /** Engine options on a resolved device ({@code cpu} or {@code gpu:N}). */
    public EngineOptions engineOptions(String resolvedDevice) {
        return new EngineOptions(resolvedDevice, dtype, threads, prefillChunk, attention);
    }
}
