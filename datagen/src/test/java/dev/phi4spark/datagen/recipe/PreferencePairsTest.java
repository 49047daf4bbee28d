package dev.phi4spark.datagen.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.datagen.PairSchema;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.datagen.SparkTestSession;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.seed.TextSeeds;
import dev.phi4spark.datagen.stage.ScriptedGenerationStage;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/** Pairs by correctness where the answers agree, by the judge's rubric elsewhere, on a scripted model. */
class PreferencePairsTest {

    private static final String MODEL = "scripted:pairs-test";
    private static final SamplingParams SAMPLING = SamplingParams.DEFAULTS.withSeed(9);
    private static final List<String> QUESTIONS = List.of("Q sum: 2+3?", "Q cat: describe a cat", "Q dog: describe a dog");
    /** Questions the judge was asked about: the script runs in this JVM (local mode). */
    private static final Set<String> JUDGED = ConcurrentHashMap.newKeySet();

    @Test
    void choosesByCorrectnessWhereAnAnswerIsCheckableAndByTheRubricElsewhere() {
        SparkSession spark = SparkTestSession.get();
        PreferencePairs recipe = new PreferencePairs(4, 2.0, 0.5, "auto", null);
        Dataset<Row> seeds = TextSeeds.questions(spark.createDataset(QUESTIONS, Encoders.STRING()).toDF("q"), "q", 10);
        Map<Long, Integer> sampleOf = SampleSeeds.of(spark, recipe, seeds, MODEL, SAMPLING, 4);
        ScriptedGenerationStage stage = new ScriptedGenerationStage(MODEL, (step, messages, seed) -> {
            String prompt = messages.get(messages.size() - 1).content();
            String question = QUESTIONS.stream().filter(prompt::contains).findFirst().orElseThrow();
            if (step.equals("judge")) {
                JUDGED.add(question);
                return "Fine.\nScore: " + (prompt.contains("detailed") ? 9 : question.contains("dog")
                        && prompt.contains("draft b") ? 6 : question.contains("dog") ? 5 : 4) + "/10";
            }
            int sample = sampleOf.get(seed);
            String draft = "draft " + "abcd".charAt(sample);
            if (question.contains("sum")) {
                return "Adding, " + draft + ".\nFinal answer: " + (sample == 0 ? "6" : "5");
            }
            return (question.contains("cat") && sample == 2 ? "A detailed text, " : "A text, ") + draft;
        });
        RecipeContext context = RecipeContext.of(stage, SAMPLING).withKeepRejected(true);

        Map<String, Row> rows = recipe.run(seeds, context).collectAsList().stream()
                .collect(Collectors.toMap(r -> r.<String>getAs(Seeds.SEED_TEXT), r -> r));

        Row sum = rows.get("Q sum: 2+3?");
        assertThat(sum.<String>getAs(PairSchema.HOW)).isEqualTo(PairSchema.BY_CORRECTNESS);
        assertThat(sum.<String>getAs(PairSchema.CHOSEN)).isEqualTo("Adding, draft b.\nFinal answer: 5");
        assertThat(sum.<String>getAs(PairSchema.REJECTED)).isEqualTo("Adding, draft a.\nFinal answer: 6");
        assertThat(sum.<Double>getAs(PairSchema.MARGIN)).isEqualTo(1.0);
        assertThat(sum.<String>getAs(PairSchema.REFERENCE_ANSWER)).isEqualTo("5");
        assertThat(sum.<Boolean>getAs(SyntheticSchema.ACCEPTED)).isTrue();
        Row cat = rows.get("Q cat: describe a cat");
        assertThat(cat.<String>getAs(PairSchema.HOW)).isEqualTo(PairSchema.BY_JUDGE);
        assertThat(cat.<String>getAs(PairSchema.CHOSEN)).isEqualTo("A detailed text, draft c");
        assertThat(cat.<String>getAs(PairSchema.REJECTED)).isEqualTo("A text, draft a");
        assertThat(cat.<Double>getAs(PairSchema.CHOSEN_SCORE)).isEqualTo(9.0);
        assertThat(cat.<Double>getAs(PairSchema.REJECTED_SCORE)).isEqualTo(4.0);
        assertThat(cat.<Double>getAs(PairSchema.MARGIN)).isEqualTo(5.0);
        Row dog = rows.get("Q dog: describe a dog");
        assertThat(dog.<Boolean>getAs(SyntheticSchema.ACCEPTED)).isFalse();
        assertThat(dog.<String>getAs(SyntheticSchema.REJECT_REASON)).isEqualTo("margin 1.00 below min_margin 2.00");
        assertThat(dog.<String>getAs(PairSchema.CHOSEN)).isNull();
        assertThat(JUDGED).as("a checkable question is never judged").doesNotContain("Q sum: 2+3?")
                .contains("Q cat: describe a cat", "Q dog: describe a dog");
        assertThat(sum.getList(sum.fieldIndex(PairSchema.PROMPT))).hasSize(1);

        List<Row> kept = recipe.run(seeds, context.withKeepRejected(false)).collectAsList();
        assertThat(kept).extracting(r -> r.<String>getAs(Seeds.SEED_TEXT))
                .containsExactlyInAnyOrder("Q sum: 2+3?", "Q cat: describe a cat");
    }
}
