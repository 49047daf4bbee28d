package dev.phi4spark.jobs.cli;

import dev.phi4spark.jobs.JobContext;
import dev.phi4spark.jobs.ModelLocation;
import dev.phi4spark.jobs.SparkSessions;
import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.udf.spark.HadoopFiles;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Mixin;

/**
 * The shape every job command shares: load and check the config, print the plan and stop under
 * {@code --dry-run}, else start Spark, run, and record the run's outcome in the {@code runs} table.
 */
abstract class JobCommand implements Callable<Integer> {

    @Mixin
    JobOptions job;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Checks what this command needs from the config; throws {@link ConfigException} on a mistake. */
    abstract void validate(JobConfig config);

    /**
     * Checks the data the config names (a recipe's source files) after every other check: that it exists
     * and has the columns named. Nothing by default.
     */
    void checkSources(JobConfig config) {
    }

    /** Lines of the plan for {@code --dry-run}. */
    abstract List<String> plan(JobConfig config);

    /** Runs the command. */
    abstract void execute(JobContext ctx);

    /** Tables this command writes, for the closing summary. */
    abstract List<String> outputs();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        JobConfig config = job.load();
        // Files the config names (taxonomy, templates, benchmarks) are checked before Spark starts, with
        // the credentials of the config's own spark.conf.
        HadoopFiles.configure(SparkSessions.conf(config));
        checkWarehouse(config);
        validate(config);
        // The model's folder is checked (not read) in both, so both refuse a config in the same order.
        ModelLocation model = ModelLocation.resolve(config, false, job.dryRun ? out::println : line -> { });
        List<String> plan = job.dryRun ? plan(config) : List.of();
        // Last: the source data the config names, which may mean asking a remote file system.
        checkSources(config);
        if (job.dryRun) {
            out.println("Dry run of '" + spec.name() + "': the configuration is valid. Nothing was run.");
            out.println("model: " + dev.phi4spark.jobs.config.Secrets.maskText(model.path()));
            plan.forEach(line -> out.println("  " + line));
            out.println("resolved configuration:");
            out.println(config.toJson());
            return 0;
        }
        JobContext ctx = JobContext.start(spec.name(), config, out, job.resume);
        try (RunStopper stopper = RunStopper.install(ctx.spark().sparkContext(), ctx.run())) {
            try {
                execute(ctx);
                ctx.run().succeeded();
            } catch (Throwable e) {
                // Throwable, not RuntimeException: Delta and Hadoop (Scala) throw IOExceptions they do not declare
                // (a locked or full table folder), and a run they end must still be recorded as failed and its
                // heartbeat stopped, or it stays "running" for as long as the JVM lives.
                // A stop (SIGTERM, Ctrl-C) fails the job as "Job 3 cancelled ...": say what happened instead.
                RuntimeException stopped = stopper.beginFailureRecord() ? new RunStopper.StoppedException(e) : null;
                try {
                    ctx.run().failed(stopped != null ? RunStopper.STOPPED : Phi4SparkCommand.message(e));
                } catch (Exception alsoFailed) { // undeclared IOExceptions too (see above)
                    // A full or read-only warehouse refuses the runs row too: report the first fault, not this one.
                    e.addSuppressed(alsoFailed);
                }
                if (stopped != null) {
                    throw stopped;
                }
                throw e;
            }
        }
        summary(ctx);
        afterSummary(ctx);
        return 0;
    }

    /** Runs once the run is recorded as succeeded and summarised; nothing by default. */
    void afterSummary(JobContext ctx) {
    }

    /** A local warehouse must be writable before hours of inference are spent. */
    static void checkWarehouse(JobConfig config) {
        String warehouse = config.get(ConfigKeys.WAREHOUSE);
        if (warehouse == null || warehouse.isBlank()) {
            throw new ConfigException("Cannot write tables: warehouse is empty (set warehouse to a folder or a"
                    + " Hadoop URI such as hdfs:///user/me/phi4spark)");
        }
        if (HadoopFiles.isRemote(warehouse)) {
            return;
        }
        Path dir = (warehouse.startsWith("file:") ? Path.of(URI.create(warehouse)) : Path.of(warehouse)).toAbsolutePath();
        Path existing = dir;
        while (existing != null && !Files.exists(existing)) {
            existing = existing.getParent();
        }
        if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
            throw new ConfigException("Cannot write tables: the warehouse " + dir
                    + " is not writable (set warehouse to a folder you can write)");
        }
    }

    private void summary(JobContext ctx) {
        PrintWriter out = ctx.out();
        TableStore tables = ctx.tables();
        out.println();
        out.println("Tables written (run " + ctx.run().runId() + "): rows this run wrote, rows in the table");
        for (String t : outputs()) {
            if (tables.exists(t)) {
                // What this run wrote, not the table's size: a rerun that adds nothing must say 0.
                long written = ctx.run().counts().getOrDefault(t, 0L);
                out.printf("  %-20s %8d written %8d in table   %s%n", t, written, tables.read(t).count(),
                        tables.location(t));
            }
        }
        out.printf("  %-20s %8d written %8d in table   %s%n", TableStore.RUNS, 1, tables.read(TableStore.RUNS).count(),
                tables.location(TableStore.RUNS));
        out.println();
        String query = tryQuery(tables);
        out.println("Query the tables by name:");
        out.println("  bin/phi4spark sql" + (job.config == null ? "" : " --config " + job.config)
                + " -e \"" + query.replaceAll("delta\\.`[^`]*/([a-z_]+)`", "$1") + "\"");
        out.println("or in spark-sql / a notebook with Delta enabled:");
        out.println("  " + query);
    }

    String tryQuery(TableStore tables) {
        return "SELECT run_id, command, status, row_counts FROM " + tables.sqlName(TableStore.RUNS)
                + " ORDER BY started_at DESC LIMIT 5";
    }
}
