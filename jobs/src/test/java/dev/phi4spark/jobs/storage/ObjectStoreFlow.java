package dev.phi4spark.jobs.storage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.cli.Phi4SparkCommand;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.jobs.sql.ProjectSql;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.TinyModelWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The daily flow with everything on a real remote store: the configuration file, the model, the
 * taxonomy, the prompt templates, a seed source, the corpus and the benchmark file are read from it, and
 * the warehouse is written there. Run once against a local S3 server (s3rver, through the S3A client) and
 * once against HDFS (MiniDFSCluster): two days, two run keys; day 2 adds only new ids, nothing is curated
 * twice, and the tables read by name in a new session.
 */
abstract class ObjectStoreFlow {

    @TempDir
    Path local;

    /** The store's URI of {@code path}. */
    abstract String uri(String path);

    /** Points the shared session's Hadoop configuration at the store. */
    abstract void configure(Configuration conf);

    /** {@code spark.conf} entries the run's config carries for the store (credentials), YAML flow style. */
    abstract List<String> sparkConf();

    @Test
    void twoDaysOnTheStore() throws Exception {
        SparkSession spark = JobsSpark.get();
        configure(spark.sparkContext().hadoopConfiguration());
        String root = uri("flow-" + System.nanoTime());
        upload(root);

        String warehouse = root + "/warehouse";
        Run day1 = run("pipeline", "--config", root + "/conf/run.yaml", "--run-date", "2025-01-01");
        assertThat(day1.status).as(day1.toString()).isZero();
        assertThat(day1.out).contains("synthetic_raw").contains(warehouse + "/synthetic_raw");
        // The run report lands on the store, beside the tables, not in the driver's working folder.
        assertThat(day1.out).contains("Run report: " + warehouse + "/reports/");
        String report = day1.out.substring(day1.out.indexOf("Run report: ") + 12).lines().findFirst().orElseThrow();
        org.apache.hadoop.fs.Path reportPath = new org.apache.hadoop.fs.Path(report.strip());
        assertThat(reportPath.getFileSystem(spark.sparkContext().hadoopConfiguration()).getFileStatus(reportPath).getLen())
                .isPositive();
        TableStore tables = new TableStore(spark, JobConfig.load(null, List.of("warehouse=" + warehouse)));
        Set<String> rawDay1 = ids(tables, TableStore.SYNTHETIC_RAW);
        Set<String> curatedDay1 = ids(tables, TableStore.SYNTHETIC_CURATED);
        assertThat(tables.read(TableStore.SYNTHETIC_RAW).where("recipe = 'textbook_section'").count()).isEqualTo(6);
        assertThat(tables.read(TableStore.SYNTHETIC_RAW).where("recipe = 'seed_rewrite'").count())
                .as("rewrites of the store's seed file").isEqualTo(2);
        assertThat(curatedDay1).isNotEmpty();
        // The model came from the store: staged once into the local cache folder.
        assertThat(local.resolve("model-cache")).isDirectoryContaining(p -> p.getFileName().toString().startsWith("tiny"));
        // The templates folder on the store overrides the bundled textbook template.
        assertThat(tables.read(TableStore.SYNTHETIC_RAW).where("recipe = 'textbook_section'")
                .selectExpr("to_json(messages)").first().getString(0)).contains("STORE TEMPLATE MARKER");
        // The corpus on the store was scored and decontaminated against the store's benchmark.
        Run score = run("score", "--config", root + "/conf/run.yaml", "--set", "score.input=" + root + "/corpus.jsonl",
                "--set", "score.judge=false");
        assertThat(score.status).as(score.toString()).isZero();
        // corpus_scores also holds the pipeline's scores of the curated rows; the corpus' rows quote it.
        List<Row> scores = tables.read(TableStore.CORPUS_SCORES)
                .where("text_preview LIKE 'Which planet%' OR text_preview LIKE 'Rivers%' OR text_preview LIKE 'The mito%'")
                .orderBy("text_preview").select("decontam_verdict", "decontam_item").collectAsList();
        assertThat(scores).hasSize(3);
        assertThat(scores.get(2).getString(0)).isEqualTo("contaminated");
        assertThat(scores.get(2).getString(1)).isEqualTo("q1");
        assertThat(scores.get(0).getString(0)).isEqualTo("clean");

        Run day2 = run("pipeline", "--config", root + "/conf/run.yaml", "--run-date", "2025-01-02");
        assertThat(day2.status).as(day2.toString()).isZero();
        Set<String> rawDay2 = ids(tables, TableStore.SYNTHETIC_RAW);
        Set<String> curatedDay2 = ids(tables, TableStore.SYNTHETIC_CURATED);
        assertThat(rawDay2).containsAll(rawDay1);
        assertThat(tables.read(TableStore.SYNTHETIC_RAW).where("recipe = 'textbook_section'").count())
                .as("day 2 adds new topic rows").isEqualTo(12);
        assertThat(tables.read(TableStore.SYNTHETIC_RAW).where("recipe = 'seed_rewrite'").count())
                .as("day 2 rewrites the two seeds day 1 did not").isEqualTo(4);
        assertThat(tables.read(TableStore.SYNTHETIC_RAW).where("recipe = 'seed_rewrite'")
                .selectExpr("to_json(messages)").distinct().count()).isEqualTo(4);
        assertThat(curatedDay2).containsAll(curatedDay1);
        Set<String> both = new HashSet<>(curatedDay2);
        both.retainAll(ids(tables, TableStore.SYNTHETIC_REJECTED));
        assertThat(both).as("no row is both curated and rejected").isEmpty();
        long curatedRows = tables.read(TableStore.SYNTHETIC_CURATED).count();
        assertThat(curatedRows).as("nothing curated twice").isEqualTo(curatedDay2.size());

        // A new session reads the tables by name, as `phi4spark sql` registers them.
        SparkSession fresh = spark.newSession();
        List<String> registered = ProjectSql.registerTables(fresh,
                JobConfig.load(null, List.of("warehouse=" + warehouse)));
        assertThat(registered).contains(TableStore.SYNTHETIC_RAW, TableStore.SYNTHETIC_CURATED, TableStore.RUNS);
        assertThat(fresh.sql("SELECT count(*) FROM synthetic_curated").first().getLong(0)).isEqualTo(curatedRows);
        assertThat(fresh.sql("SELECT count(*) FROM runs WHERE status = 'succeeded'").first().getLong(0)).isEqualTo(3);
    }

    private static Set<String> ids(TableStore tables, String table) {
        Set<String> out = new HashSet<>();
        tables.read(table).select("id").collectAsList().forEach(r -> out.add(r.getString(0)));
        return out;
    }

    /** Puts the run's inputs on the store. */
    private void upload(String root) throws IOException {
        Path tiny = local.resolve("tiny");
        TinyModelWriter.write(tiny, 1, SafetensorsDType.F32);
        try (Stream<Path> files = Files.list(tiny)) {
            for (Path f : files.toList()) {
                put(root + "/models/tiny/" + f.getFileName(), Files.readAllBytes(f));
            }
        }
        String templates = new String(bundledTemplate(), StandardCharsets.UTF_8);
        put(root + "/templates/textbook_section.txt", ("STORE TEMPLATE MARKER. " + templates).getBytes(StandardCharsets.UTF_8));
        put(root + "/taxonomy.yaml", Files.readAllBytes(Path.of("..", "conf", "taxonomy.yaml")));
        put(root + "/seeds.jsonl", ("{\"text\": \"Photosynthesis turns light into chemical energy in the chloroplasts.\"}\n"
                + "{\"text\": \"A prime number has exactly two divisors: one and itself.\"}\n"
                + "{\"text\": \"Plate tectonics explains why earthquakes cluster along fault lines.\"}\n"
                + "{\"text\": \"An algorithm's running time counts its steps as the input grows.\"}\n")
                .getBytes(StandardCharsets.UTF_8));
        String question = "Which planet is known as the red planet because of iron oxide dust on its surface";
        put(root + "/bench.jsonl", ("{\"id\": \"q1\", \"question\": \"" + question + "?\", \"answer\": \"Mars\"}\n")
                .getBytes(StandardCharsets.UTF_8));
        put(root + "/corpus.jsonl", ("{\"text\": \"" + question + "? The answer is Mars, of course.\"}\n"
                + "{\"text\": \"Rivers carry sediment from mountains to the sea over thousands of years.\"}\n"
                + "{\"text\": \"The mitochondria is where cells turn glucose into usable energy.\"}\n")
                .getBytes(StandardCharsets.UTF_8));
        List<String> conf = new ArrayList<>(sparkConf());
        conf.add("spark.ui.enabled: false");
        conf.add("spark.sql.shuffle.partitions: 2");
        conf.add("spark.databricks.delta.snapshotPartitions: 2");
        String yaml = "warehouse: " + root + "/warehouse\n"
                + "spark:\n  master: local[2]\n  conf: {" + String.join(", ", conf) + "}\n"
                + "model:\n  path: " + root + "/models/tiny\n  cache_dir: " + local.resolve("model-cache") + "\n"
                + "  device: cpu\n"
                + "sampling: {max_new_tokens: 8}\n"
                + "generate:\n  seed: 11\n  taxonomy: " + root + "/taxonomy.yaml\n  templates_dir: " + root + "/templates\n"
                + "  recipes:\n    - {recipe: textbook_section, count: 6}\n"
                + "    - {recipe: seed_rewrite, count: 2, source: {path: \"" + root + "/seeds.jsonl\", text_column: text}}\n"
                + "filter:\n  steps: [{name: exact_dedup}, {name: near_dedup}, {name: token_length, min_tokens: 4}]\n"
                + "score:\n  judge: false\n  benchmarks: [{path: \"" + root + "/bench.jsonl\", question_field: question, id_field: id}]\n"
                + "progress_seconds: 0\n";
        put(root + "/conf/run.yaml", yaml.getBytes(StandardCharsets.UTF_8));
    }

    private static byte[] bundledTemplate() throws IOException {
        try (var in = ObjectStoreFlow.class.getClassLoader().getResourceAsStream("templates/textbook_section.txt")) {
            assertThat(in).as("the bundled textbook_section template").isNotNull();
            return in.readAllBytes();
        }
    }

    private void put(String uri, byte[] bytes) throws IOException {
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(uri);
        FileSystem fs = p.getFileSystem(JobsSpark.get().sparkContext().hadoopConfiguration());
        try (OutputStream out = fs.create(p, true)) {
            out.write(bytes);
        }
    }

    record Run(int status, String out, String err) {
        @Override
        public String toString() {
            return "exit " + status + "\n--- out\n" + out + "\n--- err\n" + err;
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Phi4SparkCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }
}
