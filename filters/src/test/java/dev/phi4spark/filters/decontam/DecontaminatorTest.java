package dev.phi4spark.filters.decontam;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.filters.SparkTestSession;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DecontaminatorTest {
    private static final String PHOTO_Q = "During photosynthesis green plants absorb carbon dioxide"
            + " from the air and release oxygen while converting light energy into chemical energy"
            + " stored in glucose. Which organelle carries out this process in the leaf cells?";
    private static final String BOILERPLATE =
            "Read the passage carefully and then choose the single best answer from the options below";
    private static final String VOLCANO_Q = BOILERPLATE + " about why volcanic eruptions on islands"
            + " such as Iceland produce wide basalt plateaus rather than steep cones?";

    @TempDir static Path dir;
    private static Path science;
    private static Path quiz;

    @BeforeAll
    static void writeBenchmarks() throws IOException {
        science = dir.resolve("science.jsonl");
        Files.writeString(science, String.join("\n",
                "{\"id\": \"sci-1\", \"question\": \"" + PHOTO_Q + "\", \"choices\": [\"mitochondria\","
                        + " \"chloroplast\", \"nucleus\", \"ribosome\"], \"answer\": \"chloroplast\"}",
                "{\"id\": \"sci-2\", \"question\": \"" + VOLCANO_Q + "\", \"choices\": {\"A\": \"low"
                        + " viscosity lava\", \"B\": \"high silica magma\"}, \"answer\": \"A\"}",
                ""));
        quiz = dir.resolve("quiz.jsonl");
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            lines.append("{\"q\": {\"text\": \"").append(BOILERPLATE).append(" about topic number ")
                    .append(i).append(" of the syllabus.\"}, \"gold\": ").append(i).append("}\n");
        }
        Files.writeString(quiz, lines.toString());
    }

    private static BenchmarkIndex index(int maxItemsPerNgram, List<String> allowList) {
        return BenchmarkIndex.build(List.of(
                new BenchmarkSource("science", science, "question", "choices", "answer", "id"),
                new BenchmarkSource("quiz", quiz, "q.text", null, "gold", null)),
                maxItemsPerNgram, allowList);
    }

    private final Decontaminator decontaminator =
            new Decontaminator(index(BenchmarkIndex.DEFAULT_MAX_ITEMS_PER_NGRAM, List.of()));

    @Test
    void exactCopyIsContaminated() {
        Verdict v = decontaminator.check(PHOTO_Q.toUpperCase() + " Mitochondria, chloroplast...");
        assertThat(v.status()).isEqualTo(Verdict.CONTAMINATED);
        assertThat(v.benchmark()).isEqualTo("science");
        assertThat(v.item()).isEqualTo("sci-1");
        assertThat(v.matched13Gram()).isTrue();
        assertThat(v.overlap()).isEqualTo(1.0);
    }

    @Test
    void oneShared13GramInALongDocumentIsEnough() {
        String doc = "My notes for the exam cover many topics in biology and chemistry this year."
                + " I remember that green plants absorb carbon dioxide from the air and release oxygen"
                + " while converting light; then we moved on to the structure of atoms, the periodic"
                + " table, chemical bonds, acids and bases, and the rates of reactions in solutions.";
        Verdict v = decontaminator.check(doc);
        assertThat(v.status()).isEqualTo(Verdict.CONTAMINATED);
        assertThat(v.item()).isEqualTo("sci-1");
        assertThat(v.matched13Gram()).isTrue();
    }

    @Test
    void partialSevenGramOverlapIsPartial() {
        // Two 7-word runs of the item, separated so that no 13-gram is shared.
        String doc = "Plants absorb carbon dioxide from the air and then at night they rest quietly."
                + " Light energy into chemical energy stored in glucose is a nice phrase.";
        Verdict v = decontaminator.check(doc);
        assertThat(v.status()).isEqualTo(Verdict.PARTIAL);
        assertThat(v.item()).isEqualTo("sci-1");
        assertThat(v.overlap()).isBetween(0.2, 0.5);
        assertThat(v.matched13Gram()).isFalse();
    }

    @Test
    void documentOnTheSameTopicIsClean() {
        String doc = "Photosynthesis happens in chloroplasts, where plants use sunlight to turn water"
                + " and carbon dioxide into sugars; oxygen is a by-product that animals then breathe.";
        Verdict v = decontaminator.check(doc);
        assertThat(v.status()).isEqualTo(Verdict.CLEAN);
        assertThat(v.benchmark()).isNull();
        assertThat(v.item()).isNull();
    }

    @Test
    void thirteenGramsCommonToManyItemsOrAllowListedDoNotTrigger() {
        String doc = "Exam tip: " + BOILERPLATE + " and check your work twice before handing it in.";
        Decontaminator byFrequency = new Decontaminator(index(3, List.of()));
        assertThat(byFrequency.check(doc).status()).isEqualTo(Verdict.CLEAN);
        // Seen in 5 items, under a limit of 10: the template itself is flagged...
        assertThat(decontaminator.check(doc).status()).isEqualTo(Verdict.CONTAMINATED);
        // ...unless the user allow-lists it.
        Decontaminator allowListed = new Decontaminator(
                index(BenchmarkIndex.DEFAULT_MAX_ITEMS_PER_NGRAM, List.of(BOILERPLATE)));
        assertThat(allowListed.check(doc).status()).isEqualTo(Verdict.CLEAN);
        // The allow-list does not hide the rest of an item.
        assertThat(allowListed.check(PHOTO_Q).status()).isEqualTo(Verdict.CONTAMINATED);
    }

    @Test
    void annotatesADataFrameWithVerdictColumns() {
        StructType schema = new StructType().add("id", DataTypes.LongType).add("text", DataTypes.StringType);
        List<Row> rows = new ArrayList<>();
        rows.add(RowFactory.create(1L, PHOTO_Q));
        rows.add(RowFactory.create(2L, "A clean document about gardening and the weather in spring."));
        rows.add(RowFactory.create(3L, null));
        Dataset<Row> out = decontaminator.annotate(
                SparkTestSession.get().createDataFrame(rows, schema), "text");
        Map<Long, Row> byId = new HashMap<>();
        for (Row r : out.collectAsList()) {
            byId.put(r.getLong(0), r);
        }
        assertThat(byId.get(1L).<String>getAs(Decontaminator.VERDICT)).isEqualTo("contaminated");
        assertThat(byId.get(1L).<String>getAs(Decontaminator.BENCHMARK)).isEqualTo("science");
        assertThat(byId.get(1L).<String>getAs(Decontaminator.ITEM)).isEqualTo("sci-1");
        assertThat(byId.get(1L).<Double>getAs(Decontaminator.OVERLAP)).isEqualTo(1.0);
        assertThat(byId.get(2L).<String>getAs(Decontaminator.VERDICT)).isEqualTo("clean");
        assertThat(byId.get(3L).<String>getAs(Decontaminator.VERDICT)).isEqualTo("clean");
    }

    @Test
    void explainsBadInput() throws IOException {
        Path bad = dir.resolve("bad.jsonl");
        Files.writeString(bad, "{\"question\": \"ok\"}\n{\"prompt\": \"no question here\"}\n");
        assertThatThrownBy(() -> BenchmarkIndex.build(List.of(BenchmarkSource.of("bad", bad)), 10, List.of()))
                .hasMessage("Cannot read benchmark bad: line 2 has no field 'question' (" + bad + ")");
        assertThatThrownBy(() -> new Decontaminator(index(10, List.of()), 0.2, 0.5))
                .hasMessage("Cannot create decontaminator: thresholds must satisfy"
                        + " 0 < partial_at <= contaminated_at <= 1 (0.5, 0.2)");
    }

    @Test
    void namesTheItemWithTheHighestOverlapWhenSeveralShareA13Gram() {
        String shared = "the committee of the royal society met in london to decide which of the"
                + " following experiments deserved funding";
        List<BenchmarkIndex.Item> items = List.of(
                new BenchmarkIndex.Item("bench", "first", shared + " in the spring of that year when"
                        + " rain fell on every single day"),
                new BenchmarkIndex.Item("bench", "best", shared + " after a long debate about pendulum"
                        + " clocks magnetism and the motion of comets"),
                new BenchmarkIndex.Item("bench", "third", shared + " while the king waited outside"
                        + " for news of the fleet and its cargo"));
        BenchmarkIndex index = BenchmarkIndex.fromItems(items, 10, List.of());
        Verdict v = new Decontaminator(index).check("Notes: " + shared + " after a long debate about"
                + " pendulum clocks magnetism and the motion of comets, said the clerk.");
        assertThat(v.status()).isEqualTo(Verdict.CONTAMINATED);
        assertThat(v.matched13Gram()).isTrue();
        assertThat(v.item()).isEqualTo("best");
        assertThat(v.overlap()).isEqualTo(1.0);
    }

    @Test
    void readsBenchmarksFromAUriThroughTheSpecToo() {
        String uri = science.toUri().toString();
        assertThat(uri).startsWith("file:");
        BenchmarkIndex index = BenchmarkIndex.build(List.of(
                new BenchmarkSource("science", uri, "question", "choices", "answer", "id")), 10, List.of());
        assertThat(index.size()).isEqualTo(2);
        var step = dev.phi4spark.filters.pipeline.StepSpecs.build(Map.of("name", "decontaminate",
                "benchmarks", List.of(Map.of("path", uri, "id_field", "id"))));
        assertThat(step.name()).isEqualTo("decontaminate");
        String missing = dir.resolve("missing.jsonl").toUri().toString();
        assertThatThrownBy(() -> BenchmarkIndex.build(List.of(new BenchmarkSource("gone", missing,
                "question", null, null, null)), 10, List.of()))
                .hasMessageStartingWith("Cannot read benchmark gone: ")
                .hasMessageEndingWith("(" + missing + ")");
    }
}
