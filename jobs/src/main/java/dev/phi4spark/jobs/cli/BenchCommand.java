package dev.phi4spark.jobs.cli;

import dev.phi4spark.udf.bench.EngineBenchmark;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code phi4spark bench ...}: benchmark programs whose figures go to docs/benchmarks.md. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks.",
        subcommands = {BenchCommand.Engine.class})
public final class BenchCommand implements Runnable {

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /** {@code bench engine}. */
    @Command(name = "engine", mixinStandardHelpOptions = true,
            description = "GEMM roofline, then prefill and decode throughput of a ~150M-parameter Phi-3 with random"
                    + " weights, as fractions of the roofline.")
    static final class Engine implements Runnable {
        @Option(names = "--model", description = "A snapshot folder to measure instead of the random 150M model.")
        Path model;

        @Option(names = "--gemm-size", defaultValue = "2048", description = "Side of the square GEMM (default: ${DEFAULT-VALUE}).")
        int gemmSize;

        @Option(names = "--decode-steps", defaultValue = "32", description = "Decode steps per batch size (default: ${DEFAULT-VALUE}).")
        int decodeSteps;

        @Option(names = "--json-out", description = "Also write the figures to this JSON file.")
        Path jsonOut;

        @Mixin
        EngineOptionsMixin engineOptions;

        @CommandLine.Spec
        CommandLine.Model.CommandSpec spec;

        @Override
        public void run() {
            PrintWriter out = spec.commandLine().getOut();
            Path dir = model;
            Path temp = null;
            try {
                if (dir == null) {
                    temp = Files.createTempDirectory("phi4spark-bench-150m");
                    out.println("Writing a random ~150M-parameter Phi-3 to " + temp + " ...");
                    dir = EngineBenchmark.write150M(temp);
                }
                Map<String, Object> figures = new EngineBenchmark(engineOptions.toOptions(), out::println)
                        .run(dir, gemmSize, decodeSteps);
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

        private static void deleteQuietly(Path dir) {
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
}
