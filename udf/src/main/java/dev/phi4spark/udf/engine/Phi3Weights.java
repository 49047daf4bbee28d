package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

/**
 * The weights of a {@code Phi3ForCausalLM}, bound by their HF names and checked against the config's
 * shapes. Projection matrices are stored {@code [out, in]}; their transposed views are made once here,
 * since a {@code transpose()} per step would leave a view behind on the weights' manager every time.
 */
final class Phi3Weights {

    /** One decoder layer. Matrices are the transposed views, {@code [in, out]}. */
    record Layer(NDArray inputNorm, NDArray qkv, NDArray out, NDArray postNorm, NDArray gateUp, NDArray down) {}

    final NDArray embed;     // [vocab, hidden]
    final Layer[] layers;
    final NDArray finalNorm; // [hidden]
    final NDArray lmHead;    // [hidden, vocab] (transposed view)

    private Phi3Weights(NDArray embed, Layer[] layers, NDArray finalNorm, NDArray lmHead) {
        this.embed = embed;
        this.layers = layers;
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
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

    static Phi3Weights load(Checkpoint checkpoint, Phi3Config c, NDManager manager, DataType dtype) {
        TensorLoader loader = new TensorLoader(checkpoint, manager, dtype);
        long h = c.hiddenSize;
        long attnOut = (long) c.heads * c.headDim();
        NDArray embed = loader.load("model.embed_tokens.weight", c.vocabSize, h);
        Layer[] layers = new Layer[c.layers];
        for (int i = 0; i < c.layers; i++) {
            String p = "model.layers." + i + ".";
            layers[i] = new Layer(
                    loader.load(p + "input_layernorm.weight", h),
                    loader.load(p + "self_attn.qkv_proj.weight", c.qkvDim(), h).transpose(),
                    loader.load(p + "self_attn.o_proj.weight", h, attnOut).transpose(),
                    loader.load(p + "post_attention_layernorm.weight", h),
                    loader.load(p + "mlp.gate_up_proj.weight", 2L * c.intermediateSize, h).transpose(),
                    loader.load(p + "mlp.down_proj.weight", h, c.intermediateSize).transpose());
        }
        NDArray norm = loader.load("model.norm.weight", h);
        NDArray lmHead;
        if (c.tieWordEmbeddings && !checkpoint.has("lm_head.weight")) {
            lmHead = embed.transpose();
        } else {
            lmHead = loader.load("lm_head.weight", c.vocabSize, h).transpose();
        }
        return new Phi3Weights(embed, layers, norm, lmHead);
    }
}
