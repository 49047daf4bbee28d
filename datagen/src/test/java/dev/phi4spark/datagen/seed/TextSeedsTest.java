package dev.phi4spark.datagen.seed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.datagen.Ids;
import dev.phi4spark.datagen.SparkTestSession;
import dev.phi4spark.datagen.stage.ScriptedJudgeStage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Encoders;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TextSeedsTest {

    private static Dataset<Row> texts(String... texts) {
        return SparkTestSession.get().createDataset(List.of(texts), Encoders.STRING()).toDF("text");
    }

    @Test
    void dropsBlanksCountsDuplicatesOnceAndKeepsTheSmallestIds() {
        Dataset<Row> table = texts("alpha", "beta", "alpha", "   ", "gamma", "delta");
        List<Row> all = TextSeeds.passages(table, "text", 10).collectAsList();
        assertThat(all).extracting(r -> r.<String>getAs(Seeds.SEED_TEXT))
                .containsExactlyInAnyOrder("alpha", "beta", "gamma", "delta");
        assertThat(all).allSatisfy(r -> {
            assertThat(r.<String>getAs(Seeds.SEED_ID)).isEqualTo(Ids.hash("passage", r.getAs(Seeds.SEED_TEXT)));
            assertThat(r.<String>getAs(Seeds.SEED_KIND)).isEqualTo("passage");
        });
        assertThat(all.stream().map(r -> r.<String>getAs(Seeds.SEED_ID)).toList()).isSorted();
        assertThat(TextSeeds.passages(table, "text", 2).collectAsList()).isEqualTo(all.subList(0, 2));
        assertThat(TextSeeds.passages(table, "text", 10).columns()).containsExactly(Seeds.SCHEMA.fieldNames());
    }

    @Test
    void keepsSeedsAboveAJudgeOrAnExistingScore() {
        Dataset<Row> table = texts("short", "a much longer passage", "fail here", "medium text");
        ScriptedJudgeStage judge = new ScriptedJudgeStage(text -> {
            if (text.startsWith("fail")) {
                throw new IllegalStateException("judge down");
            }
            return text.length();
        });
        List<Row> judged = TextSeeds.fromTable(table, SeedSource.input("t").withJudge(10), Seeds.Kind.PASSAGE, judge, 10)
                .collectAsList();
        assertThat(judged).extracting(r -> r.<String>getAs(Seeds.SEED_TEXT))
                .containsExactlyInAnyOrder("a much longer passage", "medium text");
        assertThat(judged).extracting(r -> r.<Double>getAs(Seeds.SEED_SCORE)).containsExactlyInAnyOrder(21.0, 11.0);

        Dataset<Row> scored = table.selectExpr("text", "length(text) / 2 AS edu");
        assertThat(TextSeeds.fromTable(scored, SeedSource.input("t").withMinScore("edu", 5.5), Seeds.Kind.PASSAGE, null, 10)
                .count()).isEqualTo(2);
        assertThatThrownBy(() -> TextSeeds.fromTable(table, SeedSource.input("t").withJudge(1), Seeds.Kind.PASSAGE, null, 1))
                .hasMessage("Cannot judge seeds: the source asks for a judge but none was given (null)");
    }

    @Test
    void readsFilesAndKeysByAnIdColumn(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("q.jsonl");
        Files.writeString(file, """
                {"qid": "1", "question": "What is 2+2?", "lang": "en"}
                {"qid": "2", "question": "What is 3+3?", "lang": "en"}
                {"qid": "1", "question": "What is 2+2, again?", "lang": "en"}
                """);
        SparkSession spark = SparkTestSession.get();
        SeedSource source = SeedSource.path(file.toString()).withTextColumn("question").withIdColumn("qid")
                .withLanguageColumn("lang");
        List<Row> seeds = TextSeeds.build(spark, source, Seeds.Kind.QUESTION, Map.of(), null, 10).collectAsList();
        assertThat(seeds).hasSize(2);
        assertThat(seeds).extracting(r -> r.<String>getAs(Seeds.SEED_ID))
                .containsExactlyInAnyOrder(Ids.hash("question", "1"), Ids.hash("question", "2"));
        assertThat(seeds).extracting(r -> r.<String>getAs(Seeds.SEED_TEXT)).contains("What is 2+2, again?");
        assertThat(seeds).extracting(r -> r.<String>getAs(Seeds.SEED_LANGUAGE)).containsOnly("en");
        assertThatThrownBy(() -> TextSeeds.build(spark, SeedSource.path(file.toString()), Seeds.Kind.QUESTION, Map.of(),
                null, 10)).hasMessage("Cannot read seeds: text_column 'text' is not a column (lang, qid, question)");
        assertThat(seeds).extracting(r -> r.<String>getAs(Seeds.SEED_ANSWER)).containsOnlyNulls();
        assertThatThrownBy(() -> TextSeeds.build(spark, source.withAnswerColumn("solution"), Seeds.Kind.QUESTION,
                Map.of(), null, 10)).hasMessage("Cannot read seeds: answer_column 'solution' is not a column (lang, qid, question)");
    }

    @Test
    void sourceSettingsAreChecked() {
        assertThatThrownBy(() -> new SeedSource("a", "b", null, null, null, null, null, null, false, null))
                .hasMessage("Cannot use seed source: set exactly one of input and path (input 'a', path 'b')");
        assertThatThrownBy(() -> SeedSource.path("data/folder"))
                .hasMessageStartingWith("Cannot use seed source: no format given and none known for the extension");
        assertThat(SeedSource.path("x.txt").textColumn()).isEqualTo("value");
    }
}
