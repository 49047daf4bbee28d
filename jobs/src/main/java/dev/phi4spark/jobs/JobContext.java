package dev.phi4spark.jobs;

import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.RunRecorder;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.udf.spark.Phi4Metrics;
import dev.phi4spark.udf.spark.Phi4Options;
import dev.phi4spark.udf.spark.ProgressReporter;
import java.io.PrintWriter;
import java.time.Duration;
import org.apache.spark.sql.SparkSession;

/**
 * What every job of one command shares: the config, the Spark session, the tables, the model, the
 * metrics and the {@code runs} row. Closing it records the run's end.
 */
public final class JobContext {

    private final JobConfig config;
    private final SparkSession spark;
    private final TableStore tables;
    private final RunRecorder run;
    private final ModelLocation model;
    private Phi4Metrics metrics;
    private final PrintWriter out;
    private final boolean resume;

    private JobContext(JobConfig config, SparkSession spark, TableStore tables, RunRecorder run, ModelLocation model,
            Phi4Metrics metrics, PrintWriter out, boolean resume) {
        this.config = config;
        this.spark = spark;
        this.tables = tables;
        this.run = run;
        this.model = model;
        this.metrics = metrics;
        this.out = out;
        this.resume = resume;
    }

    /** Starts Spark, resolves the model and writes the {@code running} row. */
    public static JobContext start(String command, JobConfig config, PrintWriter out, boolean resume) {
        ModelLocation model = ModelLocation.resolve(config, true, out::println);
        SparkSession spark = SparkSessions.getOrCreate(config);
        TableStore tables = new TableStore(spark, config);
        RunRecorder run = RunRecorder.start(spark, tables, command, config);
        run.model(model.identity());
        out.println("Run " + run.runId() + ": " + command + " on " + spark.sparkContext().master()
                + (resume ? " (resuming: ids already written are skipped)" : ""));
        return new JobContext(config, spark, tables, run, model, Phi4Metrics.create(spark, "phi4spark"), out, resume);
    }

    public JobConfig config() {
        return config;
    }

    public SparkSession spark() {
        return spark;
    }

    public TableStore tables() {
        return tables;
    }

    public RunRecorder run() {
        return run;
    }

    public ModelLocation model() {
        return model;
    }

    /** The transformers' options, with this run's model. */
    public Phi4Options modelOptions() {
        return model.options(config);
    }

    public Phi4Metrics metrics() {
        return metrics;
    }

    public PrintWriter out() {
        return out;
    }

    /** True under {@code --resume}. */
    public boolean resume() {
        return resume;
    }

    /** A running progress reporter; closing it stops the lines. */
    public interface Progress extends AutoCloseable {
        @Override
        void close();
    }

    /**
     * Starts a stage: fresh metrics (so its progress counts from zero) and a progress reporter for
     * {@code totalRows} model calls, or a no-op when progress lines are off.
     */
    public Progress progress(long totalRows) {
        metrics = Phi4Metrics.create(spark, "phi4spark");
        int seconds = config.get(ConfigKeys.PROGRESS_SECONDS);
        if (seconds <= 0) {
            return () -> { };
        }
        ProgressReporter reporter = ProgressReporter.start(metrics, totalRows, Duration.ofSeconds(seconds),
                line -> out.println("  " + line));
        return reporter::close;
    }
}
