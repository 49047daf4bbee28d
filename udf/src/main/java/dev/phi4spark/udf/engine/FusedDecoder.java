package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;

/**
 * Every decoder layer and the final norm in one TorchScript call: per layer both RMSNorms, the fused qkv
 * projection, rotary positions, the KV-cache write, libtorch's scaled_dot_product_attention, o_proj, the
 * SwiGLU MLP and the residuals. The NDArray path issues ~60 libtorch ops per layer, each a JNI call with
 * its Java bookkeeping; here the TorchScript interpreter runs them in native code, so a decode step costs
 * a handful of native calls from Java whatever the depth (on a GPU, ~2,500 JNI calls per Phi-4 step
 * otherwise). The arithmetic is the reference path's, op for op, so results agree within float rounding.
 */
final class FusedDecoder implements AutoCloseable {

    private static final String CLASS = "FusedDecoder";
    /**
     * Rows up to which a product is split in two along its inner dimension on the CPU: two halves as one
     * {@code bmm}, summed. libtorch runs a small-row product against a large weight on one thread
     * (MKL's gemv), which reads the weights at one core's memory bandwidth; the two halves run on two.
     * Measured on 2 cores ({@code [1, 1024] x [1024, 5632]} and {@code [1, 5120] x [5120, 8960]}): 26.5
     * GB/s against 18 at 1 row, about 10% faster at 8 and 32 rows (docs/benchmarks.md). Prefill keeps
     * one multi-threaded matmul. Only the summation order changes: results agree within float rounding.
     */
    static final int SPLIT_MAX_ROWS = 32;
    private static final String SOURCE = String.join("\n",
            "class FusedDecoder(Module):",
            "  __parameters__ = []",
            "  __buffers__ = []",
            "  training : bool",
            "  def forward(self: __torch__.FusedDecoder,",
            "    x: Tensor,",
            "    cos: Tensor,",
            "    sin: Tensor,",
            "    mask: Tensor,",
            "    columns: Tensor,",
            "    weights: List[Tensor],",
            "    keys: List[Tensor],",
            "    values: List[Tensor],",
            "    shape: List[int],",
            "    eps: float) -> Tensor:",
            "    heads = shape[0]",
            "    kv_heads = shape[1]",
            "    head_dim = shape[2]",
            "    rot = shape[3]",
            "    inter = shape[4]",
            "    split = shape[5]",
            "    batch = x.size(0)",
            "    seq = x.size(1)",
            "    q_size = heads * head_dim",
            "    kv_size = kv_heads * head_dim",
            "    groups = heads // kv_heads",
            "    end = mask.size(3)",
            "    rows = torch.unsqueeze(torch.arange(batch, dtype=4, layout=None, device=x.device, pin_memory=None), 1)",
            "    for i in range(len(keys)):",
            "      w = 6 * i",
            "      h = self.norm(x, weights[w], eps)",
            "      qkv = self.mm(h, weights[w + 1], split)",
            "      q = qkv[:, :, :q_size].reshape([batch, seq, heads, head_dim]).transpose(1, 2)",
            "      k = qkv[:, :, q_size:q_size + kv_size].reshape([batch, seq, kv_heads, head_dim]).transpose(1, 2)",
            "      v = qkv[:, :, q_size + kv_size:].reshape([batch, seq, kv_heads, head_dim])",
            "      q = self.rope(q, cos, sin, rot)",
            "      k = self.rope(k, cos, sin, rot)",
            "      key_cache = keys[i]",
            "      value_cache = values[i]",
            "      key_cache[rows, :, columns] = k.transpose(1, 2)",
            "      value_cache[rows, :, columns] = v",
            "      grouped = q.reshape([batch, kv_heads, groups * seq, head_dim])",
            "      att = torch.scaled_dot_product_attention(grouped, key_cache[:, :, :end], value_cache[:, :, :end], mask)",
            "      att = att.reshape([batch, heads, seq, head_dim]).transpose(1, 2).reshape([batch, seq, q_size])",
            "      x = x + self.mm(att, weights[w + 2], split)",
            "      h = self.norm(x, weights[w + 3], eps)",
            "      gate_up = self.mm(h, weights[w + 4], split)",
            "      act = torch.silu(gate_up[:, :, :inter]) * gate_up[:, :, inter:]",
            "      x = x + self.mm(act, weights[w + 5], split)",
            "    return self.norm(x, weights[6 * len(keys)], eps)",
            "  def mm(self: __torch__.FusedDecoder, x: Tensor, w: Tensor, split: int) -> Tensor:",
            "    rows = x.size(0) * x.size(1)",
            "    k = w.size(0)",
            "    if split < 2 or rows > " + SPLIT_MAX_ROWS + " or k % split != 0:",
            "      return torch.matmul(x, w)",
            "    xs = x.reshape([rows, split, k // split]).transpose(0, 1)",
            "    y = torch.bmm(xs, w.reshape([split, k // split, w.size(1)]))",
            "    return torch.sum(y, [0]).reshape([x.size(0), x.size(1), w.size(1)])",
            "  def norm(self: __torch__.FusedDecoder, x: Tensor, weight: Tensor, eps: float) -> Tensor:",
            "    xf = torch.to(x, 6)",
            "    variance = torch.mean(torch.pow(xf, 2), [2], True)",
            "    return torch.to(xf * torch.pow(variance + eps, -0.5), weight.dtype) * weight",
            "  def rope(self: __torch__.FusedDecoder, x: Tensor, cos: Tensor, sin: Tensor, rot: int) -> Tensor:",
            "    half = rot // 2",
            "    r = x[:, :, :, :rot]",
            "    rotated = torch.cat([torch.neg(r[:, :, :, half:rot]), r[:, :, :, :half]], 3)",
            "    out = r * cos + rotated * sin",
            "    if rot < x.size(3):",
            "      out = torch.cat([out, x[:, :, :, rot:]], 3)",
            "    return out",
            "");

    private final PtSymbolBlock module;
    private final IValue weights;
    private final IValue shape;
    private final IValue eps;

    private FusedDecoder(PtSymbolBlock module, IValue weights, IValue shape, IValue eps) {
        this.module = module;
        this.weights = weights;
        this.shape = shape;
        this.eps = eps;
    }

    /**
     * Loads the module onto {@code manager}, which owns it from then on, bound to the model's weights: per
     * layer input norm, qkv, o_proj, post norm, gate_up, down (matrices {@code [in, out]}), then the final
     * norm. The list is built once; a step passes only its activations and cache buffers. {@code split}: the
     * halves of a small product's inner dimension ({@link #splitFor}; 1 where the matrices are views, which
     * a split would copy).
     */
    static FusedDecoder load(NDManager manager, Phi3Config c, Phi3Weights w, long split) {
        PtSymbolBlock module = TorchScriptModule.load(manager, CLASS, SOURCE);
        PtNDArray[] list = new PtNDArray[6 * w.layers.length + 1];
        for (int i = 0; i < w.layers.length; i++) {
            Phi3Weights.Layer l = w.layers[i];
            NDArray[] six = {l.inputNorm(), l.qkv(), l.out(), l.postNorm(), l.gateUp(), l.down()};
            for (int j = 0; j < 6; j++) {
                list[6 * i + j] = (PtNDArray) six[j];
            }
        }
        list[list.length - 1] = (PtNDArray) w.finalNorm;
        IValue shape = IValue.listFrom(c.heads, c.kvHeads, c.headDim(), c.rotaryDim(), c.intermediateSize, split);
        return new FusedDecoder(module, IValue.listFrom(list), shape, IValue.from((double) c.rmsNormEps));
    }

    /**
     * The final hidden states {@code [batch, seq, hidden]} (after the last norm) of embeddings {@code x
     * [batch, seq, hidden]}. {@code cosSin} is {@link RotaryEmbedding#cosSin}; {@code mask} is {@link
     * FusedAttention#mask}; the new keys and values go to {@code columns} (int64, {@code [batch, seq]} or
     * broadcastable to it) of each row of {@code keys}/{@code values} (per layer {@code [batch, kvHeads,
     * capacity, headDim]}), and attention reads each buffer's first {@code mask.size(3)} columns.
     */
    NDArray apply(NDManager step, NDArray x, NDList cosSin, NDArray mask, NDArray columns, NDArray[] keys,
            NDArray[] values) {
        // Built per call: the activations and the cache buffers (replaced when rows are dropped).
        IValue[] perCall = {
            IValue.from((PtNDArray) x), IValue.from((PtNDArray) cosSin.get(0)), IValue.from((PtNDArray) cosSin.get(1)),
            IValue.from((PtNDArray) mask), IValue.from((PtNDArray) columns), list(keys), list(values)
        };
        IValue[] in = {perCall[0], perCall[1], perCall[2], perCall[3], perCall[4], weights, perCall[5], perCall[6],
            shape, eps};
        try (IValue out = module.forward(in)) {
            return out.toTensor((PtNDManager) step);
        } finally {
            for (IValue v : perCall) {
                v.close();
            }
        }
    }

    /** Halves of the inner dimension per small product: 2 on the CPU, none on a GPU (cuBLAS uses the device). */
    static long splitFor(ai.djl.Device device) {
        return device.isGpu() ? 1 : 2;
    }

    private static IValue list(NDArray[] arrays) {
        PtNDArray[] pt = new PtNDArray[arrays.length];
        for (int i = 0; i < arrays.length; i++) {
            pt[i] = (PtNDArray) arrays[i];
        }
        return IValue.listFrom(pt);
    }

    @Override
    public void close() {
        weights.close();
        shape.close();
        eps.close();
    }
}
