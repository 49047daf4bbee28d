package dev.phi4spark.udf.spark;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * Picks the device a task runs its model on, from the {@code device} option, the GPU addresses Spark's
 * resource scheduling gave the task, and the number of CUDA GPUs libtorch sees. Pure apart from the
 * warning sink, so every case is testable without a GPU.
 *
 * <ul>
 *   <li>{@code cpu}: the CPU.
 *   <li>{@code auto}: the task's assigned GPU when Spark assigned one and CUDA is visible; GPU 0 when
 *       nothing was assigned and CUDA is visible; otherwise the CPU. A GPU that was assigned while
 *       libtorch sees no CUDA means a CPU-only libtorch or a broken driver: one warning per selector,
 *       then the CPU.
 *   <li>{@code gpu}: like {@code auto}, but no GPU is an error.
 *   <li>{@code gpu:N}: exactly GPU N; the assignment is ignored because the user named the device.
 * </ul>
 *
 * <p>An assigned address is the GPU's index as the discovery script saw it. When it is past the GPUs
 * libtorch sees and libtorch sees exactly one, the cluster manager has isolated the GPU
 * ({@code CUDA_VISIBLE_DEVICES}), so that one is GPU 0.
 */
public final class DeviceSelector {

    private final Consumer<String> warnings;
    private final AtomicBoolean warned = new AtomicBoolean();

    /** A selector that sends its (at most one) warning to {@code warnings}. */
    public DeviceSelector(Consumer<String> warnings) {
        this.warnings = warnings;
    }

    /**
     * Resolves the option to {@code cpu} or {@code gpu:N}.
     *
     * @param option auto, cpu, gpu or gpu:N
     * @param assignedGpus the task's {@code gpu} resource addresses, empty without GPU scheduling
     * @param visibleGpus CUDA GPUs libtorch sees
     * @throws IllegalArgumentException "Cannot use device '...': ..." when the option cannot be met
     */
    public String select(String option, List<String> assignedGpus, int visibleGpus) {
        String o = dev.phi4spark.udf.engine.ModelOptions.DEVICE.check(option); // the table's rule and message
        if (o.equals("cpu")) {
            return "cpu";
        }
        if (o.startsWith("gpu:")) {
            return explicit(o, visibleGpus);
        }
        boolean required = o.equals("gpu");
        if (visibleGpus <= 0) {
            return noCuda(o, required, assignedGpus);
        }
        return assignedGpus.isEmpty() ? "gpu:0" : "gpu:" + assignedIndex(o, assignedGpus.get(0), visibleGpus);
    }

    private static String explicit(String o, int visibleGpus) {
        int index;
        try {
            index = Integer.parseInt(o.substring("gpu:".length()));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Cannot use device '" + o + "': expected auto, cpu, gpu or gpu:N");
        }
        if (index >= visibleGpus) {
            throw new IllegalArgumentException("Cannot use device '" + o + "': libtorch sees " + visibleGpus
                    + " CUDA GPU(s) (" + visibleGpus + ")");
        }
        return "gpu:" + index;
    }

    private String noCuda(String o, boolean required, List<String> assignedGpus) {
        if (required) {
            String why = assignedGpus.isEmpty()
                    ? "libtorch sees no CUDA GPU; use device cpu or auto, or run where a GPU is visible"
                    : "Spark assigned GPU " + assignedGpus + " but libtorch sees no CUDA GPU; check that the "
                            + "CUDA build of libtorch is installed (PYTORCH_FLAVOR)";
            throw new IllegalArgumentException("Cannot use device '" + o + "': " + why + " (0 visible)");
        }
        if (!assignedGpus.isEmpty() && warned.compareAndSet(false, true)) {
            warnings.accept("Spark assigned GPU " + assignedGpus + " to this task but libtorch sees no CUDA GPU; "
                    + "running on the CPU (is the CUDA build of libtorch installed? see PYTORCH_FLAVOR)");
        }
        return "cpu";
    }

    private static int assignedIndex(String o, String address, int visibleGpus) {
        int index;
        try {
            index = Integer.parseInt(address.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Cannot use device '" + o + "': the GPU address Spark assigned is "
                    + "not an index (" + address + ")");
        }
        if (index < visibleGpus) {
            return index;
        }
        if (visibleGpus == 1) {
            return 0;
        }
        throw new IllegalArgumentException("Cannot use device '" + o + "': Spark assigned GPU " + index
                + " but libtorch sees " + visibleGpus + " CUDA GPUs (" + address + ")");
    }
}
