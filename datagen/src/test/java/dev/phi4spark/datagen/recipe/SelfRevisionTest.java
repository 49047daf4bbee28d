package dev.phi4spark.datagen.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.datagen.SparkTestSession;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.DiversitySampler;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.seed.Taxonomy;
import dev.phi4spark.datagen.seed.TopicSeeds;
import dev.phi4spark.datagen.stage.ScriptedGenerationStage;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.Row;
import org.junit.jupiter.api.Test;

class SelfRevisionTest {

    /** Each step says what it saw, so the test can follow the chain of drafts. */
    private static String respond(String step, String prompt) {
        if (step.equals("draft")) {
            return "DRAFT";
        }
        String seen = prompt.contains("REV1") ? "REV1" : prompt.contains("DRAFT") ? "DRAFT" : "nothing";
        if (step.equals("critique1")) {
            return "Critique of " + seen + ": too short.\n**Score:** 6/10";
        }
        if (step.equals("critique2")) {
            return "Critique of " + seen + ": better, no grade this time.";
        }
        return "REV" + step.substring("revision".length()) + " fixing " + seen;
    }

    @Test
    void chainsDraftCritiqueAndRevisionKeepingEveryRound() {
        SelfRevision recipe = new SelfRevision(2, "Be correct.", null);
        ScriptedGenerationStage stage = new ScriptedGenerationStage("scripted:revision-test",
                (step, messages, seed) -> respond(step, messages.get(messages.size() - 1).content()));
        List<Row> rows = recipe.run(
                TopicSeeds.create(SparkTestSession.get(), Taxonomy.bundled(), 3, 5, recipe.axes()),
                RecipeContext.of(stage, SamplingParams.DEFAULTS)).collectAsList();

        assertThat(rows).hasSize(3);
        Row row = rows.get(0);
        assertThat(row.getList(row.fieldIndex(SyntheticSchema.DRAFTS)))
                .containsExactly("DRAFT", "REV1 fixing DRAFT", "REV2 fixing REV1");
        assertThat(row.getList(row.fieldIndex(SyntheticSchema.CRITIQUES))).containsExactly(
                "Critique of DRAFT: too short.\n**Score:** 6/10", "Critique of REV1: better, no grade this time.");
        assertThat(row.getList(row.fieldIndex(SyntheticSchema.SCORES))).containsExactly(6.0, null);
        assertThat(row.<String>getAs(SyntheticSchema.COMPLETION)).isEqualTo("REV2 fixing REV1");
        List<Row> messages = row.getList(row.fieldIndex(SyntheticSchema.MESSAGES));
        assertThat(messages).hasSize(1);
        assertThat(messages.get(0).<String>getAs("content")).contains(row.<String>getAs(Seeds.TOPIC))
                .contains(row.<String>getAs(Seeds.AUDIENCE));
        assertThat(row.<String>getAs(SyntheticSchema.VARIANT)).startsWith("rounds=2;rubric=");
        assertThat(row.<Integer>getAs(SyntheticSchema.TOTAL_COMPLETION_TOKENS)).isGreaterThan(
                row.<Integer>getAs(SyntheticSchema.COMPLETION_TOKENS));
        assertThat(recipe.callsPerSeed()).isEqualTo(5);
        assertThat(Arrays.asList(DiversitySampler.Axis.values())).isEqualTo(recipe.axes());
    }

    @Test
    void aFailedCallMakesTheRowAnErrorRow() {
        SelfRevision recipe = new SelfRevision(1, null, null);
        ScriptedGenerationStage stage = new ScriptedGenerationStage("scripted:revision-test", (step, messages, seed) -> {
            if (step.equals("critique1")) {
                throw new IllegalStateException("out of memory");
            }
            return "text";
        });
        List<Row> rows = recipe.run(TopicSeeds.create(SparkTestSession.get(), Taxonomy.bundled(), 2, 5, recipe.axes()),
                RecipeContext.of(stage, SamplingParams.DEFAULTS).withKeepRejected(true)).collectAsList();
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.<Boolean>getAs(SyntheticSchema.ACCEPTED)).isFalse();
            assertThat(r.<String>getAs(SyntheticSchema.REJECT_REASON)).isEqualTo("error");
            assertThat(r.<String>getAs(SyntheticSchema.ERROR)).isEqualTo("critique1: Cannot generate: out of memory");
        });
        assertThat(recipe.run(TopicSeeds.create(SparkTestSession.get(), Taxonomy.bundled(), 2, 5, recipe.axes()),
                RecipeContext.of(stage, SamplingParams.DEFAULTS)).count()).isZero();
    }
}
