package dev.phi4spark.udf.bench;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonUnwrapped;
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

    /**
     * What {@link EngineBenchmark#run} measured, under the JSON names {@code bench engine} and {@code bench all}
     * write: one flat object, the layout and decode figures unwrapped under their {@code layout_bN_} and
     * {@code decode_bN_} prefixes.
     *
     * @param device the model's device
     * @param dtype the model's weight type
     * @param parameters the model's parameter count
     * @param gemmSize side of the square GEMM
     * @param gemmGflops libtorch's GEMM rate, the compute roofline
     * @param attention the attention path the model runs
     * @param nativePrefetch the native kernels' weight prefetch hint ({@code nta} or {@code l2}; absent off
     *     the native path)
     * @param readBandwidthGbPerSecond memory read bandwidth, the decode roofline
     * @param opsPerDecodeStep top-level libtorch ops of one decode step
     * @param opsPerDecodeStepByName those ops by libtorch name
     * @param opsPerGenerationStep top-level libtorch ops of one decode step of generation (the slot cache, the
     *     forward and the sampler), as the decode figures run it
     * @param layouts the weight layouts' product times
     * @param prefill1x256TokensPerSecond prefill of one 256-token prompt
     * @param prefillTokensPerSecond prefill of eight 256-token prompts
     * @param prefillRooflineFraction that prefill as a fraction of the GEMM roofline
     * @param decodeB1 decode at batch 1
     * @param decodeB4 decode at batch 4 (a batch partly drained, as continuous batching has at a run's end)
     * @param decodeB8 decode at batch 8
     * @param decodeB32 decode at batch 32 (compute-bound: no bandwidth fraction)
     * @param decodeB8SampledTokensPerSecond decode at batch 8 drawing each token at the sampling defaults
     *     (temperature 0.7, top-p 0.95, a seed per row) instead of greedily
     * @param decodeB8PenalizedTokensPerSecond the same with repetition penalty {@value #PENALTY}
     */
    public record Figures(
            @JsonProperty("device") String device,
            @JsonProperty("dtype") String dtype,
            @JsonProperty("parameters") long parameters,
            @JsonProperty("gemm_size") int gemmSize,
            @JsonProperty("gemm_gflops") double gemmGflops,
            @JsonProperty("attention") String attention,
            @JsonProperty("native_prefetch") @JsonInclude(JsonInclude.Include.NON_NULL) String nativePrefetch,
            @JsonProperty("read_bandwidth_gb_per_s") double readBandwidthGbPerSecond,
            @JsonProperty("ops_per_decode_step") int opsPerDecodeStep,
            @JsonProperty("ops_per_decode_step_by_name") Map<String, Integer> opsPerDecodeStepByName,
            @JsonProperty("ops_per_generation_step") double opsPerGenerationStep,
            @JsonUnwrapped Layouts layouts,
            @JsonProperty("prefill_1x256_tokens_per_s") double prefill1x256TokensPerSecond,
            @JsonProperty("prefill_tokens_per_s") double prefillTokensPerSecond,
            @JsonProperty("prefill_roofline_fraction") double prefillRooflineFraction,
            @JsonUnwrapped(prefix = "decode_b1_") DecodeFigures decodeB1,
            @JsonUnwrapped(prefix = "decode_b4_") DecodeFigures decodeB4,
            @JsonUnwrapped(prefix = "decode_b8_") DecodeFigures decodeB8,
            @JsonUnwrapped(prefix = "decode_b32_") DecodeFigures decodeB32,
            @JsonProperty("decode_b8_sampled_tokens_per_s") double decodeB8SampledTokensPerSecond,
            @JsonProperty("decode_b8_penalized_tokens_per_s") double decodeB8PenalizedTokensPerSecond) {}

    /**
     * The weight layouts at 1, 8 and 32 activation rows (see {@code layouts}), as {@code layout_bN_} in JSON.
     * The prefixes are whole here and {@link Figures} unwraps this without one: Jackson drops an outer
     * unwrapping prefix from nested unwrapped records.
     *
     * @param b1 one row
     * @param b8 eight rows
     * @param b32 32 rows
     */
    public record Layouts(
            @JsonUnwrapped(prefix = "layout_b1_") LayoutFigures b1,
            @JsonUnwrapped(prefix = "layout_b8_") LayoutFigures b8,
            @JsonUnwrapped(prefix = "layout_b32_") LayoutFigures b32) {}

    /**
     * One product the size of the MLP's gate_up in both weight layouts.
     *
     * @param viewMs milliseconds against the checkpoint's matrix as a transposed view
     * @param contiguousMs milliseconds against a contiguous {@code [in, out]} copy
     */
    public record LayoutFigures(
            @JsonProperty("view_ms") double viewMs,
            @JsonProperty("contiguous_ms") double contiguousMs) {}

    /**
     * Decode at one batch size.
     *
     * @param tokensPerSecond generated tokens per second, decode steps only
     * @param rooflineFraction model FLOPs at that rate as a fraction of the GEMM roofline
     * @param bandwidthFraction weight bytes read per step as a fraction of the read bandwidth; null (and left
     *     out of the JSON) at batch sizes bound by compute
     * @param bandwidthGbPerSecond the read bandwidth that fraction is of: the mean of the measurements just
     *     before and after the decode runs; null where the fraction is
     * @param otherCpuFraction the share of all CPUs' time that other processes and kernel threads took while
     *     the decode runs were measured (0 on a quiet machine); null where {@code /proc} cannot be read
     */
    public record DecodeFigures(
            @JsonProperty("tokens_per_s") double tokensPerSecond,
            @JsonProperty("roofline_fraction") double rooflineFraction,
            @JsonProperty("bandwidth_fraction") @JsonInclude(JsonInclude.Include.NON_NULL) Double bandwidthFraction,
            @JsonProperty("read_bandwidth_gb_per_s") @JsonInclude(JsonInclude.Include.NON_NULL)
                    Double bandwidthGbPerSecond,
            @JsonProperty("other_cpu_fraction") @JsonInclude(JsonInclude.Include.NON_NULL)
                    Double otherCpuFraction) {}

    /**
     * The fused attention kernel against the plain path (see {@link EngineBenchmark#attention}).
     *
     * @param plain the plain NDArray path
     * @param fused the fused kernel
     * @param prompts prompts prefilled, and the decode batch
     * @param promptTokens tokens per prompt
     * @param fusedOverPlainPrefill fused prefill rate over plain
     * @param fusedOverPlainDecode fused decode rate over plain
     */
    public record AttentionFigures(
            @JsonUnwrapped(prefix = "plain_") AttentionPathFigures plain,
            @JsonUnwrapped(prefix = "fused_") AttentionPathFigures fused,
            @JsonProperty("prompts") int prompts,
            @JsonProperty("prompt_tokens") int promptTokens,
            @JsonProperty("fused_over_plain_prefill") double fusedOverPlainPrefill,
            @JsonProperty("fused_over_plain_decode") double fusedOverPlainDecode) {}

    /**
     * One attention path's speed.
     *
     * @param prefillTokensPerSecond prefill tokens per second
     * @param decodeTokensPerSecond decode tokens per second
     */
    public record AttentionPathFigures(
            @JsonProperty("prefill_tokens_per_s") double prefillTokensPerSecond,
            @JsonProperty("decode_tokens_per_s") double decodeTokensPerSecond) {}

    /** Runs every measurement: GFLOP/s, GB/s, tokens/s and their fractions of the rooflines. */
    public Figures run(Path modelDir, int gemmSize, int decodeSteps) {
        try (Phi4Engine engine = Phi4Engine.load(modelDir, options)) {
            Phi3Model model = engine.model();
            Phi3Config c = model.config();
            double gemm = gemmGflops(model.manager(), gemmSize, model.dtype());
            log.accept(String.format("GEMM %dx%d %s: %.1f GFLOP/s (the roofline)", gemmSize, gemmSize, model.dtype(), gemm));
            double bandwidth = readBandwidth(model);
            log.accept(String.format("memory read bandwidth: %.1f GB/s", bandwidth / 1e9));
            if (model.nativePrefetch() != null) {
                log.accept("native kernels' weight prefetch: " + model.nativePrefetch()
                        + " (PHI4_PREFETCH=nta or l2 to choose); prefill in "
                        + (model.nativePrefill() ? "native steps" : "libtorch's whole chunks"));
            }
            Map<String, Integer> ops = opsPerDecodeStep(model);
            log.accept(String.format("libtorch ops per decode step (%s, profiler, top-level): %d %s",
                    model.attention(), LibtorchOps.total(ops), ops));
            double generationOps = opsPerGenerationStep(model);
            log.accept(String.format("libtorch ops per decode step of generation (slot cache and sampler too): %.1f",
                    generationOps));
            Layouts layouts = layouts(model.manager(), c.hiddenSize, 2 * c.intermediateSize, model.dtype());
            double prefillOne = prefillTokensPerSecond(model, 1, 256);
            log.accept(String.format("prefill 1 x 256: %.0f tokens/s", prefillOne));

            // Prefill computes logits only for the last position, so its FLOPs are the layers' alone.
            double prefillFlops = c.flopsPerToken() - 2.0 * c.vocabSize * c.hiddenSize;
            double prefill = prefillTokensPerSecond(model, 8, 256);
            log.accept(String.format("prefill 8 x 256: %.0f tokens/s, %.2f of the roofline", prefill,
                    prefill * prefillFlops / (gemm * 1e9)));
            DecodeFigures decodeB1 = decode(model, 1, decodeSteps, gemm);
            DecodeFigures decodeB4 = decode(model, 4, decodeSteps, gemm);
            DecodeFigures decodeB8 = decode(model, 8, decodeSteps, gemm);
            DecodeFigures decodeB32 = decode(model, 32, decodeSteps, gemm);
            double sampled = decodeTokensPerSecond(model, 8, 16, decodeSteps, Picks.SAMPLED);
            log.accept(String.format("decode batch 8, sampled (temperature 0.7, top-p 0.95): %.1f tokens/s", sampled));
            double penalized = decodeTokensPerSecond(model, 8, 16, decodeSteps, Picks.PENALIZED);
            log.accept(String.format("decode batch 8, sampled with repetition penalty %s: %.1f tokens/s", PENALTY,
                    penalized));
            return new Figures(model.device().toString(), model.dtype().toString(), c.parameterCount(), gemmSize,
                    round(gemm), model.attention(), model.nativePrefetch(), round(bandwidth / 1e9),
                    LibtorchOps.total(ops), ops, round(generationOps), layouts,
                    round(prefillOne), round(prefill),
                    round3(prefill * prefillFlops / (gemm * 1e9)), decodeB1, decodeB4, decodeB8, decodeB32,
                    round(sampled), round(penalized));
        }
    }

    /**
     * Decode at {@code batch} after 16-token prompts, against the GEMM roofline and, at batch sizes up to 8
     * (bound by reading the weights), against the read bandwidth. The bandwidth is measured again just
     * before and after the decode runs and the fraction taken against their mean: on a shared host it
     * drifts by half within minutes (38 to 62 GB/s here, docs/benchmarks.md), so a figure from the start of
     * the run would not be the one the decode saw.
     */
    private DecodeFigures decode(Phi3Model model, int batch, int decodeSteps, double gemm) {
        Phi3Config c = model.config();
        double before = readBandwidth(model);
        HostCpu cpuBefore = HostCpu.sample();
        double decode = decodeTokensPerSecond(model, batch, 16, decodeSteps, Picks.GREEDY);
        HostCpu cpuAfter = HostCpu.sample();
        Double other = cpuBefore == null || cpuAfter == null ? null : round3(cpuAfter.otherShareSince(cpuBefore));
        double bandwidth = (before + readBandwidth(model)) / 2;
        double fraction = decode * c.flopsPerToken() / (gemm * 1e9);
        double read = weightBytes(c, model.dtype()) * decode / batch / bandwidth;
        log.accept(String.format("decode batch %d: %.1f tokens/s, %.2f of the roofline, %.2f of the bandwidth"
                + " (%.1f GB/s around it)%s", batch, decode, fraction, read, bandwidth / 1e9,
                other == null ? "" : String.format("; other tasks took %.0f%% of the CPUs", other * 100)));
        boolean readBound = batch <= 8;
        return new DecodeFigures(round(decode), round3(fraction), readBound ? round3(read) : null,
                readBound ? round(bandwidth / 1e9) : null, other);
    }

    /** Bytes of weights a decode step reads: every matrix and norm but the embedding table (rows only). */
    static double weightBytes(Phi3Config c, DataType dtype) {
        long embed = (long) c.vocabSize * c.hiddenSize;
        long read = c.parameterCount() - (c.tieWordEmbeddings ? 0 : embed);
        return (double) read * dtype.getNumOfBytes();
    }

    /**
     * Memory read bandwidth in bytes/s: the best of a few libtorch sums over a 512 MiB float32 array, far
     * larger than any cache, on libtorch's threads as the model uses them, the array on the pages the model's
     * weights take ({@link Phi3Model#onWeightPages}: 2 MB pages on a CPU where the kernel grants them). On 4 KB
     * pages the same sum read 25.5-27.1 GB/s where 2 MB pages gave 32.3-32.8 (an Intel Xeon), so decode over
     * weights on 2 MB pages measured against it read up to 1.09 of "the bandwidth" (docs/benchmarks.md).
     */
    static double readBandwidth(Phi3Model model) {
        long n = 128L << 20;
        try (NDManager m = model.manager().newSubManager()) {
            NDArray a = m.ones(new Shape(n));
            model.onWeightPages(a);
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
    public static Map<String, Integer> opsPerDecodeStep(Phi3Model model) {
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
     * Top-level libtorch ops of one decode step of generation ({@link Generator}, greedy, batch 1: the slot
     * cache, the forward and the sampler): what generating ten new tokens issues beyond generating two (the
     * same prefill and slot load, one decode step), over the eight decode steps between them.
     */
    public static double opsPerGenerationStep(Phi3Model model) {
        Generator generator = new Generator(model, 512, Set.of(), TokenDecoder.NONE);
        long[] prompt = {5, 9, 14};
        generator.generate(List.of(new GenerationRequest(prompt, SamplingParams.greedy(10)))); // warm-up
        int[] totals = new int[2];
        int[] tokens = {2, 10};
        for (int i = 0; i < 2; i++) {
            List<GenerationRequest> rows = List.of(new GenerationRequest(prompt, SamplingParams.greedy(tokens[i])));
            totals[i] = LibtorchOps.total(LibtorchOps.count(() -> generator.generate(rows)));
        }
        return (totals[1] - totals[0]) / 8.0;
    }

    /**
     * The weight layouts the engine could keep, timed on a product the size of the MLP's gate_up: {@code
     * rows} activations against the checkpoint's {@code [out, in]} matrix as a transposed view (the old
     * layout) and against a contiguous {@code [in, out]} copy (the one kept). Ratios above 1 favour the copy.
     */
    Layouts layouts(NDManager parent, int in, int out, DataType dtype) {
        LayoutFigures[] figures = new LayoutFigures[3];
        int[] rowCounts = {1, 8, 32};
        try (NDManager m = parent.newSubManager()) {
            NDArray outIn = m.randomNormal(new Shape(out, in)).toType(dtype, false);
            NDArray view = outIn.transpose();
            NDArray contiguous = view.flatten().reshape(in, out);
            for (int i = 0; i < rowCounts.length; i++) {
                int rows = rowCounts[i];
                NDArray x = m.randomNormal(new Shape(rows, 1, in)).toType(dtype, false);
                double viewSeconds = productSeconds(m, x, view);
                double copySeconds = productSeconds(m, x, contiguous);
                figures[i] = new LayoutFigures(round3(viewSeconds * 1e3), round3(copySeconds * 1e3));
                log.accept(String.format("[%d, %d] x [%d, %d]: transposed view %.2f ms, contiguous [in, out] %.2f ms", rows,
                        in, in, out, viewSeconds * 1e3, copySeconds * 1e3));
            }
        }
        return new Layouts(figures[0], figures[1], figures[2]);
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
    public AttentionFigures attention(Path modelDir, int prompts, int length, int decodeSteps) {
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
                decode[i] = decodeTokensPerSecond(engine.model(), prompts, length, decodeSteps, Picks.GREEDY);
                log.accept(String.format("%s attention: prefill %d x %d %.0f tokens/s, decode batch %d at %d"
                        + " columns %.0f tokens/s", paths[i], prompts, length, prefill[i], prompts, length, decode[i]));
            }
        }
        log.accept(String.format("fused / plain: prefill %.2fx, decode %.2fx", prefill[1] / prefill[0],
                decode[1] / decode[0]));
        return new AttentionFigures(new AttentionPathFigures(round(prefill[0]), round(decode[0])),
                new AttentionPathFigures(round(prefill[1]), round(decode[1])), prompts, length,
                round3(prefill[1] / prefill[0]), round3(decode[1] / decode[0]));
    }

    private static double prefillTokensPerSecond(Phi3Model model, int batch, int length) {
        List<GenerationRequest> rows = randomPrompts(model, batch, length, 1, Picks.GREEDY);
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
    private static double decodeTokensPerSecond(Phi3Model model, int batch, int promptLength, int steps,
            Picks picks) {
        List<GenerationRequest> rows = randomPrompts(model, batch, promptLength, steps + 1, picks);
        Generator generator = new Generator(model, 512, Set.of(), TokenDecoder.NONE);
        // Warm-up as long as a run: a decode step is a few native calls, so the Java between them (sampling,
        // the cache's bookkeeping) shows until the JIT has compiled it; a 4-token warm-up left b1 ~20% low.
        generator.generate(randomPrompts(model, batch, promptLength, steps + 1, picks));
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

    /** The repetition penalty of the penalized decode figure: a common setting for synthetic text. */
    static final double PENALTY = 1.1;

    /** How a decode figure's rows pick their tokens. */
    private enum Picks { GREEDY, SAMPLED, PENALIZED }

    /**
     * Random prompts; greedy, or sampled at the defaults' temperature and top-p with a seed per row, or that
     * with repetition penalty {@link #PENALTY}.
     */
    private static List<GenerationRequest> randomPrompts(Phi3Model model, int batch, int length, int newTokens,
            Picks picks) {
        Random random = new Random(batch * 31L + length);
        List<GenerationRequest> rows = new ArrayList<>();
        for (int r = 0; r < batch; r++) {
            long[] ids = new long[length];
            for (int i = 0; i < length; i++) {
                ids[i] = 3 + random.nextInt(model.config().vocabSize - 3);
            }
            SamplingParams sampled = SamplingParams.sample(SamplingParams.TEMPERATURE.defaultValue(),
                    SamplingParams.TOP_P.defaultValue(), newTokens, r);
            SamplingParams p = switch (picks) {
                case GREEDY -> SamplingParams.greedy(newTokens);
                case SAMPLED -> sampled;
                case PENALIZED -> sampled.with(SamplingParams.REPETITION_PENALTY, PENALTY);
            };
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
