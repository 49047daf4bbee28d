package dev.phi4spark.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.cli.Phi4SparkCommand;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One real local pipeline run (conf/local.yaml, the tiny random model, short completions) shared by every
 * test class of the JVM that needs real tables: the run takes most of a minute, so it happens once.
 */
public final class PipelineFixture {

    /** The repository's local configuration, from the jobs module folder that surefire runs in. */
    public static final Path LOCAL_CONFIG = Path.of("..", "conf", "local.yaml").toAbsolutePath().normalize();

    private static PipelineFixture instance;

    private final Path root;
    private final String runId;
    private final String output;

    private PipelineFixture(Path root, String runId, String output) {
        this.root = root;
        this.runId = runId;
        this.output = output;
    }

    /** The run, made on first call. */
    public static synchronized PipelineFixture get() {
        if (instance == null) {
            instance = run();
        }
        return instance;
    }

    private static PipelineFixture run() {
        JobsSpark.get(); // the pipeline's getOrCreate joins the tests' one session
        Path root = TempFolders.create("phi4spark-fixture");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        List<String> args = new ArrayList<>(List.of("pipeline", "--config", LOCAL_CONFIG.toString()));
        args.addAll(sets(root));
        int rc = Phi4SparkCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args.toArray(String[]::new));
        assertThat(rc).as("pipeline exit status; stderr: %s; stdout: %s", err, out).isZero();
        Matcher m = Pattern.compile("Run (\\S+): pipeline").matcher(out.toString());
        assertThat(m.find()).as("run id in: %s", out).isTrue();
        return new PipelineFixture(root, m.group(1), out.toString());
    }

    /** The {@code --set} arguments of the run: the same tables and model for every command of a test. */
    public static List<String> sets(Path root) {
        return List.of("--set", "warehouse=" + root.resolve("warehouse"),
                "--set", "model.tiny_path=" + root.resolve("tiny"),
                "--set", "progress_seconds=0",
                "--set", "sampling.max_new_tokens=16",
                // The tiny model's random text fails gopher_repetition entirely; a length bound keeps 8 of
                // the 12 rows (approximate tokens 6 to 13, deterministic per row id), so every table has rows.
                "--set", "filter.steps=[{name: pii}, {name: exact_dedup}, {name: near_dedup},"
                        + " {name: token_length, min_tokens: 10}]",
                "--set", "spark.master=local[2]",
                "--set", "spark.conf={spark.ui.enabled: false, spark.sql.shuffle.partitions: 2,"
                        + " spark.databricks.delta.snapshotPartitions: 2}");
    }

    /** {@code --config conf/local.yaml} and this run's {@code --set} arguments, after {@code command}. */
    public String[] args(String... command) {
        List<String> args = new ArrayList<>(List.of(command));
        args.addAll(List.of("--config", LOCAL_CONFIG.toString()));
        args.addAll(sets(root));
        return args.toArray(String[]::new);
    }

    /** The temp folder holding the warehouse, the tiny model and phi4spark-work/. */
    public Path root() {
        return root;
    }

    /** The warehouse folder. */
    public Path warehouse() {
        return root.resolve("warehouse");
    }

    /** The pipeline's run id. */
    public String runId() {
        return runId;
    }

    /** What the pipeline printed. */
    public String output() {
        return output;
    }

    /**
     * A filter step's line of the funnel the pipeline printed ({@code "  token_length   3 removed, 9 left"})
     * as {@code {removed, left}}: the reference that tables, notebooks and reports must agree with (the
     * tiny model's text, and so what the filters remove, changes with the prompts).
     */
    public long[] funnel(String step) {
        Matcher m = Pattern.compile("(?m)^\\s+" + Pattern.quote(step) + "\\s+(\\d+) removed, (\\d+) left$")
                .matcher(output);
        assertThat(m.find()).as("the funnel line of %s in:%n%s", step, output).isTrue();
        return new long[] {Long.parseLong(m.group(1)), Long.parseLong(m.group(2))};
    }

    /** A command's exit status and what it printed. */
    public record Result(int status, String out, String err) {}

    /** Runs the command line in-process. */
    public static Result cli(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int rc = Phi4SparkCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Result(rc, out.toString(), err.toString());
    }
}
