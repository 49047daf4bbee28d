package dev.phi4spark.udf.engine;

import static dev.phi4spark.udf.engine.DecoderPaths.load;
import static dev.phi4spark.udf.engine.DecoderPaths.logits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.phi4spark.udf.bench.EngineBenchmark;
import dev.phi4spark.udf.bench.LibtorchOps;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
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

    @Test
    void prefillAndDecodeMatchThePlainPath() throws IOException {
        Path dir = DecoderPaths.model(temp, "rope", 3);
        float[][] plain;
        float[][] small;
        float[][] large;
        try (Phi3Model model = load(dir, "plain")) {
            plain = logits(model, 4);
        }
        try (Phi3Model model = load(dir, "native")) {
            small = logits(model, 4);   // prefill chunks of 3 x 4 rows: native
            large = logits(model, 16);  // 3 x 16 rows: libtorch (more than a native step, and layers this small)
        }
        for (int i = 0; i < plain.length; i++) {
            assertThat(Fixtures.maxAbsDiff(small[i], plain[i])).as("step %d", i).isLessThan(1e-4f);
            assertThat(Fixtures.maxAbsDiff(large[i], plain[i])).as("step %d, large chunks", i).isLessThan(1e-4f);
        }
    }

    /** A one-layer model 512 wide: its layers (3.1M parameters) are large enough for native prefill steps. */
    private Path wideLayerModel() throws IOException {
        Path dir = temp.resolve("wide-layer");
        if (Files.exists(dir.resolve("config.json"))) {
            return dir;
        }
        Files.createDirectories(dir);
        String config = "{\"architectures\": [\"Phi3ForCausalLM\"], \"hidden_size\": 512, \"num_hidden_layers\": 1,"
                + " \"num_attention_heads\": 8, \"num_key_value_heads\": 4, \"intermediate_size\": 1536,"
                + " \"vocab_size\": 300, \"max_position_embeddings\": 256, \"rope_theta\": 10000.0,"
                + " \"rms_norm_eps\": 1e-5, \"tie_word_embeddings\": false, \"eos_token_id\": 2}";
        Files.writeString(dir.resolve("config.json"), config);
        TinyModelWriter.writeWeights(dir, Phi3Config.read(dir.resolve("config.json")), 23);
        assertThat(Phi3Config.read(dir.resolve("config.json")).layerMatrixParameters())
                .isGreaterThanOrEqualTo(Phi3Model.NATIVE_PREFILL_MIN_LAYER_PARAMETERS);
        return dir;
    }

    /**
     * A native model prefilling in native steps takes steps the kernels take (at most 32 rows: a long prompt
     * in 32-column chunks, three rows in 10-column ones) whatever chunk is asked for, and leaves steps of more
     * rows to libtorch; models whose layers are too small to gain (the 64-wide test models) keep whole chunks.
     * Native steps are switched on here whatever this CPU's choice (the next test).
     */
    @Test
    void prefillRunsInStepsOfAtMost32Rows() throws IOException {
        Path dir = wideLayerModel();
        try (Phi3Model nativeModel = load(dir, "native"); Phi3Model layers = load(dir, "layers")) {
            nativeModel.nativePrefill(true);
            assertThat(nativeModel.nativePrefill()).isTrue();
            assertThat(nativeModel.prefillColumns(1, 512)).isEqualTo(32);
            assertThat(nativeModel.prefillColumns(3, 16)).isEqualTo(10);
            assertThat(nativeModel.prefillColumns(8, 512)).isEqualTo(4);
            assertThat(nativeModel.prefillColumns(32, 512)).isEqualTo(1);
            assertThat(nativeModel.prefillColumns(1, 8)).as("a smaller chunk stays").isEqualTo(8);
            assertThat(nativeModel.prefillColumns(33, 512)).as("more rows than a native step").isEqualTo(512);
            assertThat(layers.prefillColumns(1, 512)).isEqualTo(512);

            long[] prompt = new long[100];
            for (int i = 0; i < prompt.length; i++) {
                prompt[i] = 3 + (13L * i) % 290;
            }
            List<GenerationRequest> one = List.of(new GenerationRequest(prompt, SamplingParams.greedy(3)));
            Generator generator = new Generator(nativeModel, 512, Set.of(), TokenDecoder.NONE);
            generator.generate(one); // warm-up
            Map<String, Integer> ops = LibtorchOps.count(() -> generator.generate(one));
            // A 100-token prompt asked in one 512-column chunk: no TorchScript layers call, no libtorch product.
            assertThat(ops).doesNotContainKeys("forward", "aten::matmul", "aten::bmm", "aten::mm", "aten::linear");
            List<GenerationResult> viaLayers = new Generator(layers, 512, Set.of(), TokenDecoder.NONE).generate(one);
            assertThat(generator.generate(one).get(0).tokenIds()).containsExactly(viaLayers.get(0).tokenIds());
        }
        try (Phi3Model tiny = load(DecoderPaths.model(temp, "small-layers", 2), "native")) {
            assertThat(tiny.config().layerMatrixParameters()).isLessThan(Phi3Model.NATIVE_PREFILL_MIN_LAYER_PARAMETERS);
            tiny.nativePrefill(true);
            assertThat(tiny.prefillColumns(1, 512)).as("layers too small to gain").isEqualTo(512);
            assertThat(tiny.prefillColumns(8, 16)).isEqualTo(16);
        }
    }

    /**
     * Prefill leaves native steps for libtorch's whole chunks where libtorch's GEMM runs AVX-512 kernels (an
     * Intel CPU with AVX-512F: MKL dispatches them to Intel parts only), and the two paths give the same
     * tokens. The rule reads /proc/cpuinfo's first processor.
     */
    @Test
    void prefillTakesWholeChunksWhereLibtorchsGemmRunsAvx512() throws IOException {
        String intel = "processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu sse avx2 fma avx512f avx512bw\n\n"
                + "processor\t: 1\nvendor_id\t: AuthenticAMD\n";
        Path cpuinfo = temp.resolve("cpuinfo");
        Files.writeString(cpuinfo, intel);
        assertThat(NativeDecoder.intelWithAvx512(cpuinfo)).isTrue();
        Files.writeString(cpuinfo, intel.replace("GenuineIntel", "AuthenticAMD"));
        assertThat(NativeDecoder.intelWithAvx512(cpuinfo)).as("AMD: MKL's AVX2 kernels").isFalse();
        Files.writeString(cpuinfo, intel.replace(" avx512f", ""));
        assertThat(NativeDecoder.intelWithAvx512(cpuinfo)).as("Intel without AVX-512F").isFalse();
        Files.writeString(cpuinfo, intel.replace("avx512f avx512bw", "avx512bw"));
        assertThat(NativeDecoder.intelWithAvx512(cpuinfo)).as("a flag that only starts with avx512").isFalse();
        assertThat(NativeDecoder.intelWithAvx512(temp.resolve("absent"))).isFalse();

        boolean libtorchFaster = NativeDecoder.intelWithAvx512(Path.of("/proc/cpuinfo"));
        assertThat(NativeDecoder.libtorchGemmOnAvx512()).isEqualTo(libtorchFaster);
        Path dir = wideLayerModel();
        long[] prompt = new long[70];
        for (int i = 0; i < prompt.length; i++) {
            prompt[i] = 3 + (7L * i) % 290;
        }
        List<GenerationRequest> one = List.of(new GenerationRequest(prompt, SamplingParams.greedy(4)));
        try (Phi3Model model = load(dir, "native")) {
            assertThat(model.nativePrefill()).isEqualTo(!libtorchFaster);
            assertThat(model.prefillColumns(1, 512)).isEqualTo(libtorchFaster ? 512 : 32);
            model.nativePrefill(false);
            assertThat(model.prefillColumns(1, 512)).isEqualTo(512);
            Generator generator = new Generator(model, 512, Set.of(), TokenDecoder.NONE);
            long[] wholeChunks = generator.generate(one).get(0).tokenIds();
            model.nativePrefill(true);
            assertThat(model.prefillColumns(1, 512)).isEqualTo(32);
            assertThat(generator.generate(one).get(0).tokenIds()).containsExactly(wholeChunks);
        }
    }

    /** Prefill of more rows than one native step (34) runs the TorchScript layers over the [out, in] views. */
    @Test
    void moreRowsThanANativeStepPrefillThroughTheLayers() throws IOException {
        Path dir = DecoderPaths.model(temp, "wide", 2);
        long[][] prompts = new long[34][];
        for (int r = 0; r < prompts.length; r++) {
            prompts[r] = new long[2 + r % 5];
            for (int i = 0; i < prompts[r].length; i++) {
                prompts[r][i] = 3 + (7L * r + 11L * i) % 290;
            }
        }
        float[] plain;
        float[] nativeLogits;
        try (Phi3Model model = load(dir, "plain")) {
            plain = lastLogits(model, new Batch(prompts));
        }
        try (Phi3Model model = load(dir, "native")) {
            nativeLogits = lastLogits(model, new Batch(prompts));
        }
        assertThat(Fixtures.maxAbsDiff(nativeLogits, plain)).isLessThan(1e-4f);
    }

    private static float[] lastLogits(Phi3Model model, Batch batch) {
        float[][] out = new float[1][];
        try (NDManager call = model.manager().newSubManager(); KvCache cache = model.newCache(batch.rows(), batch.width)) {
            model.prefill(call, batch, cache, 16, (step, hidden, start, end) -> {
                if (end == batch.width) {
                    out[0] = model.logits(hidden.get(":, -1:, :")).toFloatArray();
                }
            });
        }
        return out[0];
    }

    /**
     * Heads as wide as real models' (Phi-4: 128, Phi-3-mini: 96, the bench model: 64), where attention sums the
     * weighted values in registers 64 dimensions at a time; 80 leaves a tail of 16 after one block. Full-width
     * rotary, no scaling.
     */
    @Test
    void wideHeadsMatchThePlainPath() throws IOException {
        for (int headDim : new int[] {64, 80, 128}) {
            Path dir = headsModel(temp.resolve("wide" + headDim), headDim, 2, 1, 200, 128, 29);
            float[][] plain;
            float[][] fast;
            try (Phi3Model model = load(dir, "plain")) {
                plain = logits(model, 4);
            }
            try (Phi3Model model = load(dir, "native")) {
                fast = logits(model, 4);
            }
            for (int i = 0; i < plain.length; i++) {
                assertThat(Fixtures.maxAbsDiff(fast[i], plain[i])).as("head dim %d, step %d", headDim, i)
                        .isLessThan(1e-4f);
            }
        }
    }

    /**
     * Decode attention walks the cache in blocks of 16 KB of K or V, each used by all the query heads of a
     * key/value head, with the columns ahead fetched early: contexts of several blocks (and a partial one)
     * give the plain path's logits for groups of 1, 3, 4 and 5 heads (the AVX-512 values run four heads at a
     * time) and head dims whose last dims fall outside 64-dim (80, 72) and 16-dim (72) vectors.
     */
    @Test
    void longContextsAttendBlockByBlockAsThePlainPath() throws IOException {
        int[][] shapes = {{16, 8, 2}, {64, 4, 1}, {80, 5, 1}, {72, 3, 1}, {64, 2, 2}}; // head dim, heads, kv heads
        Random random = new Random(3);
        long[][] prompts = new long[2][];
        for (int r = 0; r < prompts.length; r++) {
            prompts[r] = random.longs(r == 0 ? 590 : 301, 3, 293).toArray();
        }
        for (int[] shape : shapes) {
            Path dir = headsModel(temp.resolve("long" + shape[0] + "x" + shape[1] + "x" + shape[2]), shape[0], shape[1],
                    shape[2], 96, 1024, 31);
            float[][] plain;
            float[][] fast;
            try (Phi3Model model = load(dir, "plain")) {
                plain = logits(model, 256, prompts, 5);
            }
            try (Phi3Model model = load(dir, "native")) {
                fast = logits(model, 256, prompts, 5);
            }
            for (int i = 1; i < plain.length; i++) { // 0 is the prefill's: libtorch on both for layers this small
                assertThat(Fixtures.maxAbsDiff(fast[i], plain[i])).as("shape %s, step %d", Arrays.toString(shape), i)
                        .isLessThan(1e-4f);
            }
        }
    }

    /** A two-layer model of {@code heads} heads of {@code headDim} over {@code kvHeads} key/value heads. */
    private static Path headsModel(Path dir, int headDim, int heads, int kvHeads, int intermediate, int positions,
            long seed) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("config.json"), "{\"architectures\": [\"Phi3ForCausalLM\"], \"hidden_size\": "
                + headDim * heads + ", \"num_hidden_layers\": 2, \"num_attention_heads\": " + heads
                + ", \"num_key_value_heads\": " + kvHeads + ", \"intermediate_size\": " + intermediate
                + ", \"vocab_size\": 300, \"max_position_embeddings\": " + positions + ", \"rope_theta\": 10000.0,"
                + " \"rms_norm_eps\": 1e-5, \"tie_word_embeddings\": false, \"eos_token_id\": 2}");
        TinyModelWriter.writeWeights(dir, Phi3Config.read(dir.resolve("config.json")), seed);
        return dir;
    }

    /**
     * Threads spinning on every core deschedule the pool's worker, so the calling thread takes parts the
     * worker has not started: every part must still run once, with the same bits as on a quiet machine.
     */
    @Test
    void busyCoresChangeNoBit() throws Exception {
        Path dir = DecoderPaths.model(temp, "busy", 2);
        try (Phi3Model model = load(dir, "native")) {
            float[][] quiet = logits(model, 4);
            AtomicBoolean stop = new AtomicBoolean();
            List<Thread> spinners = new ArrayList<>();
            for (int i = 0; i < Runtime.getRuntime().availableProcessors(); i++) {
                Thread t = new Thread(() -> {
                    while (!stop.get()) {
                        Thread.onSpinWait();
                    }
                });
                t.setDaemon(true);
                t.start();
                spinners.add(t);
            }
            float[][] busy;
            try {
                busy = logits(model, 4);
            } finally {
                stop.set(true);
                for (Thread t : spinners) {
                    t.join();
                }
            }
            for (int i = 0; i < quiet.length; i++) {
                assertThat(busy[i]).as("step %d", i).containsExactly(quiet[i]);
            }
        }
    }

    @Test
    void continuousBatchingSlotsGiveThePlainPathsTokens() throws IOException {
        Path dir = DecoderPaths.model(temp, "slots", 2);
        DecoderPaths.assertSlotsGiveThePlainPathsTokens(dir, "native");
    }

    @Test
    void theBuildShipsTheKernelsForThisCpuAndAutoPicksThem() throws IOException {
        String flags = Files.readString(Path.of("/proc/cpuinfo"));
        boolean x86WithAvx2 = System.getProperty("os.arch").matches("amd64|x86_64")
                && flags.contains(" avx2") && flags.contains(" fma");
        // The module's build compiles the kernels on Linux x86-64; a CPU with AVX2 and FMA must load them.
        assertThat(NativeDecoder.available()).as("%s", NativeDecoder.unavailableReason()).isEqualTo(x86WithAvx2);
        Path dir = DecoderPaths.model(temp, "auto", 1);
        try (Phi3Model model = Phi3Model.load(dir, Phi3Config.read(dir.resolve("config.json")), Device.cpu(),
                DataType.FLOAT32, "auto")) {
            assertThat(model.attention()).isEqualTo(x86WithAvx2 ? "native" : "layers");
        }
    }

    @Test
    void theLoadedLibraryLeavesNoFileInTheTemporaryFolder() throws IOException {
        boolean available = NativeDecoder.available();
        // Mapped into this process, its file already deleted: a killed executor leaves no copy behind.
        List<String> mapped = Files.readAllLines(Path.of("/proc/self/maps")).stream()
                .filter(line -> line.contains("/phi4decode")).toList();
        assertThat(mapped.isEmpty()).as("mapped: %s", mapped).isEqualTo(!available);
        assertThat(mapped).allSatisfy(line -> assertThat(line).endsWith("(deleted)"));
    }

    @Test
    void twoThreadsDecodingOnOneModelGetTheirOwnTokens() throws Exception {
        Path dir = DecoderPaths.model(temp, "threads", 2);
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

    /**
     * Generation's decode steps take the native decoder's array entry ({@link NativeDecoder#decodeLogits}: no
     * tensor in the step) and pick the same tokens, bit for bit, as the tensor path ({@code hidden}, then
     * {@code logits}), which a wrapping forward still gets: greedy and sampled rows (a draw turns on the
     * logits' last bits), a slot refilled mid-run, and rows leaving once the queue is empty (the cache then
     * replaces its tensors, and the entry must follow them).
     */
    @Test
    void decodeStepsFromArraysPickTheTensorPathsTokens() throws IOException {
        Path dir = DecoderPaths.model(temp, "arrays", 2);
        List<GenerationRequest> requests = List.of(
                new GenerationRequest(new long[] {5, 9, 14}, SamplingParams.greedy(40)),
                new GenerationRequest(new long[] {7}, SamplingParams.sample(0.9, 0.95, 12, 3)),
                new GenerationRequest(new long[] {11, 4, 8, 30, 2}, SamplingParams.sample(1.3, 1.0, 25, 8)),
                new GenerationRequest(new long[] {6, 6}, SamplingParams.greedy(18)));
        try (Phi3Model model = load(dir, "native")) {
            int[] fromArrays = {0};
            ModelForward counting = new ModelForward() {
                private final ModelForward of = ModelForward.of(model);

                @Override
                public Phi3Model model() {
                    return model;
                }

                @Override
                public NDArray hidden(NDManager step, NDArray tokens, NDArray positions, int maxPosition, KvCache cache,
                        int start) {
                    return of.hidden(step, tokens, positions, maxPosition, cache, start);
                }

                @Override
                public NDArray hidden(NDManager step, NDArray tokens, NDArray positions, int maxPosition, KvView view) {
                    throw new AssertionError("a decode step took the tensor path");
                }

                @Override
                public java.nio.FloatBuffer decodeLogits(NativeDecoder.Scratch scratch, long[] ids, float[] positions,
                        int maxPosition, SlotCache.HostStep step) {
                    fromArrays[0]++;
                    return of.decodeLogits(scratch, ids, positions, maxPosition, step);
                }
            };
            DecodingPolicy policy = new DecodingPolicy(Set.of(), TokenDecoder.NONE);
            List<GenerationResult> arrays = new ContinuousGenerator(counting, 2, true, 4, policy, null, 0)
                    .generate(requests);
            List<GenerationResult> tensors = new ContinuousGenerator(new FailingForward(model, tokens -> { }), 2, true, 4,
                    policy, null, 0).generate(requests);
            assertThat(fromArrays[0]).as("decode steps from arrays").isGreaterThan(40);
            for (int i = 0; i < requests.size(); i++) {
                assertThat(arrays.get(i).error()).isNull();
                assertThat(arrays.get(i).tokenIds()).as("row %d", i).containsExactly(tensors.get(i).tokenIds());
            }
        }
    }

    @Test
    void aDecodeStepRunsNoLibtorchOpInTheLayers() throws IOException {
        Path one = DecoderPaths.model(temp, "one", 1);
        Path four = DecoderPaths.model(temp, "four", 4);
        try (Phi3Model a = load(one, "native"); Phi3Model b = load(four, "native")) {
            Map<String, Integer> nativeOne = EngineBenchmark.opsPerDecodeStep(a);
            Map<String, Integer> nativeFour = EngineBenchmark.opsPerDecodeStep(b);
            assertThat(nativeFour).isEqualTo(nativeOne);
            // Neither the layers nor the lm_head are libtorch calls: no TorchScript forward, no product.
            assertThat(nativeFour).doesNotContainKeys("forward", "aten::matmul", "aten::bmm", "aten::mm");
            // Nor the embedding lookup or the rotary angles: the kernels take token ids and positions.
            assertThat(nativeFour).doesNotContainKeys("aten::index", "aten::cos", "aten::sin", "aten::cat");
            // What is left: the shared-column cache's mask, the write columns and two outputs (18 here, was 34).
            assertThat(LibtorchOps.total(nativeFour)).as("mask, columns, outputs").isLessThanOrEqualTo(18);
            // Generation's steps (slot cache, forward, sampler) take the array entry: no libtorch op at all.
            assertThat(EngineBenchmark.opsPerGenerationStep(b)).isZero();
        }
    }

    @Test
    void aTokenOutsideTheVocabularyIsRefusedWithItsId() throws IOException {
        Path dir = DecoderPaths.model(temp, "vocab", 1);
        try (Phi3Model model = load(dir, "native"); KvCache cache = model.newCache(1, 4);
                NDManager step = model.manager().newSubManager()) {
            int vocab = model.config().vocabSize;
            NDArray positions = step.create(new float[] {0, 1}, new Shape(1, 2));
            for (long id : new long[] {vocab, -1}) {
                NDArray tokens = step.create(new long[] {3, id}, new Shape(1, 2));
                assertThatThrownBy(() -> model.hidden(step, tokens, positions, 1, cache, 0))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessage("Cannot run the native decoder: token id " + id + " is outside the vocabulary ("
                                + vocab + " tokens)");
            }
        }
    }

    /**
     * Every row count a step can have (1-32, each taking its own tile: one-row streams, 4x4, three weight rows
     * against eight activation rows), against a double-precision reference, on shapes whose inner dimension
     * spans several of the kernels' pieces, leaves a tail below 16 floats, or is shorter than one vector, and
     * whose output count leaves each thread a partial tile. The bound is the float32 summation bound
     * {@code gamma(in + 1) * sum |x w|} (any order of the in terms, then one rounding of the result).
     */
    @Test
    void productsOfEveryRowCountMatchADoubleReference() {
        assertThat(NativeDecoder.available()).as("%s", NativeDecoder.unavailableReason()).isTrue();
        int[][] shapes = {{300, 64}, {1027, 560}, {61, 1100}, {9, 33}, {50, 7}};
        Random random = new Random(23);
        for (int[] shape : shapes) {
            int out = shape[0];
            int in = shape[1];
            float[] w = gaussians(random, out * in);
            float[] x = gaussians(random, NativeDecoder.MAX_ROWS * in);
            double unit = Math.ulp(1.0f) / 2;
            double gamma = (in + 1) * unit / (1 - (in + 1) * unit);
            for (int rows = 1; rows <= NativeDecoder.MAX_ROWS; rows++) {
                float[] y = NativeDecoder.product(Arrays.copyOf(x, rows * in), w, rows, in, out);
                for (int r = 0; r < rows; r++) {
                    for (int o = 0; o < out; o++) {
                        double exact = 0;
                        double magnitude = 0;
                        for (int i = 0; i < in; i++) {
                            double term = (double) x[r * in + i] * w[o * in + i];
                            exact += term;
                            magnitude += Math.abs(term);
                        }
                        assertThat(Math.abs(y[r * out + o] - exact))
                                .as("%d rows, [%d, %d], row %d, output %d: %s", rows, out, in, r, o, y[r * out + o])
                                .isLessThanOrEqualTo(gamma * magnitude);
                    }
                }
            }
        }
    }

    /**
     * The native greedy pick is the Java loops' (Sampler): the first index among equal largest logits, and
     * NON_FINITE for a row with a NaN or an infinity anywhere, vector part or tail. Vocabularies shorter than,
     * equal to and just past one vector, and a Phi-3-sized one with a tail.
     */
    @Test
    void greedyPicksAreTheJavaLoopsPicks() {
        assertThat(NativeDecoder.available()).as("%s", NativeDecoder.unavailableReason()).isTrue();
        Random random = new Random(31);
        for (int vocab : new int[] {1, 7, 8, 9, 100, 32069}) {
            List<float[]> rows = new ArrayList<>();
            for (int r = 0; r < 5; r++) {
                float[] row = new float[vocab];
                for (int i = 0; i < vocab; i++) {
                    row[i] = (float) random.nextGaussian();
                }
                rows.add(row);
            }
            rows.add(filledRow(vocab, 0.25f));                          // all equal: index 0
            rows.add(planted(vocab, new int[] {vocab - 1}, 9f));       // the largest last (the tail, when any)
            rows.add(planted(vocab, new int[] {vocab / 2, vocab / 3}, 9f)); // a tie: the lower index
            rows.add(planted(vocab, new int[] {vocab - 1, 0}, 9f));    // a tie with index 0
            float[] zeros = filledRow(vocab, -1f);
            zeros[vocab - 1] = 0f;
            zeros[vocab / 2] = -0f;                                     // -0 == 0: the first of them
            rows.add(zeros);
            for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
                rows.add(planted(vocab, new int[] {vocab / 2}, bad));
                rows.add(planted(vocab, new int[] {vocab - 1}, bad));
            }
            FloatBuffer logits = ByteBuffer.allocateDirect(4 * rows.size() * vocab).order(ByteOrder.nativeOrder())
                    .asFloatBuffer();
            rows.forEach(logits::put);
            long[] picked = NativeDecoder.greedy(logits.flip(), rows.size(), vocab);
            for (int r = 0; r < rows.size(); r++) {
                assertThat(picked[r]).as("vocab %d, row %d", vocab, r).isEqualTo(javaPick(rows.get(r)));
            }
        }
        assertThatThrownBy(() -> NativeDecoder.greedy(FloatBuffer.allocate(8), 1, 8))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot pick greedy tokens: the logits are not a direct buffer of rows x vocab floats");
    }

    /**
     * {@link NativeDecoder#weigh}, {@link HostDraw}'s weights, against the Java loop it replaces: each weight
     * within an ulp of {@code Math.exp}'s, the sum (in lanes) within rounding of the Java loop's, and the
     * buckets' masses and counts exactly those of its own weights in index order (-inf scores, ties,
     * temperatures from 0.05 to 3, vocabularies that leave 0-15 tokens past the sixteen-weight part).
     */
    @Test
    void tokenWeightsAreMathExpsWithinAnUlp() {
        assertThat(NativeDecoder.available()).as("%s", NativeDecoder.unavailableReason()).isTrue();
        Random random = new Random(41);
        int buckets = 1 << 11;
        long weights = 0;
        long differing = 0;
        for (int vocab : new int[] {1, 2, 3, 4, 5, 7, 17, 31, 300, 32064}) {
            for (double temperature : new double[] {0.05, 0.7, 1.0, 3.0}) {
                for (int kind = 0; kind < 3; kind++) {
                    float[] scores = new float[vocab + 5];
                    for (int i = 0; i < scores.length; i++) {
                        scores[i] = switch (kind) {
                            case 0 -> (float) random.nextGaussian() * 4;
                            case 1 -> random.nextInt(4);
                            default -> i % 7 == 2 ? Float.NEGATIVE_INFINITY : (float) random.nextGaussian() * 40;
                        };
                    }
                    int offset = 5;
                    double[] weight = new double[vocab];
                    double[] mass = new double[buckets];
                    int[] count = new int[buckets];
                    double sum = NativeDecoder.weigh(scores, offset, vocab, temperature, weight, mass, count);

                    float max = Float.NEGATIVE_INFINITY;
                    for (int i = 0; i < vocab; i++) {
                        max = Math.max(max, scores[offset + i]);
                    }
                    double javaSum = 0;
                    double ownSum = 0;
                    double[] ownMass = new double[buckets];
                    int[] ownCount = new int[buckets];
                    for (int i = 0; i < vocab; i++) {
                        double expected = Math.exp(((double) scores[offset + i] - max) / temperature);
                        assertThat(Math.abs(weight[i] - expected)).as("vocab %d, T %s, token %d", vocab, temperature, i)
                                .isLessThanOrEqualTo(Math.ulp(expected));
                        differing += weight[i] != expected ? 1 : 0;
                        weights++;
                        javaSum += expected;
                        ownSum += weight[i];
                        int b = (Float.floatToRawIntBits((float) weight[i]) & Integer.MAX_VALUE) >>> 20;
                        ownMass[b] += weight[i];
                        ownCount[b]++;
                    }
                    assertThat(Math.abs(sum - ownSum)).isLessThanOrEqualTo(vocab * Math.ulp(ownSum));
                    assertThat(Math.abs(sum - javaSum)).isLessThanOrEqualTo(2 * vocab * Math.ulp(javaSum));
                    assertThat(mass).containsExactly(ownMass);
                    assertThat(count).containsExactly(ownCount);
                }
            }
        }
        assertThat((double) differing / weights).as("weights rounded the other way").isLessThan(0.1);
        assertThatThrownBy(() -> NativeDecoder.weigh(new float[10], 4, 8, 1.0, new double[8], new double[buckets],
                new int[buckets]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot weigh tokens: the arrays do not fit the row's scores and the buckets");
    }

    private static float[] filledRow(int n, float value) {
        float[] row = new float[n];
        Arrays.fill(row, value);
        return row;
    }

    private static float[] planted(int n, int[] at, float value) {
        float[] row = filledRow(n, 0.5f);
        for (int i : at) {
            row[i] = value;
        }
        return row;
    }

    /** Sampler's rule, written out: NON_FINITE for a non-finite row, else the first largest logit. */
    private static long javaPick(float[] row) {
        int best = 0;
        for (int i = 0; i < row.length; i++) {
            if (!Float.isFinite(row[i])) {
                return Sampler.NON_FINITE;
            }
            if (row[i] > row[best]) {
                best = i;
            }
        }
        return best;
    }

    /**
     * A row's products are the same bits in a step of 2 to 32 rows, in any place among the step's rows:
     * every tile and every row or column a tile leaves over sums in one order, so rows joining and leaving
     * a continuous batch change no other row's logits. (One row alone streams the weights its own way and
     * agrees within rounding only, as above.) Shapes with partial tiles and inner tails below one vector.
     */
    @Test
    void aRowsProductsAreTheSameBitsWhicheverRowsShareItsStep() {
        assertThat(NativeDecoder.available()).as("%s", NativeDecoder.unavailableReason()).isTrue();
        int[][] shapes = {{1027, 560}, {61, 1100}, {50, 7}, {300, 64}};
        Random random = new Random(29);
        int most = NativeDecoder.MAX_ROWS;
        for (int[] shape : shapes) {
            int out = shape[0];
            int in = shape[1];
            float[] w = gaussians(random, out * in);
            float[] x = gaussians(random, most * in);
            float[] all = NativeDecoder.product(x, w, most, in, out);
            for (int rows = 2; rows < most; rows++) {
                float[] first = Arrays.copyOf(x, rows * in);
                float[] reversed = new float[rows * in];
                for (int r = 0; r < rows; r++) {
                    System.arraycopy(x, r * in, reversed, (rows - 1 - r) * in, in);
                }
                float[] y = NativeDecoder.product(first, w, rows, in, out);
                float[] yReversed = NativeDecoder.product(reversed, w, rows, in, out);
                for (int r = 0; r < rows; r++) {
                    float[] expected = Arrays.copyOfRange(all, r * out, (r + 1) * out);
                    assertThat(Arrays.copyOfRange(y, r * out, (r + 1) * out))
                            .as("[%d, %d], row %d of %d", out, in, r, rows).isEqualTo(expected);
                    assertThat(Arrays.copyOfRange(yReversed, (rows - 1 - r) * out, (rows - r) * out))
                            .as("[%d, %d], row %d of %d reversed", out, in, r, rows).isEqualTo(expected);
                }
            }
        }
    }

    /**
     * The products' weight prefetch is non-temporal on AMD and into L2 elsewhere (on an Intel Xeon the
     * non-temporal hint made multi-row products 2-3x slower), unless {@code PHI4_PREFETCH} asks for one.
     */
    @Test
    void theWeightPrefetchIsTheOneAskedOrTheCpuMakers() throws IOException {
        assertThat(NativeDecoder.available()).as("%s", NativeDecoder.unavailableReason()).isTrue();
        String asked = System.getenv("PHI4_PREFETCH");
        boolean amd = Files.readString(Path.of("/proc/cpuinfo")).contains("AuthenticAMD");
        String expected = "nta".equals(asked) || "l2".equals(asked) ? asked : amd ? "nta" : "l2";
        assertThat(NativeDecoder.prefetchHint()).isEqualTo(expected);
        assertThatThrownBy(() -> NativeDecoder.prefetchHint("t0"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("Cannot set the prefetch hint: expected nta or l2 (t0)");
        assertThat(NativeDecoder.prefetchHint()).isEqualTo(expected);
    }

    /**
     * Each prefetch hint is its own copy of every tile (a constant to the unrolled loops): both give the
     * same bits at every row count, whichever one this host picks for the other tests.
     */
    @Test
    void bothWeightPrefetchHintsGiveTheSameBits() {
        assertThat(NativeDecoder.available()).as("%s", NativeDecoder.unavailableReason()).isTrue();
        int[][] shapes = {{1027, 560}, {61, 1100}, {50, 7}};
        Random random = new Random(31);
        String hostHint = NativeDecoder.prefetchHint();
        try {
            for (int[] shape : shapes) {
                int out = shape[0];
                int in = shape[1];
                float[] w = gaussians(random, out * in);
                float[] x = gaussians(random, NativeDecoder.MAX_ROWS * in);
                for (int rows = 1; rows <= NativeDecoder.MAX_ROWS; rows++) {
                    float[] rowsX = Arrays.copyOf(x, rows * in);
                    NativeDecoder.prefetchHint("nta");
                    float[] nta = NativeDecoder.product(rowsX, w, rows, in, out);
                    NativeDecoder.prefetchHint("l2");
                    float[] l2 = NativeDecoder.product(rowsX, w, rows, in, out);
                    assertThat(l2).as("[%d, %d], %d rows", out, in, rows).isEqualTo(nta);
                    assertThat(nta).as("[%d, %d], %d rows: all written", out, in, rows).doesNotContain(Float.NaN);
                }
            }
        } finally {
            NativeDecoder.prefetchHint(hostHint);
        }
        assertThat(NativeDecoder.prefetchHint()).isEqualTo(hostHint);
    }

    private static float[] gaussians(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
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
