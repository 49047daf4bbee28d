package dev.phi4spark.udf.bench;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.phi4spark.udf.engine.EngineOptions;
import dev.phi4spark.udf.engine.GenerationRequest;
import dev.phi4spark.udf.engine.Generator;
import dev.phi4spark.udf.engine.KvCache;
import dev.phi4spark.udf.engine.Phi3Config;
import dev.phi4spark.udf.engine.Phi3Model;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.udf.engine.TinyModelWriter;
import dev.phi4spark.udf.engine.TokenDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;

/**
 * The engine's speed against the machine's own rooflines: libtorch's float32 GEMM rate on a large square
 * product and the memory read bandwidth, then prefill and decode throughput of a ~150M-parameter Phi-3
 * with random weights. Prefill and batch-32 decode are compute-bound (a fraction of the GEMM rate: model
 * FLOPs per token x tokens/s / GEMM FLOP/s); decode at batch 1 and 8 is bound by reading the weights once
 * per step (a fraction of the bandwidth: weight bytes / step time / bandwidth). The figures match what
 * llama.cpp's llama-bench reports (one 256-token prompt; decode after 16-token prompts).
 */
public final class EngineBenchmark {

    /** A ~150M-parameter Phi-3 config, the benchmark's model. */
    public static final String CONFIG_150M = "{\"architectures\": [\"Phi3ForCausalLM\"], \"hidden_size\": 1024,"
            + " \"num_hidden_layers\": 8, \"num_attention_heads\": 16, \"num_key_value_heads\": 4,"
            + " \"intermediate_size\": 2816, \"vocab_size\": 32064, \"max_position_embeddings\": 4096,"
            + " \"rope_theta\": 10000.0, \"rms_norm_eps\": 1e-5, \"tie_word_embeddings\": false,"
            + " \"eos_token_id\": 2}";

    private final EngineOptions options;
    private final Consumer<String> log;

    /** A benchmark on the given device options, printing progress to {@code log}. */
    public EngineBenchmark(EngineOptions options, Consumer<String> log) {
        this.options = options;
        this.log = log;
    }

    /** Runs every measurement; the map's keys name the figures (GFLOP/s, tokens/s, fractions). */
    public Map<String, Object> run(Path modelDir, int gemmSize, int decodeSteps) {
        Map<String, Object> out = new LinkedHashMap<>();
        try (Phi4Engine engine = Phi4Engine.load(modelDir, options)) {
            Phi3Model model = engine.model();
            Phi3Config c = model.config();
            double gemm = gemmGflops(model.manager(), gemmSize, model.dtype());
            out.put("device", model.device().toString());
            out.put("dtype", model.dtype().toString());
            out.put("parameters", c.parameterCount());
            out.put("gemm_size", gemmSize);
            out.put("gemm_gflops", round(gemm));
            log.accept(String.format("GEMM %dx%d %s: %.1f GFLOP/s (the roofline)", gemmSize, gemmSize, model.dtype(), gemm));
            double bandwidth = readBandwidth(model.manager());
            out.put("attention", model.attention());
            out.put("read_bandwidth_gb_per_s", round(bandwidth / 1e9));
            log.accept(String.format("memory read bandwidth: %.1f GB/s", bandwidth / 1e9));
            Map<String, Integer> ops = opsPerDecodeStep(model);
            out.put("ops_per_decode_step", LibtorchOps.total(ops));
            out.put("ops_per_decode_step_by_name", ops);
            log.accept(String.format("libtorch ops per decode step (%s, profiler, top-level): %d %s",
                    model.attention(), LibtorchOps.total(ops), ops));
            out.putAll(layouts(model.manager(), c.hiddenSize, 2 * c.intermediateSize, model.dtype()));
            double prefillOne = prefillTokensPerSecond(model, 1, 256);
            out.put("prefill_1x256_tokens_per_s", round(prefillOne));
            log.accept(String.format("prefill 1 x 256: %.0f tokens/s", prefillOne));

            // Prefill computes logits only for the last position, so its FLOPs are the layers' alone.
            double prefillFlops = c.flopsPerToken() - 2.0 * c.vocabSize * c.hiddenSize;
            double prefill = prefillTokensPerSecond(model, 8, 256);
            out.put("prefill_tokens_per_s", round(prefill));
            out.put("prefill_roofline_fraction", round3(prefill * prefillFlops / (gemm * 1e9)));
            log.accept(String.format("prefill 8 x 256: %.0f tokens/s, %.2f of the roofline", prefill,
                    prefill * prefillFlops / (gemm * 1e9)));
            for (int batch : new int[] {1, 8, 32}) {
                double decode = decodeTokensPerSecond(model, batch, 16, decodeSteps);
                double fraction = decode * c.flopsPerToken() / (gemm * 1e9);
                out.put("decode_b" + batch + "_tokens_per_s", round(decode));
                out.put("decode_b" + batch + "_roofline_fraction", round3(fraction));
                double read = weightBytes(c, model.dtype()) * decode / batch / bandwidth;
                if (batch <= 8) {
                    out.put("decode_b" + batch + "_bandwidth_fraction", round3(read));
                }
                log.accept(String.format("decode batch %d: %.1f tokens/s, %.2f of the roofline, %.2f of the bandwidth",
                        batch, decode, fraction, read));
            }
        }
        return out;
    }

    /** Bytes of weights a decode step reads: every matrix and norm but the embedding table (rows only). */
    static double weightBytes(Phi3Config c, DataType dtype) {
        long embed = (long) c.vocabSize * c.hiddenSize;
        long read = c.parameterCount() - (c.tieWordEmbeddings ? 0 : embed);
        return (double) read * dtype.getNumOfBytes();
    }

    /**
     * Memory read bandwidth in bytes/s: the best of a few libtorch sums over a 512 MiB float32 array, far
     * larger than any cache, on libtorch's threads as the model uses them.
     */
    static double readBandwidth(NDManager parent) {
        long n = 128L << 20;
        try (NDManager m = parent.newSubManager()) {
            NDArray a = m.ones(new Shape(n));
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 8; i++) {
                try (NDManager step = m.newSubManager()) {
                    long t0 = System.nanoTime();
                    NDArray sum = a.sum();
                    sum.attach(step);
                    sum.toFloatArray();
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
            }
            return n * 4.0 / best;
        }
    }

    /**
     * Top-level libtorch ops of one decode step's forward (the layers and the lm_head; the sampler left
     * out) at batch 1, after three warm-up steps.
     */
    static Map<String, Integer> opsPerDecodeStep(Phi3Model model) {
        try (KvCache cache = model.newCache(1, 8)) {
            Map<String, Integer> ops = Map.of();
            for (int column = 0; column < 4; column++) {
                try (NDManager step = model.manager().newSubManager()) {
                    NDArray tokens = step.create(new long[] {5}).reshape(1, 1);
                    NDArray positions = step.create(new float[] {column}).reshape(1, 1);
                    int at = column;
                    Runnable forward = () -> model.logits(model.hidden(step, tokens, positions, at, cache, at));
                    if (column < 3) {
                        forward.run();
                    } else {
                        ops = LibtorchOps.count(forward);
                    }
                }
            }
            return ops;
        }
    }

    /**
     * The weight layouts the engine could keep, timed on a product the size of the MLP's gate_up: {@code
     * rows} activations against the checkpoint's {@code [out, in]} matrix as a transposed view (the old
     * layout) and against a contiguous {@code [in, out]} copy (the one kept). Ratios above 1 favour the copy.
     */
    Map<String, Object> layouts(NDManager parent, int in, int out, DataType dtype) {
        Map<String, Object> figures = new LinkedHashMap<>();
        try (NDManager m = parent.newSubManager()) {
            NDArray outIn = m.randomNormal(new Shape(out, in)).toType(dtype, false);
            NDArray view = outIn.transpose();
            NDArray contiguous = view.flatten().reshape(in, out);
            for (int rows : new int[] {1, 8, 32}) {
                NDArray x = m.randomNormal(new Shape(rows, 1, in)).toType(dtype, false);
                double viewSeconds = productSeconds(m, x, view);
                double copySeconds = productSeconds(m, x, contiguous);
                figures.put("layout_b" + rows + "_view_ms", round3(viewSeconds * 1e3));
                figures.put("layout_b" + rows + "_contiguous_ms", round3(copySeconds * 1e3));
                log.accept(String.format("[%d, %d] x [%d, %d]: transposed view %.2f ms, contiguous [in, out] %.2f ms", rows,
                        in, in, out, viewSeconds * 1e3, copySeconds * 1e3));
            }
        }
        return figures;
    }

    /** The best of five rounds of ten products, per product. */
    private static double productSeconds(NDManager m, NDArray x, NDArray w) {
        double best = Double.MAX_VALUE;
        for (int round = 0; round < 5; round++) {
            try (NDManager step = m.newSubManager()) {
                long t0 = System.nanoTime();
                NDArray y = null;
                for (int i = 0; i < 10; i++) {
                    y = x.matMul(w);
                    y.attach(step);
                }
                y.get(0, 0, 0).toFloatArray(); // forces completion on an asynchronous device
                best = Math.min(best, (System.nanoTime() - t0) / 10e9);
            }
        }
        return best;
    }

    /** Writes the 150M-parameter random model into a folder (about 600 MB of float32). */
    public static Path write150M(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), CONFIG_150M);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TinyModelWriter.writeWeights(dir, Phi3Config.parse(CONFIG_150M), 1);
        return dir;
    }

    /** The best of a few timed runs of {@code a @ b} for square float32 (or the model dtype) matrices. */
    static double gemmGflops(NDManager parent, int n, DataType dtype) {
        try (NDManager m = parent.newSubManager()) {
            NDArray a = m.randomNormal(new Shape(n, n)).toType(dtype, false);
            NDArray b = m.randomNormal(new Shape(n, n)).toType(dtype, false);
            double best = Double.MAX_VALUE;
            for (int i = 0; i < 6; i++) {
                try (NDManager step = m.newSubManager()) {
                    long t0 = System.nanoTime();
                    NDArray c = a.matMul(b);
                    c.attach(step);
                    c.get(0, 0).toFloatArray(); // forces completion on an asynchronous device
                    best = Math.min(best, (System.nanoTime() - t0) / 1e9);
                }
            }
            return 2.0 * n * n * n / best / 1e9;
        }
    }

    /**
     * The fused attention kernel against the plain NDArray path on the same weights: prefill of
     * {@code prompts} prompts of {@code length} tokens, and decode of a batch of {@code prompts} after such a
     * prompt, where attention reads {@code length} cached columns per step. Ratios above 1 favour fused.
     */
    public Map<String, Object> attention(Path modelDir, int prompts, int length, int decodeSteps) {
        Map<String, Object> out = new LinkedHashMap<>();
        double[] prefill = new double[2];
        double[] decode = new double[2];
        String[] paths = {"plain", "fused"};
        for (int i = 0; i < 2; i++) {
            try (Phi4Engine engine = Phi4Engine.load(modelDir, options.withAttention(paths[i]))) {
                if (!engine.model().attention().equals(paths[i])) {
                    throw new IllegalStateException("Cannot compare attention paths: asked for " + paths[i]
                            + ", got " + engine.model().attention());
                }
                prefill[i] = prefillTokensPerSecond(engine.model(), prompts, length);
                decode[i] = decodeTokensPerSecond(engine.model(), prompts, length, decodeSteps);
                log.accept(String.format("%s attention: prefill %d x %d %.0f tokens/s, decode batch %d at %d"
                        + " columns %.0f tokens/s", paths[i], prompts, length, prefill[i], prompts, length, decode[i]));
                out.put(paths[i] + "_prefill_tokens_per_s", round(prefill[i]));
                out.put(paths[i] + "_decode_tokens_per_s", round(decode[i]));
            }
        }
        out.put("prompts", prompts);
        out.put("prompt_tokens", length);
        out.put("fused_over_plain_prefill", round3(prefill[1] / prefill[0]));
        out.put("fused_over_plain_decode", round3(decode[1] / decode[0]));
        log.accept(String.format("fused / plain: prefill %.2fx, decode %.2fx", prefill[1] / prefill[0],
                decode[1] / decode[0]));
        return out;
    }

    private static double prefillTokensPerSecond(Phi3Model model, int batch, int length) {
        List<GenerationRequest> rows = randomPrompts(model, batch, length, SamplingParams.greedy(1));
        Generator generator = new Generator(model, 512, Set.of(), TokenDecoder.NONE);
        generator.generate(rows); // warm-up
        double best = Double.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            long t0 = System.nanoTime();
            generator.generate(rows);
            best = Math.min(best, (System.nanoTime() - t0) / 1e9);
        }
        return batch * length / best;
    }

    /** The best of three timed runs: decode steps only, the prefill left out. */
    private static double decodeTokensPerSecond(Phi3Model model, int batch, int promptLength, int steps) {
        List<GenerationRequest> rows = randomPrompts(model, batch, promptLength, SamplingParams.greedy(steps + 1));
        Generator generator = new Generator(model, 512, Set.of(), TokenDecoder.NONE);
        generator.generate(randomPrompts(model, batch, promptLength, SamplingParams.greedy(4))); // warm-up
        double best = Double.MAX_VALUE;
        for (int run = 0; run < 3; run++) {
            long[] times = new long[2];
            generator.generate(rows, (step, live) -> {
                if (step == 0) {
                    times[0] = System.nanoTime(); // prefill done: the decode steps start here
                }
                times[1] = System.nanoTime();
            });
            best = Math.min(best, (times[1] - times[0]) / 1e9);
        }
        return (double) batch * steps / best;
    }

    private static List<GenerationRequest> randomPrompts(Phi3Model model, int batch, int length, SamplingParams p) {
        Random random = new Random(batch * 31L + length);
        List<GenerationRequest> rows = new ArrayList<>();
        for (int r = 0; r < batch; r++) {
            long[] ids = new long[length];
            for (int i = 0; i < length; i++) {
                ids[i] = 3 + random.nextInt(model.config().vocabSize - 3);
            }
            rows.add(new GenerationRequest(ids, p));
        }
        return rows;
    }

    private static double round(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
