package dev.phi4spark.jobs.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.jobs.JobsSpark;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.jobs.delta.TableStore;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.SafetensorsFile;
import dev.phi4spark.udf.engine.TinyModelWriter;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 19, item 6: NaN or infinite weights refuse the model at load, naming the tensor; finite weights
 * whose logits overflow make row errors, never a NaN perplexity, a judge score of 0 or "!!!!".
 */
class NonFiniteTest {

    @TempDir
    Path tmp;

    /** Overwrites the first {@code count} float32 values of a tensor in {@code model.safetensors}. */
    static void poke(Path dir, String tensor, float value, int count) throws IOException {
        Path file = dir.resolve("model.safetensors");
        long begin;
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            SafetensorsFile.TensorInfo info = st.tensors().get(tensor);
            assertThat(info.dtype()).isEqualTo(SafetensorsDType.F32);
            begin = info.begin();
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(len, 0);
            long dataStart = 8 + len.flip().getLong();
            ByteBuffer values = ByteBuffer.allocate(4 * count).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < count; i++) {
                values.putFloat(value);
            }
            ch.write(values.flip(), dataStart + begin);
        }
    }

    private Path model(String name) {
        Path dir = tmp.resolve(name);
        TinyModelWriter.write(dir, 1, SafetensorsDType.F32);
        return dir;
    }

    @Test
    void nanOrInfiniteWeightsAreRefusedAtLoadNamingTheTensor() throws IOException {
        Path nan = model("nan");
        poke(nan, "model.layers.1.mlp.down_proj.weight", Float.NaN, 1);
        Cli.Run run = Cli.run("model", "generate", "--model", nan.toString(), "--token-ids", "5,6,7",
                "--max-new-tokens", "4", "--device", "cpu");
        assertThat(run.status()).as("%s", run).isEqualTo(1);
        assertThat(run.out()).isEmpty();
        assertThat(run.err()).isEqualTo("phi4spark: Cannot load model: tensor 'model.layers.1.mlp.down_proj.weight'"
                + " has 1 NaN or infinite value(s), so the checkpoint is damaged (" + nan.resolve("model.safetensors")
                + ")" + System.lineSeparator());

        Path inf = model("inf");
        poke(inf, "lm_head.weight", Float.NEGATIVE_INFINITY, 3);
        Cli.Run score = Cli.job("score", tmp.resolve("warehouse"), "--set", "model.path=" + inf,
                "--set", "score.input=" + corpus());
        assertThat(score.status()).as("%s", score).isEqualTo(1);
        assertThat(score.err()).startsWith("phi4spark: Cannot load model: tensor 'lm_head.weight' has 3 NaN or"
                + " infinite value(s), so the checkpoint is damaged (");
    }

    private Path corpus() throws IOException {
        Path corpus = tmp.resolve("corpus.jsonl");
        Files.writeString(corpus, "{\"text\": \"The cell is the unit of life.\"}\n"
                + "{\"text\": \"Water boils at 100 degrees.\"}\n");
        return corpus;
    }

    @Test
    void overflowingLogitsAreRowErrorsNeverScores() throws IOException {
        // Finite weights, but the final norm scales every hidden state past float32's range.
        Path dir = model("overflow");
        poke(dir, "model.norm.weight", 3e38f, TinyModelWriter.HIDDEN);
        Cli.Run generate = Cli.run("model", "generate", "--model", dir.toString(), "--token-ids", "5,6,7",
                "--max-new-tokens", "4", "--device", "cpu");
        assertThat(generate.status()).as("%s", generate).isEqualTo(1);
        assertThat(generate.err()).startsWith("phi4spark: Cannot generate: non_finite_logits: the model produced NaN"
                + " or infinite logits");

        Path warehouse = tmp.resolve("warehouse");
        Cli.Run score = Cli.job("score", warehouse, "--set", "model.path=" + dir, "--set", "score.input=" + corpus());
        assertThat(score.status()).as("%s", score).isZero();
        TableStore tables = new TableStore(JobsSpark.get(), JobConfig.load(null, List.of("warehouse=" + warehouse)));
        List<Row> rows = tables.read(TableStore.CORPUS_SCORES).select("perplexity", "judge_score", "error")
                .collectAsList();
        assertThat(rows).hasSize(2).allSatisfy(r -> {
            assertThat(r.isNullAt(0)).as("perplexity of %s", r).isTrue();
            assertThat(r.isNullAt(1)).as("judge score of %s", r).isTrue();
            assertThat(r.getString(2)).startsWith("non_finite_logits: ");
        });

        Cli.Run gen = Cli.job("generate", warehouse, "--set", "model.path=" + dir, "--set", Cli.recipes(2),
                "--set", "generate.keep_rejected=true"); // rows with errors are rejected rows
        assertThat(gen.status()).as("%s", gen).isZero();
        List<Row> raw = tables.read(TableStore.SYNTHETIC_RAW).select("completion", "error").collectAsList();
        assertThat(raw).isNotEmpty().allSatisfy(r -> {
            assertThat(r.isNullAt(0)).as("completion of %s", r).isTrue();
            assertThat(r.getString(1)).as("%s", r).startsWith("section: non_finite_logits: "); // recipe step: error
        });
    }
}
