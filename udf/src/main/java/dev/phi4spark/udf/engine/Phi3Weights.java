package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.function.UnaryOperator;

/**
 * The weights of a {@code Phi3ForCausalLM}, bound by their HF names and checked against the config's
 * shapes. Checkpoints store projection matrices {@code [out, in]}. For libtorch's own products they are
 * kept as contiguous {@code [in, out]} copies (the checkpoint layout freed at once, so one copy is
 * resident): libtorch's product of a few rows against a contiguous {@code [in, out]} matrix measured faster
 * at batch 8 than against the transposed {@code [out, in]} view, and no slower at 1 and 32. For the
 * {@link NativeDecoder}, which streams weight rows, the checkpoint's {@code [out, in]} tensors are kept and
 * the layers see {@code [in, out]} views of them ({@link #rowsLayout}; docs/benchmarks.md).
 */
final class Phi3Weights {

    /** One decoder layer. Matrices are {@code [in, out]}: contiguous copies, or views in the rows layout. */
    record Layer(NDArray inputNorm, NDArray qkv, NDArray out, NDArray postNorm, NDArray gateUp, NDArray down) {}

    final NDArray embed;     // [vocab, hidden]
    final Layer[] layers;
    final NDArray finalNorm; // [hidden]
    final NDArray lmHead;    // [hidden, vocab] (contiguous, or the embedding's transposed view when tied)
    final boolean lmHeadContiguous;
    /** Whether the matrices are views of the checkpoint's contiguous {@code [out, in]} tensors. */
    final boolean rowsLayout;

    private Phi3Weights(NDArray embed, Layer[] layers, NDArray finalNorm, NDArray lmHead, boolean lmHeadContiguous,
            boolean rowsLayout) {
        this.embed = embed;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
        this.lmHeadContiguous = lmHeadContiguous;
        this.rowsLayout = rowsLayout;
    }

    /**
     * Checks, from the headers alone, that the checkpoint holds every tensor {@link #load} reads, with the
     * config's shape and a loadable dtype: a wrong or damaged snapshot is refused on the driver in
     * milliseconds, before any executor maps gigabytes of it. Throws {@link ModelLoadException}.
     */
    static void check(Checkpoint checkpoint, Phi3Config c) {
        long h = c.hiddenSize;
        long attnOut = (long) c.heads * c.headDim();
        expect(checkpoint, "model.embed_tokens.weight", c.vocabSize, h);
        for (int i = 0; i < c.layers; i++) {
            String p = "model.layers." + i + ".";
            expect(checkpoint, p + "input_layernorm.weight", h);
            expect(checkpoint, p + "self_attn.qkv_proj.weight", c.qkvDim(), h);
            expect(checkpoint, p + "self_attn.o_proj.weight", h, attnOut);
            expect(checkpoint, p + "post_attention_layernorm.weight", h);
            expect(checkpoint, p + "mlp.gate_up_proj.weight", 2L * c.intermediateSize, h);
            expect(checkpoint, p + "mlp.down_proj.weight", h, c.intermediateSize);
        }
        expect(checkpoint, "model.norm.weight", h);
        if (!c.tieWordEmbeddings || checkpoint.has("lm_head.weight")) {
            expect(checkpoint, "lm_head.weight", c.vocabSize, h);
        }
    }

    private static void expect(Checkpoint checkpoint, String name, long... shape) {
        TensorLoader.checkHeader(checkpoint, name, shape);
    }

    /**
     * Loads every tensor. {@code rowsLayout}: keep the checkpoint's {@code [out, in]} matrices (for the
     * native decoder) instead of contiguous {@code [in, out]} copies.
     */
    static Phi3Weights load(Checkpoint checkpoint, Phi3Config c, NDManager manager, DataType dtype,
            boolean rowsLayout) {
        UnaryOperator<NDArray> inOut = rowsLayout ? NDArray::transpose : Phi3Weights::inOut;
        TensorLoader loader = new TensorLoader(checkpoint, manager, dtype);
        long h = c.hiddenSize;
        long attnOut = (long) c.heads * c.headDim();
        NDArray embed = loader.load("model.embed_tokens.weight", c.vocabSize, h);
        Layer[] layers = new Layer[c.layers];
        for (int i = 0; i < c.layers; i++) {
            String p = "model.layers." + i + ".";
            layers[i] = new Layer(
                    loader.load(p + "input_layernorm.weight", h),
                    inOut.apply(loader.load(p + "self_attn.qkv_proj.weight", c.qkvDim(), h)),
                    inOut.apply(loader.load(p + "self_attn.o_proj.weight", h, attnOut)),
                    loader.load(p + "post_attention_layernorm.weight", h),
                    inOut.apply(loader.load(p + "mlp.gate_up_proj.weight", 2L * c.intermediateSize, h)),
                    inOut.apply(loader.load(p + "mlp.down_proj.weight", h, c.intermediateSize)));
        }
        NDArray norm = loader.load("model.norm.weight", h);
        boolean tied = c.tieWordEmbeddings && !checkpoint.has("lm_head.weight");
        NDArray lmHead = tied ? embed.transpose() : inOut.apply(loader.load("lm_head.weight", c.vocabSize, h));
        return new Phi3Weights(embed, layers, norm, lmHead, !tied && !rowsLayout, rowsLayout);
    }

    /** A contiguous {@code [in, out]} copy of an {@code [out, in]} matrix; the original is freed. */
    private static NDArray inOut(NDArray outIn) {
        NDArray view = outIn.transpose();
        NDArray flat = view.flatten(); // a copy: the transposed view's elements in row-major order
        NDArray copy = flat.reshape(view.getShape());
        flat.close();
        view.close();
        outIn.close();
        return copy;
    }
}
