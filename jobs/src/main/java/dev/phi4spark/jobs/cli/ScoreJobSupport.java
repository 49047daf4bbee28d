package dev.phi4spark.jobs.cli;

import dev.phi4spark.filters.pipeline.StepSpecs;
import dev.phi4spark.jobs.ScoreJob;
import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.udf.spark.HadoopFiles;
import java.util.Map;

/** Up-front checks of the score settings. */
final class ScoreJobSupport {

    private ScoreJobSupport() {}

    /**
     * Checks {@code score.benchmarks} as the run will use them: each entry's fields against the {@code
     * decontaminate} step's declaration, then that each file exists (decontamination against a missing file
     * would silently pass all), then the files themselves (a question field they lack), by building the
     * step as the run builds it.
     */
    static void checkBenchmarks(JobConfig config) {
        Map<String, Object> spec = ScoreJob.decontaminationSpec(config);
        if (spec == null) {
            return;
        }
        for (var b : StepSpecs.benchmarks(spec)) {
            String path = b.path();
            if (path.isBlank() || !HadoopFiles.isFile(path)) {
                throw new ConfigException("Cannot decontaminate: benchmark file '" + path
                        + "' does not exist (fix score.benchmarks)");
            }
        }
        ScoreJob.decontaminationStep(config);
    }
}
