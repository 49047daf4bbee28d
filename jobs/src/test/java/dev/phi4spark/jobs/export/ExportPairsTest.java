package dev.phi4spark.jobs.export;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phi4spark.datagen.PairSchema;
import dev.phi4spark.jobs.ExportJob;
import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.PipelineFixture;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Preference pairs in TRL's prompt/chosen/rejected layout, and the command on the pipeline's real tables. */
class ExportPairsTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private static Row pair(String id, String how, String prefix, String chosen, String rejected, boolean accepted) {
        List<Row> prompt = List.of(RowFactory.create("user", "What is 2 + 3?"));
        return RowFactory.create(id, "row-" + id, how.equals("pivotal_token") ? "pivotal_tokens" : "preference_pairs", "v", "s-" + id,
                "What is 2 + 3?", prompt, prefix, chosen, rejected, 1.0, 0.0, 1.0, how, "5", accepted,
                accepted ? null : "no pair", 10, null, "scripted:m", "{}", Timestamp.valueOf("2026-01-01 00:00:00"));
    }

    @Test
    void pairsBecomePromptChosenRejectedAndAPivotalPrefixIsTheOpenAssistantTurn() throws Exception {
        SparkSession spark = JobsSpark.get();
        JobConfig config = JobConfig.load(null, List.of("warehouse=" + tmp.resolve("wh"), "export.input=preference_pairs",
                "export.path=" + tmp.resolve("out"), "export.formats=[jsonl]", "export.validation_fraction=0"));
        TableStore tables = new TableStore(spark, config);
        tables.insertNew(PairSchema.TABLE, spark.createDataFrame(List.of(
                pair("a", "correctness", null, "Final answer: 5", "Final answer: 6", true),
                pair("b", "pivotal_token", "We", " add", " subtract", true),
                pair("c", "judge", null, null, null, false)), PairSchema.SCHEMA), "id");

        ExportJob.Result r = ExportJob.export(tables, config);

        assertThat(r.layout()).isEqualTo(ExportJob.PREFERENCE_LAYOUT);
        assertThat(r.written().rows("train")).isEqualTo(2);
        Map<String, JsonNode> rows = new TreeMap<>();
        for (String line : Files.readAllLines(tmp.resolve("out/data/train-00000-of-00001.jsonl"))) {
            JsonNode row = JSON.readTree(line);
            rows.put(row.get("id").asText(), row);
        }
        assertThat(rows.keySet()).containsExactly("a", "b");
        assertThat(rows.get("a").toString()).isEqualTo("{\"id\":\"a\",\"recipe\":\"preference_pairs\",\"how\":\"correctness\","
                + "\"margin\":1.0,\"prompt\":[{\"role\":\"user\",\"content\":\"What is 2 + 3?\"}],"
                + "\"chosen\":[{\"role\":\"assistant\",\"content\":\"Final answer: 5\"}],"
                + "\"rejected\":[{\"role\":\"assistant\",\"content\":\"Final answer: 6\"}]}");
        assertThat(rows.get("b").get("prompt").toString()).isEqualTo("[{\"role\":\"user\",\"content\":\"What is 2 + 3?\"},"
                + "{\"role\":\"assistant\",\"content\":\"We\"}]");
        assertThat(rows.get("b").get("chosen").get(0).get("content").asText()).isEqualTo(" add");
        assertThat(r.card()).contains("`prompt` / `chosen` / `rejected` layout").contains("| not accepted, in error or empty | 1 |  |");
    }

    @Test
    void theCommandExportsThePipelinesCuratedRows() throws Exception {
        PipelineFixture run = PipelineFixture.get();
        Path out = tmp.resolve("cli-out");
        List<String> args = new ArrayList<>(List.of(run.args("export")));
        args.addAll(List.of("--set", "export.path=" + out, "--set", "export.validation_fraction=0.5"));
        PipelineFixture.Result r = PipelineFixture.cli(args.toArray(String[]::new));
        assertThat(r.status()).as(r.err()).isZero();
        long curated = JobsSpark.get().read().format("delta").load(run.warehouse().resolve("synthetic_curated").toString())
                .count();
        assertThat(r.out()).containsPattern("export: \\d+ train and \\d+ validation row\\(s\\) in \\d+ file\\(s\\)");
        long written = JobsSpark.get().read().parquet(out.resolve("data") + "/*.parquet").count();
        assertThat(written).isEqualTo(curated).isPositive();
        String card = Files.readString(out.resolve("README.md"));
        assertThat(card).contains("| token_length |").contains("| **exported** | | " + curated + " |")
                .contains("- Runs: `" + run.runId() + "`");
    }
}
