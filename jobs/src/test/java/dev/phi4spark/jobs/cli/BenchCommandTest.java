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

    /** {@code bench engine}'s JSON fields, in order, as docs/benchmarks.md and earlier runs have them. */
    private static final String[] ENGINE_FIELDS = {"device", "dtype", "parameters", "gemm_size", "gemm_gflops",
        "attention", "native_prefetch", "read_bandwidth_gb_per_s", "ops_per_decode_step", "ops_per_decode_step_by_name",
        "ops_per_generation_step", "layout_b1_view_ms", "layout_b1_contiguous_ms", "layout_b8_view_ms", "layout_b8_contiguous_ms",
        "layout_b32_view_ms", "layout_b32_contiguous_ms", "prefill_1x256_tokens_per_s", "prefill_tokens_per_s",
        "prefill_roofline_fraction", "decode_b1_tokens_per_s", "decode_b1_roofline_fraction",
        "decode_b1_bandwidth_fraction", "decode_b1_read_bandwidth_gb_per_s", "decode_b1_other_cpu_fraction",
        "decode_b4_tokens_per_s", "decode_b4_roofline_fraction", "decode_b4_bandwidth_fraction",
        "decode_b4_read_bandwidth_gb_per_s", "decode_b4_other_cpu_fraction", "decode_b8_tokens_per_s",
        "decode_b8_roofline_fraction", "decode_b8_bandwidth_fraction", "decode_b8_read_bandwidth_gb_per_s",
        "decode_b8_other_cpu_fraction", "decode_b32_tokens_per_s", "decode_b32_roofline_fraction",
        "decode_b32_other_cpu_fraction", "decode_b8_sampled_tokens_per_s", "decode_b8_penalized_tokens_per_s"};

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
        assertThat(f.get("roofline").fieldNames()).toIterable().containsExactly(ENGINE_FIELDS);
        assertThat(f.get("attention").fieldNames()).toIterable().containsExactly("plain_prefill_tokens_per_s",
                "plain_decode_tokens_per_s", "fused_prefill_tokens_per_s", "fused_decode_tokens_per_s", "prompts",
                "prompt_tokens", "fused_over_plain_prefill", "fused_over_plain_decode");
        assertThat(f.get("spark_overhead").fieldNames()).toIterable().containsExactly("skipped");
        assertThat(f.at("/machine/cores").asInt()).isPositive();
        assertThat(f.at("/machine/max_heap_mb").asLong()).isPositive();
        assertThat(r.out()).contains("== summary").contains("fused / plain attention:")
                .contains("continuous / static batching:").contains("prefix reuse on / off");
    }

    @Test
    void outcomesWriteTheirFiguresOrWhyTheyWereSkipped() throws Exception {
        var spark = new dev.phi4spark.udf.spark.bench.SparkOverheadBenchmark.Figures("tiny-phi4", 256, 32, 1, "auto",
                100.0, 90.0, 0.9);
        JsonNode ran = new ObjectMapper().readTree(Json.write(new BenchCommand.Outcome.Ran<>(spark), false));
        assertThat(ran.fieldNames()).toIterable().containsExactly("model", "prompts", "max_new_tokens",
                "libtorch_threads", "attention", "direct_tokens_per_s", "spark_tokens_per_s", "spark_over_direct");
        assertThat(ran.get("spark_over_direct").asDouble()).isEqualTo(0.9);
        assertThat(Json.write(new BenchCommand.Outcome.Skipped<>("--spark-prompts 0"), false))
                .isEqualTo("{\"skipped\":\"--spark-prompts 0\"}");
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
        assertThat(f.get("attention").asText()).isEqualTo("native");
        // which prefetch hint the kernels took (it depends on the CPU's maker), and where prefill ran
        assertThat(f.get("native_prefetch").asText()).isIn("nta", "l2");
        assertThat(r.out()).contains("native kernels' weight prefetch: " + f.get("native_prefetch").asText())
                .containsPattern("prefill in (native steps|libtorch's whole chunks)");
        assertThat(f.get("read_bandwidth_gb_per_s").asDouble()).isPositive();
        assertThat(f.get("decode_b1_bandwidth_fraction").asDouble()).isPositive();
        assertThat(f.get("decode_b4_bandwidth_fraction").asDouble()).isPositive();
        assertThat(f.get("decode_b8_bandwidth_fraction").asDouble()).isPositive();
        assertThat(f.get("decode_b8_read_bandwidth_gb_per_s").asDouble()).isPositive();
        // Linux: what other processes and kernel threads took of the CPUs while the decode runs were timed
        assertThat(f.get("decode_b8_other_cpu_fraction").isNumber()).isTrue();
        assertThat(f.get("decode_b8_other_cpu_fraction").asDouble()).isBetween(0.0, 1.0);
        assertThat(r.out()).contains("decode batch 8: ").contains("% of the CPUs");
        assertThat(f.get("decode_b8_sampled_tokens_per_s").asDouble()).isPositive();
        assertThat(f.get("decode_b8_penalized_tokens_per_s").asDouble()).isPositive();
        assertThat(f.get("prefill_1x256_tokens_per_s").asDouble()).isPositive();
        assertThat(f.get("layout_b8_contiguous_ms").asDouble()).isPositive();
        // The layers and the lm_head in one native call: no TorchScript forward, no libtorch product.
        assertThat(f.get("ops_per_decode_step").asInt()).isBetween(1, 36);
        assertThat(f.at("/ops_per_decode_step_by_name/forward").isMissingNode()).isTrue();
        assertThat(f.at("/ops_per_decode_step_by_name/aten::matmul").isMissingNode()).isTrue();
        // Generation's decode steps take the native decoder's array entry: no tensor, no libtorch op.
        assertThat(f.get("ops_per_generation_step").asDouble()).isZero();
        // the typed figures keep the flat JSON names and order the map had; batch 32 has no bandwidth fraction
        assertThat(f.fieldNames()).toIterable().containsExactly(ENGINE_FIELDS);
        assertThat(r.out()).contains("libtorch ops per decode step (native, profiler, top-level)");
    }
}
