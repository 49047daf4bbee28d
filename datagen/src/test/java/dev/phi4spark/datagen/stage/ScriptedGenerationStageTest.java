package dev.phi4spark.datagen.stage;

import static org.apache.spark.sql.functions.col;
import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.datagen.SparkTestSession;
import dev.phi4spark.datagen.recipe.Messages;
import java.util.List;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class ScriptedGenerationStageTest {

    @Test
    void appliesStopStringsTokenBudgetAndRowErrors() {
        Dataset<Row> input = SparkTestSession.get().createDataset(List.of("stop", "long", "fail"), Encoders.STRING())
                .toDF("p")
                .withColumn("msgs", Messages.of("be brief", col("p")));
        ScriptedGenerationStage stage = new ScriptedGenerationStage("m", (step, messages, seed) -> switch (messages.get(1).content()) {
            case "stop" -> "kept part<END>cut part";
            case "long" -> "x".repeat(100);
            default -> throw new IllegalArgumentException("scripted failure");
        });
        SamplingParams sampling = new SamplingParams(0.7, 0, 1, 1, 5, 3, List.of("<END>"));

        Dataset<Row> out = stage.generate(input, "msgs", null, sampling, "g_");

        assertThat(out.columns()).containsExactly("p", "msgs", "g_completion", "g_finish_reason", "g_prompt_tokens",
                "g_completion_tokens", "g_error");
        List<Row> rows = out.orderBy("p").collectAsList();
        assertThat(rows.get(0).<String>getAs("p")).isEqualTo("fail");
        assertThat(rows.get(0).<String>getAs("g_completion")).isNull();
        assertThat(rows.get(0).<String>getAs("g_finish_reason")).isEqualTo("error");
        assertThat(rows.get(0).<String>getAs("g_error")).isEqualTo("Cannot generate: scripted failure");
        assertThat(rows.get(1).<String>getAs("g_completion")).isEqualTo("x".repeat(20));
        assertThat(rows.get(1).<String>getAs("g_finish_reason")).isEqualTo("length");
        assertThat(rows.get(1).<Integer>getAs("g_completion_tokens")).isEqualTo(5);
        assertThat(rows.get(2).<String>getAs("g_completion")).isEqualTo("kept part");
        assertThat(rows.get(2).<String>getAs("g_finish_reason")).isEqualTo("stop");
        assertThat(rows.get(2).<Integer>getAs("g_prompt_tokens")).isEqualTo(3);
        assertThat(rows.get(2).<String>getAs("g_error")).isNull();
    }

    @Test
    void passesEachRowsSeedAndStep() {
        Dataset<Row> input = SparkTestSession.get().range(3).withColumn("msgs", Messages.of(null, lit("hi")));
        ScriptedGenerationStage stage = new ScriptedGenerationStage("m", (step, messages, seed) -> step + ":" + seed);
        List<String> out = stage.generate(input, "msgs", "id", SamplingParams.DEFAULTS, "draft_")
                .orderBy("id").select("draft_completion").as(Encoders.STRING()).collectAsList();
        assertThat(out).containsExactly("draft:0", "draft:1", "draft:2");
    }
}
