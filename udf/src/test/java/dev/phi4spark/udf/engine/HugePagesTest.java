package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loader asks the kernel for 2 MB pages under large tensors; the advice changes no value. */
class HugePagesTest {

    @TempDir
    Path tmp;

    @Test
    void theAdviceNeedsAWholeAligned2MbRange() {
        assertThat(NativeDecoder.available()).as("%s", NativeDecoder.unavailableReason()).isTrue();
        assertThat(NativeDecoder.adviseHugePages(ByteBuffer.allocateDirect(1 << 20))).isFalse();
        assertThat(NativeDecoder.adviseHugePages(ByteBuffer.allocateDirect(6 << 20))).isTrue();
    }

    /**
     * A 48 MB tensor stored as F32 and BF16, read whole and in 1 MB chunks: the exact values, from a 2 MB
     * boundary, and on 2 MB pages wherever the kernel's transparent huge pages are not switched off. Run alone,
     * its memory is fresh and the advice before the read puts it there; run after other tests, malloc hands out
     * memory they wrote already (even above glibc's 32 MB mmap threshold), which takes the collapse after the
     * read.
     */
    @Test
    void aLargeTensorIsReadOntoHugePagesWithItsExactValues() throws IOException {
        int rows = 3072;
        int cols = 4096;
        float[] values = new float[rows * cols];
        Random random = new Random(7);
        for (int i = 0; i < values.length; i++) {
            values[i] = (random.nextInt(511) - 255) / 64f; // exact in bfloat16 too
        }
        boolean hugePagesOn = !Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"))
                .contains("[never]");
        // One manager for all four loads: a freed tensor's 2 MB pages, reused by the next, would not count again.
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            for (SafetensorsDType stored : List.of(SafetensorsDType.F32, SafetensorsDType.BF16)) {
                Path dir = Files.createDirectories(tmp.resolve(stored.name()));
                new SafetensorsWriter().add("w", values, new long[] {rows, cols}, stored)
                        .write(dir.resolve("model.safetensors"));
                try (Checkpoint ckpt = Checkpoint.open(dir)) {
                    for (long chunkBytes : new long[] {TensorLoader.CHUNK_BYTES, 1L << 20}) {
                        long before = anonHugePagesKb();
                        NDArray tensor = new TensorLoader(ckpt, m, DataType.FLOAT32, chunkBytes).load("w", rows, cols);
                        long gained = anonHugePagesKb() - before;
                        // At a 2 MB boundary, so every one of its 2 MB can go on a 2 MB page.
                        assertThat(NativeDecoder.address(JniUtils.getByteBuffer((PtNDArray) tensor, true)) % (2 << 20))
                                .as("%s in chunks of %d bytes: the tensor's address mod 2 MB", stored, chunkBytes)
                                .isZero();
                        assertThat(tensor.getShape().getShape()).containsExactly(rows, cols);
                        float[] loaded = tensor.toFloatArray();
                        // Arrays.mismatch, not containsExactly: assertj's diff of 12M floats runs for minutes.
                        assertThat(Arrays.mismatch(loaded, values))
                                .as("%s in chunks of %d bytes: the first value that differs", stored, chunkBytes)
                                .isEqualTo(-1);
                        if (hugePagesOn) {
                            // 48 MB from a 2 MB boundary: 24 whole 2 MB pages (from libtorch's 64-byte
                            // alignment it was 23).
                            assertThat(gained).as("%s in chunks of %d bytes: 2 MB pages gained (kB)", stored,
                                    chunkBytes).isGreaterThanOrEqualTo(24 * 2048);
                        }
                    }
                }
            }
        }
    }

    private static long anonHugePagesKb() throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/smaps_rollup"))) {
            if (line.startsWith("AnonHugePages:")) {
                return Long.parseLong(line.replaceAll("[^0-9]", ""));
            }
        }
        throw new IllegalStateException("Cannot read AnonHugePages: not in /proc/self/smaps_rollup");
    }
}
