package dev.phi4spark.udf.spark.bench;

import com.fasterxml.jackson.annotation.JsonProperty;
import dev.phi4spark.udf.engine.GenerationRequest;
import dev.phi4spark.udf.engine.GenerationResult;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.udf.engine.TinyModelWriter;
import dev.phi4spark.udf.spark.Phi4Generator;
import dev.phi4spark.udf.spark.Phi4Metrics;
import dev.phi4spark.udf.spark.Phi4Options;
import dev.phi4spark.udf.spark.Phi4Transformer;
import dev.phi4spark.udf.tokenizer.ChatTemplate;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;

/**
 * How much throughput Spark costs: the same prompts through {@link Phi4Generator} in {@code local[1]}
 * and through the engine directly, doing what the Transformer does (each window sorted by length, then
 * continuous batching with the same slots, prefix reuse and seeds), in one JVM. Prints generated tokens per second for both and their ratio. Models are loaded
 * and warmed up before timing; each side runs {@code repeats} times and the best run counts.
 *
 * <pre>
 * mvn -q -o -pl udf compile dependency:build-classpath -Dmdep.outputFile=/tmp/phi4-cp.txt -Dmdep.includeScope=test
 * java -cp udf/target/classes:$(cat /tmp/phi4-cp.txt) -Dlog4j2.configurationFile=udf/src/test/resources/log4j2-test.xml \
 *     dev.phi4spark.udf.spark.bench.SparkOverheadBenchmark [modelDir|-] [prompts=256] [maxNewTokens=32] [repeats=3] [threads=1] [attention=auto]
 * </pre>
 *
 * A model folder of {@code -} (default) writes the tiny random model to a temp folder. {@code threads}
 * sets libtorch's intra-op threads for both sides: the tiny model's ops are so small that OpenMP
 * synchronisation across threads dominates and makes timings erratic on a 2-core machine.
 */
public final class SparkOverheadBenchmark {

    private SparkOverheadBenchmark() {}

    /**
     * What {@link SparkOverheadBenchmark#measure} measured, under the JSON names {@code bench all} writes.
     *
     * @param model the model folder's name
     * @param prompts prompts generated per run
     * @param maxNewTokens the generation limit per prompt
     * @param libtorchThreads libtorch's intra-op threads on both sides
     * @param attention the attention option both sides ran with
     * @param directTokensPerSecond generated tokens per second, the engine called directly (best run)
     * @param sparkTokensPerSecond generated tokens per second through {@link Phi4Generator} (best run)
     * @param sparkOverDirect the Spark rate over the direct one
     */
    public record Figures(
            @JsonProperty("model") String model,
            @JsonProperty("prompts") int prompts,
            @JsonProperty("max_new_tokens") int maxNewTokens,
            @JsonProperty("libtorch_threads") int libtorchThreads,
            @JsonProperty("attention") String attention,
            @JsonProperty("direct_tokens_per_s") double directTokensPerSecond,
            @JsonProperty("spark_tokens_per_s") double sparkTokensPerSecond,
            @JsonProperty("spark_over_direct") double sparkOverDirect) {}

    /** Runs the benchmark; see the class comment for the arguments. */
    public static void main(String[] args) throws Exception {
        Path model = args.length > 0 && !args[0].equals("-") ? Path.of(args[0]) : tinyModel();
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 256;
        int maxNew = args.length > 2 ? Integer.parseInt(args[2]) : 32;
        int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 3;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 1;
        String attention = args.length > 5 ? args[5] : dev.phi4spark.udf.engine.ModelOptions.ATTENTION.defaultValue();
        Figures figures = measure(model, n, maxNew, repeats, threads, attention);
        System.out.printf(Locale.ROOT, "model %s, %d prompts, max_new_tokens %d, libtorch threads %d, %d cores, "
                + "best of %d%n", model.getFileName(), n, maxNew, threads, Runtime.getRuntime().availableProcessors(),
                repeats);
        System.out.printf(Locale.ROOT, "engine direct:          %.1f generated tokens/s%n", figures.directTokensPerSecond());
        System.out.printf(Locale.ROOT, "Phi4Generator local[1]: %.1f generated tokens/s%n", figures.sparkTokensPerSecond());
        System.out.printf(Locale.ROOT, "ratio spark/direct:     %.3f%n", figures.sparkOverDirect());
    }

    /**
     * Measures both sides and returns their rates and ratio; a model folder of null writes the tiny random
     * model to a temp folder.
     */
    public static Figures measure(Path modelDir, int n, int maxNew, int repeats, int threads,
            String attention) throws Exception {
        Path model = modelDir == null ? tinyModel() : modelDir;
        List<String> prompts = prompts(n);
        Phi4Options options = Phi4Options.of(model.toString()).withDevice("cpu").withThreads(threads)
                .withAttention(attention);
        SamplingParams params = SamplingParams.sample(0.8, 0.95, maxNew, 0);
        Phi4Generator generator = new Phi4Generator().setOptions(options).setMaxNewTokens(maxNew)
                .setTemperature(0.8).setTopP(0.95);
        // Spark runs tasks on executor pool threads; the direct side gets a worker thread too, since
        // libtorch ran this model erratically slower on the JVM's main thread.
        ExecutorService worker = Executors.newSingleThreadExecutor();
        SparkSession spark = SparkSession.builder().master("local[1]").appName("phi4spark-overhead-benchmark")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "1").getOrCreate();
        double direct = 0;
        double viaSpark = 0;
        try (Phi4Engine engine = worker.submit(() -> Phi4Engine.load(model, options.engineOptions("cpu"))).get()) {
            worker.submit(() -> runDirect(engine, prompts.subList(0, 8), params)).get(); // warm-up
            runSpark(spark, generator, prompts.subList(0, 8)); // loads the registry's model, warms up
            for (int r = 0; r < repeats; r++) { // interleaved, so drift hits both sides alike
                direct = Math.max(direct, worker.submit(() -> runDirect(engine, prompts, params)).get());
                viaSpark = Math.max(viaSpark, runSpark(spark, generator, prompts));
            }
        } finally {
            worker.shutdown();
            spark.stop();
        }
        return new Figures(model.getFileName().toString(), n, maxNew, threads, attention,
                Math.round(direct * 10) / 10.0, Math.round(viaSpark * 10) / 10.0,
                Math.round(viaSpark / direct * 1000) / 1000.0);
    }

    private static Path tinyModel() throws Exception {
        Path dir = Files.createTempDirectory("phi4spark-bench-").resolve("tiny-phi4");
        TinyModelWriter.write(dir, 42, SafetensorsDType.F32);
        return dir;
    }

    /** Prompts of varied lengths, as a data-generation job has. */
    static List<String> prompts(int n) {
        String[] topics = {"the sea", "mountains", "a small town", "rivers and lakes", "the history of bread",
            "how plants grow", "the night sky", "trains"};
        List<String> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add("Write a short paragraph about " + topics[i % topics.length] + ". "
                    + "Keep it simple and clear. ".repeat(1 + i % 7) + "Item " + i + ".");
        }
        return out;
    }

    /** Generated tokens per second, batching exactly as the Transformer does by default. */
    private static double runDirect(Phi4Engine engine, List<String> prompts, SamplingParams params) {
        long started = System.nanoTime();
        List<GenerationRequest> requests = new ArrayList<>();
        for (String p : prompts) {
            String rendered = ChatTemplate.render(null, p);
            requests.add(new GenerationRequest(engine.requireTokenizer().encodeWithControlTokens(rendered),
                    params.withSeed(Phi4Generator.rowSeed(0, rendered))));
        }
        long tokens = 0;
        int window = Phi4Options.DEFAULT_WINDOW_ROWS;
        Phi4Transformer.Batching batching = Phi4Options.of("defaults").batching();
        for (int from = 0; from < requests.size(); from += window) {
            List<GenerationRequest> w = new ArrayList<>(requests.subList(from, Math.min(requests.size(), from + window)));
            w.sort(Comparator.comparingInt(r -> r.promptIds().length));
            int[] lengths = w.stream().mapToInt(r -> r.promptIds().length).toArray();
            for (GenerationResult r : engine.generateContinuous(w, batching.slots(lengths, params.maxNewTokens()),
                    dev.phi4spark.udf.engine.ModelOptions.MIN_SHARED_PREFIX.defaultValue())) {
                tokens += r.completionTokens();
            }
        }
        return tokens / ((System.nanoTime() - started) / 1e9);
    }

    private static double runSpark(SparkSession spark, Phi4Generator generator, List<String> prompts) {
        Dataset<Row> df = spark.createDataset(prompts, Encoders.STRING()).toDF("prompt").coalesce(1);
        Phi4Metrics metrics = Phi4Metrics.create(spark, "bench");
        long started = System.nanoTime();
        generator.setMetrics(metrics).transform(df).write().format("noop").mode("overwrite").save();
        return metrics.generatedTokens().value() / ((System.nanoTime() - started) / 1e9);
    }
}
