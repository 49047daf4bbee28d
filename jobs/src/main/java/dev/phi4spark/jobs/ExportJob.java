package dev.phi4spark.jobs;

import static org.apache.spark.sql.functions.array;
import static org.apache.spark.sql.functions.coalesce;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.concat;
import static org.apache.spark.sql.functions.count;
import static org.apache.spark.sql.functions.lit;
import static org.apache.spark.sql.functions.struct;
import static org.apache.spark.sql.functions.when;

import com.fasterxml.jackson.databind.JsonNode;
import dev.phi4spark.datagen.PairSchema;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.recipe.Messages;
import dev.phi4spark.filters.decontam.Decontaminator;
import dev.phi4spark.filters.pipeline.FilterPipeline;
import dev.phi4spark.jobs.config.ConfigException;
import dev.phi4spark.jobs.config.ConfigKeys;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.jobs.export.DatasetCard;
import dev.phi4spark.jobs.export.TrainingSetWriter;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.storage.StorageLevel;

/**
 * {@code export}: the curated rows (or the preference pairs) as a training set: optionally joined with
 * {@code corpus_scores} and thresholded, then written by {@link TrainingSetWriter} with a dataset card.
 * {@link #export} is the library call; the command adds the run's bookkeeping.
 *
 * <p>Layouts: rows of {@code synthetic_curated} become {@code {id, recipe, messages}} where
 * {@code messages} is the prompt followed by {@code {role: assistant, content: completion}}; rows of
 * {@code preference_pairs} become {@code {id, recipe, how, margin, prompt, chosen, rejected}} with
 * {@code chosen} and {@code rejected} each one assistant message. A pivotal-token pair's prompt ends
 * with the open assistant message (the solution prefix) that both single-token completions continue,
 * which TRL renders with {@code continue_final_message}.
 */
public final class ExportJob {

    /** The supervised layout. */
    public static final String MESSAGES_LAYOUT = "messages";
    /** The preference layout. */
    public static final String PREFERENCE_LAYOUT = "prompt/chosen/rejected";

    private ExportJob() {}

    /** The export settings of the config, checked. */
    public static TrainingSetWriter.Spec spec(JobConfig config) {
        List<String> formats = new ArrayList<>();
        for (JsonNode f : config.get(ConfigKeys.EXPORT_FORMATS)) {
            formats.add(f.asText());
        }
        try {
            return new TrainingSetWriter.Spec(config.get(ConfigKeys.EXPORT_PATH), formats,
                    config.get(ConfigKeys.EXPORT_VALIDATION_FRACTION), config.get(ConfigKeys.EXPORT_SHARD_ROWS));
        } catch (IllegalArgumentException e) {
            throw new ConfigException(e.getMessage());
        }
    }

    /** Checks the config without Spark. */
    public static void validate(JobConfig config) {
        spec(config);
        benchmarks(config); // the card names them: a mistake in score.benchmarks fails here, not after the export
        Double min = config.get(ConfigKeys.EXPORT_MIN_JUDGE_SCORE);
        Double max = config.get(ConfigKeys.EXPORT_MAX_PERPLEXITY);
        if (max != null && !(max > 0)) {
            throw new ConfigException("Cannot export: export.max_perplexity must be > 0 (" + max + ")");
        }
        if (min != null && !Double.isFinite(min)) {
            throw new ConfigException("Cannot export: export.min_judge_score must be a number (" + min + ")");
        }
    }

    /** What the export wrote. */
    public record Result(TrainingSetWriter.Written written, String card, String layout) {}

    /** Runs the export of the config's table and records the rows in the run. */
    public static Result run(JobContext ctx) {
        Result r = export(ctx.tables(), ctx.config());
        ctx.run().count("export", r.written().rows(TrainingSetWriter.TRAIN) + r.written().rows(TrainingSetWriter.VALIDATION));
        ctx.out().printf("export: %d train and %d validation row(s) in %d file(s) under %s (layout %s)%n",
                r.written().rows(TrainingSetWriter.TRAIN), r.written().rows(TrainingSetWriter.VALIDATION),
                r.written().files().size(), ctx.config().get(ConfigKeys.EXPORT_PATH), r.layout());
        return r;
    }

    /**
     * The library call: exports {@code export.input} from the tables to {@code export.path}.
     *
     * @throws ConfigException when the table is missing or a threshold needs scores that do not exist
     */
    public static Result export(TableStore tables, JobConfig config) {
        validate(config);
        TrainingSetWriter.Spec spec = spec(config);
        String input = config.get(ConfigKeys.EXPORT_INPUT);
        if (!tables.exists(input)) {
            throw new ConfigException("Cannot export table " + input + ": it does not exist in "
                    + tables.location(input) + " (run 'phi4spark pipeline' first, or set export.input)");
        }
        Dataset<Row> rows = tables.read(input);
        boolean pairs = Arrays.asList(rows.columns()).containsAll(List.of(PairSchema.CHOSEN, PairSchema.REJECTED));
        if (!pairs && !Arrays.asList(rows.columns()).containsAll(List.of(SyntheticSchema.MESSAGES, SyntheticSchema.COMPLETION))) {
            throw new ConfigException("Cannot export table " + input + ": it has neither messages and completion nor"
                    + " chosen and rejected (" + String.join(", ", rows.columns()) + ")");
        }
        List<DatasetCard.Step> funnel = new ArrayList<>();
        long generated = upstreamFunnel(tables, config, input, funnel);
        Selected selected = select(tables, config, rows, pairs, funnel);
        Dataset<Row> kept = selected.rows().persist(StorageLevel.MEMORY_AND_DISK());
        try {
            Dataset<Row> layout = pairs ? preferenceLayout(kept) : messagesLayout(kept);
            TrainingSetWriter.Written written = TrainingSetWriter.write(rows.sparkSession(), layout, spec);
            DatasetCard.Facts facts = new DatasetCard.Facts(input, pairs ? PREFERENCE_LAYOUT : MESSAGES_LAYOUT, written,
                    spec.formats(), generated, funnel, benchmarks(config), verdicts(kept, selected.scored()),
                    distinct(kept, SyntheticSchema.MODEL), distinct(kept, SyntheticSchema.SAMPLING),
                    runIds(tables, kept, selected.scored()));
            String card = DatasetCard.render(facts);
            TrainingSetWriter.writeCard(rows.sparkSession(), spec.path(), card);
            return new Result(written, card, facts.layout());
        } finally {
            kept.unpersist();
        }
    }

    /** Rows kept for export, and whether they carry corpus_scores columns. */
    private record Selected(Dataset<Row> rows, boolean scored) {}

    private static Selected select(TableStore tables, JobConfig config, Dataset<Row> rows, boolean pairs,
            List<DatasetCard.Step> funnel) {
        List<String> columns = Arrays.asList(rows.columns());
        Dataset<Row> out = rows;
        if (columns.contains(SyntheticSchema.ACCEPTED)) {
            out = out.where(coalesce(col(SyntheticSchema.ACCEPTED), lit(false)));
        }
        if (columns.contains(SyntheticSchema.ERROR)) {
            out = out.where(col(SyntheticSchema.ERROR).isNull());
        }
        out = out.where(pairs ? col(PairSchema.CHOSEN).isNotNull().and(col(PairSchema.REJECTED).isNotNull())
                : col(SyntheticSchema.COMPLETION).isNotNull());
        Counter counter = new Counter(funnel, rows.count());
        out = counter.keep(out, "not accepted, in error or empty");
        List<String> recipes = new ArrayList<>();
        config.get(ConfigKeys.EXPORT_RECIPES).forEach(r -> recipes.add(r.asText()));
        if (!recipes.isEmpty()) {
            out = counter.keep(out.where(col(SyntheticSchema.RECIPE).isin(recipes.toArray())),
                    "export.recipes in " + recipes);
        }
        Double minJudge = config.get(ConfigKeys.EXPORT_MIN_JUDGE_SCORE);
        Double maxPpl = config.get(ConfigKeys.EXPORT_MAX_PERPLEXITY);
        boolean thresholds = minJudge != null || maxPpl != null;
        boolean scoresExist = !pairs && tables.exists(TableStore.CORPUS_SCORES);
        if (thresholds && !scoresExist) {
            throw new ConfigException("Cannot export with export.min_judge_score or export.max_perplexity: "
                    + (pairs ? "preference pairs are not scored" : "there is no corpus_scores table in "
                    + tables.location(TableStore.CORPUS_SCORES)) + " (run 'phi4spark pipeline' first, or unset them)");
        }
        if (!scoresExist) {
            return new Selected(out, false);
        }
        Dataset<Row> scores = tables.read(TableStore.CORPUS_SCORES).select(col("id").as("_score_id"),
                col("judge_score").as("_judge_score"), col("perplexity").as("_perplexity"),
                col(Decontaminator.VERDICT).as("_verdict"), col("run_id").as("_score_run"));
        out = out.join(scores, col("id").equalTo(col("_score_id")), "left").drop("_score_id");
        if (minJudge != null) {
            out = counter.keep(out.where(col("_judge_score").geq(minJudge)), "export.min_judge_score >= " + minJudge);
        }
        if (maxPpl != null) {
            out = counter.keep(out.where(col("_perplexity").leq(maxPpl)), "export.max_perplexity <= " + maxPpl);
        }
        return new Selected(out, true);
    }

    /** The export's own funnel steps: counts the rows each filter leaves. */
    private static final class Counter {
        private final List<DatasetCard.Step> funnel;
        private long left;

        Counter(List<DatasetCard.Step> funnel, long left) {
            this.funnel = funnel;
            this.left = left;
        }

        /** Records the rows {@code after} lost to {@code name}, when it lost any. */
        Dataset<Row> keep(Dataset<Row> after, String name) {
            long now = after.count();
            if (now < left) {
                funnel.add(new DatasetCard.Step(name, left - now));
            }
            left = now;
            return after;
        }
    }

    /**
     * The filter's part of the funnel, when the exported table is the curated one: the generated rows
     * ({@code synthetic_raw}), then the rows each filter step removed ({@code synthetic_rejected}), in the
     * configured order. Returns the generated rows, or -1 when unknown.
     */
    private static long upstreamFunnel(TableStore tables, JobConfig config, String input, List<DatasetCard.Step> funnel) {
        if (!input.equals(TableStore.SYNTHETIC_CURATED) || !tables.exists(TableStore.SYNTHETIC_RAW)) {
            return -1;
        }
        long generated = tables.read(TableStore.SYNTHETIC_RAW).count();
        if (tables.exists(TableStore.SYNTHETIC_REJECTED)) {
            Map<String, Long> removed = new TreeMap<>();
            tables.read(TableStore.SYNTHETIC_REJECTED).groupBy(col(FilterPipeline.REJECT_STEP)).agg(count(lit(1)))
                    .collectAsList().forEach(r -> removed.put(r.isNullAt(0) ? "(unknown)" : r.getString(0), r.getLong(1)));
            List<String> order = new ArrayList<>();
            FilterJob.steps(config).forEach(s -> order.add(String.valueOf(s.get("name"))));
            for (String step : order) {
                Long n = removed.remove(step);
                if (n != null) {
                    funnel.add(new DatasetCard.Step(step, n));
                }
            }
            removed.forEach((step, n) -> funnel.add(new DatasetCard.Step(step, n)));
        }
        return generated;
    }

    private static Dataset<Row> messagesLayout(Dataset<Row> rows) {
        Column answer = array(struct(lit("assistant").as("role"), col(SyntheticSchema.COMPLETION).as("content")));
        return rows.select(col("id"), col(SyntheticSchema.RECIPE),
                concat(col(SyntheticSchema.MESSAGES), answer).cast(Messages.TYPE).as("messages"));
    }

    private static Dataset<Row> preferenceLayout(Dataset<Row> rows) {
        Column open = array(struct(lit("assistant").as("role"), col(PairSchema.PREFIX).as("content")));
        Column prompt = when(col(PairSchema.PREFIX).isNull(), col(PairSchema.PROMPT))
                .otherwise(concat(col(PairSchema.PROMPT), open)).cast(Messages.TYPE);
        return rows.select(col("id"), col(SyntheticSchema.RECIPE), col(PairSchema.HOW),
                col(PairSchema.MARGIN), prompt.as("prompt"),
                assistant(col(PairSchema.CHOSEN)).as("chosen"), assistant(col(PairSchema.REJECTED)).as("rejected"));
    }

    private static Column assistant(Column content) {
        return array(struct(lit("assistant").as("role"), content.as("content"))).cast(Messages.TYPE);
    }

    /** The benchmark names as decontamination wrote them to {@code corpus_scores}. */
    private static List<String> benchmarks(JobConfig config) {
        Map<String, Object> spec = ScoreJob.decontaminationSpec(config);
        return spec == null ? List.of()
                : dev.phi4spark.filters.pipeline.StepSpecs.benchmarks(spec).stream().map(b -> b.name()).toList();
    }

    private static Map<String, Long> verdicts(Dataset<Row> kept, boolean scored) {
        Map<String, Long> out = new LinkedHashMap<>();
        if (!scored) {
            return out;
        }
        kept.groupBy(coalesce(col("_verdict"), lit("not_scored"))).agg(count(lit(1))).collectAsList().stream()
                .sorted((a, b) -> a.getString(0).compareTo(b.getString(0)))
                .forEach(r -> out.put(r.getString(0), r.getLong(1)));
        return out;
    }

    private static List<String> distinct(Dataset<Row> rows, String column) {
        if (!Arrays.asList(rows.columns()).contains(column)) {
            return List.of();
        }
        return rows.select(col(column).cast(DataTypes.StringType)).where(col(column).isNotNull()).distinct()
                .collectAsList().stream().map(r -> r.getString(0)).sorted().toList();
    }

    /**
     * The runs behind the rows: those whose time span holds a row's {@code created_at} (generation; rows
     * carry no run id) and those that scored them ({@code corpus_scores.run_id}).
     */
    private static List<String> runIds(TableStore tables, Dataset<Row> kept, boolean scored) {
        TreeSet<String> out = new TreeSet<>();
        if (scored) {
            out.addAll(distinct(kept, "_score_run"));
        }
        if (tables.exists(TableStore.RUNS) && Arrays.asList(kept.columns()).contains(SyntheticSchema.CREATED_AT)) {
            List<Timestamp> created = kept.select(col(SyntheticSchema.CREATED_AT)).distinct().collectAsList().stream()
                    .map(r -> r.getTimestamp(0)).filter(t -> t != null).toList();
            for (Row run : tables.read(TableStore.RUNS).select("run_id", "started_at", "ended_at").collectAsList()) {
                Timestamp start = run.getTimestamp(1);
                Timestamp end = run.getTimestamp(2);
                if (start != null && created.stream().anyMatch(t -> !t.before(start) && (end == null || !t.after(end)))) {
                    out.add(run.getString(0));
                }
            }
        }
        return List.copyOf(out);
    }
}
