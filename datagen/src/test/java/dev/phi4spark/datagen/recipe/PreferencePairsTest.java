package dev.phi4spark.datagen.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.datagen.PairSchema;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.datagen.SparkTestSession;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.SeedSource;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.seed.TextSeeds;
import dev.phi4spark.datagen.stage.ScriptedGenerationStage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
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
import org.junit.jupiter.api.io.TempDir;

/** Pairs by correctness where the answers agree, by the judge's rubric elsewhere, on a scripted model. */
class PreferencePairsTest {

    private static final String MODEL = "scripted:pairs-test";
    private static final SamplingParams SAMPLING = SamplingParams.DEFAULTS.withSeed(9);
    private static final List<String> QUESTIONS = List.of("Q sum: 2+3?", "Q cat: describe a cat", "Q dog: describe a dog");
    /** Questions the judge was asked about: the script runs in this JVM (local mode). */
    private static final Set<String> JUDGED = ConcurrentHashMap.newKeySet();
    /** Prompts the judge was asked about in the test with reference answers. */
    private static final Set<String> JUDGED_WITH_REFERENCES = ConcurrentHashMap.newKeySet();

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

    @Test
    void checksAgainstTheSeedSourcesReferenceAnswerWhereARowHasOneAndTheMajorityElsewhere(@TempDir Path dir)
            throws IOException {
        SparkSession spark = SparkTestSession.get();
        Path file = dir.resolve("questions.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"question\": \"Q half: 3/4?\", \"solution\": \"$3/4$\"}",
                "{\"question\": \"Q seven: 3+4?\", \"solution\": \"3 + 4 = 7\\n#### 7\"}",
                "{\"question\": \"Q sum: 2+3?\"}"));
        SeedSource source = SeedSource.path(file.toString()).withTextColumn("question").withAnswerColumn("solution");
        PreferencePairs recipe = new PreferencePairs(4, 2.0, 0.5, "auto", null);
        Dataset<Row> seeds = TextSeeds.build(spark, source, Seeds.Kind.QUESTION, Map.of(), null, 10);
        Map<Long, Integer> sampleOf = SampleSeeds.of(spark, recipe, seeds, MODEL, SAMPLING, 4);
        ScriptedGenerationStage stage = new ScriptedGenerationStage(MODEL, (step, messages, seed) -> {
            String prompt = messages.get(messages.size() - 1).content();
            assertThat(prompt).as("the reference answer stays out of the prompt").doesNotContain("####", "$3/4$");
            if (step.equals("judge")) {
                JUDGED_WITH_REFERENCES.add(prompt);
                return "Score: 5/10";
            }
            int sample = sampleOf.get(seed);
            if (prompt.contains("Q half")) {
                // the majority (0.75, three of four) is wrong; only the first writes the reference's 3/4
                return "Halving, sample " + sample + ".\nFinal answer: " + (sample == 0 ? "\\frac{3}{4}" : "0.75");
            }
            if (prompt.contains("Q seven")) {
                return "Adding, sample " + sample + ".\nFinal answer: 8";
            }
            return "Adding, sample " + sample + ".\nFinal answer: " + (sample == 3 ? "6" : "5");
        });
        RecipeContext context = RecipeContext.of(stage, SAMPLING).withKeepRejected(true);

        Map<String, Row> rows = recipe.run(seeds, context).collectAsList().stream()
                .collect(Collectors.toMap(r -> r.<String>getAs(Seeds.SEED_TEXT), r -> r));

        Row half = rows.get("Q half: 3/4?");
        assertThat(half.<String>getAs(PairSchema.HOW)).isEqualTo(PairSchema.BY_REFERENCE);
        assertThat(half.<String>getAs(PairSchema.REFERENCE_ANSWER)).isEqualTo("3/4");
        assertThat(half.<String>getAs(PairSchema.CHOSEN)).isEqualTo("Halving, sample 0.\nFinal answer: \\frac{3}{4}");
        assertThat(half.<String>getAs(PairSchema.REJECTED)).isEqualTo("Halving, sample 1.\nFinal answer: 0.75");
        assertThat(half.<Double>getAs(PairSchema.MARGIN)).isEqualTo(1.0);
        Row seven = rows.get("Q seven: 3+4?");
        assertThat(seven.<String>getAs(PairSchema.HOW)).isEqualTo(PairSchema.BY_REFERENCE);
        assertThat(seven.<String>getAs(PairSchema.REFERENCE_ANSWER)).isEqualTo("7");
        assertThat(seven.<Boolean>getAs(SyntheticSchema.ACCEPTED)).isFalse();
        assertThat(seven.<String>getAs(SyntheticSchema.REJECT_REASON)).isEqualTo("no completion reached the answer 7");
        Row sum = rows.get("Q sum: 2+3?");
        assertThat(sum.<String>getAs(PairSchema.HOW)).isEqualTo(PairSchema.BY_CORRECTNESS);
        assertThat(sum.<String>getAs(PairSchema.REFERENCE_ANSWER)).isEqualTo("5");
        assertThat(sum.<String>getAs(PairSchema.CHOSEN)).isEqualTo("Adding, sample 0.\nFinal answer: 5");
        assertThat(sum.<String>getAs(PairSchema.REJECTED)).isEqualTo("Adding, sample 3.\nFinal answer: 6");
        assertThat(JUDGED_WITH_REFERENCES).as("every question here has a checkable answer, so none is judged").isEmpty();
    }
}
