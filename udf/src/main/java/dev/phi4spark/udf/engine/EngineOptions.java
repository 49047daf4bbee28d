package dev.phi4spark.udf.engine;

import java.io.Serializable;
import java.util.Locale;

/**
 * How to run a model.
 *
 * @param device {@code auto} (GPU 0 when CUDA is visible, else the CPU), {@code cpu}, {@code gpu} or
 *     {@code gpu:N}
 * @param dtype {@code auto} (float32 on the CPU, float16 on a GPU), {@code float32} or {@code float16}
 * @param threads libtorch intra-op threads, process-wide (0: libtorch's default)
 * @param prefillChunk prompt columns per forward while prefilling: bounds the memory of long prompts
 * @param attention {@code auto} (layers where libtorch loads them, else fused, else plain), {@code layers}
 *     (each decoder layer as one TorchScript call, attention by scaled_dot_product_attention), {@code
 *     fused} (NDArray layers, libtorch's scaled_dot_product_attention) or {@code plain} (the NDArray
 *     reference path)
 */
public record EngineOptions(String device, String dtype, int threads, int prefillChunk, String attention)
        implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Defaults: automatic device and dtype, libtorch's threads, 512-column prefill chunks. */
    public static final EngineOptions DEFAULTS = new EngineOptions("auto", "auto", 0, 512, "auto");

    /** Normalises and checks the values. */
    public EngineOptions {
        device = device == null ? "auto" : device.trim().toLowerCase(Locale.ROOT);
        dtype = dtype == null ? "auto" : dtype.trim().toLowerCase(Locale.ROOT);
        attention = attention == null ? "auto" : attention.trim().toLowerCase(Locale.ROOT);
        if (!device.matches("auto|cpu|gpu|gpu:\\d+")) {
            throw new IllegalArgumentException("Cannot use device '" + device
                    + "': expected auto, cpu, gpu or gpu:N");
        }
        if (!dtype.matches("auto|float32|float16")) {
            throw new IllegalArgumentException("Cannot use dtype '" + dtype + "': expected auto, float32 or float16");
        }
        if (threads < 0) {
            throw new IllegalArgumentException("Cannot use " + threads + " threads: expected 0 (default) or more");
        }
        if (prefillChunk <= 0) {
            throw new IllegalArgumentException("Cannot use prefill chunk " + prefillChunk + ": expected > 0");
        }
        if (!attention.matches("auto|layers|fused|plain")) {
            throw new IllegalArgumentException("Cannot use attention '" + attention
                    + "': expected auto, layers, fused or plain");
        }
    }

    /** Options with the default attention ({@code auto}). */
    public EngineOptions(String device, String dtype, int threads, int prefillChunk) {
        this(device, dtype, threads, prefillChunk, "auto");
    }

    /** The same options on another device. */
    public EngineOptions withDevice(String newDevice) {
        return new EngineOptions(newDevice, dtype, threads, prefillChunk, attention);
    }

    /** The same options with another dtype. */
    public EngineOptions withDtype(String newDtype) {
        return new EngineOptions(device, newDtype, threads, prefillChunk, attention);
    }

    /** The same options with another thread count. */
    public EngineOptions withThreads(int newThreads) {
        return new EngineOptions(device, dtype, newThreads, prefillChunk, attention);
    }

    /** The same options with another prefill chunk. */
    public EngineOptions withPrefillChunk(int chunk) {
        return new EngineOptions(device, dtype, threads, chunk, attention);
    }

    /** The same options with another attention path. */
    public EngineOptions withAttention(String newAttention) {
        return new EngineOptions(device, dtype, threads, prefillChunk, newAttention);
    }
}
