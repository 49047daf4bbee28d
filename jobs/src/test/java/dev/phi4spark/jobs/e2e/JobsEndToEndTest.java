package dev.phi4spark.jobs.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.TempFolders;
import dev.phi4spark.jobs.cli.Phi4SparkCommand;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Each command end to end in local mode with the tiny model, writing real Delta tables in a temporary
 * warehouse, read back with Spark SQL. The tests run in order: later ones use earlier ones' tables.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JobsEndToEndTest {

    private static Path root;
    private static SparkSession spark;

    /** The output and exit status of one command line. */
    record Run(int status, String out, String err) {}

    @BeforeAll
    static void setUp() throws IOException {
        spark = JobsSpark.get();
        root = TempFolders.create("phi4spark-e2e");
    }

    static Run cli(String... args) {
        // The command, then these defaults, then the test's own options, which win over the defaults.
        List<String> all = new ArrayList<>(List.of(args[0]));
        all.addAll(List.of("--set", "warehouse=" + root.resolve("wh"), "--set", "model.tiny_path=" + root.resolve("tiny"),
                "--set", "progress_seconds=0", "--set", "sampling.max_new_tokens=12", "--set", "model.device=cpu",
                "--set", "generate.recipes=[{recipe: textbook_section, count: 5}, {recipe: exercises_with_solutions, count: 3}]"));
        all.addAll(List.of(args).subList(1, args.length));
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Phi4SparkCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), all.toArray(String[]::new));
        return new Run(status, out.toString(), err.toString());
    }

    static String table(String name) {
        return "delta.`" + root.resolve("wh").resolve(name).toAbsolutePath() + "`";
    }

    static List<String> sortedRows(String sql) {
        return spark.sql(sql).collectAsList().stream().map(Row::toString).sorted().collect(Collectors.toList());
    }

    @Test
    @Order(1)
    void dryRunChecksEverythingAndWritesNothing() {
        Run r = cli("pipeline", "--dry-run");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("Dry run of 'pipeline': the configuration is valid. Nothing was run.")
                .contains("generate 5 x textbook_section").contains("step gopher_repetition");
        assertThat(root.resolve("wh")).doesNotExist();
        assertThat(root.resolve("tiny")).doesNotExist();
    }

    @Test
    @Order(2)
    void generateWritesThePlannedRows() {
        Run r = cli("generate");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("model.path is unset: using the tiny random model")
                .contains("synthetic_raw               8 written        8 in table")
                .containsPattern("generate: \\d+ of [1-9]\\d* prompt tokens came from the prefix cache");
        Row counts = spark.sql("SELECT count(*), count(DISTINCT id), count(completion), sum(completion_tokens)"
                + " FROM " + table("synthetic_raw")).head();
        assertThat(counts.getLong(0)).isEqualTo(8);
        assertThat(counts.getLong(1)).isEqualTo(8);
        assertThat(counts.getLong(2)).isEqualTo(8);
        assertThat(counts.getLong(3)).isPositive();
        assertThat(sortedRows("SELECT recipe, count(*) FROM " + table("synthetic_raw") + " GROUP BY recipe"))
                .containsExactly("[exercises_with_solutions,3]", "[textbook_section,5]");
        assertThat(spark.sql("SELECT status, row_counts['synthetic_raw'] FROM " + table("runs")).head().toString())
                .isEqualTo("[succeeded,8]");
    }

    @Test
    @Order(3)
    void runningGenerateAgainLeavesTheSameRowsOnce() {
        String columns = "id, recipe, seed_id, topic, audience, style, difficulty, messages, completion, finish_reason,"
                + " prompt_tokens, completion_tokens, model, sampling";
        List<String> before = sortedRows("SELECT " + columns + " FROM " + table("synthetic_raw"));
        long version = spark.sql("DESCRIBE HISTORY " + table("synthetic_raw")).count();
        // Without --resume a rerun that would only repeat finished inference is refused up front.
        Run r = cli("generate");
        assertThat(r.status()).isEqualTo(1);
        assertThat(r.err()).contains("Cannot generate: all 8 planned rows are already in synthetic_raw (add --resume");
        Run resumed = cli("generate", "--resume");
        assertThat(resumed.status()).as(resumed.err()).isZero();
        assertThat(sortedRows("SELECT " + columns + " FROM " + table("synthetic_raw"))).isEqualTo(before);
        assertThat(spark.sql("DESCRIBE HISTORY " + table("synthetic_raw")).count()).isEqualTo(version);
    }

    @Test
    @Order(4)
    void resumeWritesOnlyTheMissingIds() {
        List<String> ids = sortedRows("SELECT id FROM " + table("synthetic_raw"));
        spark.sql("DELETE FROM " + table("synthetic_raw") + " WHERE recipe = 'exercises_with_solutions'");
        assertThat(spark.sql("SELECT * FROM " + table("synthetic_raw")).count()).isEqualTo(5);
        Run r = cli("generate", "--resume");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("resuming");
        assertThat(sortedRows("SELECT id FROM " + table("synthetic_raw"))).isEqualTo(ids);
        Row last = spark.sql("SELECT row_counts['synthetic_raw'] FROM " + table("runs")
                + " WHERE command = 'generate' ORDER BY started_at DESC LIMIT 1").head();
        assertThat(last.getLong(0)).isEqualTo(3);
    }

    @Test
    @Order(5)
    void filterSplitsRowsAndTheFunnelAddsUp() {
        Run r = cli("filter");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("filter funnel (synthetic_raw):");
        long curated = spark.sql("SELECT * FROM " + table("synthetic_curated")).count();
        long rejected = spark.sql("SELECT * FROM " + table("synthetic_rejected")).count();
        assertThat(curated + rejected).isEqualTo(8);
        Dataset<Row> reasons = spark.sql("SELECT reject_step, reject_reason FROM " + table("synthetic_rejected"));
        assertThat(reasons.where("reject_reason IS NULL OR reject_step IS NULL").count()).isZero();
    }

    @Test
    @Order(6)
    void scoreWritesOneRowPerDocumentWithErrorsForBadOnes() throws IOException {
        Path corpus = root.resolve("corpus.jsonl");
        Files.writeString(corpus, String.join("\n",
                "{\"doc\": \"a\", \"body\": \"Photosynthesis turns light into chemical energy in plants.\"}",
                "{\"doc\": \"b\", \"body\": \"The derivative of x squared is two x, by the power rule.\"}",
                "{\"doc\": \"c\", \"body\": \"\"}",
                "{\"doc\": \"d\", \"body\": \"Rivers carve valleys over millions of years.\"}"));
        Run r = cli("score", "--set", "score.input=" + corpus, "--set", "score.text_column=body",
                "--set", "score.id_column=doc");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(sortedRows("SELECT id, error IS NULL, perplexity > 1, judge_score BETWEEN 0 AND 5, size(heuristic_flags) > 0"
                + " FROM " + table("corpus_scores")))
                .containsExactly("[a,true,true,true,true]", "[b,true,true,true,true]", "[c,false,null,null,true]",
                        "[d,true,true,true,true]");
        Row bad = spark.sql("SELECT error FROM " + table("corpus_scores") + " WHERE id = 'c'").head();
        assertThat(bad.getString(0)).startsWith("empty_prompt");
        // The three judged documents start from the cached rubric head.
        assertThat(r.out()).containsPattern("score: [1-9]\\d* judge prompt tokens came from the prefix cache");
    }

    @Test
    @Order(7)
    void userMistakesEndWithOneLineAndLeaveTablesAlone() {
        long version = spark.sql("DESCRIBE HISTORY " + table("synthetic_raw")).count();
        Run unknown = cli("generate", "--set", "sampling.temprature=0.3");
        assertThat(unknown.status()).isEqualTo(1);
        assertThat(unknown.err().strip()).isEqualTo("phi4spark: Cannot read configuration: unknown key"
                + " 'sampling.temprature' from --set (did you mean 'sampling.temperature'?)");
        Run noInput = cli("score", "--set", "score.input=" + root.resolve("missing.jsonl"));
        assertThat(noInput.status()).isEqualTo(1);
        assertThat(noInput.err().strip()).isEqualTo("phi4spark: Cannot score " + root.resolve("missing.jsonl")
                + ": no such file, folder or table (set score.input)");
        Run badModel = cli("generate", "--set", "model.path=" + root);
        assertThat(badModel.err().strip()).isEqualTo("phi4spark: Cannot use model.path " + root
                + ": it has no config.json (set model.path to a HuggingFace snapshot folder of Phi-4)");
        Run badRecipe = cli("generate", "--set", "generate.recipes=[{recipe: textbok_section, count: 1}]");
        assertThat(badRecipe.status()).isEqualTo(1);
        assertThat(badRecipe.err()).startsWith("phi4spark: Cannot").contains("textbok_section");
        assertThat(spark.sql("DESCRIBE HISTORY " + table("synthetic_raw")).count()).isEqualTo(version);
    }

    @Test
    @Order(8)
    void filterReadsTheInputsScoreReads() throws IOException {
        Path corpus = root.resolve("to-filter.jsonl");
        String doc = "The harbour was quiet that morning and the boats rocked slowly at their moorings.";
        Files.writeString(corpus, String.join("\n",
                "{\"completion\": \"" + doc + "\"}",
                "{\"completion\": \"" + doc + "\"}",
                "{\"completion\": \"Write to ada@example.org about the late delivery of the lamps.\"}", ""));
        // A warehouse of its own: the curated table of the generated rows has their other columns.
        Path warehouse = root.resolve("wh-corpus");
        Run r = cli("filter", "--set", "filter.input=" + corpus, "--set", "warehouse=" + warehouse,
                "--set", "filter.steps=[{name: pii}, {name: exact_dedup}]");
        assertThat(r.status()).as(r.err()).isZero();
        assertThat(r.out()).contains("filter funnel (" + corpus + "):").containsPattern("EMAIL\\s+1 edits");
        List<Row> curated = spark.read().format("delta").load(warehouse.resolve("synthetic_curated")
                .toAbsolutePath().toString()).select("completion").collectAsList();
        assertThat(curated).extracting(row -> row.getString(0)).containsExactlyInAnyOrder(doc,
                "Write to <EMAIL> about the late delivery of the lamps.");
        Run missing = cli("filter", "--set", "filter.input=" + root.resolve("nope.jsonl"));
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err()).contains("Cannot filter " + root.resolve("nope.jsonl") + ": it is no table in");
    }
}
