package dev.phi4spark.filters.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.filters.DidYouMean;
import dev.phi4spark.filters.dedup.MinHashDedup;
import dev.phi4spark.filters.model.JudgeScoreStep;
import dev.phi4spark.filters.model.PerplexityStep;
import dev.phi4spark.udf.spark.Phi4Options;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The step registry: one declaration per step drives parsing, errors, checks without a model, and docs. */
class StepSpecsTest {

    private static final String WHY = "Cannot build filter pipeline: ";

    @Test
    void theReadmeCarriesTheRegistryTable() throws IOException {
        String readme = Files.readString(Path.of("README.md"));
        String start = "<!-- steps table: StepSpecs.markdownTable() -->\n";
        String table = readme.substring(readme.indexOf(start) + start.length(),
                readme.indexOf("<!-- end of steps table -->"));
        assertThat(table).isEqualTo(StepSpecs.markdownTable());
        for (String name : StepSpecs.names()) {
            assertThat(table).contains("| `" + name + "` |");
        }
        // the main README's list of filter.steps names every registered step
        String main = Files.readString(Path.of("../README.md"));
        String list = main.substring(main.indexOf("Filter steps\n(`filter.steps`)"), main.indexOf("## Tables"));
        for (String name : StepSpecs.names()) {
            assertThat(list).as(name).contains("`" + name + "`");
        }
    }

    @Test
    void modelStepsAreRegisteredAndCheckedWithoutAModel() {
        assertThat(StepSpecs.names()).contains("judge_score", "perplexity");
        assertThat(StepSpecs.needsModel(Map.of("name", "judge_score"))).isTrue();
        assertThat(StepSpecs.needsModel(Map.of("name", "pii"))).isFalse();
        assertThatCode(() -> StepSpecs.check(Map.of("name", "judge_score", "min_score", 4))).doesNotThrowAnyException();
        assertThatCode(() -> StepSpecs.check(Map.of("name", "perplexity"))).doesNotThrowAnyException();

        assertThatThrownBy(() -> StepSpecs.check(Map.of("name", "judge_score", "min_scor", 3)))
                .hasMessage(WHY + "unknown parameter 'min_scor' for filter 'judge_score' (did you mean 'min_score'?)");
        assertThatThrownBy(() -> StepSpecs.check(Map.of("name", "judge_score", "min_score", 7)))
                .hasMessage(WHY + "parameter 'min_score' of filter 'judge_score' must be a number in [0, 5] (7)");
        assertThatThrownBy(() -> StepSpecs.check(Map.of("name", "perplexity", "max_perplexity", 1)))
                .hasMessage(WHY + "parameter 'max_perplexity' of filter 'perplexity' must be a number > 1 (1)");
        assertThatThrownBy(() -> StepSpecs.check(Map.of("name", "perplexity", "max_perplexity", "high")))
                .hasMessage(WHY + "parameter 'max_perplexity' of filter 'perplexity' must be a number (high)");
        assertThatThrownBy(() -> StepSpecs.check(Map.of("name", "judge")))
                .hasMessage(WHY + "unknown filter 'judge' (known: pii, exact_dedup, near_dedup, gopher_quality,"
                        + " gopher_repetition, c4_quality, c4_lines, fineweb_quality, language, token_length,"
                        + " decontaminate, judge_score, perplexity)");
    }

    @Test
    void modelStepsAreBuiltWithTheGivenModelAndRefusedWithoutOne() {
        Phi4Options model = Phi4Options.of("/models/phi-4");
        assertThat(StepSpecs.build(Map.of("name", "judge_score"), model)).isInstanceOf(JudgeScoreStep.class)
                .extracting(PipelineStep::name).isEqualTo("judge_score");
        assertThat(StepSpecs.build(Map.of("name", "perplexity", "max_perplexity", 50), model))
                .isInstanceOf(PerplexityStep.class);
        assertThatThrownBy(() -> StepSpecs.build(Map.of("name", "perplexity")))
                .hasMessage(WHY + "filter 'perplexity' runs the model and no model was given (build it with"
                        + " FilterPipeline.Builder.spec(spec, options))");
    }

    @Test
    void benchmarkEntriesAreCheckedFieldByField() {
        Map<String, Object> misnamed = Map.of("name", "decontaminate",
                "benchmarks", List.of(Map.of("path", "conf/benchmarks/sample-math.jsonl", "question", "q")));
        assertThatThrownBy(() -> StepSpecs.check(misnamed))
                .hasMessage(WHY + "unknown parameter 'question' for benchmarks[0] of filter 'decontaminate' (did you"
                        + " mean 'question_field'?)");
        Map<String, Object> pathless = Map.of("name", "decontaminate",
                "benchmarks", List.of(Map.of("question_field", "q")));
        assertThatThrownBy(() -> StepSpecs.check(pathless))
                .hasMessage(WHY + "benchmarks[0] of filter 'decontaminate' has no 'path' ({question_field=q})");
        assertThatThrownBy(() -> StepSpecs.check(Map.of("name", "decontaminate")))
                .hasMessage(WHY + "filter 'decontaminate' has no 'benchmarks' ({})");
        assertThatThrownBy(() -> StepSpecs.check(Map.of("name", "decontaminate", "benchmarks", List.of())))
                .hasMessage(WHY + "filter 'decontaminate' needs at least one benchmark (benchmarks)");
    }

    @Test
    void nearDedupSettingsAreThoseOfTheStep() {
        StepSpecs.MinHashSettings defaults = StepSpecs.nearDedup(Map.of("name", "near_dedup"));
        int[] derived = MinHashDedup.bandsAndRows(0.7, 100);
        assertThat(defaults).isEqualTo(new StepSpecs.MinHashSettings(5, derived[0], derived[1], 0.7, 42));
        assertThat(defaults.bands() * defaults.rows()).isEqualTo(90); // 18 x 5, filters/README.md
        assertThat(StepSpecs.nearDedup(Map.of("name", "near_dedup", "bands", 20, "rows", 5, "threshold", 0.8)))
                .isEqualTo(new StepSpecs.MinHashSettings(5, 20, 5, 0.8, 42));
        assertThatThrownBy(() -> StepSpecs.nearDedup(Map.of("name", "near_dedup", "verify_threshold", 0.8)))
                .hasMessage(WHY + "unknown parameter 'verify_threshold' for filter 'near_dedup' (did you mean"
                        + " 'threshold'?)");
        assertThatThrownBy(() -> StepSpecs.check(Map.of("name", "near_dedup", "threshold", 1)))
                .hasMessage(WHY + "filter 'near_dedup' derives bands and rows from its threshold, which must then be"
                        + " between 0 and 1, exclusive (1.0)");
        assertThatThrownBy(() -> StepSpecs.check(Map.of("name", "near_dedup", "bands", 4)))
                .hasMessage(WHY + "filter 'near_dedup' needs both bands and rows, or neither to derive them from the"
                        + " threshold (4, 0)");
    }

    @Test
    void everyDefaultPassesItsOwnCheck() {
        for (String name : StepSpecs.names()) {
            Map<String, Object> spec = name.equals("decontaminate")
                    ? Map.of("name", name, "benchmarks", List.of(Map.of("path", "b.jsonl"))) : Map.of("name", name);
            assertThatCode(() -> StepSpecs.check(spec)).as(name).doesNotThrowAnyException();
        }
    }

    @Test
    void oneDidYouMeanRule() {
        assertThat(DidYouMean.nearest("gopher_qualty", StepSpecs.names())).isEqualTo("gopher_quality");
        assertThat(DidYouMean.nearest("min_words", List.of("min_doc_words", "max_doc_words"))).isEqualTo("min_doc_words");
        assertThat(DidYouMean.nearest("zzz", List.of("warehouse", "database"))).isNull();
        assertThat(DidYouMean.hint("mask", List.of("kinds", "phone_regions"))).isEqualTo("known: kinds, phone_regions");
        assertThat(DidYouMean.editDistance("kitten", "sitting")).isEqualTo(3);
    }
}
