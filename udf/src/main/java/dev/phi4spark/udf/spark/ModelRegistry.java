package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.Devices;
import dev.phi4spark.udf.engine.EngineOptions;
import dev.phi4spark.udf.engine.ModelOption;
import dev.phi4spark.udf.engine.ModelOptions;
import dev.phi4spark.udf.engine.Phi4Engine;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.TaskContext;
import org.apache.spark.resource.ResourceInformation;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One loaded model per executor JVM and configuration, shared by every task of that executor. Models
 * load lazily on the first task that asks (one load however many tasks ask at once) and live as long
 * as the JVM ({@link #closeAll()} frees them sooner). Only {@link Phi4Options} travel in task closures;
 * the engine is always fetched here, on the executor.
 */
public final class ModelRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);
    private static final Map<Key, Slot> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();
    private static final DeviceSelector SELECTOR = new DeviceSelector(LOG::warn);

    // No shutdown hook closes the engines: the process's exit frees their native (and GPU) memory, and a hook,
    // which runs beside the tasks still decoding when a signal stops the JVM, freed weights under them.

    private ModelRegistry() {}

    /**
     * The registry key, a projection of {@link Phi4Options}: the location, the staging options and the
     * engine options on the resolved device. The same model on another device or dtype is another load;
     * options of the run scope (batching, prefix reuse) share one engine.
     */
    private record Key(String location, Map<String, Object> staging, EngineOptions engine) {

        static Key of(Phi4Options options, String resolvedDevice) {
            Map<String, Object> staging = new java.util.LinkedHashMap<>();
            for (ModelOption<?> o : ModelOptions.of(ModelOption.Scope.STAGING)) {
                staging.put(o.name(), options.get(o));
            }
            return new Key(options.requireModelPath(), staging, options.engineOptions(resolvedDevice));
        }

        String device() {
            return engine.device();
        }
    }

    /** Holds one engine; its lock makes concurrent first requests wait for one load. */
    private static final class Slot {
        private Phi4Engine engine;

        synchronized Phi4Engine get(Key key, Phi4Options options, Phi4Metrics metrics) {
            if (engine == null) {
                engine = load(key, options, metrics);
            }
            return engine;
        }

        synchronized void close() {
            if (engine != null) {
                engine.close();
                engine = null;
            }
        }
    }

    /**
     * The engine for these options on this executor, loading it if needed. The device comes from
     * {@link DeviceSelector} with the current task's GPU addresses.
     *
     * @param metrics where the load time goes when this call loads; may be null
     */
    public static Phi4Engine engine(Phi4Options options, Phi4Metrics metrics) {
        options.requireModelPath();
        Key key = Key.of(options, selectDevice(options.device(), assignedGpus()));
        return MODELS.computeIfAbsent(key, k -> new Slot()).get(key, options, metrics);
    }

    /** Loads done by this JVM so far: tests check that each executor loads once. */
    public static int loadCount() {
        return LOADS.get();
    }

    /** Closes every loaded engine; later requests load again. */
    public static void closeAll() {
        List<Slot> slots = new ArrayList<>(MODELS.values());
        MODELS.clear();
        for (Slot s : slots) {
            try {
                s.close();
            } catch (RuntimeException e) {
                LOG.warn("Cannot close model: {}", e.toString());
            }
        }
    }

    private static String selectDevice(String option, List<String> assigned) {
        int visible = option.equals("cpu") ? 0 : Devices.gpuCount();
        return SELECTOR.select(option, assigned, visible);
    }

    /** The current task's {@code gpu} resource addresses; empty outside a task or without GPU scheduling. */
    static List<String> assignedGpus() {
        TaskContext task = TaskContext.get();
        if (task == null) {
            return List.of();
        }
        ResourceInformation gpu = task.resourcesJMap().get("gpu");
        return gpu == null ? List.of() : Arrays.asList(gpu.addresses());
    }

    private static Phi4Engine load(Key key, Phi4Options options, Phi4Metrics metrics) {
        long started = System.nanoTime();
        Path dir = ModelStager.stage(key.location(), options.cacheFolder());
        Phi4Engine engine = Phi4Engine.load(dir, key.engine());
        double seconds = (System.nanoTime() - started) / 1e9;
        int n = LOADS.incrementAndGet();
        LOG.info("Loaded model {} from {} on {} in {} s (load {} in this JVM)", key.location(), dir, key.device(),
                String.format("%.2f", seconds), n);
        if (metrics != null) {
            metrics.loadSeconds().add(seconds);
        }
        return engine;
    }
}
