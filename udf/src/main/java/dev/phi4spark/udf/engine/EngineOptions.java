package dev.phi4spark.udf.engine;

import java.io.Serializable;
import java.util.Map;
import java.util.function.Function;

/**
 * How to load a model: the {@link ModelOption.Scope#ENGINE} options of {@link ModelOptions}, checked.
 * A new engine option is a row of that table, read here with {@link #get}; the named accessors are
 * shortcuts for the engine's own code.
 *
 * @param values each engine option's checked value, by name, in table order
 */
public record EngineOptions(Map<String, Object> values) implements Serializable {

    private static final long serialVersionUID = 2L;

    /** Every engine option at its default. */
    public static final EngineOptions DEFAULTS = of(o -> null);

    /** Checks the values against the table; a missing option takes its default, an unknown one is refused. */
    public EngineOptions {
        Map<String, Object> given = new java.util.HashMap<>(values);
        java.util.List<ModelOption<?>> engine = ModelOptions.of(ModelOption.Scope.ENGINE);
        for (String name : given.keySet()) {
            if (engine.stream().noneMatch(o -> o.name().equals(name))) {
                throw new IllegalArgumentException("Cannot use engine option " + name + ": expected one of "
                        + engine.stream().map(ModelOption::name).toList() + " (" + name + ").");
            }
        }
        values = ModelOptions.values(engine, o -> given.get(o.name()));
    }

    /** The engine options that {@code source} gives (null: the default). */
    public static EngineOptions of(Function<ModelOption<?>, Object> source) {
        return new EngineOptions(ModelOptions.values(ModelOptions.of(ModelOption.Scope.ENGINE), source));
    }

    /** One option's value. */
    public <T> T get(ModelOption<T> option) {
        if (!values.containsKey(option.name())) {
            throw new IllegalArgumentException("Cannot read " + option.name() + ": not an engine option.");
        }
        return option.type().cast(values.get(option.name()));
    }

    /** The same options with one changed (checked). */
    public <T> EngineOptions with(ModelOption<T> option, T value) {
        return new EngineOptions(ModelOptions.with(values, option, value));
    }

    /** {@code auto} (GPU 0 when CUDA is visible, else the CPU), {@code cpu}, {@code gpu} or {@code gpu:N}. */
    public String device() {
        return get(ModelOptions.DEVICE);
    }

    /** {@code auto} (float32 on the CPU, float16 on a GPU), {@code float32} or {@code float16}. */
    public String dtype() {
        return get(ModelOptions.DTYPE);
    }

    /** libtorch intra-op threads, process-wide (0: libtorch's default). */
    public int threads() {
        return get(ModelOptions.THREADS);
    }

    /** Prompt columns per forward while prefilling: bounds the memory of long prompts. */
    public int prefillChunk() {
        return get(ModelOptions.PREFILL_CHUNK);
    }

    /**
     * {@code auto} (layers where libtorch loads them, else fused, else plain), {@code layers} (each
     * decoder layer as one TorchScript call), {@code fused} (NDArray layers, libtorch's
     * scaled_dot_product_attention) or {@code plain} (the NDArray reference path).
     */
    public String attention() {
        return get(ModelOptions.ATTENTION);
    }

    /** The same options on another device. */
    public EngineOptions withDevice(String newDevice) {
        return with(ModelOptions.DEVICE, newDevice);
    }

    /** The same options with another dtype. */
    public EngineOptions withDtype(String newDtype) {
        return with(ModelOptions.DTYPE, newDtype);
    }

    /** The same options with another thread count. */
    public EngineOptions withThreads(int newThreads) {
        return with(ModelOptions.THREADS, newThreads);
    }

    /** The same options with another prefill chunk. */
    public EngineOptions withPrefillChunk(int chunk) {
        return with(ModelOptions.PREFILL_CHUNK, chunk);
    }

    /** The same options with another attention path. */
    public EngineOptions withAttention(String newAttention) {
        return with(ModelOptions.ATTENTION, newAttention);
    }
}
