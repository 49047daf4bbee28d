package dev.phi4spark.udf.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.udf.engine.GenerationRequest;
import dev.phi4spark.udf.engine.GenerationResult;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.ModelOptions;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.udf.tokenizer.ChatMessage;
import dev.phi4spark.udf.tokenizer.ChatTemplate;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.Test;

class Phi4GeneratorTest {

    static final List<String> PROMPTS = IntStream.range(0, 12)
            .mapToObj(i -> "Write fact number " + i + " about " + (i % 2 == 0 ? "the sea" : "mountains and rivers"
                    + " in a few short words".repeat(i % 3)))
            .toList();

    static Dataset<Row> prompts(int partitions) {
        return prompts(SparkTestSession.spark(), partitions);
    }

    static Dataset<Row> prompts(SparkSession spark, int partitions) {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            rows.add(RowFactory.create(i, PROMPTS.get(i)));
        }
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType);
        return spark.createDataFrame(rows, schema).repartition(partitions);
    }

    static Phi4Generator generator() {
        return generator(SparkTestSession.options());
    }

    static Phi4Generator generator(Phi4Options options) {
        return new Phi4Generator().setOptions(options).setMaxNewTokens(12).setTemperature(0.9)
                .setTopP(0.95).setSeed(7).setMaxBatchRows(4).setWindowRows(5);
    }

    /** The engine's own output for the prompts, one call per row with the generator's seeds. */
    static List<String> expected(Phi4Generator g) {
        Phi4Engine engine = SparkTestSession.directEngine();
        SamplingParams params = g.samplingParams();
        List<GenerationRequest> requests = new ArrayList<>();
        for (String p : PROMPTS) {
            String rendered = ChatTemplate.render(null, p);
            requests.add(new GenerationRequest(engine.requireTokenizer().encodeWithControlTokens(rendered),
                    params.withSeed(Phi4Generator.rowSeed(7, rendered))));
        }
        return engine.generate(requests).stream().map(GenerationResult::text).toList();
    }

    /** Collected, then ordered here: orderBy would run the transform twice (range-partition sampling). */
    static List<String> completions(Dataset<Row> out) {
        return sorted(out).stream().map(r -> r.<String>getAs("completion")).toList();
    }

    static List<Row> sorted(Dataset<Row> out) {
        List<Row> rows = new ArrayList<>(out.collectAsList());
        rows.sort(java.util.Comparator.comparingInt(r -> r.<Integer>getAs("id")));
        return rows;
    }

    @Test
    void matchesTheEngineInOneOrFourPartitionsAndLoadsOnce() {
        Phi4Generator g = generator();
        List<String> expected = expected(g);
        Phi4Metrics metrics = Phi4Metrics.create(SparkTestSession.spark(), "gen-test");
        g.setMetrics(metrics);
        ModelRegistry.closeAll(); // so this test sees its own load, whatever ran before
        int loads = ModelRegistry.loadCount();
        List<String> four = completions(g.transform(prompts(4))); // two tasks at once ask for the model
        List<String> one = completions(g.transform(prompts(1)));

        assertThat(one).isEqualTo(expected);
        assertThat(four).isEqualTo(expected);
        assertThat(ModelRegistry.loadCount()).isEqualTo(loads + 1);
        assertThat(metrics.loadSeconds().value()).isPositive();
        assertThat(metrics.rows().value()).isEqualTo(2L * PROMPTS.size());
        assertThat(metrics.errors().value()).isZero();
        assertThat(metrics.generatedTokens().value()).isPositive();
        assertThat(new java.util.HashSet<>(expected)).hasSizeGreaterThan(1);
    }

    @Test
    void aSharedSystemPromptIsComputedOnceAndChangesNoToken() {
        String system = "You are a patient teacher who writes short, exact, self-contained facts for students. "
                .repeat(6);
        Phi4Metrics off = Phi4Metrics.create(SparkTestSession.spark(), "prefix-off");
        Phi4Metrics on = Phi4Metrics.create(SparkTestSession.spark(), "prefix-on");
        List<String> plain = completions(generator().setSystemPrompt(system).setMinSharedPrefix(0).setMetrics(off)
                .transform(prompts(2)));
        List<String> reused = completions(generator().setSystemPrompt(system).setMinSharedPrefix(32).setMetrics(on)
                .transform(prompts(2)));

        assertThat(reused).isEqualTo(plain);
        assertThat(off.cachedPromptTokens().value()).isZero();
        // Every row but at most the first of each window starts from the cached system prompt.
        assertThat(on.cachedPromptTokens().value()).isGreaterThan(on.promptTokens().value() / 2);
        assertThat(on.promptTokens().value()).isEqualTo(off.promptTokens().value());
    }

    @Test
    void aNegativeMinSharedPrefixIsRefusedOnTheDriver() {
        assertThatThrownBy(() -> generator().setMinSharedPrefix(-1))
                .hasMessage("Cannot use min_shared_prefix: it must be from 0 to 1048576 (-1).");
        Phi4Generator g = generator();
        assertThatThrownBy(() -> g.transform(prompts(1), g.param(ModelOptions.MIN_SHARED_PREFIX).w(-1)))
                .hasMessage("Cannot use min_shared_prefix: it must be from 0 to 1048576 (-1).");
    }

    @Test
    void batchParamsOutOfRangeAreRefusedWhereTheyAreSet() {
        assertThatThrownBy(() -> generator().setMaxBatchRows(0))
                .hasMessage("Cannot use max_batch_rows: it must be from 1 to 65536 (0).");
        assertThatThrownBy(() -> generator().setMaxBatchTokens(-5))
                .hasMessage("Cannot use max_batch_tokens: it must be from 1 to 2147483647 (-5).");
        assertThatThrownBy(() -> generator().setWindowRows(0))
                .hasMessage("Cannot set windowRows: it must be from 1 to 1048576 (got 0)");
        Phi4Generator g = generator();
        assertThatThrownBy(() -> g.transform(prompts(1), g.param(ModelOptions.MAX_BATCH_ROWS).w(0)))
                .hasMessage("Cannot use max_batch_rows: it must be from 1 to 65536 (0).");
    }

    @Test
    void keepsInputColumnsAndFillsOutputs() {
        Dataset<Row> out = generator().setTemperature(0).transform(prompts(2));
        assertThat(out.columns()).containsExactly("id", "prompt", "completion", "finish_reason", "prompt_tokens",
                "completion_tokens", "error");
        List<Row> rows = sorted(out);
        assertThat(rows).hasSize(PROMPTS.size());
        for (Row r : rows) {
            assertThat(r.getString(1)).isEqualTo(PROMPTS.get(r.getInt(0)));
            assertThat(r.getString(3)).isIn("stop", "length");
            assertThat(r.getInt(4)).isPositive();
            assertThat(r.getInt(5)).isBetween(1, 12);
            assertThat(r.isNullAt(6)).isTrue();
        }
    }

    @Test
    void chatMessagesInputMatchesTheEngine() {
        StructType message = new StructType().add("role", DataTypes.StringType).add("content", DataTypes.StringType);
        StructType schema = new StructType().add("id", DataTypes.IntegerType)
                .add("messages", DataTypes.createArrayType(message));
        List<Row> rows = List.of(
                RowFactory.create(0, List.of(RowFactory.create("user", "Hello there"))),
                RowFactory.create(1, List.of(RowFactory.create("system", "Be brief."),
                        RowFactory.create("user", "Name a colour."))));
        Dataset<Row> df = SparkTestSession.spark().createDataFrame(rows, schema);
        Phi4Generator g = generator().setInputCol("messages").setSystemPrompt("You are kind.");
        List<String> got = completions(g.transform(df));

        Phi4Engine engine = SparkTestSession.directEngine();
        List<List<ChatMessage>> chats = List.of(
                List.of(ChatMessage.system("You are kind."), ChatMessage.user("Hello there")),
                List.of(ChatMessage.system("Be brief."), ChatMessage.user("Name a colour.")));
        List<String> want = new ArrayList<>();
        for (List<ChatMessage> chat : chats) {
            String rendered = ChatTemplate.render(chat, true);
            want.add(engine.generate(List.of(new GenerationRequest(engine.requireTokenizer().encodeWithControlTokens(rendered),
                    g.samplingParams().withSeed(Phi4Generator.rowSeed(7, rendered))))).get(0).text());
        }
        assertThat(got).isEqualTo(want);
    }

    @Test
    void seedColumnSetsTheSeed() {
        Dataset<Row> df = prompts(1).withColumn("s", org.apache.spark.sql.functions.lit(123L));
        List<String> got = completions(generator().setSeedCol("s").transform(df));
        Phi4Engine engine = SparkTestSession.directEngine();
        String rendered = ChatTemplate.render(null, PROMPTS.get(3));
        String want = engine.generate(List.of(new GenerationRequest(engine.requireTokenizer().encodeWithControlTokens(rendered),
                generator().samplingParams().withSeed(123L)))).get(0).text();
        assertThat(got.get(3)).isEqualTo(want);
    }

    static Dataset<Row> badRows() {
        StructType schema = new StructType().add("id", DataTypes.IntegerType).add("prompt", DataTypes.StringType);
        String tooLong = IntStream.range(0, 3000).mapToObj(i -> Integer.toString(i * 7919 % 10007))
                .collect(Collectors.joining(" "));
        List<Row> rows = List.of(RowFactory.create(0, "A fine prompt"), RowFactory.create(1, null),
                RowFactory.create(2, ""), RowFactory.create(3, tooLong), RowFactory.create(4, "Another fine one"));
        return SparkTestSession.spark().createDataFrame(rows, schema).coalesce(1);
    }

    @Test
    void badRowsGetAnErrorAndTheOthersFinish() {
        List<Row> rows = sorted(generator().transform(badRows()));
        assertThat(rows.get(0).isNullAt(6)).isTrue();
        assertThat(rows.get(0).getString(2)).isNotNull();
        assertThat(rows.get(1).getString(6)).isEqualTo("empty_prompt: the prompt is null");
        assertThat(rows.get(2).getString(6)).isEqualTo("empty_prompt: the prompt is empty");
        assertThat(rows.get(3).getString(6)).startsWith("prompt_too_long: the prompt has ")
                .endsWith(" tokens and the context holds 4096");
        assertThat(rows.get(3).getString(3)).isEqualTo("error");
        assertThat(rows.get(3).isNullAt(2)).isTrue();
        assertThat(rows.get(4).isNullAt(6)).isTrue();
    }

    @Test
    void failOnErrorFailsTheJobWithTheMessage() {
        Phi4Generator g = generator().setFailOnError(true);
        assertThatThrownBy(() -> g.transform(badRows()).collectAsList())
                .hasMessageContaining("Cannot generate: a row failed and failOnError is true (partition 0, "
                        + "empty_prompt: the prompt is null)");
    }

    @Test
    void checksTheSchemaOnTheDriver() {
        assertThatThrownBy(() -> generator().setInputCol("nope").transform(prompts(1)))
                .hasMessage("Cannot generate: the input has no column 'nope' (id, prompt)");
        assertThatThrownBy(() -> generator().setInputCol("id").transform(prompts(1)))
                .hasMessage("Cannot generate: input column 'id' must be a string or "
                        + "array<struct<role: string, content: string>> (int)");
        assertThatThrownBy(() -> generator().setOutputCol("prompt").transform(prompts(1)))
                .hasMessage("Cannot generate: the input already has a column named like an output column (prompt)");
        assertThatThrownBy(() -> new Phi4Generator().transform(prompts(1)))
                .hasMessage("Cannot load model: modelPath is not set (\"\")");
        assertThatThrownBy(() -> generator().setTopP(0).transform(prompts(1)))
                .hasMessage("Cannot use sampling parameters: top_p must be in (0, 1] (0.0)");
    }
}
