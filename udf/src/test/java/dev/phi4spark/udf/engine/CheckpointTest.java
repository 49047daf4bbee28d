package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading checkpoints: shards, and every malformed snapshot a user can hand us. */
class CheckpointTest {

    @TempDir
    Path tmp;

    private static Path copyFixture(Path to) throws IOException {
        Files.createDirectories(to);
        Path from = Fixtures.model("tiny-phi3");
        Files.copy(from.resolve("config.json"), to.resolve("config.json"));
        Files.copy(from.resolve("model.safetensors"), to.resolve("model.safetensors"));
        return to;
    }

    private static Phi3Model load(Path dir) {
        return Phi3Model.load(dir, Phi3Config.read(dir.resolve("config.json")), Device.cpu(), DataType.FLOAT32);
    }

    /** Rewrites the fixture's tensors as {@code keep}-filtered, optionally renamed/reshaped tensors. */
    private static void rewrite(Path source, Path target, java.util.function.BiFunction<String, SafetensorsWriter.Tensor,
            SafetensorsWriter.Tensor> edit) {
        SafetensorsWriter w = new SafetensorsWriter();
        try (SafetensorsFile f = SafetensorsFile.open(source)) {
            for (SafetensorsFile.TensorInfo t : f.tensors().values()) {
                ByteBuffer b = f.map(t, 0, (int) t.byteLength());
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                SafetensorsWriter.Tensor edited = edit.apply(t.name(), new SafetensorsWriter.Tensor(t.dtype(), t.shape(), bytes));
                if (edited != null) {
                    w.add(t.name(), edited);
                }
            }
        }
        w.write(target);
    }

    @Test
    void aShardedCheckpointLoadsAndMatchesTheGoldenGreedyIds() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("sharded"));
        Path fixture = Fixtures.model("tiny-phi3");
        Files.copy(fixture.resolve("config.json"), dir.resolve("config.json"));
        Path single = fixture.resolve("model.safetensors");
        List<String> names = new ArrayList<>();
        try (SafetensorsFile f = SafetensorsFile.open(single)) {
            names.addAll(f.tensors().keySet());
        }
        List<String> first = names.subList(0, names.size() / 2);
        rewrite(single, dir.resolve("model-00001-of-00002.safetensors"), (n, t) -> first.contains(n) ? t : null);
        rewrite(single, dir.resolve("model-00002-of-00002.safetensors"), (n, t) -> first.contains(n) ? null : t);
        StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        for (int i = 0; i < names.size(); i++) {
            String shard = first.contains(names.get(i)) ? "model-00001-of-00002" : "model-00002-of-00002";
            index.append(i == 0 ? "" : ",").append('"').append(names.get(i)).append("\": \"").append(shard)
                    .append(".safetensors\"");
        }
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE), index.append("}}").toString());

        JsonNode golden = Fixtures.golden("tiny-phi3");
        try (Phi3Model model = load(dir)) {
            GenerationResult r = new Generator(model, 512, Set.of(), TokenDecoder.NONE).generate(List.of(
                    new GenerationRequest(Fixtures.longs(golden.get("prompt_ids")), SamplingParams.greedy(16)))).get(0);
            assertThat(r.tokenIds()).containsExactly(Fixtures.longs(golden.get("greedy_new_ids")));
        }
    }

    @Test
    void aShardNameThatEscapesTheFolderIsRefused() throws IOException {
        Path dir = copyFixture(tmp.resolve("escape"));
        Files.writeString(dir.resolve(Checkpoint.INDEX_FILE),
                "{\"weight_map\": {\"model.norm.weight\": \"../../etc/passwd\"}}");
        assertThatThrownBy(() -> load(dir)).isInstanceOf(ModelLoadException.class)
                .hasMessage("Cannot load model: shard name '../../etc/passwd' in model.safetensors.index.json"
                        + " points outside the model folder (" + dir + ")");
    }

    @Test
    void aTruncatedFileGivesAClearError() throws IOException {
        Path dir = copyFixture(tmp.resolve("truncated"));
        Path file = dir.resolve("model.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() / 2);
        }
        assertThatThrownBy(() -> load(dir)).isInstanceOf(ModelLoadException.class)
                .hasMessageStartingWith("Cannot read safetensors file " + file + ": tensor '")
                .hasMessageContaining("outside the data section")
                .hasMessageEndingWith("(truncated file?)");
    }

    @Test
    void aHeaderLongerThanTheFileIsRefused() throws IOException {
        Path file = tmp.resolve("bad.safetensors");
        byte[] header = "{}".getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(1L << 40).put(header);
        Files.write(file, b.array());
        assertThatThrownBy(() -> SafetensorsFile.open(file)).isInstanceOf(ModelLoadException.class)
                .hasMessage("Cannot read safetensors file " + file + ": the header length 1099511627776 does not fit"
                        + " in the file of 10 bytes (truncated or not a safetensors file)");
    }

    @Test
    void overlappingTensorsAreRefused() throws IOException {
        Path file = tmp.resolve("overlap.safetensors");
        String json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        byte[] header = json.getBytes(StandardCharsets.UTF_8);
        ByteBuffer buf = ByteBuffer.allocate(8 + header.length + 12).order(ByteOrder.LITTLE_ENDIAN);
        buf.putLong(header.length).put(header);
        Files.write(file, buf.array());
        assertThatThrownBy(() -> SafetensorsFile.open(file)).hasMessage(
                "Cannot read safetensors file " + file + ": tensors 'a' and 'b' overlap");
    }

    @Test
    void missingFilesAreNamed() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        assertThatThrownBy(() -> Phi3Config.read(empty.resolve("config.json")))
                .hasMessage("Cannot load model: config.json is missing (" + empty.resolve("config.json") + ")");
        Path noWeights = Files.createDirectories(tmp.resolve("noweights"));
        Files.copy(Fixtures.model("tiny-phi3").resolve("config.json"), noWeights.resolve("config.json"));
        assertThatThrownBy(() -> load(noWeights)).hasMessage(
                "Cannot load model: neither model.safetensors nor model.safetensors.index.json is in " + noWeights);
    }

    @Test
    void anUnknownArchitectureIsRefused() throws IOException {
        Path dir = copyFixture(tmp.resolve("llama"));
        String config = Files.readString(dir.resolve("config.json")).replace("Phi3ForCausalLM", "LlamaForCausalLM");
        Files.writeString(dir.resolve("config.json"), config);
        assertThatThrownBy(() -> Phi3Config.read(dir.resolve("config.json"))).hasMessage(
                "Cannot load model: architecture [LlamaForCausalLM] is not supported, only Phi3ForCausalLM ("
                        + dir.resolve("config.json") + ")");
    }

    @Test
    void aMissingTensorIsNamed() throws IOException {
        Path dir = copyFixture(tmp.resolve("missing"));
        Path file = dir.resolve("model.safetensors");
        Path edited = tmp.resolve("edited.safetensors");
        rewrite(file, edited, (n, t) -> n.equals("model.layers.1.mlp.down_proj.weight") ? null : t);
        Files.move(edited, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> load(dir)).hasMessage(
                "Cannot load model: tensor 'model.layers.1.mlp.down_proj.weight' is missing from " + dir);
    }

    @Test
    void aMisShapedTensorIsNamedWithBothShapes() throws IOException {
        Path dir = copyFixture(tmp.resolve("misshaped"));
        Path file = dir.resolve("model.safetensors");
        Path edited = tmp.resolve("edited.safetensors");
        rewrite(file, edited, (n, t) -> n.equals("model.norm.weight")
                ? new SafetensorsWriter.Tensor(t.dtype(), new long[] {32, 2}, t.data()) : t);
        Files.move(edited, file, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        assertThatThrownBy(() -> load(dir)).hasMessage(
                "Cannot load model: tensor 'model.norm.weight' has shape [32, 2], expected [64] (" + file + ")");
    }

    @Test
    void bf16WidensInPlaceExactly() {
        java.util.Random random = new java.util.Random(3);
        for (int n : new int[] {1, 2, 3, 5, 7, 8, 9, 1001}) {
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(20) - 10));
            }
            values[0] = 1.5f;
            if (n >= 5) {
                System.arraycopy(new float[] {-0.0078125f, 3.0e38f, 1e-30f, -2.75f}, 0, values, 1, 4);
            }
            byte[] encoded = SafetensorsWriter.encode(values, SafetensorsDType.BF16);
            ByteBuffer memory = ByteBuffer.allocateDirect(4 * n);
            memory.put(2 * n, encoded);
            TensorLoader.widenBf16InPlace(memory, n);
            memory.order(ByteOrder.nativeOrder());
            for (int i = 0; i < n; i++) {
                // a bf16 value is the high half of the float32 with the same value
                float expected = Float.intBitsToFloat(SafetensorsWriter.toBf16(values[i]) << 16);
                assertThat(memory.getFloat(4 * i)).as("value %d of %d", i, n).isEqualTo(expected);
            }
            assertThat(memory.getFloat(0)).isEqualTo(1.5f);
        }
    }

}
