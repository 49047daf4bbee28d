package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.udf.engine.ModelFingerprint;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.TinyModelWriter;
import dev.phi4spark.udf.spark.ModelStager;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, items 1 and 2: a model is named by its weights' content, not its folder name and file sizes,
 * and a score row is keyed by document, model and scoring settings, so a second model's rows are added
 * beside the first's instead of being taken for them; the summary prints the rows this run wrote.
 */
class ModelIdentityTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path tmp;

    /** Two snapshot folders both named {@code tiny}, same config and file sizes, other weights. */
    private Path[] twoModels() {
        Path a = tmp.resolve("a/tiny");
        Path b = tmp.resolve("b/tiny");
        TinyModelWriter.write(a, 1, SafetensorsDType.F32);
        TinyModelWriter.write(b, 2, SafetensorsDType.F32);
        return new Path[] {a, b};
    }

    private static Cli.Run job(String command, Path warehouse, Path model, String... more) {
        List<String> args = new java.util.ArrayList<>(List.of("--set", "model.path=" + model));
        args.addAll(List.of(more));
        Cli.Run run = Cli.job(command, warehouse, args.toArray(new String[0]));
        assertThat(run.status()).as("%s", run).isZero();
        return run;
    }

    private static String summaryLine(Cli.Run run, String table) {
        return run.out().lines().filter(l -> l.strip().startsWith(table + " ")).findFirst().orElseThrow().strip();
    }

    @Test
    void sameNameAndSizesButOtherWeightsIsAnotherModel() throws IOException {
        Path[] models = twoModels();
        assertThat(Files.size(models[0].resolve("model.safetensors")))
                .isEqualTo(Files.size(models[1].resolve("model.safetensors")));
        String a = Phi4Engine.identity(models[0]);
        String b = Phi4Engine.identity(models[1]);
        assertThat(a).startsWith("tiny@").hasSize("tiny@".length() + 12);
        assertThat(b).startsWith("tiny@").isNotEqualTo(a);
        // A Hadoop URI is named by the same content (read through Hadoop, hashes cached in the staging folder).
        Path cache = tmp.resolve("cache");
        assertThat(ModelStager.identity(models[0].toUri().toString(), cache, java.util.Map.of())).isEqualTo(a);
        assertThat(ModelStager.identity(models[1].toUri().toString(), cache, java.util.Map.of())).isEqualTo(b);
        try (var cached = Files.list(cache)) {
            assertThat(cached.map(p -> p.getFileName().toString()).toList()).hasSize(2)
                    .allMatch(n -> n.startsWith("tiny-") && n.endsWith(".hashes.json"));
        }

        // `model info` shows it.
        Cli.Run info = Cli.run("model", "info", "--model", models[1].toString(), "--json");
        assertThat(info.status()).as("%s", info).isZero();
        assertThat(JSON.readTree(info.out()).get("identity").asText()).isEqualTo(b);
    }

    @Test
    void hashesAreCachedBySizeAndTimeNotRecomputed() throws IOException {
        Path dir = twoModels()[0];
        String identity = Phi4Engine.identity(dir);
        Path cacheFile = dir.resolve(ModelFingerprint.CACHE_FILE);
        ObjectNode cache = (ObjectNode) JSON.readTree(cacheFile.toFile());
        assertThat(cache.fieldNames()).toIterable().contains("config.json", "model.safetensors");
        // Planting another hash under the same size and time changes the identity: the cache was read,
        // the 'weights' not hashed again.
        ((ObjectNode) cache.get("model.safetensors")).put("sha256", "0".repeat(64));
        JSON.writeValue(cacheFile.toFile(), cache);
        assertThat(Phi4Engine.identity(dir)).isNotEqualTo(identity);
        // A new modification time invalidates the entry: the file is hashed again.
        Path weights = dir.resolve("model.safetensors");
        Files.setLastModifiedTime(weights, FileTime.fromMillis(Files.getLastModifiedTime(weights).toMillis() + 5000));
        assertThat(Phi4Engine.identity(dir)).isEqualTo(identity);
        JsonNode rewritten = JSON.readTree(cacheFile.toFile());
        assertThat(rewritten.get("model.safetensors").get("sha256").asText()).isNotEqualTo("0".repeat(64));
    }

    @Test
    void aSecondModelsRowsAreWrittenBesideTheFirsts() throws IOException {
        Path[] models = twoModels();
        Path warehouse = tmp.resolve("warehouse");
        Cli.Run first = job("generate", warehouse, models[0], "--set", Cli.recipes(2));
        assertThat(summaryLine(first, TableStore.SYNTHETIC_RAW)).matches("synthetic_raw +2 written +2 in table .*");
        Cli.Run second = job("generate", warehouse, models[1], "--set", Cli.recipes(2));
        assertThat(summaryLine(second, TableStore.SYNTHETIC_RAW)).matches("synthetic_raw +2 written +4 in table .*");

        Path corpus = tmp.resolve("corpus.jsonl");
        Files.writeString(corpus, "{\"text\": \"The cell is the unit of life.\"}\n"
                + "{\"text\": \"Water boils at 100 degrees.\"}\n{\"text\": \"Rust does not form on gold.\"}\n");
        String[] score = {"--set", "score.input=" + corpus, "--set", "score.judge=false"};
        Cli.Run byA = job("score", warehouse, models[0], score);
        assertThat(summaryLine(byA, TableStore.CORPUS_SCORES)).matches("corpus_scores +3 written +3 in table .*");
        Cli.Run byB = job("score", warehouse, models[1], score);
        assertThat(summaryLine(byB, TableStore.CORPUS_SCORES)).matches("corpus_scores +3 written +6 in table .*");
        Cli.Run again = job("score", warehouse, models[1], score);
        assertThat(summaryLine(again, TableStore.CORPUS_SCORES)).matches("corpus_scores +0 written +6 in table .*");
        Cli.Run window = job("score", warehouse, models[1], "--set", "score.input=" + corpus, "--set",
                "score.judge=false", "--set", "score.window_tokens=512");
        assertThat(summaryLine(window, TableStore.CORPUS_SCORES)).matches("corpus_scores +3 written +9 in table .*");

        TableStore tables = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
        var scores = tables.read(TableStore.CORPUS_SCORES);
        assertThat(scores.select("id").distinct().count()).isEqualTo(3);
        assertThat(scores.select("model").distinct().collectAsList().stream().map(r -> r.getString(0)).toList())
                .containsExactlyInAnyOrder(Phi4Engine.identity(models[0]), Phi4Engine.identity(models[1]));
        assertThat(scores.select("scoring").distinct().count()).isEqualTo(2);
        assertThat(scores.select("score_id").distinct().count()).isEqualTo(9);
        assertThat(tables.read(TableStore.SYNTHETIC_RAW).select("model").distinct().count()).isEqualTo(2);
    }
}
