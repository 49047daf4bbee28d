package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.delta.TableStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 15: the model-based filter steps are built by the step registry like the others, with the run's
 * model: {@code filter} with {@code judge_score} and {@code perplexity} runs them on the tiny model, and
 * their declared parameters reach the steps.
 */
class FilterModelStepsTest {

    @TempDir
    static Path tmp;

    private static Path corpus() throws IOException {
        return Files.writeString(tmp.resolve("docs.jsonl"), String.join("\n",
                "{\"id\": \"a\", \"text\": \"Photosynthesis converts light into chemical energy in the leaves.\"}",
                "{\"id\": \"b\", \"text\": \"Rivers carve valleys over long periods of time.\"}",
                "{\"id\": \"c\", \"text\": \"The mitochondria is the powerhouse of the cell.\"}") + "\n");
    }

    private static Cli.Run filter(Path warehouse, String steps) throws IOException {
        return Cli.job("filter", warehouse, "--set", "filter.input=" + corpus(), "--set", "filter.text_column=text",
                "--set", "score.id_column=id", "--set", "filter.steps=" + steps);
    }

    private static Dataset<Row> table(Path warehouse, String name) {
        return JobsSpark.get().read().format("delta").load(warehouse.resolve(name).toString());
    }

    @Test
    void modelStepsRunWithTheRunsModelAndTheirParameters() throws IOException {
        Path keepAll = tmp.resolve("keep-all");
        Cli.Run run = filter(keepAll, "[{name: judge_score, min_score: 0}, {name: perplexity, max_perplexity: 1000000000}]");
        assertThat(run.status()).as("%s", run).isZero();
        assertThat(run.out()).contains("judge_score").contains("perplexity");
        List<Row> kept = table(keepAll, TableStore.SYNTHETIC_CURATED).select("id", "judge_score", "perplexity")
                .orderBy("id").collectAsList();
        assertThat(kept).extracting(r -> r.getString(0)).containsExactly("a", "b", "c");
        for (Row r : kept) {
            assertThat(r.getDouble(1)).isBetween(0.0, 5.0);
            assertThat(r.getDouble(2)).isGreaterThan(1.0);
        }

        // A random model's perplexity is far above 1.5: the declared max_perplexity reaches the step.
        Path rejectAll = tmp.resolve("reject-all");
        Cli.Run strict = filter(rejectAll, "[{name: perplexity, max_perplexity: 1.5}]");
        assertThat(strict.status()).as("%s", strict).isZero();
        assertThat(table(rejectAll, TableStore.SYNTHETIC_REJECTED).select("reject_step", "reject_reason")
                .distinct().collectAsList()).extracting(Row::toString)
                .containsExactly("[perplexity,perplexity_too_high]");
        assertThat(table(rejectAll, TableStore.SYNTHETIC_REJECTED).count()).isEqualTo(3);
    }
}
