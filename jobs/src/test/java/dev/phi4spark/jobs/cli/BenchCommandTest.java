package dev.phi4spark.jobs.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code phi4spark bench all} and {@code bench engine} run end to end and report every figure, on the
 * tiny model at small sizes. The speeds themselves are measured by running the command (docs/benchmarks.md), not here.
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
        // the typed figures keep the JSON names and order the maps had
        assertThat(f.fieldNames()).toIterable().containsExactly("machine", "roofline_model", "roofline", "attention",
                "throughput_model", "continuous_batching", "prefix_reuse", "spark_overhead");
        assertThat(f.get("continuous_batching").fieldNames()).toIterable().containsExactly("prompts", "batch_rows",
                "output_tokens_min_max", "generated_tokens", "static_s", "continuous_s", "static_tokens_per_s",
                "continuous_tokens_per_s", "continuous_over_static");
        assertThat(f.get("prefix_reuse").fieldNames()).toIterable().containsExactly("prompts", "shared_prefix_tokens",
                "own_tokens", "prefill_off_s", "prefill_reuse_cold_s", "prefill_reuse_warm_s", "reuse_cold_speedup",
                "reuse_warm_speedup");
        assertThat(f.at("/continuous_batching/batch_rows").asInt()).isEqualTo(2);
        assertThat(f.at("/prefix_reuse/shared_prefix_tokens").asInt()).isEqualTo(80);
        assertThat(f.at("/machine/cores").asInt()).isPositive();
        assertThat(f.at("/machine/max_heap_mb").asLong()).isPositive();
        assertThat(r.out()).contains("== summary").contains("fused / plain attention:")
                .contains("continuous / static batching:").contains("prefix reuse on / off");
    }

    @Test
    void engineReportsBandwidthFractionsAndOpsPerDecodeStep() throws Exception {
        Path tiny = tmp.resolve("tiny");
        assertThat(ModelCommandTest.run("model", "make-tiny", "--out", tiny.toString(), "--seed", "4").status()).isZero();
        Path json = tmp.resolve("engine.json");
        ModelCommandTest.Run r = ModelCommandTest.run("bench", "engine", "--model", tiny.toString(), "--device", "cpu",
                "--gemm-size", "64", "--decode-steps", "2", "--json-out", json.toString());
        assertThat(r.status()).as(r.err()).isZero();
        JsonNode f = new ObjectMapper().readTree(Files.readString(json));
        assertThat(f.get("attention").asText()).isEqualTo("layers");
        assertThat(f.get("read_bandwidth_gb_per_s").asDouble()).isPositive();
        assertThat(f.get("decode_b1_bandwidth_fraction").asDouble()).isPositive();
        assertThat(f.get("decode_b8_bandwidth_fraction").asDouble()).isPositive();
        assertThat(f.get("prefill_1x256_tokens_per_s").asDouble()).isPositive();
        assertThat(f.get("layout_b8_contiguous_ms").asDouble()).isPositive();
        // The layers in one TorchScript call: the tiny model's two layers add no op of their own.
        assertThat(f.get("ops_per_decode_step").asInt()).isBetween(1, 36);
        assertThat(f.at("/ops_per_decode_step_by_name/forward").asInt()).isEqualTo(1);
        assertThat(r.out()).contains("libtorch ops per decode step (layers, profiler, top-level)");
    }
}
