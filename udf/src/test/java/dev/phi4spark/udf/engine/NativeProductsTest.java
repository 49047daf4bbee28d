package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The native decode-sized products against libtorch's matmul. */
class NativeProductsTest {

    private static final boolean LINUX_X86 = System.getProperty("os.name", "").toLowerCase(Locale.ROOT)
            .startsWith("linux") && System.getProperty("os.arch", "").equals("amd64");

    @Test
    void theKernelIsBuiltAndLoadsOnLinuxX86() {
        // The module compiles it on Linux x86-64 (udf/pom.xml): a build without it would fall back silently.
        if (LINUX_X86 && System.getProperty("skipNative") == null) {
            assertThat(NativeProducts.unavailableReason()).isNull();
            assertThat(NativeProducts.available()).isTrue();
        }
    }

    @Test
    void productsEqualLibtorchsWithinFloatRounding() {
        org.junit.jupiter.api.Assumptions.assumeTrue(NativeProducts.available(), NativeProducts.unavailableReason());
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            m.getEngine().setRandomSeed(7);
            // Odd sizes: inner dims not a multiple of 4, outputs not a multiple of 8 or of the column block.
            int[][] shapes = {{64, 96}, {1027, 515}, {3, 5}, {256, 1000}, {130, 257}};
            for (int[] s : shapes) {
                NDArray w = m.randomNormal(new Shape(s[0], s[1]));
                NativeProducts.Weight weight = NativeProducts.Weight.of(w);
                for (int rows : new int[] {1, 2, 7, 8, 31, 32}) {
                    NDArray x = m.randomNormal(new Shape(rows, 1, s[0]));
                    NDArray expected = x.matMul(w);
                    NDArray actual = NativeProducts.multiply(m, x, weight);
                    assertThat(actual.getShape()).isEqualTo(expected.getShape());
                    float tolerance = 1e-5f * (float) Math.sqrt(s[0]) * 4;
                    assertThat((float) Fixtures.maxAbsDiff(actual.toFloatArray(), expected.toFloatArray()))
                            .as("[%d, %d] x [%d, %d]", rows, s[0], s[0], s[1]).isLessThan(tolerance);
                }
            }
        }
    }

    @Test
    void wrongShapesAreRefusedWithTheShape() {
        org.junit.jupiter.api.Assumptions.assumeTrue(NativeProducts.available(), NativeProducts.unavailableReason());
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NativeProducts.Weight weight = NativeProducts.Weight.of(m.ones(new Shape(16, 8)));
            assertThatThrownBy(() -> NativeProducts.multiply(m, m.ones(new Shape(2, 1, 15)), weight))
                    .hasMessage("Cannot use a native product: expected at most 32 float32 rows of 16 ((2, 1, 15) float32)");
            assertThatThrownBy(() -> NativeProducts.multiply(m, m.ones(new Shape(33, 16)), weight))
                    .hasMessageContaining("expected at most 32 float32 rows of 16");
            assertThatThrownBy(() -> NativeProducts.Weight.of(m.ones(new Shape(16, 8), DataType.FLOAT64)))
                    .hasMessageContaining("expected a float32 [in, out] CPU matrix");
        }
    }
}
