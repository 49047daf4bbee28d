package dev.phi4spark.jobs.cli;

import dev.phi4spark.datagen.Datagen;
import dev.phi4spark.datagen.DatagenConfig;
import dev.phi4spark.datagen.PairSchema;
import dev.phi4spark.datagen.recipe.Recipe;
import dev.phi4spark.jobs.CorpusReader;
import dev.phi4spark.jobs.EarlierRunsDedup;
import dev.phi4spark.jobs.FilterJob;
import dev.phi4spark.jobs.GenerateJob;
import dev.phi4spark.jobs.JobContext;
import dev.phi4spark.jobs.ScoreJob;
import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.jobs.report.ReportWriter;
import dev.phi4spark.jobs.sql.ProjectSql;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import picocli.CommandLine.Command;

/** The Spark job commands: generate, filter, score and pipeline. */
final class JobCommands {

    private JobCommands() {}

    static List<String> generatePlan(JobConfig config) {
        List<String> lines = new ArrayList<>();
        DatagenConfig plan = GenerateJob.datagenConfig(config);
        plan.recipes().forEach(r ->
                lines.add("generate " + r.count() + " x " + r.recipe() + (r.params().isEmpty() ? "" : " " + r.params())));
        // the pair recipes write preference_pairs, the others synthetic_raw
        lines.add("-> " + String.join(", ", Datagen.validate(plan).stream().map(Recipe::table).distinct().toList()));
        return lines;
    }

    static List<String> filterPlan(JobConfig config) {
        List<String> lines = new ArrayList<>();
        lines.add("filter " + config.get(ConfigKeys.FILTER_INPUT) + "." + config.get(ConfigKeys.FILTER_TEXT_COLUMN));
        FilterJob.validate(config).forEach(name -> lines.add("  step " + name
                + (name.equals(EarlierRunsDedup.NAME) ? " (against " + TableStore.SYNTHETIC_CURATED + ")" : "")));
        lines.add("-> " + TableStore.SYNTHETIC_CURATED + ", " + TableStore.SYNTHETIC_REJECTED);
        return lines;
    }

    /** {@code generate}. */
    @Command(name = "generate", mixinStandardHelpOptions = true,
            description = "Seeds -> datagen recipes on Phi-4 -> the synthetic_raw Delta table.")
    static final class Generate extends JobCommand {
        @Override
        void validate(JobConfig config) {
            GenerateJob.validate(config);
        }

        @Override
        void checkSources(JobConfig config) {
            GenerateJob.checkSources(config);
        }

        @Override
        List<String> plan(JobConfig config) {
            return generatePlan(config);
        }

        @Override
        void execute(JobContext ctx) {
            GenerateJob.run(ctx);
        }

        @Override
        List<String> outputs() {
            return List.of(TableStore.SYNTHETIC_RAW, PairSchema.TABLE);
        }
    }

    /** {@code filter}. */
    @Command(name = "filter", mixinStandardHelpOptions = true,
            description = "synthetic_raw (or filter.input) -> filter pipeline -> synthetic_curated and"
                    + " synthetic_rejected, with the funnel.")
    static final class Filter extends JobCommand {
        @Override
        void validate(JobConfig config) {
            FilterJob.validate(config);
        }

        @Override
        List<String> plan(JobConfig config) {
            return filterPlan(config);
        }

        @Override
        void execute(JobContext ctx) {
            FilterJob.run(ctx);
        }

        @Override
        List<String> outputs() {
            return List.of(TableStore.SYNTHETIC_CURATED, TableStore.SYNTHETIC_REJECTED);
        }
    }

    /** {@code score}. */
    @Command(name = "score", mixinStandardHelpOptions = true,
            description = "A corpus (Delta, Parquet, JSON lines, text or a table) -> perplexity, judge score,"
                    + " heuristic flags and decontamination verdict -> corpus_scores.")
    static final class Score extends JobCommand {
        @Override
        void validate(JobConfig config) {
            String input = config.get(ConfigKeys.SCORE_INPUT);
            if (input == null || input.isBlank()) {
                throw new ConfigException("Cannot score a corpus: score.input is unset (set it to a path or a"
                        + " table, e.g. --set score.input=data/corpus.jsonl)");
            }
            ScoreJobSupport.checkBenchmarks(config);
        }

        @Override
        List<String> plan(JobConfig config) {
            return List.of("score " + config.get(ConfigKeys.SCORE_INPUT) + " (format "
                    + config.get(ConfigKeys.SCORE_FORMAT) + ", text column " + config.get(ConfigKeys.SCORE_TEXT_COLUMN)
                    + ", judge " + config.get(ConfigKeys.SCORE_JUDGE) + ")", "-> " + TableStore.CORPUS_SCORES);
        }

        @Override
        void execute(JobContext ctx) {
            JobConfig config = projectTableInput(ctx);
            Dataset<Row> corpus = CorpusReader.read(ctx.spark(), config);
            ScoreJob.run(ctx, corpus, ctx.config().get(ConfigKeys.SCORE_INPUT));
        }

        /**
         * {@code score.input: synthetic_curated} (a project table's name, with no file of that name here)
         * reads the table wherever this run's warehouse puts it, so a schedule need not spell its path.
         */
        private static JobConfig projectTableInput(JobContext ctx) {
            JobConfig config = ctx.config();
            String input = config.get(ConfigKeys.SCORE_INPUT);
            if (!ProjectSql.TABLES.contains(input) || java.nio.file.Files.exists(java.nio.file.Path.of(input))
                    || !ctx.tables().exists(input)) {
                return config;
            }
            return config.with("score.input=" + ctx.tables().location(input)).with("score.format=delta");
        }

        @Override
        List<String> outputs() {
            return List.of(TableStore.CORPUS_SCORES);
        }
    }

    /** {@code pipeline}. */
    @Command(name = "pipeline", mixinStandardHelpOptions = true,
            description = "generate -> filter -> score the curated rows, in one run.")
    static final class Pipeline extends JobCommand {
        @Override
        void validate(JobConfig config) {
            GenerateJob.validate(config);
            FilterJob.validate(config);
            ScoreJobSupport.checkBenchmarks(config);
        }

        @Override
        void checkSources(JobConfig config) {
            GenerateJob.checkSources(config);
        }

        @Override
        List<String> plan(JobConfig config) {
            List<String> lines = new ArrayList<>(generatePlan(config));
            lines.addAll(filterPlan(config));
            lines.add("score " + TableStore.SYNTHETIC_CURATED + ".completion -> " + TableStore.CORPUS_SCORES);
            return lines;
        }

        @Override
        void execute(JobContext ctx) {
            GenerateJob.run(ctx);
            FilterJob.run(ctx);
            Dataset<Row> curated = ctx.tables().read(TableStore.SYNTHETIC_CURATED)
                    .selectExpr("id", ctx.config().get(ConfigKeys.FILTER_TEXT_COLUMN) + " AS text");
            ScoreJob.run(ctx, curated, TableStore.SYNTHETIC_CURATED);
        }

        @Override
        List<String> outputs() {
            // generate's tables first (the pair recipes write preference_pairs), then filter's and score's
            List<String> tables = new ArrayList<>(new Generate().outputs());
            tables.addAll(new Filter().outputs());
            tables.addAll(new Score().outputs());
            return tables;
        }

        /** The run report, written here rather than in execute: the runs row has its counts only now. */
        @Override
        void afterSummary(JobContext ctx) {
            ReportWriter.writeAfterRun(ctx.tables(), ctx.config(), ctx.run().runId(), ctx.out());
        }

        @Override
        String tryQuery(TableStore tables) {
            if (!tables.exists(TableStore.CORPUS_SCORES)) {
                return super.tryQuery(tables); // every row was filtered out: nothing was scored
            }
            return "SELECT r.recipe, count(*) AS rows, round(avg(s.judge_score), 2) AS judge, round(avg(s.perplexity), 1)"
                    + " AS ppl FROM " + tables.sqlName(TableStore.SYNTHETIC_CURATED) + " r JOIN "
                    + tables.sqlName(TableStore.CORPUS_SCORES) + " s USING (id) GROUP BY r.recipe";
        }
    }
}
