package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DeviceSelectorTest {

    private final List<String> warnings = new ArrayList<>();
    private final DeviceSelector selector = new DeviceSelector(warnings::add);

    @Test
    void autoFallsBackToTheCpuWithOneWarningWhenAnAssignedGpuIsNotVisible() {
        assertThat(selector.select("auto", List.of("0"), 0)).isEqualTo("cpu");
        assertThat(selector.select("auto", List.of("0"), 0)).isEqualTo("cpu");
        assertThat(warnings).containsExactly("Spark assigned GPU [0] to this task but libtorch sees no CUDA GPU; "
                + "running on the CPU (is the CUDA build of libtorch installed? see PYTORCH_FLAVOR)");
    }

    @Test
    void gpuFailsWithoutAVisibleGpu() {
        assertThatThrownBy(() -> selector.select("gpu", List.of("0"), 0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot use device 'gpu': Spark assigned GPU [0] but libtorch sees no CUDA GPU; check that "
                        + "the CUDA build of libtorch is installed (PYTORCH_FLAVOR) (0 visible)");
        assertThatThrownBy(() -> selector.select("gpu", List.of(), 0))
                .hasMessage("Cannot use device 'gpu': libtorch sees no CUDA GPU; use device cpu or auto, or run where "
                        + "a GPU is visible (0 visible)");
        assertThatThrownBy(() -> selector.select("gpu:1", List.of(), 1))
                .hasMessage("Cannot use device 'gpu:1': libtorch sees 1 CUDA GPU(s) (1)");
        assertThat(warnings).isEmpty();
    }

    @Test
    void usesTheAssignedGpuWhenVisible() {
        assertThat(selector.select("auto", List.of("1"), 2)).isEqualTo("gpu:1");
        assertThat(selector.select("gpu", List.of("1"), 2)).isEqualTo("gpu:1");
        assertThat(selector.select("auto", List.of("3"), 1)).isEqualTo("gpu:0"); // isolated: the one visible GPU
        assertThatThrownBy(() -> selector.select("auto", List.of("3"), 2))
                .hasMessage("Cannot use device 'auto': Spark assigned GPU 3 but libtorch sees 2 CUDA GPUs (3)");
        assertThatThrownBy(() -> selector.select("gpu", List.of("x"), 2))
                .hasMessage("Cannot use device 'gpu': the GPU address Spark assigned is not an index (x)");
    }

    @Test
    void withoutSchedulingAutoTakesGpuZeroOrTheCpu() {
        assertThat(selector.select("auto", List.of(), 2)).isEqualTo("gpu:0");
        assertThat(selector.select("auto", List.of(), 0)).isEqualTo("cpu");
        assertThat(selector.select("cpu", List.of("0"), 4)).isEqualTo("cpu");
        assertThat(selector.select("gpu:1", List.of("0"), 2)).isEqualTo("gpu:1");
        assertThat(warnings).isEmpty();
        assertThatThrownBy(() -> selector.select("tpu", List.of(), 0))
                .hasMessage("Cannot use device: expected auto, cpu, gpu or gpu:N (tpu).");
    }
}
