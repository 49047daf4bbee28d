package dev.phi4spark.jobs.cli;

import dev.phi4spark.jobs.ExportJob;
import dev.phi4spark.jobs.JobContext;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;

/** {@code export}: a table as a training set (JSON lines and Parquet, splits, shards, dataset card). */
@Command(name = "export", mixinStandardHelpOptions = true,
        description = "synthetic_curated (or preference_pairs) -> a training set under export.path: chat messages"
                + " (or prompt/chosen/rejected) as JSON lines and Parquet, train/validation split by id hash,"
                + " shards of export.shard_rows rows and a dataset card README.md.")
final class ExportCommand extends JobCommand {

    @Override
    void validate(JobConfig config) {
        ExportJob.validate(config);
    }

    @Override
    List<String> plan(JobConfig config) {
        List<String> lines = new ArrayList<>();
        lines.add("export " + config.get(ConfigKeys.EXPORT_INPUT) + " as " + config.get(ConfigKeys.EXPORT_FORMATS)
                + ", validation fraction " + config.get(ConfigKeys.EXPORT_VALIDATION_FRACTION) + ", "
                + config.get(ConfigKeys.EXPORT_SHARD_ROWS) + " rows per file");
        lines.add("-> " + config.get(ConfigKeys.EXPORT_PATH));
        return lines;
    }

    @Override
    void execute(JobContext ctx) {
        ExportJob.run(ctx);
    }

    @Override
    List<String> outputs() {
        return List.of();
    }
}
