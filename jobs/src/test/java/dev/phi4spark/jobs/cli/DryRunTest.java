package dev.phi4spark.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.jobs.FilterJob;
import dev.phi4spark.jobs.ScoreJob;
import dev.phi4spark.jobs.config.JobConfig;
import dev.phi4spark.udf.spark.Phi4Options;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Issue 15: {@code --dry-run} catches every configuration error the real run would, with the same message:
 * for each job a config the real run refuses is refused by {@code --dry-run} in the same line, and the
 * builders the run itself uses (the filter pipeline, the score decontamination step) throw that message too.
 */
class DryRunTest {

    private static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();
    private static final String MATH = ROOT.resolve("conf/benchmarks/sample-math.jsonl").toString();
    private static final String CORPUS = ROOT.resolve("conf/benchmarks/sample-science.jsonl").toString();
    private static final String NL = System.lineSeparator();

    @TempDir
    static Path tmp;

    /** {@code command [--dry-run] --set ...} with this test's warehouse and tiny-model folder. */
    private static ModelCommandTest.Run run(String command, boolean dryRun, List<String> sets) {
        List<String> args = new ArrayList<>(List.of(command));
        if (dryRun) {
            args.add("--dry-run");
        }
        for (String set : sets) {
            args.addAll(List.of("--set", set));
        }
        args.addAll(List.of("--set", "warehouse=" + tmp.resolve("wh"), "--set", "model.tiny_path=" + tmp.resolve("tiny"),
                "--set", "spark.conf={spark.ui.enabled: false}", "--set", "progress_seconds=0"));
        return ModelCommandTest.run(args.toArray(new String[0]));
    }

    /** Both runs fail with exactly {@code message}, on one line. */
    private static void bothRefuse(String command, List<String> sets, String message) {
        ModelCommandTest.Run dry = run(command, true, sets);
        ModelCommandTest.Run real = run(command, false, sets);
        assertThat(dry.status()).as("%s", dry).isEqualTo(1);
        assertThat(dry.err()).as("%s", dry).isEqualTo("phi4spark: " + message + NL);
        assertThat(real.status()).as("%s", real).isEqualTo(1);
        assertThat(real.err()).as("%s", real).isEqualTo(dry.err());
    }

    private static JobConfig config(List<String> sets) {
        return JobConfig.load(null, sets);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
        "filter|filter.steps=[{name: judge_score, min_scor: 3}]|unknown parameter 'min_scor' for filter 'judge_score'"
                + " (did you mean 'min_score'?)",
        "filter|filter.steps=[{name: perplexity, max_perplexity: 0.5}]|parameter 'max_perplexity' of filter"
                + " 'perplexity' must be a number > 1 (0.5)",
        "filter|filter.steps=[{name: near_dedup, verify_threshold: 0.8}]|unknown parameter 'verify_threshold' for"
                + " filter 'near_dedup' (did you mean 'threshold'?)",
        "filter|filter.steps=[{name: minhash_dedup, threshold: 0.8}]|unknown filter 'minhash_dedup' (did you mean"
                + " 'near_dedup'?)",
        "pipeline|filter.steps=[{name: pii}, {name: judge_score, min_score: 7}]|parameter 'min_score' of filter"
                + " 'judge_score' must be a number in [0, 5] (7)",
    })
    void filterStepMistakesAreRefusedAsTheRunRefusesThem(String command, String steps, String why) {
        String message = "Cannot build filter pipeline: " + why;
        bothRefuse(command, List.of(steps), message);
        // what the run builds once the input is read, with the run's model
        assertThatThrownBy(() -> FilterJob.pipeline(config(List.of(steps)), Phi4Options.of(tmp.toString())))
                .hasMessage(message);
    }

    @Test
    void aMisnamedBenchmarkFieldIsRefusedBeforeTheCorpusIsRead() {
        List<String> sets = List.of("score.input=" + CORPUS, "score.benchmarks=[{path: " + MATH + ", question: question}]");
        String message = "Cannot build filter pipeline: unknown parameter 'question' for benchmarks[0] of filter"
                + " 'decontaminate' (did you mean 'question_field'?)";
        bothRefuse("score", sets, message);
        bothRefuse("pipeline", sets, message);
        bothRefuse("export", sets, message); // the dataset card names the benchmarks
        assertThatThrownBy(() -> ScoreJob.decontaminationStep(config(sets))).hasMessage(message);
    }

    @Test
    void aQuestionFieldTheBenchmarkLacksIsRefusedBeforeTheCorpusIsRead() {
        List<String> sets = List.of("score.input=" + CORPUS, "score.benchmarks=[{path: " + MATH + ", question_field: prompt}]");
        Throwable thrown = org.assertj.core.api.Assertions.catchThrowable(() -> ScoreJob.decontaminationStep(config(sets)));
        assertThat(thrown).hasMessageStartingWith("Cannot read benchmark sample-math");
        bothRefuse("score", sets, thrown.getMessage());
    }

    @Test
    void aRecipeParameterMistakeIsRefusedAsTheRunRefusesIt() {
        bothRefuse("generate", List.of("generate.recipes=[{recipe: textbook_section, count: 1, params: {wordz: 5}}]"),
                "Cannot configure recipe 'textbook_section': unknown parameter 'wordz' (known: words)");
    }

    private static final String QUESTIONS = ROOT.resolve("jobs/src/test/resources/seeds/questions.jsonl").toString();

    private static String recipe(String recipe, String source) {
        return "generate.recipes=[{recipe: " + recipe + ", count: 1, source: " + source + "}]";
    }

    @Test
    void aMissingSourcePathIsRefusedAsTheRunRefusesIt() {
        String missing = tmp.resolve("no-such-seeds.jsonl").toString();
        String message = "Cannot read the source of recipe 'seed_rewrite': no such file or folder (" + missing + ")";
        bothRefuse("generate", List.of(recipe("seed_rewrite", "{path: \"" + missing + "\"}")), message);
        bothRefuse("pipeline", List.of(recipe("seed_rewrite", "{path: \"" + missing + "\"}")), message);
        // one of several comma-separated paths
        bothRefuse("generate", List.of(recipe("seed_rewrite", "{path: \"" + QUESTIONS + ", " + missing
                + "\", text_column: question}")), message);
    }

    @Test
    void aTextColumnTheSourceLacksIsRefusedWithTheColumnsItHas() {
        bothRefuse("generate", List.of(recipe("seed_rewrite", "{path: \"" + QUESTIONS + "\"}")),
                "Cannot read the source of recipe 'seed_rewrite': " + QUESTIONS + " has no text_column 'text'"
                        + " (columns: answer, id, level, question)");
        bothRefuse("pipeline", List.of(recipe("preference_pairs", "{path: \"" + QUESTIONS + "\", text_column: question,"
                        + " answer_column: solution}")),
                "Cannot read the source of recipe 'preference_pairs': " + QUESTIONS + " has no answer_column 'solution'"
                        + " (columns: answer, id, level, question)");
    }

    @Test
    void aSourceWithTheNamedColumnsPasses() {
        ModelCommandTest.Run dry = run("generate", true, List.of(recipe("preference_pairs", "{path: \"" + QUESTIONS
                + "\", text_column: question, id_column: id, answer_column: answer}")));
        assertThat(dry.status()).as("%s", dry).isZero();
        assertThat(dry.out()).contains("the configuration is valid");
        // "level" is only on the last line: the keys of every line count, as in Spark's inferred schema
        ModelCommandTest.Run text = run("generate", true, List.of(recipe("seed_rewrite", "{path: \"" + QUESTIONS
                + "\", format: text}")));
        assertThat(text.status()).as("%s", text).isZero();
        ModelCommandTest.Run later = run("generate", true, List.of(recipe("seed_rewrite", "{path: \"" + QUESTIONS
                + "\", text_column: level}")));
        assertThat(later.status()).as("%s", later).isZero();
    }

    @ParameterizedTest
    @CsvSource({
        "hdfs:///data/seeds/questions.jsonl", // no host, and no fs.defaultFS to take it from
        "hdfs://127.0.0.1:1/data/seeds/questions.jsonl", // nothing listens
        "gs://no-bucket/seeds/questions.jsonl", // no file system for the scheme on the class path
    })
    void anUnreachableSourceIsRefusedInOneSentenceWithoutWaiting(String uri) {
        long started = System.nanoTime();
        ModelCommandTest.Run dry = run("generate", true, List.of(recipe("seed_rewrite", "{path: \"" + uri + "\"}")));
        assertThat(dry.status()).as("%s", dry).isEqualTo(1);
        assertThat(dry.err()).as("%s", dry).startsWith("phi4spark: Cannot read the source of recipe 'seed_rewrite': ")
                .endsWith("; check the path and that the file system is reachable (" + uri + ")" + NL)
                .hasLineCount(1);
        assertThat((System.nanoTime() - started) / 1e9).as("seconds").isLessThan(30);
        bothRefuse("generate", List.of(recipe("seed_rewrite", "{path: \"" + uri + "\"}")),
                dry.err().substring("phi4spark: ".length(), dry.err().length() - NL.length()));
    }

    @Test
    void anExportThresholdMistakeIsRefusedAsTheRunRefusesIt() {
        bothRefuse("export", List.of("export.max_perplexity=-1"),
                "Cannot read configuration: export.max_perplexity must be a finite number > 0 and <= 1000000000 (got"
                        + " -1 from --set)");
    }

    @Test
    void modelStepsArePlannedWithoutLoadingAModel() {
        ModelCommandTest.Run dry = run("filter", true, List.of("filter.steps=[{name: pii}, {name: exact_dedup},"
                + " {name: judge_score, min_score: 3}, {name: perplexity, max_perplexity: 200}]"));
        assertThat(dry.status()).as("%s", dry).isZero();
        assertThat(dry.out()).contains("    step pii" + NL + "    step exact_dedup" + NL
                + "    step dedup_earlier_runs (against synthetic_curated)" + NL + "    step judge_score" + NL
                + "    step perplexity" + NL);
        assertThat(tmp.resolve("tiny")).doesNotExist();
    }
}
