package dev.phi4spark.jobs.export;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phi4spark.datagen.Datagen;
import dev.phi4spark.datagen.DatagenConfig;
import dev.phi4spark.datagen.RecipePlan;
import dev.phi4spark.datagen.stage.DryRunResponder;
import dev.phi4spark.jobs.ExportJob;
import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The export of curated rows made by the scripted dry-run stage, through a {@code file:} URI. */
class ExportJobTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    private JobConfig config(String... sets) {
        List<String> all = new ArrayList<>(List.of("warehouse=" + tmp.resolve("wh"),
                "export.path=" + tmp.resolve("out").toUri(), "export.shard_rows=7",
                "export.validation_fraction=0.25"));
        all.addAll(List.of(sets));
        return JobConfig.load(null, all);
    }

    /** 30 textbook sections and 10 exercises in synthetic_raw and synthetic_curated; returns the store. */
    private TableStore curated(JobConfig config) {
        SparkSession spark = JobsSpark.get();
        TableStore tables = new TableStore(spark, config);
        Dataset<Row> rows = Datagen.run(spark, DatagenConfig.of(3, List.of(RecipePlan.of("textbook_section", 30),
                RecipePlan.of("exercises_with_solutions", 10))), DryRunResponder.stage()).rows().cache();
        tables.insertNew(TableStore.SYNTHETIC_RAW, rows, "id");
        tables.insertNew(TableStore.SYNTHETIC_CURATED, rows, "id");
        rows.unpersist();
        return tables;
    }

    @Test
    void writesMessagesSplitByIdHashInShardsWithACardAndRewritesTheSameBytes() throws IOException {
        JobConfig config = config();
        TableStore tables = curated(config);
        ExportJob.Result first = ExportJob.export(tables, config);
        Map<String, byte[]> bytes = files(tmp.resolve("out"));

        SparkSession spark = JobsSpark.get();
        Map<String, String> splitOf = new HashMap<>();
        Map<String, String> completionOf = new HashMap<>();
        for (Row r : tables.read(TableStore.SYNTHETIC_CURATED)
                .withColumn("split", TrainingSetWriter.split(col("id"), 0.25)).collectAsList()) {
            splitOf.put(r.getAs("id"), r.getAs("split"));
            completionOf.put(r.getAs("id"), r.getAs("completion"));
        }
        long validation = splitOf.values().stream().filter("validation"::equals).count();
        assertThat(validation).as("a quarter of 40, give or take the hash").isBetween(4L, 16L);
        long train = 40 - validation;

        Map<String, Integer> lines = new TreeMap<>();
        Set<String> seen = new HashSet<>();
        for (String name : bytes.keySet().stream().filter(n -> n.endsWith(".jsonl")).toList()) {
            String split = name.substring("data/".length(), name.indexOf('-'));
            List<String> rows = new String(bytes.get(name), java.nio.charset.StandardCharsets.UTF_8).lines().toList();
            lines.put(name, rows.size());
            for (String line : rows) {
                JsonNode row = JSON.readTree(line);
                String id = row.get("id").asText();
                assertThat(seen.add(id)).as("each row once: %s", id).isTrue();
                assertThat(splitOf.get(id)).isEqualTo(split);
                JsonNode messages = row.get("messages");
                assertThat(messages.get(0).get("role").asText()).isEqualTo("user");
                JsonNode last = messages.get(messages.size() - 1);
                assertThat(last.get("role").asText()).isEqualTo("assistant");
                assertThat(last.get("content").asText()).isEqualTo(completionOf.get(id));
            }
        }
        assertThat(seen).hasSize(40);
        assertThat(lines).isEqualTo(expectedShards(train, validation, "jsonl"));
        assertThat(spark.read().parquet(tmp.resolve("out/data").toString() + "/train-*.parquet").count()).isEqualTo(train);
        assertThat(spark.read().parquet(tmp.resolve("out/data").toString() + "/validation-*.parquet")
                .select("messages").schema().json()).contains("\"role\"").contains("\"content\"");
        assertThat(first.written().files()).hasSize(2 * lines.size());

        String card = Files.readString(tmp.resolve("out/README.md"));
        assertThat(card).startsWith("---\nconfigs:\n- config_name: default\n  data_files:\n  - split: train\n"
                + "    path: data/train-*.parquet\n  - split: validation\n    path: data/validation-*.parquet\n---\n")
                .contains("| **all** | " + train + " | " + validation + " | 40 |")
                .contains("| generated | | 40 |")
                .contains("| **exported** | | 40 |")
                .contains("- Model: `" + DryRunResponder.MODEL + "`")
                .contains("No benchmarks were configured");
        assertThat(first.card()).isEqualTo(card);

        ExportJob.export(tables, config);
        Map<String, byte[]> again = files(tmp.resolve("out"));
        assertThat(again.keySet()).isEqualTo(bytes.keySet());
        bytes.forEach((name, content) -> assertThat(again.get(name)).as(name).isEqualTo(content));
    }

    @Test
    void thresholdsOnCorpusScoresAndRecipesNarrowTheExport() throws IOException {
        JobConfig config = config("export.min_judge_score=3", "export.recipes=[textbook_section]",
                "export.formats=[jsonl]");
        TableStore tables = curated(config);
        assertThatThrownBy(() -> ExportJob.export(tables, config))
                .hasMessageStartingWith("Cannot export with export.min_judge_score or export.max_perplexity: there is no"
                        + " corpus_scores table in ");
        // Scores 0..4 by the id's first hex digit, so about 2/5 of the rows reach 3.
        Dataset<Row> scores = tables.read(TableStore.SYNTHETIC_CURATED).select(col("id"),
                org.apache.spark.sql.functions.expr("cast(conv(substr(id, 1, 1), 16, 10) as int) % 5")
                        .cast("double").as("judge_score"),
                lit(12.0).as("perplexity"), lit("clean").as("decontam_verdict"), lit("run-a").as("run_id"));
        tables.insertNew(TableStore.CORPUS_SCORES, scores, "id");
        long expected = tables.read(TableStore.SYNTHETIC_CURATED).join(scores, "id")
                .where(col("recipe").equalTo("textbook_section").and(col("judge_score").geq(3))).count();
        long textbook = tables.read(TableStore.SYNTHETIC_CURATED).where(col("recipe").equalTo("textbook_section")).count();

        ExportJob.Result r = ExportJob.export(tables, config);

        assertThat(r.written().rows("train") + r.written().rows("validation")).isEqualTo(expected).isPositive();
        assertThat(r.written().rowsPerRecipe()).containsOnlyKeys("textbook_section");
        assertThat(r.card()).contains("| export.recipes in [textbook_section] | " + (40 - textbook) + " | " + textbook + " |")
                .contains("| export.min_judge_score >= 3.0 | " + (textbook - expected) + " | " + expected + " |")
                .contains("| clean | " + expected + " |")
                .contains("`run-a`");
        try (Stream<Path> files = Files.list(tmp.resolve("out/data"))) {
            assertThat(files.map(p -> p.getFileName().toString())).allMatch(n -> n.endsWith(".jsonl"));
        }
    }

    @Test
    void badSettingsAreRefusedWithTheKeyToFix() {
        assertThatThrownBy(() -> ExportJob.validate(config("export.formats=[csv]")))
                .hasMessage("Cannot export: export.formats must list jsonl and/or parquet ([csv])");
        // The key's declared range refuses it when the configuration is read, before export looks at it.
        assertThatThrownBy(() -> ExportJob.validate(config("export.shard_rows=0")))
                .hasMessage("Cannot read configuration: export.shard_rows must be an integer from 1 to 2147483647"
                        + " (got 0 from --set)");
        assertThatThrownBy(() -> ExportJob.validate(config("export.validation_fraction=1.5")))
                .hasMessage("Cannot read configuration: export.validation_fraction must be a finite number from 0 to 1"
                        + " (got 1.5 from --set)");
        JobConfig missing = config();
        TableStore tables = new TableStore(JobsSpark.get(), missing);
        assertThatThrownBy(() -> ExportJob.export(tables, missing))
                .hasMessage("Cannot export table synthetic_curated: it does not exist in "
                        + tmp.resolve("wh").toAbsolutePath().resolve("synthetic_curated")
                        + " (run 'phi4spark pipeline' first, or set export.input)");
    }

    /** File name to row count: shards of 7 rows, the last one the rest. */
    private static Map<String, Integer> expectedShards(long train, long validation, String format) {
        Map<String, Integer> out = new TreeMap<>();
        for (Map.Entry<String, Long> split : Map.of("train", train, "validation", validation).entrySet()) {
            long shards = (split.getValue() + 6) / 7;
            for (long s = 0; s < shards; s++) {
                out.put("data/" + TrainingSetWriter.fileName(split.getKey(), s, shards, format),
                        (int) Math.min(7, split.getValue() - 7 * s));
            }
        }
        return out;
    }

    /** Every file under the folder (relative path to bytes), Hadoop's checksum files left out. */
    private static Map<String, byte[]> files(Path dir) throws IOException {
        try (Stream<Path> walk = Files.walk(dir)) {
            return walk.filter(Files::isRegularFile).filter(p -> !p.getFileName().toString().endsWith(".crc"))
                    .collect(Collectors.toMap(p -> dir.relativize(p).toString(), p -> {
                        try {
                            return Files.readAllBytes(p);
                        } catch (IOException e) {
                            throw new java.io.UncheckedIOException(e);
                        }
                    }, (a, b) -> a, TreeMap::new));
        }
    }
}
