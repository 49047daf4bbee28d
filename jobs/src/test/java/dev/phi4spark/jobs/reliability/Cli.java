package dev.phi4spark.jobs.reliability;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.TempFolders;
import dev.phi4spark.jobs.cli.Phi4SparkCommand;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.TinyModelWriter;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/** Runs {@code phi4spark} in this JVM, on the shared test session, with the small settings of the reliability tests. */
final class Cli {

    /** Spark settings of every run: no UI, 2 partitions. */
    static final String SPARK_CONF = "spark.conf={spark.ui.enabled: false, spark.sql.shuffle.partitions: 2,"
            + " spark.databricks.delta.snapshotPartitions: 2}";

    private static Path tinyModel;

    private Cli() {}

    /** Exit status, standard output and error output of one command line. */
    record Run(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- out\n" + out + "\n--- err\n" + err;
        }
    }

    /** Runs the command line as given. */
    static Run run(String... args) {
        JobsSpark.get();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Phi4SparkCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    /** Runs a command with the small settings, the shared tiny model and {@code warehouse}. */
    static Run job(String command, Path warehouse, String... more) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(smallSettings(warehouse));
        args.addAll(Arrays.asList(more));
        return run(args.toArray(new String[0]));
    }

    /** The {@code --set}s of a small run. */
    static List<String> smallSettings(Path warehouse) {
        return List.of("--set", "warehouse=" + warehouse, "--set", "model.tiny_path=" + tinyModel(),
                "--set", "sampling.max_new_tokens=8", "--set", "progress_seconds=0", "--set", SPARK_CONF,
                "--set", "model.device=cpu");
    }

    /** The recipes setting for {@code n} textbook sections. */
    static String recipes(int n) {
        return "generate.recipes=[{recipe: textbook_section, count: " + n + "}]";
    }

    /** The tiny random model of this JVM, written once. */
    static synchronized Path tinyModel() {
        if (tinyModel == null) {
            tinyModel = TempFolders.create("phi4spark-reliability-").resolve("tiny-model");
            TinyModelWriter.write(tinyModel, 1, SafetensorsDType.F32);
        }
        return tinyModel;
    }
}
