package dev.phi4spark.udf.engine;

import static dev.phi4spark.udf.engine.DecoderPaths.load;
import static dev.phi4spark.udf.engine.DecoderPaths.logits;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.phi4spark.udf.bench.EngineBenchmark;
import dev.phi4spark.udf.bench.LibtorchOps;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Every decoder layer as one TorchScript call, against the per-op NDArray reference path. */
class FusedDecoderTest {

    @TempDir
    Path temp;

    @Test
    void prefillAndDecodeMatchThePlainPathWithPartialRotaryAndLongrope() throws IOException {
        Path dir = DecoderPaths.model(temp, "rope", 3);
        float[][] plain;
        float[][] layers;
        try (Phi3Model model = load(dir, "plain")) {
            plain = logits(model, 4);
        }
        try (Phi3Model model = load(dir, "layers")) {
            layers = logits(model, 4);
        }
        for (int i = 0; i < plain.length; i++) {
            assertThat(Fixtures.maxAbsDiff(layers[i], plain[i])).as("step %d", i).isLessThan(1e-4f);
        }
    }

    @Test
    void continuousBatchingSlotsGiveThePlainPathsTokens() throws IOException {
        Path dir = DecoderPaths.model(temp, "slots", 2);
        DecoderPaths.assertSlotsGiveThePlainPathsTokens(dir, "layers");
    }

    @Test
    void aDecodeStepMakesNoNativeCallPerLayer() throws IOException {
        Path one = DecoderPaths.model(temp, "one", 1);
        Path four = DecoderPaths.model(temp, "four", 4);
        try (Phi3Model a = load(one, "layers"); Phi3Model b = load(four, "layers");
                Phi3Model c = load(one, "plain"); Phi3Model d = load(four, "plain")) {
            Map<String, Integer> layersOne = EngineBenchmark.opsPerDecodeStep(a);
            Map<String, Integer> layersFour = EngineBenchmark.opsPerDecodeStep(b);
            // Three more layers, not one more op: the decoder's ops nest under its single forward call.
            assertThat(layersFour).isEqualTo(layersOne);
            assertThat(layersFour.get("forward")).isEqualTo(1);
            // The lm_head is the one product left: a matmul, or on the CPU its two halves as one bmm.
            assertThat(layersFour.getOrDefault("aten::matmul", 0) + layersFour.getOrDefault("aten::bmm", 0))
                    .as("the lm_head only").isEqualTo(1);
            // lm_head: one matmul, or on the CPU reshape, transpose, bmm, sum and reshape (its split product)
            assertThat(LibtorchOps.total(layersFour)).as("embedding, rotary, mask, decoder, lm_head").isLessThanOrEqualTo(40);
            // The counter sees the per-op path's layers: dozens of native calls each.
            int perLayer = (LibtorchOps.total(EngineBenchmark.opsPerDecodeStep(d))
                    - LibtorchOps.total(EngineBenchmark.opsPerDecodeStep(c))) / 3;
            assertThat(perLayer).isGreaterThan(40);
        }
    }

    @Test
    void layersAsAskedFailsWithTheReasonWhenTheModuleDoesNotLoad() {
        assertThatThrownBy(() -> Phi3Model.decoderKernel("layers", () -> {
            throw new IllegalStateException("no TorchScript here");
        })).isInstanceOf(ModelLoadException.class)
                .hasMessage("Cannot use attention layers: libtorch did not load the fused decoder's TorchScript"
                        + " module (no TorchScript here); use attention fused or plain");
        assertThat(Phi3Model.decoderKernel("auto", () -> {
            throw new IllegalStateException("no TorchScript here");
        })).isNull();
    }
}
