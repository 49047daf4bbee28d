package dev.phi4spark.jobs.cli;

import dev.phi4spark.udf.engine.EngineOptions;
import picocli.CommandLine.Option;

/** The device options every engine command takes. */
public final class EngineOptionsMixin {

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Option(names = "--dtype", defaultValue = "auto",
            description = "auto (float32 on CPU, float16 on GPU), float32 or float16 (default: ${DEFAULT-VALUE}).")
    String dtype;

    @Option(names = "--threads", defaultValue = "0", description = "libtorch intra-op threads (0: libtorch's default).")
    int threads;

    @Option(names = "--prefill-chunk", defaultValue = "512", description = "Prompt tokens per forward pass while prefilling.")
    int prefillChunk;

    @Option(names = "--attention", defaultValue = "auto",
            description = "auto (layers where libtorch loads them), layers (all decoder layers in one TorchScript call),"
                    + " fused (attention only) or plain (the reference path).")
    String attention;

    /** The options as the engine takes them. */
    public EngineOptions toOptions() {
        return new EngineOptions(device, dtype, threads, prefillChunk, attention);
    }
}
