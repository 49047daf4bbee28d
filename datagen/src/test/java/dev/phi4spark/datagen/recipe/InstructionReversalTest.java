package dev.phi4spark.datagen.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.datagen.SparkTestSession;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.SeedSource;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.seed.TextSeeds;
import dev.phi4spark.datagen.stage.ScriptedGenerationStage;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class InstructionReversalTest {

    private static final String ADD = "def add(a, b):\n    return a + b";
    private static final String MUL = "def mul(a, b):\n    return a * b";

    /** The add snippet round-trips through its instruction; the mul one comes back as other code. */
    private static String respond(String step, String prompt) {
        if (step.equals("instruction")) {
            return prompt.contains("def add") ? "**Instruction:** Write add(a, b) returning the sum." : "Instruction: Multiply.";
        }
        return prompt.contains("the sum") ? "Sure:\n```python\ndef add(a,b):\n  return a+b\n```" : "```python\nprint('x')\n```";
    }

    @Test
    void keepsPairsWhoseRegeneratedCodeIsSimilar() {
        Dataset<Row> table = SparkTestSession.get().createDataset(List.of(ADD, MUL), Encoders.STRING()).toDF("code");
        Dataset<Row> seeds = TextSeeds.fromTable(table, SeedSource.input("code").withTextColumn("code"), Seeds.Kind.CODE,
                null, 10);
        ScriptedGenerationStage stage = new ScriptedGenerationStage("scripted:reversal-test",
                (step, messages, seed) -> respond(step, messages.get(messages.size() - 1).content()));
        InstructionReversal recipe = new InstructionReversal(0.5, 3, "python", null);

        Map<String, Row> byCode = recipe.run(seeds, RecipeContext.of(stage, SamplingParams.DEFAULTS).withKeepRejected(true))
                .collectAsList().stream().collect(Collectors.toMap(r -> r.<String>getAs(Seeds.SEED_TEXT), r -> r));

        Row add = byCode.get(ADD);
        assertThat(add.<Boolean>getAs(SyntheticSchema.ACCEPTED)).isTrue();
        assertThat(add.<Double>getAs(SyntheticSchema.SIMILARITY)).isEqualTo(1.0);
        assertThat(add.<String>getAs(SyntheticSchema.INSTRUCTION)).isEqualTo("Write add(a, b) returning the sum.");
        assertThat(add.<String>getAs(SyntheticSchema.REGENERATED)).isEqualTo("def add(a,b):\n  return a+b");
        assertThat(add.<String>getAs(SyntheticSchema.COMPLETION)).isEqualTo(ADD);
        List<Row> messages = add.getList(add.fieldIndex(SyntheticSchema.MESSAGES));
        assertThat(messages).extracting(m -> m.<String>getAs("content")).containsExactly("Write add(a, b) returning the sum.");
        Row mul = byCode.get(MUL);
        assertThat(mul.<Boolean>getAs(SyntheticSchema.ACCEPTED)).isFalse();
        assertThat(mul.<Double>getAs(SyntheticSchema.SIMILARITY)).isZero();
        assertThat(mul.<String>getAs(SyntheticSchema.REJECT_REASON))
                .isEqualTo("regenerated code too different: similarity 0.00 below 0.50");
    }
}
