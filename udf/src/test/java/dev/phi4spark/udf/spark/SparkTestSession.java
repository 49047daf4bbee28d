package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.EngineOptions;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.TinyModelWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;
import org.apache.spark.sql.SparkSession;

/** The one SparkSession and tiny model of this test JVM, made on first use. */
public final class SparkTestSession {

    private static SparkSession spark;
    private static Path model;
    private static Phi4Engine engine;

    private SparkTestSession() {}

    /** {@code local[2]}, no UI, 2 shuffle partitions. */
    public static synchronized SparkSession spark() {
        if (spark == null) {
            spark = builder("local[2]").getOrCreate();
        }
        return spark;
    }

    /** The settings every test session uses. */
    static SparkSession.Builder builder(String master) {
        return SparkSession.builder()
                .master(master)
                .appName("phi4spark-udf-tests")
                .config("spark.ui.enabled", "false")
                .config("spark.sql.shuffle.partitions", "2")
                .config("spark.databricks.delta.snapshotPartitions", "2")
                .config("spark.driver.host", "127.0.0.1");
    }

    /** A tiny random model with tokenizer, written once per JVM and deleted when it exits. */
    public static synchronized Path model() {
        if (model == null) {
            Path dir;
            try {
                dir = Files.createTempDirectory("phi4spark-tiny-");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(() -> delete(dir), "delete-tiny-model"));
            model = dir.resolve("tiny-phi4");
            TinyModelWriter.write(model, 42, SafetensorsDType.F32);
        }
        return model;
    }

    private static void delete(Path dir) {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException | UncheckedIOException e) {
            // Left behind; the exit goes on.
        }
    }

    /** Options for the tiny model on the CPU. */
    public static Phi4Options options() {
        return Phi4Options.of(model().toString()).withDevice("cpu");
    }

    /** A direct engine on the tiny model, for expected values (not the registry's). */
    public static synchronized Phi4Engine directEngine() {
        if (engine == null) {
            engine = Phi4Engine.load(model(), EngineOptions.DEFAULTS.withDevice("cpu"));
        }
        return engine;
    }
}
