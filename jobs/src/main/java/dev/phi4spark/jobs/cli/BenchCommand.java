package dev.phi4spark.jobs.cli;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonValue;
import dev.phi4spark.udf.bench.EngineBenchmark;
import dev.phi4spark.udf.bench.ThroughputBenchmark;
import dev.phi4spark.udf.engine.EngineOptions;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.spark.bench.SparkOverheadBenchmark;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Consumer;
import java.util.function.Function;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code phi4spark bench ...}: benchmark programs whose figures go to docs/benchmarks.md. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommand.Engine.class, BenchCommand.All.class, BenchCommand.Filters.class})
public final class BenchCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code bench engine}. */
    @Command(name = "engine", mixinStandardHelpOptions = true,
            description = "GEMM roofline and memory read bandwidth, then prefill and decode throughput of a"
                    + " ~150M-parameter Phi-3 with random weights (decode at batch 1 and 8 as a fraction of the"
                    + " bandwidth), libtorch ops per decode step and the weight layouts' product times.")
    static final class Engine implements Runnable {
        @Mixin
        RooflineOptions roofline;

        @Option(names = "--json-out", description = "Also write the figures to this JSON file.")
        Path jsonOut;

        @Mixin
        EngineOptionsMixin engineOptions;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            Path dir = roofline.model;
            Path temp = null;
            try {
                if (dir == null) {
                    temp = Files.createTempDirectory("phi4spark-bench-150m");
                    out.println("Writing a random ~150M-parameter Phi-3 to " + temp + " ...");
                    dir = EngineBenchmark.write150M(temp);
                }
                EngineBenchmark.Figures figures = new EngineBenchmark(engineOptions.toOptions(), out::println)
                        .run(dir, roofline.gemmSize, roofline.decodeSteps);
                out.println(Json.write(figures, true));
                if (jsonOut != null) {
                    Files.writeString(jsonOut, Json.write(figures, true));
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                deleteQuietly(temp);
            }
        }

        static void deleteQuietly(Path dir) {
            if (dir == null) {
                return;
            }
            try (var files = Files.walk(dir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException ignored) {
                // A temp folder left behind is harmless.
            }
        }
    }

    /** {@code bench filters}: {@link dev.phi4spark.filters.bench.FilterBenchmark} in one run. */
    @Command(name = "filters", mixinStandardHelpOptions = true,
            description = "Heuristic filter throughput per core (each filter, the default stack, language ID) and"
                    + " near dedup end to end through Delta in local[2].")
    static final class Filters implements Runnable {
        @Option(names = "--megabytes", defaultValue = "50",
                description = "MB of generated text for the heuristic filters (default: ${DEFAULT-VALUE}).")
        int megabytes;

        @Option(names = "--dedup-docs", defaultValue = "100000",
                description = "Documents of 150-400 words for near dedup end to end through Delta (0: skip; default:"
                        + " ${DEFAULT-VALUE}).")
        int dedupDocs;

        @Option(names = "--language-megabytes", defaultValue = "5",
                description = "MB of text for language ID (0: skip; default: ${DEFAULT-VALUE}).")
        int languageMegabytes;

        @Override
        public void run() {
            dev.phi4spark.filters.bench.FilterBenchmark.run(megabytes, 0, languageMegabytes);
            if (dedupDocs > 0) {
                var r = dev.phi4spark.jobs.bench.NearDedupBenchmark.run(dedupDocs);
                System.out.printf("Near dedup end to end through Delta (read, MinHash at threshold %.1f, write), local[2]:"
                        + " %d documents of 150-400 words, %.1f MB, %d marked as near duplicates (%d planted),"
                        + " %.1f s, %.2f MB/s%n", dev.phi4spark.filters.dedup.MinHashDedup.DEFAULT_THRESHOLD,
                        r.documents(), r.megabytes(), r.removed(), r.documents() / 10, r.seconds(),
                        r.megabytesPerSecond());
            }
        }
    }

    /** {@code bench all}. */
    @Command(name = "all", mixinStandardHelpOptions = true,
            description = "Every engine benchmark in one run on one machine, as ratios: continuous vs static batching,"
                    + " prefix reuse on vs off, model FLOPs against the GEMM roofline, fused vs plain attention, and"
                    + " Spark against the engine called directly.")
    static final class All implements Runnable {
        @Mixin
        RooflineOptions roofline;

        @Option(names = "--throughput-model", defaultValue = "21m",
                description = "Model of the batching and prefix benchmarks: 21m (random, fast enough for 2 CPU cores),"
                        + " 150m (the roofline's model) or a snapshot folder (default: ${DEFAULT-VALUE}).")
        String throughputModel;

        @Option(names = "--prompts", defaultValue = "32",
                description = "Prompts for continuous vs static batching (default: ${DEFAULT-VALUE}).")
        int prompts;

        @Option(names = "--batch", defaultValue = "8",
                description = "Rows per static batch and continuous slots (default: ${DEFAULT-VALUE}).")
        int batch;

        @Option(names = "--prefix-tokens", defaultValue = "1000", description = "Shared prefix length (default: ${DEFAULT-VALUE}).")
        int prefixTokens;

        @Option(names = "--own-tokens", defaultValue = "32",
                description = "Tokens of each prompt after the shared prefix (default: ${DEFAULT-VALUE}).")
        int ownTokens;

        @Option(names = "--prefix-prompts", defaultValue = "8",
                description = "Prompts sharing the prefix (default: ${DEFAULT-VALUE}).")
        int prefixPrompts;

        @Option(names = "--repeats", defaultValue = "2", description = "Timed runs per side; the best counts (default: ${DEFAULT-VALUE}).")
        int repeats;

        @Option(names = "--attention-tokens", defaultValue = "1024",
                description = "Prompt length of the fused vs plain attention comparison (default: ${DEFAULT-VALUE}).")
        int attentionTokens;

        @Option(names = "--attention-prompts", defaultValue = "4",
                description = "Prompts (and decode batch) of the attention comparison (0: skip; default: ${DEFAULT-VALUE}).")
        int attentionPrompts;

        @Option(names = "--spark-prompts", defaultValue = "256",
                description = "Prompts for the Spark overhead, on the tiny model (0: skip; default: ${DEFAULT-VALUE}).")
        int sparkPrompts;

        @Option(names = "--json-out", defaultValue = "bench-all.json",
                description = "Also write the figures to this JSON file (default: ${DEFAULT-VALUE}).")
        Path jsonOut;

        @Mixin
        EngineOptionsMixin engineOptions;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            // libtorch ran markedly slower on the JVM's main thread on the 2-core machine: a fresh thread runs it.
            ExecutorService worker = Executors.newSingleThreadExecutor();
            try {
                AllFigures figures = worker.submit(() -> measure(out)).get();
                String json = Json.write(figures, true);
                out.println(json);
                Files.writeString(jsonOut, json);
                out.println("Wrote " + jsonOut);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("Cannot finish the benchmark: interrupted", e);
            } catch (ExecutionException e) {
                throw e.getCause() instanceof RuntimeException r ? r : new IllegalStateException(e.getCause());
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } finally {
                worker.shutdown();
            }
        }

        private AllFigures measure(PrintWriter out) throws IOException {
            Consumer<String> log = line -> {
                out.println(line);
                out.flush();
            };
            EngineOptions options = engineOptions.toOptions();
            AllFigures figures;
            Path temp = Files.createTempDirectory("phi4spark-bench-all");
            try {
                Path big = roofline.model;
                if (big == null) {
                    log.accept("Writing a random ~150M-parameter Phi-3 to " + temp + " ...");
                    big = EngineBenchmark.write150M(temp.resolve("150m"));
                }
                String rooflineModel = roofline.model == null ? "random 150M Phi-3 (EngineBenchmark.CONFIG_150M)"
                        : big.toString();
                log.accept("== roofline (model FLOPs against libtorch GEMM)");
                EngineBenchmark.Figures rooflineFigures = new EngineBenchmark(options, log).run(big,
                        roofline.gemmSize, roofline.decodeSteps);
                Outcome<EngineBenchmark.AttentionFigures> attention = new Outcome.Skipped<>("--attention-prompts 0");
                if (attentionPrompts > 0) {
                    log.accept("== fused vs plain attention (the roofline's model)");
                    attention = new Outcome.Ran<>(new EngineBenchmark(options, log).attention(big, attentionPrompts,
                            attentionTokens, roofline.decodeSteps));
                }
                Path small = switch (throughputModel) {
                    case "21m" -> ThroughputBenchmark.write21M(temp.resolve("21m"));
                    case "150m" -> big;
                    default -> Path.of(throughputModel);
                };
                String smallName = switch (throughputModel) {
                    case "21m" -> "random 21M Phi-3 (ThroughputBenchmark.CONFIG_21M)";
                    case "150m" -> rooflineModel;
                    default -> throughputModel;
                };
                try (Phi4Engine engine = Phi4Engine.load(small, options)) {
                    ThroughputBenchmark bench = new ThroughputBenchmark(engine.model(), options.prefillChunk(), repeats, log);
                    log.accept("== continuous vs static batching");
                    ThroughputBenchmark.BatchingFigures continuous = bench.continuousVsStatic(prompts, batch);
                    log.accept("== prefix reuse");
                    ThroughputBenchmark.PrefixFigures prefix = bench.prefixReuse(prefixTokens, ownTokens, prefixPrompts);
                    // the Spark figures come last, once this engine is closed and the models deleted
                    figures = new AllFigures(Machine.current(), rooflineModel, rooflineFigures, attention, smallName,
                            continuous, prefix, null);
                }
            } finally {
                Engine.deleteQuietly(temp);
            }
            figures = figures.withSparkOverhead(sparkOverhead(log));
            log.accept(summary(figures));
            return figures;
        }

        private Outcome<SparkOverheadBenchmark.Figures> sparkOverhead(Consumer<String> out) {
            if (sparkPrompts <= 0) {
                return new Outcome.Skipped<>("--spark-prompts 0");
            }
            out.accept("== Spark overhead (tiny random model, local[1], 1 libtorch thread)");
            try {
                SparkOverheadBenchmark.Figures figures = SparkOverheadBenchmark.measure(null, sparkPrompts, 32,
                        repeats, 1, engineOptions.toOptions().attention());
                out.accept(String.format(Locale.ROOT, "spark/direct: %.3f", figures.sparkOverDirect()));
                return new Outcome.Ran<>(figures);
            } catch (Exception e) {
                String reason = "Cannot run the Spark overhead benchmark: " + e;
                out.accept(reason);
                return new Outcome.Skipped<>(reason);
            }
        }

        private static String summary(AllFigures f) {
            EngineBenchmark.Figures roof = f.roofline();
            return String.format(Locale.ROOT, "== summary%n"
                    + "continuous / static batching:      %sx (aim >= 1.5)%n"
                    + "prefix reuse on / off, prefill:    %sx with the prefix computed in the run, %sx cached (aim >= 2)%n"
                    + "prefill / GEMM roofline:           %s%n"
                    + "decode batch 32 / GEMM roofline:   %s%n"
                    + "fused / plain attention:           %sx prefill, %sx decode%n"
                    + "Spark / direct engine:             %s",
                    f.continuous().continuousOverStatic(), f.prefix().reuseColdSpeedup(), f.prefix().reuseWarmSpeedup(),
                    roof.prefillRooflineFraction(), roof.decodeB32().rooflineFraction(),
                    f.attention().fold(a -> a.fusedOverPlainPrefill(), reason -> reason),
                    f.attention().fold(a -> a.fusedOverPlainDecode(), reason -> "-"),
                    f.sparkOverhead().fold(s -> s.sparkOverDirect(), reason -> reason));
        }
    }

    /**
     * What {@code bench all} measured, under the JSON names it writes.
     *
     * @param machine where it ran
     * @param rooflineModel the model of the roofline and attention figures
     * @param roofline {@link EngineBenchmark#run}'s figures
     * @param attention {@link EngineBenchmark#attention}'s figures, or why they were skipped
     * @param throughputModel the model of the batching and prefix figures
     * @param continuous continuous against static batching
     * @param prefix prefix reuse against prefilling whole
     * @param sparkOverhead {@link SparkOverheadBenchmark#measure}'s figures, or why they were skipped
     */
    record AllFigures(
            @JsonProperty("machine") Machine machine,
            @JsonProperty("roofline_model") String rooflineModel,
            @JsonProperty("roofline") EngineBenchmark.Figures roofline,
            @JsonProperty("attention") Outcome<EngineBenchmark.AttentionFigures> attention,
            @JsonProperty("throughput_model") String throughputModel,
            @JsonProperty("continuous_batching") ThroughputBenchmark.BatchingFigures continuous,
            @JsonProperty("prefix_reuse") ThroughputBenchmark.PrefixFigures prefix,
            @JsonProperty("spark_overhead") Outcome<SparkOverheadBenchmark.Figures> sparkOverhead) {

        AllFigures withSparkOverhead(Outcome<SparkOverheadBenchmark.Figures> figures) {
            return new AllFigures(machine, rooflineModel, roofline, attention, throughputModel, continuous, prefix,
                    figures);
        }
    }

    /**
     * A group of figures that was measured, or the reason it was not: the figures themselves in JSON, or
     * {@code {"skipped": reason}}.
     *
     * @param <T> the figures' type
     */
    sealed interface Outcome<T> permits Outcome.Ran, Outcome.Skipped {

        /** {@code ran} applied to the figures, or {@code skipped} to the reason they are missing. */
        <R> R fold(Function<? super T, ? extends R> ran, Function<String, ? extends R> skipped);

        /**
         * Figures that were measured; their JSON is the figures' own.
         *
         * @param figures what was measured
         * @param <T> the figures' type
         */
        record Ran<T>(T figures) implements Outcome<T> {

            @JsonValue
            T json() {
                return figures;
            }

            @Override
            public <R> R fold(Function<? super T, ? extends R> ran, Function<String, ? extends R> skipped) {
                return ran.apply(figures);
            }
        }

        /**
         * Figures that were not measured.
         *
         * @param reason why, as the option that turned them off or the error that stopped them
         * @param <T> the figures' type
         */
        record Skipped<T>(@JsonProperty("skipped") String reason) implements Outcome<T> {

            @Override
            public <R> R fold(Function<? super T, ? extends R> ran, Function<String, ? extends R> skipped) {
                return skipped.apply(reason);
            }
        }
    }

    /**
     * The machine a benchmark ran on.
     *
     * @param cores available processors
     * @param maxHeapMb the JVM's maximum heap
     * @param os name, version and architecture
     * @param java the JVM and its version
     */
    record Machine(
            @JsonProperty("cores") int cores,
            @JsonProperty("max_heap_mb") long maxHeapMb,
            @JsonProperty("os") String os,
            @JsonProperty("java") String java) {

        static Machine current() {
            return new Machine(Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
                    System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                            + System.getProperty("os.arch"),
                    System.getProperty("java.vm.name") + " " + System.getProperty("java.version"));
        }
    }

    /** The roofline measurement's options, shared by {@code bench engine} and {@code bench all}. */
    static final class RooflineOptions {
        @Option(names = "--model", description = "A snapshot folder to measure instead of the random 150M model.")
        Path model;

        @Option(names = "--gemm-size", defaultValue = "2048", description = "Side of the square GEMM (default: ${DEFAULT-VALUE}).")
        int gemmSize;

        @Option(names = "--decode-steps", defaultValue = "32", description = "Decode steps per batch size (default: ${DEFAULT-VALUE}).")
        int decodeSteps;
    }
}
