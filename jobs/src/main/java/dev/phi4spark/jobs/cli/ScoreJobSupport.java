package dev.phi4spark.jobs.cli;

import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.udf.spark.HadoopFiles;

/** Up-front checks of the score settings. */
final class ScoreJobSupport {

    private ScoreJobSupport() {}

    /** Each benchmark file must exist: decontamination against a missing file would silently pass all. */
    static void checkBenchmarks(JobConfig config) {
        for (var b : config.get(ConfigKeys.SCORE_BENCHMARKS)) {
            String path = b.path("path").asText("");
            if (path.isBlank() || !HadoopFiles.isFile(path)) {
                throw new ConfigException("Cannot decontaminate: benchmark file '" + path
                        + "' does not exist (fix score.benchmarks)");
            }
        }
    }
}
