package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The F16 storage path, float16 compute, and tensors read in several chunks. */
class DtypeTest {

    @TempDir
    Path tmp;

    /** Rewrites the F32 fixture with every weight stored as {@code dtype}, rounded to it. */
    private Path fixtureAs(String name, SafetensorsDType dtype, boolean roundOnly) throws IOException {
        Path dir = Files.createDirectories(tmp.resolve(name));
        Path fixture = Fixtures.model("tiny-phi3");
        Files.copy(fixture.resolve("config.json"), dir.resolve("config.json"));
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(fixture.resolve("model.safetensors"))) {
            for (SafetensorsFile.TensorInfo t : f.tensors().values()) {
                float[] values = new float[(int) t.elementCount()];
                f.map(t, 0, (int) t.byteLength()).asFloatBuffer().get(values);
                if (roundOnly) {
                    for (int i = 0; i < values.length; i++) {
                        values[i] = halfToFloat(SafetensorsWriter.toF16(values[i]));
                    }
                    w.add(t.name(), values, t.shape(), SafetensorsDType.F32);
                } else {
                    w.add(t.name(), values, t.shape(), dtype);
                }
            }
        }
        w.write(dir.resolve("model.safetensors"));
        return dir;
    }

    private static float halfToFloat(short h) {
        ByteBuffer b = ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort(0, h);
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            return m.create(b, new ai.djl.ndarray.types.Shape(1), DataType.FLOAT16).toType(DataType.FLOAT32, false)
                    .getFloat(0);
        }
    }

    private static float[][] allLogits(Path dir, DataType dtype, long[] prompt) {
        Phi3Config c = Phi3Config.read(dir.resolve("config.json"));
        try (Phi3Model model = Phi3Model.load(dir, c, Device.cpu(), dtype)) {
            return allLogits(model, prompt);
        }
    }

    private static float[][] allLogits(Phi3Model model, long[] prompt) {
        try (NDManager step = model.manager().newSubManager(); KvCache cache = model.newCache(1, prompt.length)) {
            Batch batch = new Batch(new long[][] {prompt});
            NDArray logits = model.logits(model.hidden(step, batch.tokens(step, 0, prompt.length),
                    batch.positions(step, 0, prompt.length), prompt.length - 1, cache, 0));
            float[][] out = new float[prompt.length][];
            for (int p = 0; p < prompt.length; p++) {
                out[p] = logits.get(0, p).toFloatArray();
            }
            return out;
        }
    }

    @Test
    void f16StorageLoadsAsItsExactValues() throws IOException {
        long[] prompt = Fixtures.longs(Fixtures.golden("tiny-phi3").get("prompt_ids"));
        float[][] stored = allLogits(fixtureAs("f16", SafetensorsDType.F16, false), DataType.FLOAT32, prompt);
        float[][] rounded = allLogits(fixtureAs("rounded", SafetensorsDType.F32, true), DataType.FLOAT32, prompt);
        for (int p = 0; p < prompt.length; p++) {
            assertThat(stored[p]).containsExactly(rounded[p]);
        }
    }

    @Test
    void f16EncodingRoundsToNearestEven() {
        assertThat(SafetensorsWriter.toF16(1.0f)).isEqualTo((short) 0x3C00);
        assertThat(SafetensorsWriter.toF16(-2.0f)).isEqualTo((short) 0xC000);
        assertThat(SafetensorsWriter.toF16(65504f)).isEqualTo((short) 0x7BFF);
        assertThat(SafetensorsWriter.toF16(1e6f)).isEqualTo((short) 0x7C00);
        assertThat(SafetensorsWriter.toF16(5.9604645e-8f)).isEqualTo((short) 0x0001); // smallest subnormal
        assertThat(SafetensorsWriter.toF16(1.0f + 1f / 2048)).isEqualTo((short) 0x3C00); // tie to even
        assertThat(SafetensorsWriter.toF16(1.0f + 3f / 2048)).isEqualTo((short) 0x3C02);
    }

    @Test
    void float16ComputeFollowsTheGoldenGreedyPath() {
        // The GPU configuration, run on the CPU: weights converted to float16, norms and softmax in float32.
        JsonNode golden = Fixtures.golden("tiny-phi3");
        Path dir = Fixtures.model("tiny-phi3");
        Phi3Config c = Phi3Config.read(dir.resolve("config.json"));
        try (Phi3Model model = Phi3Model.load(dir, c, Device.cpu(), DataType.FLOAT16)) {
            assertThat(model.dtype()).isEqualTo(DataType.FLOAT16);
            GenerationResult r = new Generator(model, 512, Set.of(), TokenDecoder.NONE).generate(List.of(
                    new GenerationRequest(Fixtures.longs(golden.get("prompt_ids")), SamplingParams.greedy(16)))).get(0);
            assertThat(r.tokenIds()).containsExactly(Fixtures.longs(golden.get("greedy_new_ids")));
        }
    }

    @Test
    void valuesBeyondTheFloat16RangeAreClampedNotInfinite() throws IOException {
        Path file = tmp.resolve("big.safetensors");
        new SafetensorsWriter().add("w", new float[] {1f, 1e6f, -7e4f, 3f}, new long[] {2, 2}, SafetensorsDType.F32)
                .write(file);
        Path dir = Files.createDirectories(tmp.resolve("big"));
        Files.move(file, dir.resolve("model.safetensors"));
        try (Checkpoint ckpt = Checkpoint.open(dir); NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            for (long chunkBytes : new long[] {TensorLoader.CHUNK_BYTES, 8}) { // one chunk; a chunk per row
                NDArray w = new TensorLoader(ckpt, m, DataType.FLOAT16, chunkBytes).load("w", 2, 2);
                float[] v = w.toType(DataType.FLOAT32, false).toFloatArray();
                assertThat(v).as("chunks of %d bytes", chunkBytes).containsExactly(1f, 65504f, -65504f, 3f);
            }
        }
    }

    @Test
    void aLoadedModelKeepsItsWeightsWhenTheCheckpointIsRewrittenInPlace() throws IOException {
        long[] prompt = Fixtures.longs(Fixtures.golden("tiny-phi3").get("prompt_ids"));
        for (SafetensorsDType stored : List.of(SafetensorsDType.F32, SafetensorsDType.BF16)) {
            Path dir = fixtureAs("rewritten-" + stored, stored, false);
            Path file = dir.resolve("model.safetensors");
            Phi3Config c = Phi3Config.read(dir.resolve("config.json"));
            try (Phi3Model model = Phi3Model.load(dir, c, Device.cpu(), DataType.FLOAT32)) {
                float[][] before = allLogits(model, prompt);
                // Zeros over the whole file, in place (same inode): a model still reading the file's
                // pages, as a memory-mapped one would, now sees zero weights.
                try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
                    ch.write(ByteBuffer.allocate(Math.toIntExact(Files.size(file))), 0);
                }
                float[][] after = allLogits(model, prompt);
                for (int p = 0; p < prompt.length; p++) {
                    assertThat(after[p]).as("%s logits at %d", stored, p).containsExactly(before[p]);
                }
            }
        }
    }

    @Test
    void aTensorWithNaNOrInfinityIsRefusedWithItsCount() throws IOException {
        float[] extremes = {3.0e38f, -3.0e38f, 1e-30f, 0f, -0f, 65504f, -1f, 2f}; // all finite: loaded
        for (SafetensorsDType stored : List.of(SafetensorsDType.F32, SafetensorsDType.F16, SafetensorsDType.BF16)) {
            float big = stored == SafetensorsDType.F16 ? 65504f : 3.0e38f;
            float[] finite = extremes.clone();
            finite[0] = big;
            finite[1] = -big;
            float[] nan = finite.clone();
            nan[7] = Float.NaN;                          // the last value
            float[] infinities = finite.clone();
            infinities[0] = Float.POSITIVE_INFINITY;     // the first
            infinities[5] = Float.NEGATIVE_INFINITY;
            float[] negative = finite.clone();
            negative[3] = Float.NEGATIVE_INFINITY;       // alone: only the smallest value shows it
            Path dir = Files.createDirectories(tmp.resolve("nonfinite-" + stored));
            new SafetensorsWriter().add("finite", finite, new long[] {4, 2}, stored)
                    .add("nan", nan, new long[] {4, 2}, stored)
                    .add("inf", infinities, new long[] {4, 2}, stored)
                    .add("neginf", negative, new long[] {4, 2}, stored)
                    .write(dir.resolve("model.safetensors"));
            try (Checkpoint ckpt = Checkpoint.open(dir); NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
                for (long chunkBytes : new long[] {TensorLoader.CHUNK_BYTES, 8}) { // one chunk; a chunk per row
                    TensorLoader loader = new TensorLoader(ckpt, m, DataType.FLOAT32, chunkBytes);
                    assertThat(loader.load("finite", 4, 2).toFloatArray()).as("%s", stored).hasSize(8);
                    String file = dir.resolve("model.safetensors").toString();
                    assertThatThrownBy(() -> loader.load("nan", 4, 2)).as("%s", stored)
                            .isInstanceOf(ModelLoadException.class)
                            .hasMessage("Cannot load model: tensor 'nan' has 1 NaN or infinite value(s), so the"
                                    + " checkpoint is damaged (" + file + ")");
                    assertThatThrownBy(() -> loader.load("inf", 4, 2)).as("%s", stored)
                            .hasMessageStartingWith("Cannot load model: tensor 'inf' has 2 NaN or infinite value(s)");
                    assertThatThrownBy(() -> loader.load("neginf", 4, 2)).as("%s", stored)
                            .hasMessageStartingWith("Cannot load model: tensor 'neginf' has 1 NaN or infinite value(s)");
                }
            }
        }
    }

    @Test
    void largeTensorsReadInChunksMatchOneRead() throws IOException {
        Path dir = Fixtures.model("tiny-phi3-bf16");
        try (Checkpoint ckpt = Checkpoint.open(dir); NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            for (DataType dtype : List.of(DataType.FLOAT32, DataType.FLOAT16)) {
                float[] whole = new TensorLoader(ckpt, m, dtype).load("model.embed_tokens.weight", 512, 64)
                        .toType(DataType.FLOAT32, false).toFloatArray();
                // 1 KiB chunks: 4 rows each, 128 chunks read into views of one tensor.
                float[] chunked = new TensorLoader(ckpt, m, dtype, 1024).load("model.embed_tokens.weight", 512, 64)
                        .toType(DataType.FLOAT32, false).toFloatArray();
                assertThat(chunked).as("%s", dtype).containsExactly(whole);
            }
        }
    }
}
