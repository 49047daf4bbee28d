package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.udf.spark.Phi4Generator;
import dev.phi4spark.udf.spark.Phi4Options;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad input of every kind: each ends in a per-row error or in ONE line on stderr with exit status 1 (2 for
 * a command line picocli cannot parse), and the tables that existed are left at their Delta version.
 */
class BadInputTest {

    @TempDir
    static Path tmp;

    private static Path warehouse;
    private static TableStore tables;
    private Map<String, Long> versionsBefore;

    @BeforeAll
    static void existingTables() {
        warehouse = tmp.resolve("warehouse");
        tables = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
        StructType schema = new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType);
        Dataset<Row> rows = JobsSpark.get().createDataFrame(List.of(RowFactory.create("a", "x"),
                RowFactory.create("b", "y")), schema);
        tables.insertNew(TableStore.SYNTHETIC_RAW, rows, "id");
        tables.insertNew(TableStore.CORPUS_SCORES, rows, "id");
    }

    @BeforeEach
    void rememberVersions() {
        versionsBefore = versions();
        assertThat(versionsBefore.get(TableStore.SYNTHETIC_RAW)).isNotNegative();
        assertThat(versionsBefore.get(TableStore.CORPUS_SCORES)).isNotNegative();
    }

    @AfterEach
    void dataTablesAreUnchanged() {
        assertThat(versions()).isEqualTo(versionsBefore);
    }

    private static Map<String, Long> versions() {
        return Map.of(TableStore.SYNTHETIC_RAW, tables.version(TableStore.SYNTHETIC_RAW),
                TableStore.CORPUS_SCORES, tables.version(TableStore.CORPUS_SCORES));
    }

    /** Exactly one line on stderr, and nothing that looks like a stack trace. */
    private static void assertOneLine(Cli.Run run, int status, String message) {
        assertThat(run.status()).as("%s", run).isEqualTo(status);
        assertThat(run.err()).as("%s", run).isEqualTo("phi4spark: " + message + System.lineSeparator());
    }

    @Test
    void badPromptsGetAPerRowErrorAndTheOthersAreGenerated() {
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType);
        String megabyte = "word ".repeat(200_000);
        String overContext = IntStream.range(0, 3000).mapToObj(i -> Integer.toString(i * 7919 % 10007))
                .collect(Collectors.joining(" "));
        List<Row> rows = List.of(
                RowFactory.create(0, "A fine prompt"),
                RowFactory.create(1, null),
                RowFactory.create(2, ""),
                RowFactory.create(3, " \t\n  "),
                RowFactory.create(4, megabyte),
                RowFactory.create(5, overContext),
                RowFactory.create(6, "unpaired \uD800 high and \uDC00 low surrogates"),
                RowFactory.create(7, "controls \u0000\u0001\u0007\u001b[31m\u007f\u2028 and a BOM \uFEFF"),
                RowFactory.create(8, "x".repeat(1_000_000)),
                RowFactory.create(9, "Another fine prompt"));
        Dataset<Row> df = JobsSpark.get().createDataFrame(rows, schema).coalesce(1);
        Phi4Generator g = new Phi4Generator().setOptions(Phi4Options.of(Cli.tinyModel().toString()).withDevice("cpu"))
                .setMaxNewTokens(6).setSeed(3);
        List<Row> out = new ArrayList<>(g.transform(df).select("id", "completion", "finish_reason", "error")
                .collectAsList());
        out.sort(Comparator.comparingInt(r -> r.getInt(0)));
        assertThat(out).hasSize(10);
        assertThat(out.get(1).getString(3)).isEqualTo("empty_prompt: the prompt is null");
        assertThat(out.get(2).getString(3)).isEqualTo("empty_prompt: the prompt is empty");
        assertThat(out.get(3).getString(3)).isEqualTo("empty_prompt: the prompt is empty");
        assertThat(out.get(4).getString(3)).startsWith("prompt_too_long: the prompt has ")
                .endsWith(" tokens and the context holds 4096");
        assertThat(out.get(5).getString(3)).startsWith("prompt_too_long: ");
        assertThat(out.get(8).getString(3)).startsWith("prompt_too_long: ");
        for (int i : new int[] {1, 2, 3, 4, 5, 8}) {
            assertThat(out.get(i).isNullAt(1)).as("row %d", i).isTrue();
            assertThat(out.get(i).getString(2)).as("row %d", i).isEqualTo("error");
        }
        for (int i : new int[] {0, 6, 7, 9}) {
            assertThat(out.get(i).isNullAt(3)).as("row %d: %s", i, out.get(i)).isTrue();
            assertThat(out.get(i).getString(1)).as("row %d", i).isNotNull();
            assertThat(out.get(i).getString(2)).as("row %d", i).isIn("stop", "length");
        }
    }

    @Test
    void aScoreInputThatDoesNotExist() {
        assertOneLine(Cli.job("score", warehouse, "--set", "score.input=/nope"), 1,
                "Cannot score /nope: no such file, folder or table (set score.input)");
    }

    @Test
    void aScoreInputWithoutATextColumnOrWithTheWrongType() throws IOException {
        Path noText = tmp.resolve("no-text.jsonl");
        Files.writeString(noText, "{\"body\": \"x\", \"id\": 1}\n");
        assertOneLine(Cli.job("score", warehouse, "--set", "score.input=" + noText), 1,
                "Cannot score " + noText + ": it has no text column 'text' (columns: body, id; set score.text_column)");
        Path wrongType = tmp.resolve("wrong-type.jsonl");
        Files.writeString(wrongType, "{\"text\": 42}\n");
        assertOneLine(Cli.job("score", warehouse, "--set", "score.input=" + wrongType), 1,
                "Cannot score " + wrongType + ": column 'text' is bigint, not a string");
    }

    @Test
    void aWarehouseThatCannotBeWritten() throws IOException {
        Path file = Files.writeString(tmp.resolve("file.txt"), "a regular file");
        Path wh = file.resolve("wh");
        assertOneLine(Cli.job("generate", wh, "--set", Cli.recipes(1)), 1,
                "Cannot write tables: the warehouse " + wh + " is not writable (set warehouse to a folder you can write)");
    }

    @Test
    void malformedYaml() throws IOException {
        Path yaml = Files.writeString(tmp.resolve("bad.yaml"), "warehouse: x\nsampling: [\n  temperature: 0.5\n");
        Cli.Run run = Cli.job("generate", warehouse, "--config", yaml.toString());
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).isEqualTo("phi4spark: Cannot read configuration: " + yaml + " is not valid YAML at line 4,"
                + " column 1 (while parsing a flow sequence; expected ',' or ']', but got <stream end>)"
                + System.lineSeparator());
        Path list = Files.writeString(tmp.resolve("list.yaml"), "- a\n- b\n");
        assertOneLine(Cli.job("generate", warehouse, "--config", list.toString()), 1,
                "Cannot read configuration: " + list + " must be a YAML mapping of keys to values");
    }

    @Test
    void unknownKeys() throws IOException {
        assertOneLine(Cli.job("generate", warehouse, "--set", "sampling.temprature=0.2"), 1,
                "Cannot read configuration: unknown key 'sampling.temprature' from --set (did you mean"
                        + " 'sampling.temperature'?)");
        Path yaml = Files.writeString(tmp.resolve("unknown.yaml"), "model:\n  paht: /x\n");
        assertOneLine(Cli.job("generate", warehouse, "--config", yaml.toString()), 1,
                "Cannot read configuration: unknown key 'model.paht' in " + yaml + " (did you mean 'model.path'?)");
        assertOneLine(Cli.job("generate", warehouse, "--set", "sampling.max_new_tokens=many"), 1,
                "Cannot read configuration: sampling.max_new_tokens must be an integer (got \"many\" from --set)");
    }

    @Test
    void aModelFolderThatDoesNotExist() {
        Path missing = tmp.resolve("no-model");
        assertOneLine(Cli.job("generate", warehouse, "--set", Cli.recipes(1), "--set", "model.path=" + missing), 1,
                "Cannot use model.path " + missing + ": it has no config.json (set model.path to a HuggingFace"
                        + " snapshot folder of Phi-4)");
    }

    @Test
    void aTruncatedModelFile() throws IOException {
        Path model = copyTiny("truncated");
        Path weights = model.resolve("model.safetensors");
        long size = Files.size(weights);
        try (RandomAccessFile raf = new RandomAccessFile(weights.toFile(), "rw")) {
            raf.setLength(size / 2);
        }
        Cli.Run run = Cli.job("generate", warehouse, "--set", Cli.recipes(1), "--set", "model.path=" + model);
        assertThat(run.status()).isEqualTo(1);
        assertThat(run.err()).as("%s", run).startsWith("phi4spark: Cannot read safetensors file " + weights + ": tensor '")
                .containsPattern("' has data_offsets \\[\\d+,\\d+\\] outside the data section of \\d+ bytes")
                .endsWith(" (truncated file?)" + System.lineSeparator()).hasLineCount(1);
        assertThat(run.out()).as("refused before Spark started: no run was recorded").doesNotContain("Run ");
    }

    @Test
    void aMisShapedModelFile() throws IOException {
        Path model = copyTiny("misshaped");
        String config = Files.readString(model.resolve("config.json"));
        Files.writeString(model.resolve("config.json"), config.replace("\"intermediate_size\" : 128",
                "\"intermediate_size\" : 96"));
        assertThat(Files.readString(model.resolve("config.json"))).contains("\"intermediate_size\" : 96");
        assertOneLine(Cli.job("generate", warehouse, "--set", Cli.recipes(1), "--set", "model.path=" + model), 1,
                "Cannot load model: tensor 'model.layers.0.mlp.gate_up_proj.weight' has shape [256, 64], expected"
                        + " [192, 64] (" + model.resolve("model.safetensors") + ")");
    }

    @Test
    void aModelFileThatIsNotSafetensors() throws IOException {
        Path model = copyTiny("garbage");
        Files.writeString(model.resolve("model.safetensors"), "<html>404 Not Found</html>");
        assertOneLine(Cli.job("generate", warehouse, "--set", Cli.recipes(1), "--set", "model.path=" + model), 1,
                "Cannot read safetensors file " + model.resolve("model.safetensors") + ": the header length"
                        + " 3473469848023230524 does not fit in the file of 26 bytes (truncated or not a safetensors file)");
    }

    @Test
    void aModelFolderWithoutWeights() throws IOException {
        Path model = copyTiny("no-weights");
        Files.delete(model.resolve("model.safetensors"));
        assertOneLine(Cli.job("generate", warehouse, "--set", Cli.recipes(1), "--set", "model.path=" + model), 1,
                "Cannot load model: neither model.safetensors nor model.safetensors.index.json is in " + model);
    }

    private static Path copyTiny(String name) throws IOException {
        Path to = Files.createDirectories(tmp.resolve("models").resolve(name));
        try (var files = Files.list(Cli.tinyModel())) {
            for (Path f : files.toList()) {
                Files.copy(f, to.resolve(f.getFileName()));
            }
        }
        return to;
    }
}
