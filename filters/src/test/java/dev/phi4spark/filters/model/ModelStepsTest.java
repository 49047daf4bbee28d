package dev.phi4spark.filters.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.filters.SparkTestSession;
import dev.phi4spark.filters.pipeline.FilterPipeline;
import dev.phi4spark.filters.pipeline.PipelineResult;
import dev.phi4spark.udf.engine.ModelOptions;
import dev.phi4spark.udf.engine.Phi4Engine;
import dev.phi4spark.udf.engine.SafetensorsDType;
import dev.phi4spark.udf.engine.TinyModelWriter;
import dev.phi4spark.udf.spark.Phi4Judge;
import dev.phi4spark.udf.spark.Phi4Options;
import dev.phi4spark.udf.spark.Phi4Scorer;
import java.io.IOException;
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

/** The model-based filters on the tiny model: thresholds applied to the scores the engine computes. */
class ModelStepsTest {

    @TempDir
    static Path temp;

    private static Phi4Options options;
    private static Dataset<Row> docs;
    private static final List<String> TEXTS = List.of("Photosynthesis converts light into chemical energy.",
            "The mitochondria is the powerhouse of the cell.", "Rivers carve valleys over long periods.", "");

    @BeforeAll
    static void setUp() throws IOException {
        Path dir = temp.resolve("tiny");
        TinyModelWriter.write(dir, 1, SafetensorsDType.F32);
        options = Phi4Options.of(dir.toString()).withDevice("cpu");
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < TEXTS.size(); i++) {
            rows.add(RowFactory.create("d" + i, TEXTS.get(i)));
        }
        docs = SparkTestSession.get().createDataFrame(rows,
                new StructType().add("id", DataTypes.StringType).add("text", DataTypes.StringType));
    }

    /** Each document's perplexity straight from the engine, the reference for the threshold. */
    private static Map<String, Double> enginePerplexities() {
        Map<String, Double> out = new HashMap<>();
        try (Phi4Engine engine = Phi4Engine.load(Path.of(options.modelPath()))) {
            for (int i = 0; i < TEXTS.size() - 1; i++) {
                out.put("d" + i, engine.score(List.of(engine.requireTokenizer().encode(TEXTS.get(i)))).get(0).perplexity());
            }
        }
        return out;
    }

    @Test
    void perplexityStepRejectsExactlyTheDocumentsAboveTheThreshold() {
        Map<String, Double> ppl = enginePerplexities();
        List<Double> sorted = ppl.values().stream().sorted().toList();
        // Midway between the second and third lowest: keeps the two lowest. A threshold right at a
        // document's perplexity would test float32 rounding (ulp ~1e-4 at ~1,500), not the filter, since
        // the Spark path scores documents batched and the reference scores each alone.
        double threshold = (sorted.get(1) + sorted.get(2)) / 2;
        PipelineResult result = FilterPipeline.builder().textColumn("text").idColumn("id")
                .step(new PerplexityStep(options, threshold)).build().run(docs);
        try {
            Map<String, String> reasons = new HashMap<>();
            result.rejected().collectAsList().forEach(r -> reasons.put(r.getAs("id"), r.getAs("reject_reason")));
            List<String> kept = result.kept().select("id").as(org.apache.spark.sql.Encoders.STRING()).collectAsList();
            for (Map.Entry<String, Double> e : ppl.entrySet()) {
                if (e.getValue() <= threshold) {
                    assertThat(kept).contains(e.getKey());
                } else {
                    assertThat(reasons).containsEntry(e.getKey(), "perplexity_too_high");
                }
            }
            assertThat(reasons).containsEntry("d3", "perplexity_error");
            assertThat(result.funnel().kept()).isEqualTo(2);
        } finally {
            result.unpersist();
        }
    }

    @Test
    void theModelOptionsBatchingIncludedReachTheStepsTransformers() {
        Phi4Options batched = options.with(ModelOptions.MAX_BATCH_TOKENS, 999).with(ModelOptions.MAX_BATCH_ROWS, 3);
        Phi4Judge judge = new JudgeScoreStep(batched, 0).judge("text");
        Phi4Scorer scorer = new PerplexityStep(batched, 10).scorer("text");
        assertThat(judge.getOptions()).isEqualTo(batched);
        assertThat(scorer.getOptions()).isEqualTo(batched);
        assertThat(judge.getOrDefault(judge.param(ModelOptions.MAX_BATCH_ROWS))).isEqualTo(3);
        assertThat(scorer.getOrDefault(scorer.param(ModelOptions.MAX_BATCH_TOKENS))).isEqualTo(999);
        PipelineResult result = FilterPipeline.builder().textColumn("text").idColumn("id")
                .step(new JudgeScoreStep(batched, 0)).build().run(docs);
        try {
            assertThat(result.funnel().kept()).isEqualTo(3); // the same rows as with the default batching
        } finally {
            result.unpersist();
        }
    }

    @Test
    void judgeStepKeepsScoresAtOrAboveTheMinimum() {
        PipelineResult all = FilterPipeline.builder().textColumn("text").idColumn("id")
                .step(new JudgeScoreStep(options, 0)).build().run(docs);
        PipelineResult none = FilterPipeline.builder().textColumn("text").idColumn("id")
                .step(new JudgeScoreStep(options, 5.0)).build().run(docs);
        try {
            assertThat(all.funnel().kept()).isEqualTo(3); // the empty document cannot be judged
            assertThat(all.rejected().select("reject_reason").first().getString(0)).isEqualTo("judge_error");
            for (Row r : all.kept().collectAsList()) {
                assertThat(r.<Double>getAs("judge_score")).isBetween(0.0, 5.0);
            }
            long strictlyFive = all.kept().where("judge_score >= 5.0").count();
            assertThat(none.funnel().kept()).isEqualTo(strictlyFive);
        } finally {
            all.unpersist();
            none.unpersist();
        }
        assertThatThrownBy(() -> new JudgeScoreStep(options, 7))
                .hasMessage("Cannot build judge_score filter: min_score must be in [0, 5] (7.0)");
    }
}
