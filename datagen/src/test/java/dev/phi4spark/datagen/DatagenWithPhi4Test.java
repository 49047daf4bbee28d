package dev.phi4spark.datagen;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.datagen.seed.SeedSource;
import dev.phi4spark.datagen.stage.Phi4GeneratorStage;
import dev.phi4spark.datagen.stage.Phi4JudgeStage;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.TinyModelWriter;
import dev.phi4spark.udf.spark.Phi4Options;
import java.io.IOException;
import java.nio.file.Path;
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

/** Every recipe end to end through the real Phi4Generator and Phi4Judge, on the tiny random model. */
class DatagenWithPhi4Test {

    @TempDir
    static Path temp;

    private static Map<String, Dataset<Row>> inputs;
    private static Phi4Options options;
    private static String identity;

    @BeforeAll
    static void setUp() throws IOException {
        Path dir = temp.resolve("tiny");
        TinyModelWriter.write(dir, 1, SafetensorsDType.F32);
        options = Phi4Options.of(dir.toString()).withDevice("cpu");
        identity = Phi4Engine.identity(dir);
        SparkSession spark = SparkTestSession.get();
        inputs = Map.of(
                "passages", spark.createDataset(List.of("Photosynthesis turns light into chemical energy.",
                        "A prime number has exactly two divisors."), Encoders.STRING()).toDF("text"),
                "questions", spark.createDataset(List.of("What is 12 * 12?", "What is 3 + 4?"),
                        Encoders.STRING()).toDF("text"),
                "code", spark.createDataset(List.of("def add(a, b):\n    return a + b"), Encoders.STRING()).toDF("text"));
    }

    private static DatagenConfig plan() {
        return DatagenConfig.of(11, List.of(
                RecipePlan.of("textbook_section", 3),
                RecipePlan.of("exercises_with_solutions", 2),
                RecipePlan.of("seed_rewrite", 2).withSource(SeedSource.input("passages").withJudge(0)),
                RecipePlan.of("self_revision", 1).withParams(Map.of("rounds", "1")),
                RecipePlan.of("majority_vote_qa", 2).withParams(Map.of("k", "3"))
                        .withSampling(java.util.Map.of("temperature", 1.0))
                        .withSource(SeedSource.input("questions")),
                RecipePlan.of("instruction_reversal", 1).withSource(SeedSource.input("code"))))
                .withSampling(java.util.Map.of("max_new_tokens", 12))
                .withKeepRejected(true);
    }

    private static DatagenResult run() {
        return Datagen.run(SparkTestSession.get(), plan(), new Phi4GeneratorStage(options, identity),
                new Phi4JudgeStage(options), inputs);
    }

    @Test
    void everyRecipeRunsOnThePhi4GeneratorAndRerunsIdentically() {
        DatagenResult result = run();
        Column[] content = SyntheticSchema.CONTENT_COLUMNS.stream().map(c -> col(c)).toArray(Column[]::new);
        Dataset<Row> rows = result.rows().cache();
        try {
            assertThat(rows.schema().fieldNames()).containsExactly(SyntheticSchema.SCHEMA.fieldNames());
            assertThat(rows.count()).isEqualTo(result.plannedRows()).isEqualTo(11);
            assertThat(rows.where(col(SyntheticSchema.ERROR).isNotNull()).count()).isZero();
            assertThat(rows.where(col(SyntheticSchema.MODEL).notEqual(identity)).count()).isZero();
            assertThat(rows.where(col(SyntheticSchema.COMPLETION_TOKENS).leq(0)).count()).isZero();
            List<Row> first = rows.select(content).orderBy(SyntheticSchema.ID).collectAsList();
            List<Row> second = run().rows().select(content).orderBy(SyntheticSchema.ID).collectAsList();
            assertThat(second).isEqualTo(first);
        } finally {
            rows.unpersist();
        }
    }
}
