package dev.phi4spark.datagen.recipe;

import static org.apache.spark.sql.functions.lit;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.datagen.Ids;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.datagen.SparkTestSession;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.seed.TextSeeds;
import dev.phi4spark.datagen.stage.ScriptedGenerationStage;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;

/**
 * The vote on scripted samples. The script answers each (question, sample) as planned below; it knows
 * the sample from its seed, through a lookup of the seeds the recipe derives (row id, step, sample).
 */
class MajorityVoteQATest {

    private static final String MODEL = "scripted:vote-test";
    private static final SamplingParams SAMPLING = SamplingParams.DEFAULTS.withSeed(11);
    private static final Map<String, List<String>> PLANNED = Map.of(
            "Q easy: 2+2?", List.of("4", "4", "4", "4", "4"),
            "Q mid: 3+4?", List.of("7", "7.0", "\\boxed{7}", "8", "9"),
            "Q hard: riddle?", List.of("1", "2", "3", "4", "5"),
            "Q none: opinion?", List.of("-", "-", "-", "-", "-"));

    @Test
    void keepsQuestionsWhoseAgreementIsWithinBounds() {
        SparkSession spark = SparkTestSession.get();
        MajorityVoteQA recipe = new MajorityVoteQA(5, 0.4, 0.8, null);
        Dataset<Row> seeds = TextSeeds.questions(
                spark.createDataset(List.copyOf(PLANNED.keySet()), Encoders.STRING()).toDF("question"), "question", 10);
        Map<Long, Integer> sampleOfSeed = sampleSeeds(spark, recipe, seeds);
        ScriptedGenerationStage stage = new ScriptedGenerationStage(MODEL, (step, messages, seed) -> {
            String prompt = messages.get(messages.size() - 1).content();
            String question = PLANNED.keySet().stream().filter(prompt::contains).findFirst().orElseThrow();
            String answer = PLANNED.get(question).get(sampleOfSeed.get(seed));
            return answer.equals("-") ? "It depends on taste." : "Thinking (sample " + sampleOfSeed.get(seed)
                    + ").\nFinal answer: " + answer;
        });
        RecipeContext context = RecipeContext.of(stage, SAMPLING).withKeepRejected(true);

        Map<String, Row> byQuestion = recipe.run(seeds, context).collectAsList().stream()
                .collect(Collectors.toMap(r -> r.<String>getAs(Seeds.SEED_TEXT), r -> r));

        assertThat(byQuestion).hasSize(4);
        Row mid = byQuestion.get("Q mid: 3+4?");
        assertThat(mid.<Boolean>getAs(SyntheticSchema.ACCEPTED)).isTrue();
        assertThat(mid.<String>getAs(SyntheticSchema.REFERENCE_ANSWER)).isEqualTo("7");
        assertThat(mid.<Double>getAs(SyntheticSchema.AGREEMENT)).isEqualTo(0.6);
        assertThat(mid.getList(mid.fieldIndex(SyntheticSchema.ANSWERS))).containsExactly("7", "7", "7", "8", "9");
        assertThat(mid.<String>getAs(SyntheticSchema.COMPLETION)).startsWith("Thinking (sample 0)");
        assertThat(mid.<Integer>getAs(SyntheticSchema.TOTAL_COMPLETION_TOKENS))
                .isGreaterThan(mid.<Integer>getAs(SyntheticSchema.COMPLETION_TOKENS));
        assertRejected(byQuestion.get("Q easy: 2+2?"), 1.0, "too easy: agreement 1.00 above 0.80");
        assertRejected(byQuestion.get("Q hard: riddle?"), 0.2, "too hard or ambiguous: agreement 0.20 below 0.40");
        assertRejected(byQuestion.get("Q none: opinion?"), 0.0, "no final answer in any sample");

        List<Row> kept = recipe.run(seeds, context.withKeepRejected(false)).collectAsList();
        assertThat(kept).extracting(r -> r.<String>getAs(Seeds.SEED_TEXT)).containsExactly("Q mid: 3+4?");
    }

    @Test
    void greedySamplingIsRefused() {
        SparkSession spark = SparkTestSession.get();
        Dataset<Row> seeds = TextSeeds.questions(
                spark.createDataset(List.of("q"), Encoders.STRING()).toDF("question"), "question", 1);
        RecipeContext greedy = RecipeContext.of(new ScriptedGenerationStage(MODEL, (s, m, seed) -> "1"),
                SamplingParams.greedy(10));
        assertThatThrownBy(() -> new MajorityVoteQA().run(seeds, greedy))
                .hasMessage("Cannot run recipe 'majority_vote_qa': greedy sampling gives k identical answers;"
                        + " set temperature > 0 (0.0)");
    }

    private static void assertRejected(Row row, double agreement, String reason) {
        assertThat(row.<Boolean>getAs(SyntheticSchema.ACCEPTED)).isFalse();
        assertThat(row.<Double>getAs(SyntheticSchema.AGREEMENT)).isEqualTo(agreement);
        assertThat(row.<String>getAs(SyntheticSchema.REJECT_REASON)).isEqualTo(reason);
    }

    /** The seeds the recipe gives each sample of each question, computed the way it does. */
    private static Map<Long, Integer> sampleSeeds(SparkSession spark, MajorityVoteQA recipe, Dataset<Row> seeds) {
        Map<Long, Integer> out = new HashMap<>();
        for (Row seed : seeds.collectAsList()) {
            String id = Ids.rowId(recipe.name(), seed.<String>getAs(Seeds.SEED_ID), recipe.variant(), MODEL, SAMPLING.toJson());
            for (int sample = 0; sample < 5; sample++) {
                long s = spark.range(1).select(Ids.rowSeed(lit(id), "answer", lit(sample))).first().getLong(0);
                out.put(s, sample);
            }
        }
        assertThat(out).as("seeds differ across samples and questions").hasSize(5 * PLANNED.size());
        return out;
    }
}
