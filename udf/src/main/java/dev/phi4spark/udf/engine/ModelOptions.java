package dev.phi4spark.udf.engine;

import dev.phi4spark.udf.engine.ModelOption.Scope;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

/**
 * The table of model options: name, type, default, range and meaning, in the order of the
 * configuration reference. Adding an option is one row here; the {@code model.*} config keys, the Spark
 * ML params of the Phi-4 transformers, the command line's engine options, {@link EngineOptions} and the
 * executors' registry key follow from it (only the code that acts on the new value is written apart).
 */
public final class ModelOptions {

    /** Upper bound of token counts (prefill chunk, shared prefix): far above any context (Phi-4: 16,384). */
    public static final int MAX_TOKENS = 1 << 20;
    /** Most libtorch threads accepted. */
    public static final int MAX_THREADS = 1024;
    /** Most rows in one batch. */
    public static final int MAX_BATCH_ROWS_LIMIT = 65_536;

    /** Device to run on. */
    public static final ModelOption<String> DEVICE = ModelOption.choice("device", "auto", "auto|cpu|gpu|gpu:\\d+",
            "auto, cpu, gpu or gpu:N", "auto, cpu, gpu or gpu:N.", Scope.ENGINE);
    /** Floating-point type of the weights and activations. */
    public static final ModelOption<String> DTYPE = ModelOption.choice("dtype", "auto", "auto|float32|float16",
            "auto, float32 or float16", "auto (float32 on CPU, float16 on GPU), float32 or float16.", Scope.ENGINE);
    /** libtorch intra-op threads. */
    public static final ModelOption<Integer> THREADS = ModelOption.integer("threads", 0, 0, MAX_THREADS,
            "libtorch intra-op threads per executor (0: libtorch's default).", Scope.ENGINE);
    /** Most prompt columns per forward while prefilling: bounds the memory of long prompts. */
    public static final ModelOption<Integer> PREFILL_CHUNK = ModelOption.integer("prefill_chunk", 512, 1, MAX_TOKENS,
            "Most prompt tokens per forward pass while prefilling (the CPU's native decoder takes at most 32 rows"
                    + " a pass).", Scope.ENGINE);
    /** Attention path. */
    public static final ModelOption<String> ATTENTION = ModelOption.choice("attention", "auto",
            "auto|native|layers|fused|plain", "auto, native, layers, fused or plain",
            "auto (native on a CPU that has it, else layers), native (decode steps in one native call on the CPU),"
                    + " layers (one TorchScript call per step for all decoder layers), fused"
                    + " (scaled_dot_product_attention only) or plain (the reference).", Scope.ENGINE);
    /** Shortest shared prompt prefix worth computing once: shorter ones save less than their bookkeeping. */
    public static final ModelOption<Integer> MIN_SHARED_PREFIX = ModelOption.integer("min_shared_prefix", 64, 0,
            MAX_TOKENS, "Shortest prompt prefix (tokens) that rows share (system prompt, template, judge rubric) whose"
                    + " keys/values are computed once per executor (0: off).", Scope.RUN);
    /** Token budget of one batch. */
    public static final ModelOption<Integer> MAX_BATCH_TOKENS = ModelOption.integer("max_batch_tokens", 16384, 1,
            Integer.MAX_VALUE, "Token budget of one batch (padded prompt length x rows).", Scope.RUN);
    /** Rows in one batch. */
    public static final ModelOption<Integer> MAX_BATCH_ROWS = ModelOption.integer("max_batch_rows", 32, 1,
            MAX_BATCH_ROWS_LIMIT, "Most rows in one batch.", Scope.RUN);
    /** Local staging folder of remote models. */
    public static final ModelOption<String> CACHE_DIR = ModelOption.text("cache_dir",
            "Local folder where executors stage a remote model (default: the temp folder).", Scope.STAGING);

    /** Every option, in reference order. */
    public static final List<ModelOption<?>> ALL = List.of(DEVICE, DTYPE, THREADS, PREFILL_CHUNK, ATTENTION,
            MIN_SHARED_PREFIX, MAX_BATCH_TOKENS, MAX_BATCH_ROWS, CACHE_DIR);

    private ModelOptions() {}

    /** The options of one scope, in reference order. */
    public static List<ModelOption<?>> of(Scope scope) {
        return ALL.stream().filter(o -> o.scope() == scope).toList();
    }

    /** The option of a snake_case name, or null. */
    public static ModelOption<?> byName(String name) {
        return ALL.stream().filter(o -> o.name().equals(name)).findFirst().orElse(null);
    }

    /**
     * Checked values of some options, by name, in table order: what each option's {@code source} gives
     * (null: its default).
     */
    public static Map<String, Object> values(List<ModelOption<?>> options, Function<ModelOption<?>, Object> source) {
        Map<String, Object> out = new LinkedHashMap<>();
        for (ModelOption<?> o : options) {
            out.put(o.name(), o.check(source.apply(o)));
        }
        return Collections.unmodifiableMap(out);
    }

    /** {@code values} with one option replaced, checked. */
    public static Map<String, Object> with(Map<String, Object> values, ModelOption<?> option, Object value) {
        if (!values.containsKey(option.name())) {
            throw new IllegalArgumentException("Cannot set " + option.name() + ": not one of these options ("
                    + values.keySet() + ").");
        }
        Map<String, Object> out = new LinkedHashMap<>(values);
        out.put(option.name(), option.check(value));
        return Collections.unmodifiableMap(out);
    }
}
