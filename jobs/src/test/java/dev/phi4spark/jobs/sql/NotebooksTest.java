package dev.phi4spark.jobs.sql;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.PipelineFixture;
import dev.phi4spark.jobs.config.JobConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The notebooks are valid nbformat 4.5, and every query in them runs against the tables of a real local
 * run, registered under the same view names the notebooks' setup cell gives them.
 */
class NotebooksTest {

    static final Path DIR = Path.of("..", "notebooks").toAbsolutePath().normalize();
    static final List<String> NOTEBOOKS = List.of("explore_synthetic_run.ipynb", "explore_corpus_scores.ipynb");
    private static final Pattern QUERY = Pattern.compile("spark\\.sql\\(\"\"\"(.*?)\"\"\"\\)", Pattern.DOTALL);
    private static final Pattern CELL_ID = Pattern.compile("^[a-zA-Z0-9-_]{1,64}$");

    private static PipelineFixture run;

    @BeforeAll
    static void pipeline() {
        run = PipelineFixture.get();
    }

    static JsonNode read(String name) throws IOException {
        return new ObjectMapper().readTree(DIR.resolve(name).toFile());
    }

    static String source(JsonNode cell) {
        JsonNode s = cell.get("source");
        if (s.isTextual()) {
            return s.asText();
        }
        StringBuilder b = new StringBuilder();
        s.forEach(line -> b.append(line.asText()));
        return b.toString();
    }

    /** Every query of a notebook, from its cells that start with {@code # SQL}. */
    static List<String> queries(JsonNode notebook) {
        List<String> out = new ArrayList<>();
        for (JsonNode cell : notebook.get("cells")) {
            String src = source(cell);
            if (!cell.get("cell_type").asText().equals("code")) {
                continue;
            }
            int calls = src.split("spark\\.sql\\(", -1).length - 1;
            Matcher m = QUERY.matcher(src);
            int found = 0;
            while (m.find()) {
                out.add(m.group(1).strip());
                found++;
            }
            assertThat(found).as("every spark.sql call is a triple-quoted query: %s", src).isEqualTo(calls);
            assertThat(src.startsWith("# SQL") || calls == 0).as("a cell with a query starts with # SQL: %s", src)
                    .isTrue();
        }
        return out;
    }

    @Test
    void theNotebooksAreValidNbformat4() throws IOException {
        for (String name : NOTEBOOKS) {
            JsonNode nb = read(name);
            assertThat(nb.get("nbformat").asInt()).as(name).isEqualTo(4);
            assertThat(nb.get("nbformat_minor").asInt()).as(name).isEqualTo(5);
            assertThat(nb.at("/metadata/kernelspec/name").asText()).as(name).isEqualTo("python3");
            assertThat(nb.at("/metadata/kernelspec/display_name").isTextual()).as(name).isTrue();
            Set<String> ids = new HashSet<>();
            for (JsonNode cell : nb.get("cells")) {
                String type = cell.get("cell_type").asText();
                assertThat(type).isIn("code", "markdown", "raw");
                assertThat(cell.get("metadata").isObject()).isTrue();
                assertThat(cell.get("source").isTextual() || cell.get("source").isArray()).isTrue();
                assertThat(cell.get("id").asText()).matches(CELL_ID);
                assertThat(ids.add(cell.get("id").asText())).as("unique cell id").isTrue();
                if (type.equals("code")) {
                    assertThat(cell.get("outputs").isArray() && cell.get("outputs").isEmpty()).isTrue();
                    assertThat(cell.get("execution_count").isNull()).isTrue();
                } else {
                    assertThat(cell.has("outputs")).isFalse();
                }
            }
            assertThat(source(nb.get("cells").get(1))).contains("WAREHOUSE = ").contains("createOrReplaceTempView(name)")
                    .contains("io.delta.sql.DeltaSparkSessionExtension");
        }
    }

    @Test
    void everyQueryRunsOnARealRun() throws IOException {
        SparkSession spark = JobsSpark.get();
        JobConfig config = JobConfig.load(PipelineFixture.LOCAL_CONFIG,
                PipelineFixture.sets(run.root()).stream().filter(a -> !a.equals("--set")).toList());
        assertThat(ProjectSql.registerTables(spark, config)).containsExactlyElementsOf(ProjectSql.TABLES);
        spark.conf().set("phi4spark.run_id", run.runId());
        int total = 0;
        for (String name : NOTEBOOKS) {
            List<String> queries = queries(read(name));
            assertThat(queries).as(name).hasSizeGreaterThan(8);
            for (String q : queries) {
                List<Row> rows = runQuery(spark, name, q);
                if (q.contains("substr(name, 9) AS step")) {
                    // pii, exact_dedup, near_dedup, dedup_earlier_runs, token_length
                    assertThat(rows).as("the funnel of the run").hasSize(5);
                    long[] printed = run.funnel("token_length");
                    assertThat(rows.get(4).toString()).isEqualTo("[token_length," + printed[0] + "," + printed[1] + "]");
                }
                total++;
            }
        }
        assertThat(total).isGreaterThan(20);
    }

    private static List<Row> runQuery(SparkSession spark, String notebook, String query) {
        try {
            return spark.sql(query).collectAsList();
        } catch (Exception e) {
            throw new AssertionError("Cannot run a query of " + notebook + ": " + e.getMessage().lines().findFirst()
                    .orElse("") + "\n" + query, e);
        }
    }
}
