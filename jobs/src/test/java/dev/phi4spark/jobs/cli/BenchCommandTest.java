package dev.phi4spark.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code phi4spark bench all} runs end to end and reports every figure, on the tiny model at small
 * sizes. The speeds themselves are measured by running the command (docs/benchmarks.md), not here.
 */
class BenchCommandTest {

    @TempDir
    Path tmp;

    @Test
    void allWritesEveryRatioToTheTerminalAndTheJsonFile() throws Exception {
        Path tiny = tmp.resolve("tiny");
        assertThat(ModelCommandTest.run("model", "make-tiny", "--out", tiny.toString(), "--seed", "4").status()).isZero();
        Path json = tmp.resolve("bench.json");
        ModelCommandTest.Run r = ModelCommandTest.run("bench", "all", "--model", tiny.toString(), "--throughput-model",
                tiny.toString(), "--device", "cpu", "--gemm-size", "64", "--decode-steps", "2", "--prompts", "4",
                "--batch", "2", "--prefix-tokens", "80", "--own-tokens", "4", "--prefix-prompts", "3", "--repeats", "1",
                "--attention-prompts", "2", "--attention-tokens", "64", "--spark-prompts", "0",
                "--json-out", json.toString());
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode f = new ObjectMapper().readTree(Files.readString(json));
        assertThat(f.at("/continuous_batching/continuous_over_static").asDouble()).isPositive();
        assertThat(f.at("/prefix_reuse/reuse_cold_speedup").asDouble()).isPositive();
        assertThat(f.at("/roofline/prefill_roofline_fraction").asDouble()).isPositive();
        assertThat(f.at("/attention/fused_over_plain_prefill").asDouble()).isPositive();
        assertThat(f.at("/attention/fused_over_plain_decode").asDouble()).isPositive();
        assertThat(f.at("/spark_overhead/skipped").asText()).isEqualTo("--spark-prompts 0");
        assertThat(r.out()).contains("== summary").contains("fused / plain attention:")
                .contains("continuous / static batching:").contains("prefix reuse on / off");
    }
}
