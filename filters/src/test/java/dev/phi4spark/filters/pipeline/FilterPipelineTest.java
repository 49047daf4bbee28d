package dev.phi4spark.filters.pipeline;

import static org.apache.spark.sql.functions.col;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.filters.SparkTestSession;
import dev.phi4spark.filters.TestTexts;
import dev.phi4spark.filters.decontam.BenchmarkIndex;
import dev.phi4spark.filters.decontam.BenchmarkSource;
import dev.phi4spark.filters.dedup.MinHashDedup;
import dev.phi4spark.filters.heuristic.C4LineCleaner;
import dev.phi4spark.filters.heuristic.C4QualityFilter;
import dev.phi4spark.filters.heuristic.GopherQualityFilter;
import dev.phi4spark.filters.pii.PiiRedactor;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FilterPipelineTest {
    private static final String ITEM = "Which ancient trade route connected the markets of the"
            + " eastern provinces with the harbours of the western coast during the bronze age?";

    @TempDir static Path dir;
    private static Path benchmark;
    private static Dataset<Row> corpus;

    /** Six C4-friendly sentences of random made-up words around English stop words. */
    private static String proseDoc(Random random) {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            lines.add("The " + w(random) + " of the " + w(random) + " and " + w(random) + " "
                    + w(random) + " " + w(random) + " with the " + w(random) + " " + w(random) + " to "
                    + w(random) + ".");
        }
        return String.join("\n", lines);
    }

    private static String w(Random random) {
        return TestTexts.word(random.nextInt(5000));
    }

    @BeforeAll
    static void setUp() throws IOException {
        benchmark = dir.resolve("history.jsonl");
        Files.writeString(benchmark, "{\"question\": \"" + ITEM + "\", \"answer\": \"amber road\"}\n");
        Random random = new Random(7);
        Map<Long, String> texts = new HashMap<>();
        for (long id = 0; id < 100; id++) {
            String doc = proseDoc(random);
            texts.put(id, id < 10 ? doc + "\nWrite to clerk" + id + "@archive.example.org for a copy." : doc);
        }
        for (long id = 100; id < 110; id++) {
            texts.put(id, "Too short.");
        }
        for (long id = 200; id < 210; id++) {
            // Same words, different case, punctuation and spacing.
            texts.put(id, texts.get(id - 190).replace("The ", "the ").replace(".", "!").replace(" ", "  "));
        }
        for (long id = 300; id < 310; id++) {
            String base = texts.get(id - 280);
            int cut = base.indexOf(' ', base.length() / 2);
            texts.put(id, base.substring(0, cut) + " zzyzx" + base.substring(cut));
        }
        texts.put(400L, proseDoc(random) + "\n" + ITEM);
        List<Row> rows = new ArrayList<>();
        texts.forEach((id, text) -> rows.add(RowFactory.create(id, text)));
        StructType schema = new StructType().add("id", DataTypes.LongType).add("text", DataTypes.StringType);
        corpus = SparkTestSession.get().createDataFrame(rows, schema).repartition(3);
    }

    private static Map<String, Long> countsBy(Dataset<Row> df, String column) {
        Map<String, Long> out = new HashMap<>();
        for (Row r : df.groupBy(column).count().collectAsList()) {
            out.put(r.getString(0), r.getLong(1));
        }
        return out;
    }

    @Test
    void runsStepsInOrderAndTheFunnelAddsUp() {
        BenchmarkIndex index = BenchmarkIndex.build(
                List.of(BenchmarkSource.of("history", benchmark)), 10, List.of());
        PipelineResult result = FilterPipeline.builder()
                .textColumn("text").idColumn("id")
                .clean(new PiiRedactor())
                .clean(new C4LineCleaner())
                .filter(new C4QualityFilter())
                .filter(new GopherQualityFilter())
                .exactDedup()
                .nearDedup(MinHashDedup.defaults())
                .decontaminate(index)
                .build()
                .run(corpus);
        try {
            Funnel funnel = result.funnel();
            assertThat(funnel.input()).isEqualTo(131);
            assertThat(funnel.steps()).extracting(Funnel.StepCount::step).containsExactly(
                    "pii", "c4_lines", "c4_quality", "gopher_quality", "exact_dedup", "near_dedup",
                    "decontaminate");
            assertThat(funnel.steps()).extracting(Funnel.StepCount::removed)
                    .containsExactly(0L, 0L, 10L, 0L, 10L, 10L, 1L);
            assertThat(funnel.steps().get(0).edits()).isEqualTo(Map.of("EMAIL", 10L));
            assertThat(funnel.steps().get(2).edits()).isEmpty();
            assertThat(funnel.kept() + funnel.removed()).isEqualTo(funnel.input());
            assertThat(result.kept().count()).isEqualTo(funnel.kept()).isEqualTo(100);
            assertThat(result.rejected().count()).isEqualTo(funnel.removed());

            assertThat(countsBy(result.rejected(), FilterPipeline.REJECT_REASON)).isEqualTo(Map.of(
                    "c4_too_few_sentences", 10L, "exact_dedup_duplicate", 10L,
                    "near_dedup_duplicate", 10L, "decontam_contaminated", 1L));
            assertThat(countsBy(result.rejected(), FilterPipeline.REJECT_STEP)).containsEntry("near_dedup", 10L);
            // Duplicates lose to the smaller original ids, whatever order the rows came in.
            assertThat(result.rejected().filter(col("reject_step").equalTo("exact_dedup"))
                    .filter(col("id").lt(200)).count()).isZero();
            Row contaminated = result.rejected().filter(col("id").equalTo(400)).first();
            assertThat(contaminated.<String>getAs("decontam_benchmark")).isEqualTo("history");
            assertThat(contaminated.<String>getAs("decontam_item")).isEqualTo("1");

            Row withEmail = result.kept().filter(col("id").equalTo(3)).first();
            assertThat(withEmail.<String>getAs("text")).contains("Write to <EMAIL> for a copy.");
            assertThat(withEmail.<scala.collection.Map<String, Integer>>getAs("pii_counts").get("EMAIL").get())
                    .isEqualTo(1);
            assertThat(result.kept().columns()).doesNotContain(FilterPipeline.REJECT_REASON);
        } finally {
            result.unpersist();
        }
    }

    @Test
    void specBuildsTheSamePipelineAsTheBuilder() {
        List<Map<String, Object>> spec = List.of(
                Map.of("name", "c4_lines"),
                Map.of("name", "c4_quality", "min_num_sentences", 5),
                Map.of("name", "gopher_repetition", "top_n_grams", Map.of("2", 0.2, 3, 0.18)),
                Map.of("name", "fineweb_quality", "line_punct_thr", 0.12),
                Map.of("name", "exact_dedup"),
                Map.of("name", "decontaminate", "benchmarks",
                        List.of(Map.of("name", "history", "path", benchmark.toString())),
                        "contaminated_at", 0.5, "reject_partial", true));
        PipelineResult result = FilterPipeline.fromSpec(spec).run(corpus);
        try {
            assertThat(result.funnel().steps()).extracting(Funnel.StepCount::step).containsExactly(
                    "c4_lines", "c4_quality", "gopher_repetition", "fineweb_quality", "exact_dedup",
                    "decontaminate");
            assertThat(result.funnel().steps()).extracting(Funnel.StepCount::removed)
                    .containsExactly(0L, 10L, 0L, 0L, 10L, 1L);
            assertThat(result.funnel().kept()).isEqualTo(110);
        } finally {
            result.unpersist();
        }
    }

    @Test
    void emptyPipelineKeepsEverything() {
        PipelineResult result = FilterPipeline.builder().build().run(corpus);
        assertThat(result.funnel().input()).isEqualTo(131);
        assertThat(result.funnel().kept()).isEqualTo(131);
        assertThat(result.rejected().count()).isZero();
    }

    @Test
    void explainsSpecMistakes() {
        assertThatThrownBy(() -> FilterPipeline.fromSpec(List.of(Map.of("name", "gopher_qualty"))))
                .hasMessage("Cannot build filter pipeline: unknown filter 'gopher_qualty'"
                        + " (did you mean 'gopher_quality'?)");
        assertThatThrownBy(() -> FilterPipeline.fromSpec(
                List.of(Map.of("name", "gopher_quality", "min_words", 10))))
                .hasMessage("Cannot build filter pipeline: unknown parameter 'min_words' for filter"
                        + " 'gopher_quality' (did you mean 'min_doc_words'?)");
        assertThatThrownBy(() -> FilterPipeline.fromSpec(
                List.of(Map.of("name", "near_dedup", "bands", "twenty"))))
                .hasMessage("Cannot build filter pipeline: parameter 'bands' of filter 'near_dedup' must"
                        + " be an integer (twenty)");
        assertThatThrownBy(() -> FilterPipeline.fromSpec(List.of(Map.of("name", "pii", "mask", true))))
                .hasMessage("Cannot build filter pipeline: unknown parameter 'mask' for filter 'pii'"
                        + " (known: kinds, phone_regions)");
        assertThatThrownBy(() -> FilterPipeline.fromSpec(List.of(Map.of("name", "language",
                "allowed", List.of("klingon")))))
                .hasMessage("Cannot build filter pipeline: parameter 'allowed' of filter 'language' must"
                        + " be a list of Lingua language names (klingon)");
    }

    @Test
    void explainsMissingColumns() {
        FilterPipeline dedup = FilterPipeline.builder().idColumn("doc_id").exactDedup().build();
        assertThatThrownBy(() -> dedup.run(corpus))
                .hasMessage("Cannot run filter pipeline: dedup steps need an id column, which the input"
                        + " lacks (doc_id)");
        FilterPipeline body = FilterPipeline.builder().textColumn("body").build();
        assertThatThrownBy(() -> body.run(corpus))
                .hasMessage("Cannot run filter pipeline: the input has no text column (body)");
    }
}
