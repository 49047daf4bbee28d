package dev.phi4spark.datagen;

import dev.phi4spark.udf.engine.SamplingParams;
import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.datagen.recipe.Messages;
import dev.phi4spark.datagen.seed.SeedSource;
import dev.phi4spark.datagen.stage.Phi4GeneratorStage;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.TinyModelWriter;
import dev.phi4spark.udf.spark.Phi4Metrics;
import dev.phi4spark.udf.spark.Phi4Generator;
import dev.phi4spark.udf.spark.Phi4Options;
import dev.phi4spark.udf.tokenizer.ChatMessage;
import dev.phi4spark.udf.tokenizer.ChatTemplate;
import dev.phi4spark.udf.tokenizer.Phi4Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pair recipes and the continuation of an answer through the real Phi4Generator, on the tiny model. */
class PairRecipesWithPhi4Test {

    @TempDir
    static Path temp;

    private static Path dir;
    private static Phi4Options options;
    private static String identity;

    @BeforeAll
    static void setUp() throws IOException {
        dir = temp.resolve("tiny");
        TinyModelWriter.write(dir, 1, SafetensorsDType.F32);
        options = Phi4Options.of(dir.toString()).withDevice("cpu").withMinSharedPrefix(4);
        identity = Phi4Engine.identity(dir);
    }

    @Test
    void aContinuationPicksUpWhereTheAnswerLeftOffAndSharesItsPromptInThePrefixCache() {
        SparkSession spark = SparkTestSession.get();
        Phi4Metrics metrics = Phi4Metrics.create(spark, "pairs-test");
        Phi4GeneratorStage stage = new Phi4GeneratorStage(options, identity).withMetrics(metrics);
        Dataset<Row> question = spark.range(1).select(Messages.of(null, lit("What is 3 + 4?")).as("m"));
        String whole = stage.generate(question, "m", null, SamplingParams.greedy(12), "g_").first().getAs("g_completion");
        String[] pieces;
        try (Phi4Tokenizer tok = Phi4Tokenizer.load(dir)) {
            pieces = Phi4GeneratorStage.tokenPieces(tok, whole);
        }
        assertThat(String.join("", pieces)).isEqualTo(whole);
        assertThat(pieces.length).isGreaterThan(4);
        String prefix = String.join("", Arrays.asList(pieces).subList(0, 4));

        Dataset<Row> rollouts = spark.range(8).select(Messages.of(null, lit("What is 3 + 4?")).as("m"),
                lit(prefix).as("prefix"), col("id").as("seed"));
        List<Row> out = stage.continueFrom(rollouts.repartition(1), "m", "prefix", "seed", SamplingParams.greedy(8), "r_")
                .collectAsList();

        String continued = out.get(0).getAs("r_completion");
        assertThat(out).extracting(r -> r.<String>getAs("r_completion")).containsOnly(continued);
        assertThat(continued).isNotEmpty();
        // the same as generating from the rendered conversation with the answer's start appended
        String raw = ChatTemplate.render(List.of(ChatMessage.user("What is 3 + 4?")), true) + prefix;
        String direct = new Phi4Generator().setOptions(options).setApplyChatTemplate(false).setInputCol("p")
                .setMaxNewTokens(8).setTemperature(0).setSeed(0).transform(spark.range(1).select(lit(raw).as("p")))
                .first().getAs("completion");
        assertThat(continued).isEqualTo(direct);
        assertThat(metrics.cachedPromptTokens().value()).as("the 8 rollouts share their prompt").isPositive();
        List<Row> split = stage.pieces(spark.range(1).select(lit(whole).as("t")), "t", "p").collectAsList();
        assertThat(split.get(0).getList(1)).containsExactly((Object[]) pieces);
    }

    @Test
    void bothPairRecipesRunOnTheRealEngineAndRerunIdentically() {
        SparkSession spark = SparkTestSession.get();
        Map<String, Dataset<Row>> inputs = Map.of("questions", spark.createDataset(
                List.of("What is 12 * 12?", "What is 3 + 4?"), Encoders.STRING()).toDF("text"),
                "answered", spark.sql("select * from values ('What is 12 * 12?', '\\\\boxed{144}'),"
                        + " ('What is 3 + 4?', '#### 7') as t(text, solution)"));
        DatagenConfig plan = DatagenConfig.of(5, List.of(
                RecipePlan.of("preference_pairs", 2).withParams(Map.of("k", "3", "by", "judge", "min_margin", "0"))
                        .withSource(SeedSource.input("questions")),
                RecipePlan.of("pivotal_tokens", 2).withParams(Map.of("k", "3", "rollouts", "2", "min_agreement", "0.3"))
                        .withSource(SeedSource.input("questions")),
                RecipePlan.of("preference_pairs", 2).withParams(Map.of("k", "2", "by", "correctness"))
                        .withSource(SeedSource.input("answered").withAnswerColumn("solution"))))
                .withSampling(java.util.Map.of("temperature", 1.0, "max_new_tokens", 10))
                .withKeepRejected(true);
        Column[] content = PairSchema.CONTENT_COLUMNS.stream().map(c -> col(c)).toArray(Column[]::new);

        DatagenResult result = Datagen.run(spark, plan, new Phi4GeneratorStage(options, identity), null, inputs);
        Dataset<Row> pairs = result.tables().get(PairSchema.TABLE).cache();
        try {
            assertThat(result.rows().count()).as("the pair recipes write no synthetic_raw rows").isZero();
            assertThat(pairs.columns()).containsExactly(PairSchema.SCHEMA.fieldNames());
            assertThat(pairs.select(PairSchema.ID).distinct().count()).isEqualTo(pairs.count()).isGreaterThanOrEqualTo(4);
            assertThat(pairs.where(col("error").isNotNull()).count()).isZero();
            assertThat(pairs.where(col("model").notEqual(identity)).count()).isZero();
            assertThat(pairs.where(col("recipe").equalTo("preference_pairs").and(col("variant").contains("by=judge"))
                    .and(col("how").notEqual("judge"))).count()).isZero();
            assertThat(pairs.where(col("variant").contains("by=correctness")).collectAsList())
                    .as("the seed's reference answers, normalised, are what the completions were checked against")
                    .extracting(r -> r.<String>getAs("how") + " " + r.<String>getAs(PairSchema.REFERENCE_ANSWER))
                    .containsExactlyInAnyOrder("reference 144", "reference 7");
            List<Row> first = pairs.select(content).orderBy(PairSchema.ID).collectAsList();
            List<Row> second = Datagen.run(spark, plan, new Phi4GeneratorStage(options, identity), null, inputs)
                    .tables().get(PairSchema.TABLE).select(content).orderBy(PairSchema.ID).collectAsList();
            assertThat(second).isEqualTo(first);
        } finally {
            pairs.unpersist();
        }
    }
}
