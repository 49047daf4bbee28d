package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.datagen.PairSchema;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.functions;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The pair recipes under {@code generate --resume}, on the tiny model: the questions whose pairs are in
 * {@code preference_pairs} are not asked again, and the resumed table equals the uninterrupted one.
 */
class PairResumeTest {

    private static final int QUESTIONS = 3;

    @TempDir
    Path tmp;

    private static GenerationCounter counter;

    @BeforeAll
    static void listen() {
        counter = GenerationCounter.register(JobsSpark.get());
    }

    @AfterAll
    static void stop() {
        counter.remove(JobsSpark.get());
    }

    private static String recipes(Path questions) {
        String source = "source: {path: \"" + questions + "\", text_column: q}";
        return "generate.recipes=[{recipe: preference_pairs, count: " + QUESTIONS
                + ", params: {k: 2, by: judge, min_margin: 0}, " + source + "}, {recipe: pivotal_tokens, count: "
                + QUESTIONS + ", params: {k: 2, rollouts: 2, min_agreement: 0.3}, " + source + "}]";
    }

    private static TableStore tables(Path warehouse) {
        return new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
    }

    /** Every column but created_at and run_id, sorted by id, as JSON lines. */
    private static List<String> content(Path warehouse) {
        Dataset<Row> t = tables(warehouse).read(PairSchema.TABLE);
        List<Column> cols = new ArrayList<>();
        for (String c : t.columns()) {
            if (!c.equals(SyntheticSchema.CREATED_AT) && !c.equals("run_id")) {
                cols.add(functions.col(c));
            }
        }
        return t.select(cols.toArray(new Column[0])).orderBy("id").toJSON().collectAsList();
    }

    private long generate(Path warehouse, Path questions, String... extra) throws InterruptedException {
        Cli.Run[] run = new Cli.Run[1];
        List<String> args = new ArrayList<>(List.of("--set", recipes(questions), "--set", "sampling.temperature=1.0"));
        args.addAll(List.of(extra));
        long rows = counter.during(JobsSpark.get(),
                () -> run[0] = Cli.job("generate", warehouse, args.toArray(new String[0])));
        assertThat(run[0].status()).as("%s", run[0]).isZero();
        return rows;
    }

    @Test
    void resumeAsksOnlyTheQuestionsWithoutPairsAndEndsWithTheUninterruptedTable() throws Exception {
        Path questions = tmp.resolve("questions.jsonl");
        Files.writeString(questions, "{\"q\": \"What is 12 * 12?\"}\n{\"q\": \"What is 3 + 4?\"}\n"
                + "{\"q\": \"Name a prime number.\"}\n");
        Path wh = tmp.resolve("wh");
        long full = generate(wh, questions);
        List<String> uninterrupted = content(wh);
        assertThat(tables(wh).exists(TableStore.SYNTHETIC_RAW)).as("the pair recipes write no synthetic_raw").isFalse();
        Cli.Run again = Cli.job("generate", wh, "--set", recipes(questions), "--set", "sampling.temperature=1.0");
        assertThat(again.status()).as("%s", again).isNotZero();
        assertThat(again.err()).contains("Cannot generate: all " + 2 * QUESTIONS + " planned rows are already in "
                + PairSchema.TABLE + " (add --resume to skip finished rows");
        Dataset<Row> pairs = tables(wh).read(PairSchema.TABLE);
        assertThat(pairs.select(PairSchema.ROW_ID).distinct().count()).as("every question of both recipes")
                .isEqualTo(2 * QUESTIONS);
        // one question of each recipe lost, with all its pivotal-token pairs: an attempt that died before them
        List<String> gone = new ArrayList<>();
        for (String recipe : List.of("preference_pairs", "pivotal_tokens")) {
            gone.add(pairs.where(functions.col(SyntheticSchema.RECIPE).equalTo(recipe)).select(PairSchema.ROW_ID)
                    .distinct().orderBy(PairSchema.ROW_ID).as(Encoders.STRING()).first());
        }
        io.delta.tables.DeltaTable.forPath(JobsSpark.get(), tables(wh).location(PairSchema.TABLE))
                .delete(functions.col(PairSchema.ROW_ID).isin(gone.toArray()));

        long resumed = generate(wh, questions, "--resume");

        assertThat(resumed).as("model rows of the two lost questions only").isPositive().isLessThan(full);
        assertThat(content(wh)).isEqualTo(uninterrupted);
        assertThat(generate(wh, questions, "--resume")).as("nothing is left to generate").isZero();
    }

    @Test
    void theDryRunPlanNamesTheTablesTheRecipesWrite() throws Exception {
        Path questions = tmp.resolve("questions.jsonl");
        // the dry run reads the source's columns: q for the first plan, the default text for the second
        Files.writeString(questions, "{\"q\": \"What is 3 + 4?\", \"text\": \"What is 3 + 4?\"}\n");
        Cli.Run pairs = Cli.run("generate", "--dry-run", "--set", recipes(questions));
        assertThat(pairs.status()).as("%s", pairs).isZero();
        assertThat(pairs.out()).contains("generate 3 x pivotal_tokens").contains("-> preference_pairs\n")
                .doesNotContain("-> synthetic_raw");
        Cli.Run both = Cli.run("generate", "--dry-run", "--set", "generate.recipes=[{recipe: textbook_section,"
                + " count: 2}, {recipe: preference_pairs, count: 2, source: {path: \"" + questions + "\"}}]");
        assertThat(both.status()).as("%s", both).isZero();
        assertThat(both.out()).contains("-> synthetic_raw, preference_pairs\n");
    }
}
