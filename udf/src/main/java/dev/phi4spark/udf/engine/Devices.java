package dev.phi4spark.udf.engine;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.types.DataType;

/** Turns the {@code device} and {@code dtype} options into a DJL {@link Device} and {@link DataType}. */
public final class Devices {

    private Devices() {}

    /** The number of CUDA GPUs libtorch sees. */
    public static int gpuCount() {
        return Engine.getEngine("PyTorch").getGpuCount();
    }

    /**
     * Resolves a device option against the GPUs visible. {@code gpu} or {@code gpu:N} without such a GPU
     * is an error rather than a silent fall back: the user asked for it.
     */
    public static Device resolve(String option, int visibleGpus) {
        String o = option == null ? "auto" : option;
        if (o.equals("cpu")) {
            return Device.cpu();
        }
        if (o.equals("auto")) {
            return visibleGpus > 0 ? Device.gpu(0) : Device.cpu();
        }
        int index = o.equals("gpu") ? 0 : Integer.parseInt(o.substring("gpu:".length()));
        if (index >= visibleGpus) {
            throw new IllegalArgumentException("Cannot use device '" + o + "': libtorch sees " + visibleGpus
                    + " CUDA GPU(s); use device cpu or auto, or run where a GPU is visible");
        }
        return Device.gpu(index);
    }

    /** float32 on the CPU and float16 on a GPU unless the option names one. */
    public static DataType dtype(String option, Device device) {
        if ("float32".equals(option)) {
            return DataType.FLOAT32;
        }
        if ("float16".equals(option)) {
            return DataType.FLOAT16;
        }
        return device.isGpu() ? DataType.FLOAT16 : DataType.FLOAT32;
    }
}
