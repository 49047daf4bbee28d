package dev.phi4spark.udf.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.phi4spark.udf.engine.ContinuousGenerator;
import dev.phi4spark.udf.engine.GenerationRequest;
import dev.phi4spark.udf.engine.GenerationResult;
import dev.phi4spark.udf.engine.Generator;
import dev.phi4spark.udf.engine.Phi3Model;
import dev.phi4spark.udf.engine.PrefixCache;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.udf.engine.Phi3Config;
import dev.phi4spark.udf.engine.TinyModelWriter;
import dev.phi4spark.udf.engine.TokenDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.Supplier;

/**
 * Throughput features against their baselines on one loaded model, each timed as the best of
 * {@code repeats} runs after a warm-up: continuous against static batching on outputs of very different
 * lengths, and prefill with a reused shared prefix against prefilling every prompt whole.
 */
public final class ThroughputBenchmark {

    /**
     * A ~21M-parameter Phi-3 (hidden 512, 4 layers, 8 query over 2 key/value heads, vocab 8192): small
     * enough that hundreds of decode steps per side finish in minutes on two CPU cores.
     */
    public static final String CONFIG_21M = "{\"architectures\": [\"Phi3ForCausalLM\"], \"hidden_size\": 512,"
            + " \"num_hidden_layers\": 4, \"num_attention_heads\": 8, \"num_key_value_heads\": 2,"
            + " \"intermediate_size\": 1408, \"vocab_size\": 8192, \"max_position_embeddings\": 4096,"
            + " \"rope_theta\": 10000.0, \"rms_norm_eps\": 1e-5, \"tie_word_embeddings\": false,"
            + " \"eos_token_id\": 2}";

    /** Writes the 21M-parameter random model into a folder (about 85 MB of float32). */
    public static Path write21M(Path dir) {
        try {
            Files.createDirectories(dir);
            Files.writeString(dir.resolve("config.json"), CONFIG_21M);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        TinyModelWriter.writeWeights(dir, Phi3Config.parse(CONFIG_21M), 1);
        return dir;
    }

    /**
     * Continuous against static batching on the same requests (JSON names as {@code bench all} writes them).
     *
     * @param prompts rows generated
     * @param batchRows static batch size and continuous slots
     * @param outputTokensMinMax the range of output lengths
     * @param generatedTokens tokens each side generated
     * @param staticSeconds best time of static batching
     * @param continuousSeconds best time of continuous batching
     * @param staticTokensPerSecond generated tokens per second, static
     * @param continuousTokensPerSecond generated tokens per second, continuous
     * @param continuousOverStatic the speed-up: static time over continuous time
     */
    public record BatchingFigures(
            @JsonProperty("prompts") int prompts,
            @JsonProperty("batch_rows") int batchRows,
            @JsonProperty("output_tokens_min_max") String outputTokensMinMax,
            @JsonProperty("generated_tokens") long generatedTokens,
            @JsonProperty("static_s") double staticSeconds,
            @JsonProperty("continuous_s") double continuousSeconds,
            @JsonProperty("static_tokens_per_s") double staticTokensPerSecond,
            @JsonProperty("continuous_tokens_per_s") double continuousTokensPerSecond,
            @JsonProperty("continuous_over_static") double continuousOverStatic) {}

    /**
     * Prefill with a reused shared prefix against prefilling every prompt whole.
     *
     * @param prompts prompts prefilled
     * @param sharedPrefixTokens tokens of the shared prefix
     * @param ownTokens tokens of each prompt's own part
     * @param offSeconds best time prefilling whole
     * @param reuseColdSeconds best time with the prefix computed in the run
     * @param reuseWarmSeconds best time with the prefix already cached
     * @param reuseColdSpeedup whole over cold reuse
     * @param reuseWarmSpeedup whole over warm reuse
     */
    public record PrefixFigures(
            @JsonProperty("prompts") int prompts,
            @JsonProperty("shared_prefix_tokens") int sharedPrefixTokens,
            @JsonProperty("own_tokens") int ownTokens,
            @JsonProperty("prefill_off_s") double offSeconds,
            @JsonProperty("prefill_reuse_cold_s") double reuseColdSeconds,
            @JsonProperty("prefill_reuse_warm_s") double reuseWarmSeconds,
            @JsonProperty("reuse_cold_speedup") double reuseColdSpeedup,
            @JsonProperty("reuse_warm_speedup") double reuseWarmSpeedup) {}

    private final Phi3Model model;
    private final int prefillChunk;
    private final int repeats;
    private final Consumer<String> log;

    /**
     * @param model the model to measure
     * @param prefillChunk columns per prefill forward
     * @param repeats timed runs per side; the best counts
     * @param log progress lines
     */
    public ThroughputBenchmark(Phi3Model model, int prefillChunk, int repeats, Consumer<String> log) {
        this.model = model;
        this.prefillChunk = prefillChunk;
        this.repeats = repeats;
        this.log = log;
    }

    /**
     * {@code prompts} greedy rows of 16 to 64 prompt tokens whose outputs run 8 to 256 tokens (no stop
     * token), through static batches of {@code batch} rows in arrival order and through {@code batch}
     * continuous slots. Both generate the same tokens; the figure is the ratio of their times.
     */
    public BatchingFigures continuousVsStatic(int prompts, int batch) {
        Random random = new Random(17);
        List<GenerationRequest> requests = new ArrayList<>();
        long expected = 0;
        for (int i = 0; i < prompts; i++) {
            int out = 8 + random.nextInt(249);
            expected += out;
            requests.add(new GenerationRequest(randomIds(random, 16 + random.nextInt(49)), SamplingParams.greedy(out)));
        }
        Generator generator = new Generator(model, prefillChunk, Set.of(), TokenDecoder.NONE);
        ContinuousGenerator continuous = new ContinuousGenerator(model, batch, prefillChunk, Set.of(), TokenDecoder.NONE);
        Supplier<List<GenerationResult>> staticRun = () -> {
            List<GenerationResult> all = new ArrayList<>();
            for (int from = 0; from < requests.size(); from += batch) {
                all.addAll(generator.generate(requests.subList(from, Math.min(requests.size(), from + batch))));
            }
            return all;
        };
        Supplier<List<GenerationResult>> continuousRun = () -> continuous.generate(requests);
        warmUp(requests.subList(0, Math.min(batch, prompts)), batch);
        double[] best = bestOfInterleaved(staticRun, continuousRun, expected);
        BatchingFigures out = new BatchingFigures(prompts, batch, "8-256", expected, round3(best[0]), round3(best[1]),
                round1(expected / best[0]), round1(expected / best[1]), round3(best[0] / best[1]));
        log.accept(String.format("continuous vs static, %d prompts, %d rows, outputs 8-256 tokens: %.1f vs %.1f"
                + " tokens/s, %.2fx", prompts, batch, expected / best[1], expected / best[0], best[0] / best[1]));
        return out;
    }

    /**
     * {@code prompts} prompts of a {@code prefix}-token shared prefix and {@code suffix} tokens of their
     * own, one new token each so prefill is the whole cost: every prompt prefilled whole against the
     * prefix computed once (cold: a fresh cache each run) or already cached (warm).
     */
    public PrefixFigures prefixReuse(int prefix, int suffix, int prompts) {
        Random random = new Random(23);
        long[] shared = randomIds(random, prefix);
        List<GenerationRequest> requests = new ArrayList<>();
        for (int i = 0; i < prompts; i++) {
            long[] ids = java.util.Arrays.copyOf(shared, prefix + suffix);
            System.arraycopy(randomIds(random, suffix), 0, ids, prefix, suffix);
            requests.add(new GenerationRequest(ids, SamplingParams.greedy(1)));
        }
        ContinuousGenerator plain = new ContinuousGenerator(model, prompts, prefillChunk, Set.of(), TokenDecoder.NONE);
        Supplier<List<GenerationResult>> off = () -> plain.generate(requests);
        Supplier<List<GenerationResult>> cold = () -> {
            try (PrefixCache cache = new PrefixCache(model, prefillChunk, 4)) {
                return plain.withPrefixCache(cache, 64).generate(requests);
            }
        };
        double[] offCold;
        double warm;
        try (PrefixCache kept = new PrefixCache(model, prefillChunk, 4)) {
            ContinuousGenerator reusing = plain.withPrefixCache(kept, 64);
            reusing.generate(requests); // caches the prefix, and warms up
            off.get();
            offCold = bestOfInterleaved(off, cold, prompts);
            warm = best(() -> reusing.generate(requests), prompts);
        }
        PrefixFigures out = new PrefixFigures(prompts, prefix, suffix, round3(offCold[0]), round3(offCold[1]),
                round3(warm), round3(offCold[0] / offCold[1]), round3(offCold[0] / warm));
        log.accept(String.format("prefix reuse, %d prompts of %d shared + %d own tokens: prefill %.2f s whole,"
                + " %.2f s reusing (prefix computed in the run, %.2fx), %.2f s with it cached (%.2fx)", prompts, prefix,
                suffix, offCold[0], offCold[1], offCold[0] / offCold[1], warm, offCold[0] / warm));
        return out;
    }

    private void warmUp(List<GenerationRequest> few, int batch) {
        List<GenerationRequest> shortOnes = few.stream()
                .map(r -> new GenerationRequest(r.promptIds(), SamplingParams.greedy(4))).toList();
        new Generator(model, prefillChunk, Set.of(), TokenDecoder.NONE).generate(shortOnes);
        new ContinuousGenerator(model, batch, prefillChunk, Set.of(), TokenDecoder.NONE).generate(shortOnes);
    }

    /** Best seconds of each side, alternating runs so that load from elsewhere hits both alike. */
    private double[] bestOfInterleaved(Supplier<List<GenerationResult>> a, Supplier<List<GenerationResult>> b,
            long expectedTokens) {
        double[] best = {Double.MAX_VALUE, Double.MAX_VALUE};
        for (int r = 0; r < repeats; r++) {
            best[0] = Math.min(best[0], timed(a, expectedTokens));
            best[1] = Math.min(best[1], timed(b, expectedTokens));
        }
        return best;
    }

    private double best(Supplier<List<GenerationResult>> run, long expectedTokens) {
        double best = Double.MAX_VALUE;
        for (int r = 0; r < repeats; r++) {
            best = Math.min(best, timed(run, expectedTokens));
        }
        return best;
    }

    private static double timed(Supplier<List<GenerationResult>> run, long expectedTokens) {
        long t0 = System.nanoTime();
        List<GenerationResult> results = run.get();
        double seconds = (System.nanoTime() - t0) / 1e9;
        long tokens = results.stream().mapToLong(GenerationResult::completionTokens).sum();
        if (tokens != expectedTokens) {
            throw new IllegalStateException("Cannot time the run: it generated " + tokens + " tokens, expected "
                    + expectedTokens);
        }
        return seconds;
    }

    private long[] randomIds(Random random, int n) {
        long[] ids = new long[n];
        for (int i = 0; i < n; i++) {
            ids[i] = 3 + random.nextInt(model.config().vocabSize - 3);
        }
        return ids;
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
