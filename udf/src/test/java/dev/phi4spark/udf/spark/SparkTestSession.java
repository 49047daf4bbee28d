package dev.phi4spark.udf.spark;

import dev.phi4spark.udf.engine.EngineOptions;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.TinyModelWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
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

    /** A tiny random model with tokenizer, written once per JVM. */
    public static synchronized Path model() {
        if (model == null) {
            try {
                model = Files.createTempDirectory("phi4spark-tiny-").resolve("tiny-phi4");
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            TinyModelWriter.write(model, 42, SafetensorsDType.F32);
        }
        return model;
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
