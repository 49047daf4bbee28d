package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;

/**
 * Attention through libtorch's {@code scaled_dot_product_attention}: one call where the reference path
 * makes six (scores, cast, bias, softmax, cast, weighted sum), so the {@code [batch, heads, seq, end]}
 * scores are never materialised in memory. libtorch picks the kernel: FlashAttention-style tiling on the
 * CPU, the memory-efficient kernel on a GPU (FlashAttention proper takes no mask). DJL 0.36 has no call
 * for it, so it runs as a one-line TorchScript module.
 */
final class FusedAttention {

    /**
     * The mask value of disallowed keys. Finite and within float16: a padding query that may see no key
     * at all then gets a uniform average rather than NaN, which would spread to the keys it writes.
     */
    static final float MASK_BIAS = -30000f;

    private static final String CLASS = "FusedAttention";
    private static final String SOURCE = String.join("\n",
            "class FusedAttention(Module):",
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  def forward(self: __torch__.FusedAttention,",
            "    query: Tensor,",
            "    key: Tensor,",
            "    value: Tensor,",
            "    mask: Tensor) -> Tensor:",
            "    return torch.scaled_dot_product_attention(query, key, value, mask)",
            "");

    private final PtSymbolBlock module;

    private FusedAttention(PtSymbolBlock module) {
        this.module = module;
    }

    /** Loads the kernel's module onto {@code manager}, which owns it from then on. */
    static FusedAttention load(NDManager manager) {
        return new FusedAttention(TorchScriptModule.load(manager, CLASS, SOURCE));
    }

    /**
     * The mask {@link #apply} takes, from the reference path's bias {@code [batch, 1, 1, seq, end]}
     * (float32, 0 or a large negative): {@code [batch, 1, groups*seq, end]} in the compute dtype, one
     * copy of the rows per query head of a group, matching the grouped query layout.
     */
    static NDArray mask(NDArray bias, int groups, DataType dtype) {
        long batch = bias.getShape().get(0);
        long seq = bias.getShape().get(3);
        long end = bias.getShape().get(4);
        return bias.maximum(MASK_BIAS)
                .broadcast(batch, 1, groups, seq, end)
                .reshape(batch, 1, groups * seq, end)
                .toType(dtype, false);
    }

    /**
     * Softmax-weighted values {@code [batch, kvHeads, groups*seq, headDim]} of unscaled queries {@code
     * [batch, kvHeads, groups*seq, headDim]} against keys and values {@code [batch, kvHeads, end, headDim]};
     * the scale is {@code 1/sqrt(headDim)}. The result lives on {@code step}.
     */
    NDArray apply(NDManager step, NDArray query, NDArray key, NDArray value, NDArray mask) {
        IValue q = IValue.from((PtNDArray) query);
        IValue k = IValue.from((PtNDArray) key);
        IValue v = IValue.from((PtNDArray) value);
        IValue m = IValue.from((PtNDArray) mask);
        try (IValue out = module.forward(q, k, v, m)) {
            return out.toTensor((PtNDManager) step);
        } finally {
            q.close();
            k.close();
            v.close();
            m.close();
        }
    }
}
