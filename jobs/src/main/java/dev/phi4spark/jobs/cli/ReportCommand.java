package dev.phi4spark.jobs.cli;

import dev.phi4spark.jobs.SparkSessions;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.jobs.report.ReportWriter;
import dev.phi4spark.jobs.report.RunReportReader;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code phi4spark report}: one run's HTML report, with its charts inline, from the tables. */
@Command(name = "report", mixinStandardHelpOptions = true,
        description = "Write a self-contained HTML report of a run: funnel, recipes, judge score, perplexity and"
                + " length histograms, throughput and configuration.")
public final class ReportCommand implements Callable<Integer> {

    @Mixin
    SessionOptions session;

    @Option(names = "--run", paramLabel = "RUN_ID", description = "The run (default: the run that started last).")
    String runId;

    @Option(names = {"-o", "--out"}, paramLabel = "FILE",
            description = "The HTML file (default: phi4spark-work/reports/RUN_ID.html next to a local warehouse,"
                    + " <warehouse>/reports/RUN_ID.html on a remote one).")
    Path out;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        JobConfig config = session.load();
        TableStore tables = new TableStore(SparkSessions.getOrCreate(config), config);
        String run = runId != null ? runId : RunReportReader.latestRunId(tables);
        String written = out != null ? ReportWriter.write(tables, run, out).toAbsolutePath().toString()
                : ReportWriter.writeTo(tables, run, ReportWriter.defaultLocation(config, run));
        spec.commandLine().getOut().println("Run report: " + written);
        return 0;
    }
}
