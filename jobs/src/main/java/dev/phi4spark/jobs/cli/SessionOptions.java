package dev.phi4spark.jobs.cli;

import dev.phi4spark.jobs.config.JobConfig;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Option;

/**
 * The configuration options of commands that read the tables rather than run a job ({@code sql},
 * {@code report}): the job commands' {@code --config}, {@code --set} and {@code --master}, without
 * {@code --dry-run} and {@code --resume}, which mean nothing there.
 */
public final class SessionOptions {

    @Option(names = {"-c", "--config"}, description = "YAML configuration file: a path (e.g. conf/local.yaml), a"
            + " Hadoop URI or the name of a file shipped with spark-submit --files; built-in defaults without one.")
    String config;

    @Option(names = "--set", paramLabel = "KEY=VALUE", description = "Override one key (repeatable), e.g."
            + " --set warehouse=/data/phi4spark-warehouse.")
    List<String> sets = new ArrayList<>();

    @Option(names = "--master", description = "Spark master, e.g. local[4] (default: embedded local[*]).")
    String master;

    /** The resolved configuration: defaults, then the file, then each --set, then --master. */
    public JobConfig load() {
        List<String> all = new ArrayList<>(sets);
        if (master != null) {
            all.add("spark.master=" + master);
        }
        return JobConfig.loadFrom(config, all);
    }
}
