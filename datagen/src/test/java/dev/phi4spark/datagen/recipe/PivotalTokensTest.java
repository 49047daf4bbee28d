package dev.phi4spark.datagen.recipe;

import static org.assertj.core.api.Assertions.assertThat;

import dev.phi4spark.datagen.PairSchema;
import dev.phi4spark.udf.engine.SamplingParams;
import dev.phi4spark.datagen.SparkTestSession;
import dev.phi4spark.datagen.SyntheticSchema;
import dev.phi4spark.datagen.seed.Seeds;
import dev.phi4spark.datagen.seed.TextSeeds;
import dev.phi4spark.datagen.stage.ScriptedGenerationStage;
import dev.phi4spark.udf.tokenizer.ChatMessage;
import dev.phi4spark.datagen.seed.SeedSource;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Pivotal token search on a scripted model whose rollouts succeed by a rule on the prefix, so every
 * success probability is exactly 0 or 1 and the pivotal tokens and pairs are known in advance.
 */
class PivotalTokensTest {

    private static final String MODEL = "scripted:pivotal-test";
    private static final SamplingParams SAMPLING = SamplingParams.DEFAULTS.withSeed(5);
    private static final String GOOD = "We add 2 and 3 , so 2 + 3 = 5 . Final answer: 5";
    private static final String BAD = "We add 2 and 3 but slip : 2 + 3 = 6 . Final answer: 6";
    private static final List<String> QUESTIONS = List.of("Q add: 2+3?", "Q slip: 2+3?", "Q flat: 2+3?", "Q vague: taste?");

    /**
     * The continuation of an open answer under each question's rule. Like a model, it only finishes a
     * final answer line the prefix has started, and adds nothing after a finished one (the answer
     * extractor reads the rest of that line).
     */
    static String rollout(String question, String prefix) {
        boolean success = question.contains("Q add") ? prefix.contains(" add")
                : question.contains("Q slip") || question.contains("Q wrong") ? !prefix.contains(" slip") : true;
        String answer = success ? "5" : question.contains("Q add") ? "-1" : "6";
        if (prefix.contains("Final answer:")) {
            return prefix.endsWith(":") ? " " + answer : "";
        }
        if (prefix.endsWith(" Final")) {
            return " answer: " + answer;
        }
        if (success) {
            return prefix.contains(" add") || !question.contains("Q add") ? " fine , 2 + 3 = 5 . Final answer: 5"
                    : " then 2 + 3 = 5 . Final answer: 5";
        }
        return question.contains("Q add") ? " subtract 3 from 2 . Final answer: -1" : " so 2 + 3 = 6 . Final answer: 6";
    }

    @Test
    void findsTheTokensWhereSuccessJumpsAndPairsThemWithARolloutsOtherFirstToken() {
        SparkSession spark = SparkTestSession.get();
        PivotalTokens recipe = new PivotalTokens(4, 3, 0.5, 0.5, null);
        Dataset<Row> seeds = TextSeeds.questions(spark.createDataset(QUESTIONS, Encoders.STRING()).toDF("q"), "q", 10);
        Map<Long, Integer> sampleOf = SampleSeeds.of(spark, recipe, seeds, MODEL, SAMPLING, 4);
        ScriptedGenerationStage stage = new ScriptedGenerationStage(MODEL, (step, messages, seed) -> {
            String question = QUESTIONS.stream().filter(messages.get(0).content()::contains).findFirst().orElseThrow();
            if (step.equals("rollout")) {
                ChatMessage open = messages.get(messages.size() - 1);
                assertThat(open.role()).isEqualTo("assistant");
                return rollout(question, open.content());
            }
            if (question.contains("vague")) {
                return "It depends on who you ask.";
            }
            return question.contains("slip") && sampleOf.get(seed) == 0 ? BAD : GOOD;
        });
        RecipeContext context = RecipeContext.of(stage, SAMPLING).withKeepRejected(true);

        List<Row> rows = recipe.run(seeds, context).collectAsList();

        Map<String, List<Row>> byQuestion = rows.stream().collect(Collectors.groupingBy(r -> r.getAs(Seeds.SEED_TEXT)));
        assertThat(byQuestion.keySet()).containsExactlyInAnyOrderElementsOf(QUESTIONS);
        assertThat(byQuestion.values()).allSatisfy(l -> assertThat(l).hasSize(1));
        Row add = byQuestion.get("Q add: 2+3?").get(0);
        assertPair(add, "We", " add", " subtract", 1.0, 0.0);
        Row slip = byQuestion.get("Q slip: 2+3?").get(0);
        assertPair(slip, "We add 2 and 3 but", " fine", " slip", 1.0, 0.0);
        assertThat(slip.<String>getAs(PairSchema.REFERENCE_ANSWER)).isEqualTo("5");
        Row flat = byQuestion.get("Q flat: 2+3?").get(0);
        assertThat(flat.<Boolean>getAs(SyntheticSchema.ACCEPTED)).isFalse();
        assertThat(flat.<String>getAs(SyntheticSchema.REJECT_REASON))
                .isEqualTo("no pivotal token: no probability jump of 0.50 with another first token among the rollouts");
        Row vague = byQuestion.get("Q vague: taste?").get(0);
        assertThat(vague.<String>getAs(SyntheticSchema.REJECT_REASON))
                .isEqualTo("no checkable answer: fewer than 0.50 of the answers agree");
        assertThat(rows).allSatisfy(r -> assertThat(r.<String>getAs(SyntheticSchema.ERROR)).isNull());
        assertThat(add.<Integer>getAs(SyntheticSchema.TOTAL_COMPLETION_TOKENS)).isGreaterThan(4 * GOOD.length() / 4);

        List<Row> kept = recipe.run(seeds, context.withKeepRejected(false)).collectAsList();
        assertThat(kept).extracting(r -> r.<String>getAs(PairSchema.CHOSEN)).containsExactlyInAnyOrder(" add", " fine");
    }

    @Test
    void searchesTowardsTheSeedSourcesReferenceAnswerEvenAgainstTheMajority(@TempDir Path dir) throws IOException {
        SparkSession spark = SparkTestSession.get();
        Path file = dir.resolve("questions.jsonl");
        Files.writeString(file, String.join("\n",
                "{\"q\": \"Q wrong: 2+3?\", \"a\": \"2 + 3 = 5\\n#### 5\"}",
                "{\"q\": \"Q vague: taste?\", \"a\": \"\\\\boxed{sweet}\"}"));
        SeedSource source = SeedSource.path(file.toString()).withTextColumn("q").withAnswerColumn("a");
        PivotalTokens recipe = new PivotalTokens(4, 3, 0.5, 0.5, null);
        Dataset<Row> seeds = TextSeeds.build(spark, source, Seeds.Kind.QUESTION, Map.of(), null, 10);
        ScriptedGenerationStage stage = new ScriptedGenerationStage(MODEL, (step, messages, seed) -> {
            String question = messages.get(0).content().contains("Q wrong") ? "Q wrong: 2+3?" : "Q vague: taste?";
            if (step.equals("rollout")) {
                return rollout(question, messages.get(messages.size() - 1).content());
            }
            // every answer slips: the majority (6) is wrong, the reference (5) is not
            return question.contains("vague") ? "It depends on who you ask." : BAD;
        });
        RecipeContext context = RecipeContext.of(stage, SAMPLING).withKeepRejected(true);

        Map<String, List<Row>> byQuestion = recipe.run(seeds, context).collectAsList().stream()
                .collect(Collectors.groupingBy(r -> r.getAs(Seeds.SEED_TEXT)));

        assertThat(byQuestion.get("Q wrong: 2+3?")).hasSize(1);
        Row wrong = byQuestion.get("Q wrong: 2+3?").get(0);
        assertPair(wrong, "We add 2 and 3 but", " fine", " slip", 1.0, 0.0);
        assertThat(wrong.<String>getAs(PairSchema.REFERENCE_ANSWER)).isEqualTo("5");
        Row vague = byQuestion.get("Q vague: taste?").get(0);
        assertThat(vague.<String>getAs(PairSchema.REFERENCE_ANSWER)).as("checkable by its reference").isEqualTo("sweet");
        assertThat(vague.<String>getAs(SyntheticSchema.REJECT_REASON))
                .isEqualTo("no pivotal token: no probability jump of 0.50 with another first token among the rollouts");
    }

    private static void assertPair(Row row, String prefix, String chosen, String rejected, double chosenScore,
            double rejectedScore) {
        assertThat(row.<Boolean>getAs(SyntheticSchema.ACCEPTED)).as("accepted: %s", row).isTrue();
        assertThat(row.<String>getAs(PairSchema.PREFIX)).isEqualTo(prefix);
        assertThat(row.<String>getAs(PairSchema.CHOSEN)).isEqualTo(chosen);
        assertThat(row.<String>getAs(PairSchema.REJECTED)).isEqualTo(rejected);
        assertThat(row.<Double>getAs(PairSchema.CHOSEN_SCORE)).isEqualTo(chosenScore);
        assertThat(row.<Double>getAs(PairSchema.REJECTED_SCORE)).isEqualTo(rejectedScore);
        assertThat(row.<Double>getAs(PairSchema.MARGIN)).isEqualTo(chosenScore - rejectedScore);
        assertThat(row.<String>getAs(PairSchema.HOW)).isEqualTo(PairSchema.BY_PIVOTAL_TOKEN);
        assertThat(row.getList(row.fieldIndex(PairSchema.PROMPT))).hasSize(1);
    }
}
