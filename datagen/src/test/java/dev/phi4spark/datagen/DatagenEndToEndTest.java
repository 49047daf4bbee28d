package dev.phi4spark.datagen;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.datagen.seed.SeedSource;
import dev.phi4spark.datagen.stage.DryRunResponder;
import dev.phi4spark.datagen.stage.GenerationStage;
import dev.phi4spark.datagen.stage.ScriptedJudgeStage;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Column;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.StructField;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Every recipe through {@link Datagen#run} on local Spark with the dry-run script. The stage is made
 * in {@link #stage()} only: the end-to-end test with the real model swaps it there.
 */
class DatagenEndToEndTest {

    private static Map<String, Dataset<Row>> inputs;

    /** The model of these tests. */
    static GenerationStage stage() {
        return DryRunResponder.stage();
    }

    @BeforeAll
    static void tables() {
        SparkSession spark = SparkTestSession.get();
        inputs = Map.of(
                "passages", spark.createDataset(List.of(
                        "Photosynthesis turns light into chemical energy stored in glucose.",
                        "A prime number has exactly two divisors.",
                        "The French Revolution began in 1789.",
                        "Short."), Encoders.STRING()).toDF("text"),
                "questions", spark.createDataset(List.of("What is 12 * 12?", "How many primes are below 20?",
                        "What is the derivative of x^3?"), Encoders.STRING()).toDF("text"),
                "code", spark.createDataset(List.of("def add(a, b):\n    return a + b",
                        "def is_even(n):\n    return n % 2 == 0"), Encoders.STRING()).toDF("text"));
    }

    static DatagenConfig plan(boolean keepRejected) {
        return DatagenConfig.of(2024, List.of(
                RecipePlan.of("textbook_section", 4),
                RecipePlan.of("exercises_with_solutions", 3).withParams(Map.of("exercises", "2")),
                RecipePlan.of("seed_rewrite", 3).withParams(Map.of("variant", "discussion"))
                        .withSource(SeedSource.input("passages").withJudge(10)),
                RecipePlan.of("self_revision", 2).withParams(Map.of("rounds", "2")),
                RecipePlan.of("majority_vote_qa", 3).withParams(Map.of("k", "3", "low", "0.3", "high", "1"))
                        .withSampling(java.util.Map.of("temperature", 1.0))
                        .withSource(SeedSource.input("questions")),
                RecipePlan.of("instruction_reversal", 5).withSource(SeedSource.input("code"))))
                .withSampling(java.util.Map.of("max_new_tokens", 512))
                .withSystemPrompt("You are a careful teacher.")
                .withKeepRejected(keepRejected);
    }

    private static DatagenResult run(DatagenConfig config) {
        ScriptedJudgeStage judge = new ScriptedJudgeStage(text -> text.length());
        return Datagen.run(SparkTestSession.get(), config, stage(), judge, inputs);
    }

    @Test
    void everyRecipeGivesTheCommonSchemaAndThePlannedRows() {
        DatagenResult result = run(plan(true));
        Dataset<Row> rows = result.rows().cache();
        try {
            assertThat(typesOf(rows.schema().fields())).isEqualTo(typesOf(SyntheticSchema.SCHEMA.fields()));
            assertThat(result.planned()).extracting(DatagenResult.Planned::seeds).containsExactly(4L, 3L, 3L, 2L, 3L, 2L);
            assertThat(result.plannedModelCalls()).isEqualTo(4 + 3 + 3 + 2 * 5 + 3 * 3 + 2 * 2);
            assertThat(rows.count()).isEqualTo(result.plannedRows()).isEqualTo(17);
            Map<String, Long> perRecipe = rows.groupBy(SyntheticSchema.RECIPE).count().collectAsList().stream()
                    .collect(Collectors.toMap(r -> r.getString(0), r -> r.getLong(1)));
            assertThat(perRecipe).containsExactlyInAnyOrderEntriesOf(Map.of("textbook_section", 4L,
                    "exercises_with_solutions", 3L, "seed_rewrite", 3L, "self_revision", 2L, "majority_vote_qa", 3L,
                    "instruction_reversal", 2L));
            assertThat(rows.select(SyntheticSchema.ID).distinct().count()).isEqualTo(17);
            assertThat(rows.where(col(SyntheticSchema.ERROR).isNotNull()).count()).isZero();
            assertThat(rows.where(col(SyntheticSchema.MODEL).notEqual(DryRunResponder.MODEL)).count()).isZero();
            Row first = rows.where(col(SyntheticSchema.RECIPE).equalTo("textbook_section")).first();
            List<Row> messages = first.getList(first.fieldIndex(SyntheticSchema.MESSAGES));
            assertThat(messages).extracting(m -> m.<String>getAs("role")).containsExactly("system", "user");
            assertThat(first.<String>getAs(SyntheticSchema.SAMPLING)).contains("\"max_new_tokens\":512", "\"seed\":2024");
            // the judge kept the three passages longer than 10 characters
            assertThat(rows.where(col(SyntheticSchema.RECIPE).equalTo("seed_rewrite")).where(col("seed_score").lt(10))
                    .count()).isZero();
        } finally {
            rows.unpersist();
        }
    }

    @Test
    void twoRunsOfOnePlanGiveTheSameIdsAndTexts() {
        Column[] content = SyntheticSchema.CONTENT_COLUMNS.stream().map(c -> col(c)).toArray(Column[]::new);
        List<Row> first = run(plan(true)).rows().select(content).orderBy(SyntheticSchema.ID).collectAsList();
        List<Row> second = run(plan(true)).rows().select(content).orderBy(SyntheticSchema.ID).collectAsList();
        assertThat(second).isEqualTo(first);
        // a plan that drops rejected rows gives the accepted subset, ids unchanged
        List<Row> kept = run(plan(false)).rows().select(content).orderBy(SyntheticSchema.ID).collectAsList();
        assertThat(kept).isEqualTo(first.stream().filter(r -> r.<Boolean>getAs(SyntheticSchema.ACCEPTED)).toList());
        // another seed changes ids
        DatagenConfig reseeded = DatagenConfig.of(7, plan(true).recipes()).withSampling(plan(true).sampling())
                .withSystemPrompt(plan(true).systemPrompt()).withKeepRejected(true);
        List<String> otherIds = run(reseeded).rows().select(SyntheticSchema.ID).as(Encoders.STRING()).collectAsList();
        assertThat(otherIds).doesNotContainAnyElementsOf(first.stream().map(r -> r.<String>getAs(SyntheticSchema.ID)).toList());
    }

    private static List<String> typesOf(StructField[] fields) {
        return Arrays.stream(fields).map(f -> f.name() + " " + f.dataType().catalogString()).toList();
    }
}
