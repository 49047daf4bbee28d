package dev.phi4spark.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.phi4spark.jobs.TempFolders;
import dev.phi4spark.udf.engine.ModelOption;
import dev.phi4spark.udf.engine.ModelOptions;
import dev.phi4spark.udf.engine.SamplingField;
import dev.phi4spark.udf.engine.SamplingParams;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code phi4spark model ...} as a user runs it: exit codes, JSON, and one-line errors. */
class ModelCommandTest {

    private static Path tiny;

    /** The output, error text and exit status of one command line. */
    record Run(int status, String out, String err) {
        JsonNode json() throws Exception {
            return new ObjectMapper().readTree(out);
        }
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = Phi4SparkCommand.run(new PrintWriter(out, true), new PrintWriter(err, true), args);
        return new Run(status, out.toString(), err.toString());
    }

    @BeforeAll
    static void makeTiny() throws Exception {
        tiny = TempFolders.create("phi4spark-cli").resolve("tiny");
        Run r = run("model", "make-tiny", "--out", tiny.toString(), "--seed", "3");
        assertThat(r.status()).isZero();
        assertThat(r.out()).startsWith("Wrote a tiny random Phi-3 model");
    }

    @Test
    void infoDescribesTheSnapshot() throws Exception {
        Run r = run("model", "info", "--model", tiny.toString(), "--json");
        assertThat(r.status()).isZero();
        JsonNode info = r.json();
        assertThat(info.get("architecture").asText()).isEqualTo("Phi3ForCausalLM");
        assertThat(info.get("layers").asInt()).isEqualTo(2);
        assertThat(info.get("key_value_heads").asInt()).isEqualTo(2);
        assertThat(info.get("parameters").asLong()).isPositive();
        assertThat(info.get("checkpoint_dtypes").asText()).isEqualTo("F32");
        assertThat(info.get("tokenizer").asBoolean()).isTrue();
    }

    @Test
    void logitsPrintTheLastOrEveryPosition() throws Exception {
        JsonNode last = run("model", "logits", "--model", tiny.toString(), "--token-ids", "5,17,42", "--json",
                "--device", "cpu").json().get("logits");
        JsonNode all = run("model", "logits", "--model", tiny.toString(), "--token-ids", "5,17,42", "--all-positions",
                "--json", "--device", "cpu").json().get("logits");
        assertThat(last.size()).isEqualTo(1);
        assertThat(all.size()).isEqualTo(3);
        assertThat(last.get(0).size()).isEqualTo(512);
        for (int i = 0; i < 512; i++) {
            assertThat(last.get(0).get(i).asDouble()).isCloseTo(all.get(2).get(i).asDouble(),
                    org.assertj.core.api.Assertions.within(1e-5));
        }
    }

    @Test
    void fusedAndPlainAttentionGiveTheSameLogits() throws Exception {
        JsonNode plain = run("model", "logits", "--model", tiny.toString(), "--token-ids", "5,17,42,9,3", "--json",
                "--device", "cpu", "--attention", "plain").json().get("logits").get(0);
        JsonNode fused = run("model", "logits", "--model", tiny.toString(), "--token-ids", "5,17,42,9,3", "--json",
                "--device", "cpu", "--attention", "fused").json().get("logits").get(0);
        for (int i = 0; i < plain.size(); i++) {
            assertThat(fused.get(i).asDouble()).isCloseTo(plain.get(i).asDouble(),
                    org.assertj.core.api.Assertions.within(1e-4));
        }
        Run bad = run("model", "logits", "--model", tiny.toString(), "--token-ids", "5", "--attention", "flash");
        assertThat(bad.status()).isNotZero();
        assertThat(bad.err().strip()).isEqualTo("phi4spark: Cannot use attention: expected auto, native, layers, fused or plain (flash).");
    }

    @Test
    void generatePrintsIdsTextAndFinishReason() throws Exception {
        Run r = run("model", "generate", "--model", tiny.toString(), "--prompt", "Explain photosynthesis.",
                "--max-new-tokens", "7", "--temperature", "0.8", "--seed", "5", "--json", "--device", "cpu");
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode j = r.json();
        assertThat(j.get("new_token_ids").size()).isBetween(1, 7);
        assertThat(j.get("finish_reason").asText()).isIn("stop", "length");
        assertThat(j.has("text")).isTrue();
        Run again = run("model", "generate", "--model", tiny.toString(), "--prompt", "Explain photosynthesis.",
                "--max-new-tokens", "7", "--temperature", "0.8", "--seed", "5", "--json", "--device", "cpu");
        assertThat(again.out()).isEqualTo(r.out());
        Run ids = run("model", "generate", "--model", tiny.toString(), "--token-ids", "5,17,42",
                "--max-new-tokens", "4", "--json", "--device", "cpu");
        assertThat(ids.json().get("new_token_ids").size()).isBetween(1, 4);
        Run greedy = run("model", "generate", "--model", tiny.toString(), "--token-ids", "5,17,42",
                "--max-new-tokens", "6", "--temperature", "0", "--top-k", "3", "--top-p", "0.5",
                "--repetition-penalty", "1.2", "--stop", "zz", "--stop", "yy", "--json", "--device", "cpu");
        assertThat(greedy.status()).as(greedy.err()).isZero();
        assertThat(greedy.json().get("new_token_ids").size()).isBetween(1, 6);
    }

    @Test
    void theEngineOptionsAndSamplingDefaultsComeFromTheirTables() {
        for (String command : List.of("logits", "generate")) {
            Run help = run("model", command, "--help");
            assertThat(help.status()).isZero();
            for (ModelOption<?> o : ModelOptions.of(ModelOption.Scope.ENGINE)) {
                assertThat(help.out()).as(command + " " + o.cliName()).contains(o.cliName())
                        .contains("Default: " + o.defaultValue() + ".");
            }
        }
        String generate = run("model", "generate", "--help").out().replaceAll("\\s+", " ");
        for (SamplingField<?> f : SamplingParams.FIELDS) {
            String option = f.cliName();
            String shown = f.type() == List.class ? " Repeatable." : " Default: " + f.defaultValue() + ".";
            assertThat(generate).as(option).contains(option).contains(f.doc() + shown);
        }
        Run threads = run("model", "logits", "--model", tiny.toString(), "--token-ids", "5", "--threads", "2000");
        assertThat(threads.status()).isEqualTo(1);
        assertThat(threads.err().strip()).isEqualTo("phi4spark: Cannot use threads: it must be from 0 to 1024 (2000).");
    }

    @Test
    void userMistakesPrintOneLineAndExitNonZero() {
        Run missing = run("model", "info", "--model", "/no/such/model");
        assertThat(missing.status()).isEqualTo(1);
        assertThat(missing.err().strip()).isEqualTo(
                "phi4spark: Cannot load model: config.json is missing (/no/such/model/config.json)");
        Run badIds = run("model", "logits", "--model", tiny.toString(), "--token-ids", "5,x");
        assertThat(badIds.status()).isEqualTo(1);
        assertThat(badIds.err().strip()).isEqualTo("phi4spark: Cannot read --token-ids: 'x' is not an integer (5,x)");
        Run both = run("model", "generate", "--model", tiny.toString(), "--prompt", "a", "--token-ids", "1");
        assertThat(both.status()).isEqualTo(2);
        assertThat(both.err()).contains("mutually exclusive");
        Run negative = run("model", "generate", "--model", tiny.toString(), "--prompt", "hi", "--max-new-tokens", "-1");
        assertThat(negative.status()).isEqualTo(1);
        assertThat(negative.err().strip()).isEqualTo(
                "phi4spark: Cannot use sampling parameters: max_new_tokens must be >= 0 (-1)");
        Run topP = run("model", "generate", "--model", tiny.toString(), "--prompt", "hi", "--top-p", "1.5");
        assertThat(topP.status()).isEqualTo(1);
        assertThat(topP.err().strip()).isEqualTo("phi4spark: Cannot use sampling parameters: top_p must be in (0, 1] (1.5)");
        Run emptyStop = run("model", "generate", "--model", tiny.toString(), "--prompt", "hi", "--stop", "");
        assertThat(emptyStop.status()).isEqualTo(1);
        assertThat(emptyStop.err().strip()).isEqualTo(
                "phi4spark: Cannot use sampling parameters: stop strings must not be empty ()");
        Run noGpu = run("model", "logits", "--model", tiny.toString(), "--token-ids", "1", "--device", "gpu");
        assertThat(noGpu.status()).isEqualTo(1);
        assertThat(noGpu.err().strip()).startsWith("phi4spark: Cannot use device 'gpu': libtorch sees 0 CUDA GPU(s)");
    }
}
