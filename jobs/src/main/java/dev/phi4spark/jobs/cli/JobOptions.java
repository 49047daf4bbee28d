package dev.phi4spark.jobs.cli;

import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/** The options every Spark job command takes. */
public final class JobOptions {

    @Option(names = {"-c", "--config"}, description = "YAML configuration file: a path (e.g. conf/local.yaml), a"
            + " Hadoop URI (hdfs:, s3a:, ...) or the name of a file shipped with spark-submit --files; built-in"
            + " defaults without one.")
    String config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one key (repeatable), e.g."
            + " --set sampling.temperature=0.2.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--master", description = "Spark master, e.g. local[4] or spark://host:7077 (default: embedded"
            + " local[*], or what spark-submit gives).")
    String master;

    @Option(names = "--dry-run", description = "Check everything, print the resolved plan and exit without inference.")
    boolean dryRun;

    @Option(names = "--resume", description = "Skip ids already written, so a run that died does not redo finished work.")
    boolean resume;

    @Option(names = "--run-date", paramLabel = "YYYY-MM-DD", description = "The run's date (Airflow's {{ ds }}):"
            + " sets generate.run_key, so each day draws new topic combinations and gets new ids.")
    String runDate;

    /** The resolved configuration: defaults, then the file, then each --set, then --master and --run-date. */
    public JobConfig load() {
        List<String> all = new ArrayList<>(sets);
        if (master != null) {
            all.add("spark.master=" + master);
        }
        if (runDate != null) {
            all.add(ConfigKeys.GENERATE_RUN_KEY.name() + "=" + checkedDate(runDate));
        }
        return JobConfig.loadFrom(config, all);
    }

    static String checkedDate(String date) {
        try {
            return java.time.LocalDate.parse(date).toString();
        } catch (java.time.format.DateTimeParseException e) {
            throw new ConfigException("Cannot read --run-date: it must be a date as YYYY-MM-DD (" + date + ")");
        }
    }
}
