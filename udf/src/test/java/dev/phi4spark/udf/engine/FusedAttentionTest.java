package dev.phi4spark.udf.engine;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** libtorch's fused attention, reached through a TorchScript module written without Python. */
class FusedAttentionTest {

    /** The reference computation, written out: softmax(q k^T / sqrt(d) + bias) v in float32. */
    private static NDArray reference(NDArray q, NDArray k, NDArray v, NDArray mask) {
        double scale = 1.0 / Math.sqrt(q.getShape().get(3));
        return q.mul(scale).matMul(k.transpose(0, 1, 3, 2)).add(mask).softmax(3).matMul(v);
    }

    @Test
    void matchesTheWrittenOutAttentionWithACausalPaddedMask() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            manager.getEngine().setRandomSeed(7);
            FusedAttention fused = FusedAttention.load(manager);
            int batch = 2;
            int kvHeads = 3;
            int groups = 2;
            int seq = 4;
            int end = 6;
            NDArray q = manager.randomNormal(new Shape(batch, kvHeads, groups * seq, 16));
            NDArray k = manager.randomNormal(new Shape(batch, kvHeads, end, 16));
            NDArray v = manager.randomNormal(new Shape(batch, kvHeads, end, 16));
            // Row 1 starts with two padding keys; queries sit at key columns 2..5, causal.
            float[] bias = new float[batch * seq * end];
            for (int b = 0; b < batch; b++) {
                for (int i = 0; i < seq; i++) {
                    for (int j = 0; j < end; j++) {
                        boolean allowed = j <= i + 2 && !(b == 1 && j < 2);
                        bias[(b * seq + i) * end + j] = allowed ? 0f : Phi3Model.MASK_BIAS;
                    }
                }
            }
            NDArray bias5 = manager.create(bias, new Shape(batch, 1, 1, seq, end));
            NDArray mask = FusedAttention.mask(bias5, groups, DataType.FLOAT32);
            assertThat(mask.getShape()).isEqualTo(new Shape(batch, 1, groups * seq, end));
            NDArray ours = fused.apply(manager, q, k, v, mask);
            NDArray theirs = reference(q, k, v, mask);
            assertThat(ours.sub(theirs).abs().max().getFloat()).isLessThan(1e-5f);
        }
    }

    @Test
    void aQueryThatMaySeeNoKeyStaysFinite() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            FusedAttention fused = FusedAttention.load(manager);
            NDArray q = manager.randomNormal(new Shape(1, 1, 1, 8));
            NDArray k = manager.randomNormal(new Shape(1, 1, 3, 8));
            NDArray v = manager.randomNormal(new Shape(1, 1, 3, 8));
            NDArray bias = manager.full(new Shape(1, 1, 1, 1, 3), Phi3Model.MASK_BIAS);
            NDArray out = fused.apply(manager, q, k, v, FusedAttention.mask(bias, 1, DataType.FLOAT32));
            // A NaN here would be written to the cache as a padding column's key and poison real rows.
            for (float x : out.toFloatArray()) {
                assertThat(x).isFinite();
            }
        }
    }

    @Test
    void fusedAndPlainModelsGenerateTheSameTokensInABatch() {
        List<long[]> prompts = List.of(new long[] {1, 5, 9, 14, 2}, new long[] {3, 7}, new long[] {11, 4, 8, 30, 12, 6, 2});
        try (Phi3Model plain = Fixtures.load("tiny-phi3", "plain"); Phi3Model fused = Fixtures.load("tiny-phi3", "fused")) {
            List<GenerationRequest> requests = prompts.stream()
                    .map(p -> new GenerationRequest(p, SamplingParams.greedy(12))).toList();
            List<GenerationResult> a = new Generator(plain, 3, Set.of(), TokenDecoder.NONE).generate(requests);
            List<GenerationResult> b = new Generator(fused, 3, Set.of(), TokenDecoder.NONE).generate(requests);
            for (int i = 0; i < prompts.size(); i++) {
                assertThat(b.get(i).tokenIds()).as("prompt %d", i).containsExactly(a.get(i).tokenIds());
            }
        }
    }

    @Test
    void autoFallsBackToPlainWhenTheKernelDoesNotLoad() {
        assertThat(Phi3Model.attentionKernel("auto", () -> {
            throw new IllegalStateException("no TorchScript here");
        })).isNull();
        assertThat(Phi3Model.attentionKernel("plain", () -> {
            throw new AssertionError("plain never loads the kernel");
        })).isNull();
    }

    @Test
    void fusedAsAskedFailsWithTheReasonWhenTheKernelDoesNotLoad() {
        assertThatThrownBy(() -> Phi3Model.attentionKernel("fused", () -> {
            throw new IllegalStateException("no TorchScript here");
        })).isInstanceOf(ModelLoadException.class)
                .hasMessage("Cannot use fused attention: libtorch did not load its TorchScript module"
                        + " (no TorchScript here); use attention plain");
    }

    @Test
    void badTorchScriptIsRefusedByLibtorchNotCrashingTheJvm() {
        try (NDManager manager = NDManager.newBaseManager("PyTorch")) {
            assertThatThrownBy(() -> TorchScriptModule.load(manager, "Broken",
                    "class Broken(Module):\n  training : bool\n  def forward(self: __torch__.Broken, x: Tensor) -> Tensor:\n"
                            + "    return torch.no_such_operator(x)\n"))
                    .hasMessageContaining("no_such_operator");
        }
    }

    @Test
    void anInvalidAttentionOptionIsRefused() {
        assertThatThrownBy(() -> EngineOptions.DEFAULTS.withAttention("flash"))
                .hasMessage("Cannot use attention: expected auto, native, layers, fused or plain (flash).");
    }
}
