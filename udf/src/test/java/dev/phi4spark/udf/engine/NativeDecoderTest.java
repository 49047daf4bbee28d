package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.phi4spark.udf.bench.LibtorchOps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decode steps in one native call ({@link NativeDecoder}) against the per-op NDArray reference path: the
 * same model shapes as {@link FusedDecoderTest} (half-width rotary, longrope past 32 positions, grouped
 * query heads), prefill chunks on both sides of the native row limit, and continuous-batching slots.
 */
class NativeDecoderTest {

    @TempDir
    Path temp;

    /**
     * A random Phi-3 with half-width rotary and longrope factors that switch to the long ones past 32
     * positions: the parts of the layer the golden fixtures (full rotary, no scaling) leave out.
     */
    private Path model(String name, int layers) throws IOException {
        Path dir = temp.resolve(name);
        Files.createDirectories(dir);
        String config = "{\"architectures\": [\"Phi3ForCausalLM\"], \"hidden_size\": 64, \"num_hidden_layers\": "
                + layers + ", \"num_attention_heads\": 4, \"num_key_value_heads\": 2, \"intermediate_size\": 96,"
                + " \"vocab_size\": 300, \"max_position_embeddings\": 128, \"original_max_position_embeddings\": 32,"
                + " \"partial_rotary_factor\": 0.5, \"rope_theta\": 10000.0, \"rms_norm_eps\": 1e-5,"
                + " \"rope_scaling\": {\"type\": \"longrope\", \"short_factor\": [1.0, 1.1, 1.3, 1.7],"
                + " \"long_factor\": [1.5, 2.0, 3.0, 5.0]}, \"tie_word_embeddings\": false, \"eos_token_id\": 2}";
        Files.writeString(dir.resolve("config.json"), config);
        TinyModelWriter.writeWeights(dir, Phi3Config.read(dir.resolve("config.json")), 17);
        return dir;
    }

    private static Phi3Model load(Path dir, String attention) {
        Phi3Model model = Phi3Model.load(dir, Phi3Config.read(dir.resolve("config.json")), Device.cpu(),
                DataType.FLOAT32, attention);
        assertThat(model.attention()).isEqualTo(attention);
        return model;
    }

    /** Logits of a padded batch's prefill, then of decode steps past the longrope switch, per column. */
    private static float[][] logits(Phi3Model model, int chunk) {
        Batch batch = new Batch(new long[][] {{5, 9, 14, 22, 7, 3}, {11, 4}, {8, 30, 12, 6, 2, 19, 40, 41, 50, 60}});
        int columns = 40;
        float[][] out = new float[1 + columns][];
        try (NDManager call = model.manager().newSubManager();
                KvCache cache = model.newCache(batch.rows(), batch.width + columns)) {
            model.prefill(call, batch, cache, chunk, (step, hidden, start, end) -> {
                if (end == batch.width) {
                    out[0] = model.logits(hidden.get(":, -1:, :")).toFloatArray(); // each row's last column
                }
            });
            for (int c = 0; c < columns; c++) {
                int column = batch.width + c;
                try (NDManager step = call.newSubManager()) {
                    long[] ids = new long[batch.rows()];
                    float[] positions = new float[batch.rows()];
                    int maxPosition = 0;
                    for (int r = 0; r < ids.length; r++) {
                        ids[r] = 3 + (7L * c + r) % 290;
                        positions[r] = column - batch.pad[r];
                        maxPosition = Math.max(maxPosition, (int) positions[r]);
                    }
                    NDArray hidden = model.hidden(step, step.create(ids).reshape(ids.length, 1),
                            step.create(positions).reshape(ids.length, 1), maxPosition, cache, column);
                    out[1 + c] = model.logits(hidden).toFloatArray();
                }
            }
        }
        return out;
    }

    @Test
    void prefillAndDecodeMatchThePlainPath() throws IOException {
        Path dir = model("rope", 3);
        float[][] plain;
        float[][] small;
        float[][] large;
        try (Phi3Model model = load(dir, "plain")) {
            plain = logits(model, 4);
        }
        try (Phi3Model model = load(dir, "native")) {
            small = logits(model, 4);   // prefill chunks of 3 x 4 rows: native too
            large = logits(model, 16);  // 3 x 16 rows: the TorchScript layers over the [out, in] views
        }
        for (int i = 0; i < plain.length; i++) {
            assertThat(Fixtures.maxAbsDiff(small[i], plain[i])).as("step %d", i).isLessThan(1e-4f);
            assertThat(Fixtures.maxAbsDiff(large[i], plain[i])).as("step %d, large chunks", i).isLessThan(1e-4f);
        }
    }

    @Test
    void continuousBatchingSlotsGiveThePlainPathsTokens() throws IOException {
        Path dir = model("slots", 2);
        List<GenerationRequest> requests = List.of(
                new GenerationRequest(new long[] {5, 9, 14}, SamplingParams.greedy(30)),
                new GenerationRequest(new long[] {11, 4, 8, 30, 12}, SamplingParams.greedy(5)),
                new GenerationRequest(new long[] {7}, SamplingParams.greedy(20)),
                new GenerationRequest(new long[] {3, 3, 3, 3}, SamplingParams.greedy(12)));
        try (Phi3Model plain = load(dir, "plain"); Phi3Model fast = load(dir, "native")) {
            List<GenerationResult> a = new ContinuousGenerator(plain, 2, 4, Set.of(), TokenDecoder.NONE).generate(requests);
            List<GenerationResult> b = new ContinuousGenerator(fast, 2, 4, Set.of(), TokenDecoder.NONE).generate(requests);
            for (int i = 0; i < requests.size(); i++) {
                assertThat(b.get(i).tokenIds()).as("request %d", i).containsExactly(a.get(i).tokenIds());
            }
        }
    }

    @Test
    void theBuildShipsTheKernelsForThisCpuAndAutoPicksThem() throws IOException {
        String flags = Files.readString(Path.of("/proc/cpuinfo"));
        boolean x86WithAvx2 = System.getProperty("os.arch").matches("amd64|x86_64")
                && flags.contains(" avx2") && flags.contains(" fma");
        // The module's build compiles the kernels on Linux x86-64; a CPU with AVX2 and FMA must load them.
        assertThat(NativeDecoder.available()).as("%s", NativeDecoder.unavailableReason()).isEqualTo(x86WithAvx2);
        Path dir = model("auto", 1);
        try (Phi3Model model = Phi3Model.load(dir, Phi3Config.read(dir.resolve("config.json")), Device.cpu(),
                DataType.FLOAT32, "auto")) {
            assertThat(model.attention()).isEqualTo(x86WithAvx2 ? "native" : "layers");
        }
    }

    @Test
    void twoThreadsDecodingOnOneModelGetTheirOwnTokens() throws Exception {
        Path dir = model("threads", 2);
        List<GenerationRequest> a = List.of(new GenerationRequest(new long[] {5, 9, 14}, SamplingParams.greedy(40)),
                new GenerationRequest(new long[] {7}, SamplingParams.greedy(25)));
        List<GenerationRequest> b = List.of(new GenerationRequest(new long[] {11, 4, 8, 30}, SamplingParams.greedy(40)),
                new GenerationRequest(new long[] {3, 3}, SamplingParams.greedy(33)));
        try (Phi3Model model = load(dir, "native")) {
            List<GenerationResult> aAlone = new ContinuousGenerator(model, 2, 4, Set.of(), TokenDecoder.NONE).generate(a);
            List<GenerationResult> bAlone = new ContinuousGenerator(model, 2, 4, Set.of(), TokenDecoder.NONE).generate(b);
            java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
            try {
                var fa = pool.submit(() -> new ContinuousGenerator(model, 2, 4, Set.of(), TokenDecoder.NONE).generate(a));
                var fb = pool.submit(() -> new ContinuousGenerator(model, 2, 4, Set.of(), TokenDecoder.NONE).generate(b));
                List<GenerationResult> aTogether = fa.get();
                List<GenerationResult> bTogether = fb.get();
                for (int i = 0; i < 2; i++) {
                    assertThat(aTogether.get(i).tokenIds()).containsExactly(aAlone.get(i).tokenIds());
                    assertThat(bTogether.get(i).tokenIds()).containsExactly(bAlone.get(i).tokenIds());
                }
            } finally {
                pool.shutdownNow();
            }
        }
    }

    /** Top-level libtorch ops of one decode step's forward at batch 1, after warm-up steps. */
    private static Map<String, Integer> decodeOps(Phi3Model model) {
        try (KvCache cache = model.newCache(1, 8)) {
            Map<String, Integer> ops = Map.of();
            for (int column = 0; column < 4; column++) {
                try (NDManager step = model.manager().newSubManager()) {
                    NDArray tokens = step.create(new long[] {5}).reshape(1, 1);
                    NDArray positions = step.create(new float[] {column}).reshape(1, 1);
                    int at = column;
                    ops = LibtorchOps.count(() -> model.logits(model.hidden(step, tokens, positions, at, cache, at)));
                }
            }
            return ops;
        }
    }

    @Test
    void aDecodeStepRunsNoLibtorchOpInTheLayers() throws IOException {
        Path one = model("one", 1);
        Path four = model("four", 4);
        try (Phi3Model a = load(one, "native"); Phi3Model b = load(four, "native")) {
            Map<String, Integer> nativeOne = decodeOps(a);
            Map<String, Integer> nativeFour = decodeOps(b);
            assertThat(nativeFour).isEqualTo(nativeOne);
            // Neither the layers nor the lm_head are libtorch calls: no TorchScript forward, no product.
            assertThat(nativeFour).doesNotContainKeys("forward", "aten::matmul", "aten::bmm", "aten::mm");
            // What is left: the embedding lookup, cos/sin, the mask, the write columns and two outputs (34 here).
            assertThat(LibtorchOps.total(nativeFour)).as("embedding, rotary, mask, columns").isLessThanOrEqualTo(35);
        }
    }

    @Test
    void nativeAsAskedFailsWithTheReasonWhereItCannotRun() {
        assertThatThrownBy(() -> Phi3Model.nativeKernel("native", Device.cpu(), DataType.FLOAT16))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage("Cannot use attention native: it computes in float32 only (dtype float16); use attention"
                        + " layers");
        assertThatThrownBy(() -> Phi3Model.nativeKernel("native", Device.gpu(), DataType.FLOAT32))
                .isInstanceOf(ModelLoadException.class)
                .hasMessage("Cannot use attention native: it runs on the CPU only (device gpu(0)); use attention layers");
        assertThat(Phi3Model.nativeKernel("auto", Device.gpu(), DataType.FLOAT16)).isFalse();
        assertThat(Phi3Model.nativeKernel("layers", Device.cpu(), DataType.FLOAT32)).isFalse();
        assertThat(Phi3Model.nativeKernel("auto", Device.cpu(), DataType.FLOAT32)).isTrue();
    }
}
