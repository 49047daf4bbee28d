package dev.phi4spark.udf.engine;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The forward pass of HF {@code Phi3ForCausalLM}: embedding, then per layer RMSNorm, grouped-query
 * attention with rotary positions and a KV cache, residual, RMSNorm, SwiGLU MLP, residual; final norm and
 * the untied lm_head. Weights are read-only after load, so one model serves many threads at once.
 */
public final class Phi3Model implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Phi3Model.class);

    /** A large negative bias rather than -inf: a fully masked (padding) row then stays finite. */
    static final float MASK_BIAS = -1e9f;

    private final Phi3Config config;
    private final NDManager manager;
    private final DataType dtype;
    private final Phi3Weights weights;
    private final RotaryEmbedding rope;
    /** The fused attention kernel, or null for the reference NDArray path. */
    private final FusedAttention fused;
    /** Every layer as one TorchScript call, or null for the per-op NDArray layers. */
    private final FusedDecoder decoder;
    /** Steps of at most {@link NativeDecoder#MAX_ROWS} rows in one native call on the CPU, or null. */
    private final NativeDecoder nativeDecoder;
    // The lm_head as [split, hidden/split, vocab] (a view of its storage, not a copy), or null: see lmHeadProduct
    private final NDArray lmHeadHalves;
    /** Whether prefill runs in native steps (see prefillColumns); tests set it to run either path anywhere. */
    private volatile boolean nativePrefill;

    private Phi3Model(Phi3Config config, NDManager manager, DataType dtype, Phi3Weights weights, RotaryEmbedding rope,
            FusedAttention fused, FusedDecoder decoder, NativeDecoder nativeDecoder) {
        this.config = config;
        this.manager = manager;
        this.dtype = dtype;
        this.weights = weights;
        this.rope = rope;
        this.fused = fused;
        this.decoder = decoder;
        this.nativeDecoder = nativeDecoder;
        this.lmHeadHalves = lmHeadHalves(weights, config, manager.getDevice());
        nativePrefill(!NativeDecoder.libtorchGemmOnAvx512());
    }

    private static NDArray lmHeadHalves(Phi3Weights weights, Phi3Config config, Device device) {
        long split = FusedDecoder.splitFor(device);
        if (split < 2 || config.hiddenSize % split != 0 || !weights.lmHeadContiguous) {
            return null;
        }
        return weights.lmHead.reshape(split, config.hiddenSize / split, config.vocabSize);
    }

    /**
     * Loads the weights of a snapshot folder onto a device with the default attention ({@code auto}).
     * {@code dtype} is the compute type: float32 on the CPU, float16 on a GPU.
     */
    public static Phi3Model load(Path dir, Phi3Config config, Device device, DataType dtype) {
        return load(dir, config, device, dtype, "auto");
    }

    /**
     * Loads the weights of a snapshot folder onto a device. {@code attention} is {@code plain} (the
     * NDArray reference path), {@code fused} (libtorch's scaled_dot_product_attention inside the NDArray
     * layers), {@code layers} (every decoder layer as one TorchScript call, see {@link FusedDecoder}),
     * {@code native} (decode steps in one native call on the CPU, see {@link NativeDecoder}, prefill as
     * layers) or {@code auto} (native where the CPU and build have it, else layers where libtorch loads
     * them, else fused, else plain).
     */
    public static Phi3Model load(Path dir, Phi3Config config, Device device, DataType dtype, String attention) {
        NDManager manager = NDManager.newBaseManager(device, "PyTorch");
        try (Checkpoint checkpoint = Checkpoint.open(dir)) {
            boolean rowsLayout = nativeKernel(attention, device, dtype);
            Phi3Weights weights = Phi3Weights.load(checkpoint, config, manager, dtype, rowsLayout);
            RotaryEmbedding rope = new RotaryEmbedding(config, manager);
            NativeDecoder nativeDecoder = rowsLayout ? NativeDecoder.create(config, weights, rope) : null;
            long split = rowsLayout ? 1 : FusedDecoder.splitFor(device);
            FusedDecoder decoder = Set.of("layers", "native", "auto").contains(attention)
                    ? decoderKernel(attention, () -> FusedDecoder.load(manager, config, weights, split)) : null;
            FusedAttention fused = decoder != null || "layers".equals(attention) ? null
                    : attentionKernel(attention, () -> FusedAttention.load(manager));
            return new Phi3Model(config, manager, dtype, weights, rope, fused, decoder, nativeDecoder);
        } catch (RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Whether the native decoder serves {@code attention} on this device and dtype: {@code native} requires
     * it, {@code auto} takes it where it can run (the CPU, float32, the library built for this machine).
     */
    static boolean nativeKernel(String attention, Device device, DataType dtype) {
        if (!"native".equals(attention) && !"auto".equals(attention)) {
            return false;
        }
        String why = device.isGpu() ? "it runs on the CPU only (device " + device + ")"
                : dtype != DataType.FLOAT32 ? "it computes in float32 only (dtype " + dtype + ")"
                : NativeDecoder.unavailableReason();
        if (why != null && "native".equals(attention)) {
            throw new ModelLoadException("Cannot use attention native: " + why + "; use attention layers");
        }
        return why == null;
    }

    /** The fused decoder for {@code layers} or {@code auto}, or null where {@code auto} falls back. */
    static FusedDecoder decoderKernel(String attention, Supplier<FusedDecoder> loader) {
        try {
            return loader.get();
        } catch (RuntimeException e) {
            if ("layers".equals(attention)) {
                throw new ModelLoadException("Cannot use attention layers: libtorch did not load the fused decoder's"
                        + " TorchScript module (" + e.getMessage() + "); use attention fused or plain", e);
            }
            LOG.warn("Fused decoder unavailable ({}); using the per-op layers", e.getMessage());
            return null;
        }
    }

    /** The fused kernel for {@code attention}, or null for the plain path. */
    static FusedAttention attentionKernel(String attention, Supplier<FusedAttention> loader) {
        if ("plain".equals(attention)) {
            return null;
        }
        try {
            return loader.get();
        } catch (RuntimeException e) {
            if ("fused".equals(attention)) {
                throw new ModelLoadException("Cannot use fused attention: libtorch did not load its TorchScript"
                        + " module (" + e.getMessage() + "); use attention plain", e);
            }
            LOG.warn("Fused attention unavailable ({}); using the plain attention path", e.getMessage());
            return null;
        }
    }

    /** The attention path in use: {@code native}, {@code layers}, {@code fused} or {@code plain}. */
    public String attention() {
        return nativeDecoder != null ? "native" : decoder != null ? "layers" : fused == null ? "plain" : "fused";
    }

    /**
     * The native kernels' weight prefetch hint, {@code nta} or {@code l2} (see {@code NativeDecoder}), or null
     * off the native path: benchmark reports carry it, since the hint that is fast on one CPU maker's parts
     * ran 2-3x slower on the other's.
     */
    public String nativePrefetch() {
        return nativeDecoder != null ? NativeDecoder.prefetchHint() : null;
    }

    /** The config. */
    public Phi3Config config() {
        return config;
    }

    /** The compute dtype. */
    public DataType dtype() {
        return dtype;
    }

    /** The device the weights live on. */
    public Device device() {
        return manager.getDevice();
    }

    /** The manager that owns the weights; callers make per-call sub-managers of it. */
    public NDManager manager() {
        return manager;
    }

    /**
     * The fewest parameters a layer's matrices need for prefill to run in native steps: below it a forward's
     * fixed cost outweighs what streaming the weights saves: libtorch's GEMM on whole chunks prefilled the
     * 64-wide test models 1.2-2.4x faster and a 256-wide model (0.75M a layer) about as fast, while at 512 wide
     * (3M a layer) the native steps were 1.25-2.5x faster (docs/benchmarks.md).
     */
    static final long NATIVE_PREFILL_MIN_LAYER_PARAMETERS = 2_000_000;

    /**
     * Prompt columns per prefill forward for {@code rows} rows, at most {@code chunk}: on a CPU running the
     * native decoder, as many as keep a forward within its {@link NativeDecoder#MAX_ROWS} rows, whose kernels
     * prefilled 1.2-1.65x faster than libtorch's GEMM on whole chunks at the 150M bench shape and ~1.8x at
     * Phi-4's widths on an AMD Zen 5 (docs/benchmarks.md); elsewhere {@code chunk}: for more rows than one
     * native step takes, for layers too small to gain ({@link #NATIVE_PREFILL_MIN_LAYER_PARAMETERS}), and
     * where libtorch's GEMM runs AVX-512 kernels ({@link NativeDecoder#libtorchGemmOnAvx512}), whose whole
     * chunks prefilled 1.4-1.9x faster than the native steps on an Intel Xeon (Phi-4's widths, 1 x 256: 396
     * against 228 tokens/s). Both paths give the same tokens within float rounding.
     */
    public int prefillColumns(int rows, int chunk) {
        if (!nativePrefill || rows > NativeDecoder.MAX_ROWS) {
            return chunk;
        }
        return Math.max(1, Math.min(chunk, NativeDecoder.MAX_ROWS / rows));
    }

    /**
     * Moves a CPU array of at least 4 MB onto 2 MB pages now, as loading does with this model's weights (best
     * effort: false on a GPU, without the native library, or where the kernel refuses), so a benchmark's
     * reference read reads memory laid out as the weights are. The contents do not change.
     */
    public boolean onWeightPages(NDArray array) {
        return TensorLoader.collapseHugePages(array);
    }

    /** Whether prefill runs in native steps here (see {@link #prefillColumns}): for benchmark reports. */
    public boolean nativePrefill() {
        return nativePrefill;
    }

    /**
     * Runs prefill in native steps or not (a model off the native decoder or with layers too small to gain
     * stays on whole chunks): the constructor's choice for this CPU, and tests' switch to run both paths on
     * any host.
     */
    void nativePrefill(boolean on) {
        nativePrefill = on && nativeDecoder != null
                && config.layerMatrixParameters() >= NATIVE_PREFILL_MIN_LAYER_PARAMETERS;
    }

    /** A KV cache for {@code batch} sequences of up to {@code capacity} columns. */
    public KvCache newCache(int batch, int capacity) {
        return new KvCache(config, manager, dtype, batch, capacity);
    }

    /**
     * Runs {@code tokens [batch, seq]} (int64) at cache columns {@code [start, start + seq)} and returns
     * the final hidden states {@code [batch, seq, hidden]} after the last norm. {@code positions
     * [batch, seq]} (float32) are each token's position in its own sequence; columns before a row's
     * first token are padding the cache marks invalid.
     */
    public NDArray hidden(NDManager step, NDArray tokens, NDArray positions, int maxPosition, KvCache cache,
            int start) {
        return hidden(step, tokens, positions, maxPosition, sharedColumns(step, cache, start,
                (int) tokens.getShape().get(1)));
    }

    /**
     * Runs {@code tokens [batch, seq]} (int64) at {@code positions [batch, seq]} (float32) against any cache
     * layout and returns the final hidden states {@code [batch, seq, hidden]} after the last norm.
     */
    NDArray hidden(NDManager step, NDArray tokens, NDArray positions, int maxPosition, KvView view) {
        long batch = tokens.getShape().get(0);
        long seq = tokens.getShape().get(1);
        NDArray bias = view.bias(step);                                         // [batch, 1, 1, seq, end]
        if (nativeDecoder != null && NativeDecoder.takes(batch * seq)) {
            return nativeDecoder.apply(step, tokens, positions, maxPosition, bias, view.columns(step),
                    view.keyBuffers(), view.valueBuffers());
        }
        NDArray x = weights.embed.get(step, new NDIndex("{}", tokens.flatten()))
                .reshape(batch, seq, config.hiddenSize);                        // [batch, seq, hidden]
        NDList cosSin = rope.cosSin(positions, maxPosition, dtype);
        if (decoder != null) {
            return decoder.apply(step, x, cosSin, FusedAttention.mask(bias, config.groups(), dtype),
                    view.columns(step), view.keyBuffers(), view.valueBuffers());
        }
        NDArray mask = fused == null ? bias
                : FusedAttention.mask(bias, config.groups(), dtype);            // [batch, 1, groups*seq, end]
        for (int i = 0; i < weights.layers.length; i++) {
            Phi3Weights.Layer w = weights.layers[i];
            NDArray h = rmsNorm(x, w.inputNorm());
            x = x.add(attention(step, h, w, i, cosSin, mask, view));
            h = rmsNorm(x, w.postNorm());
            x = x.add(mlp(h, w));
        }
        return rmsNorm(x, weights.finalNorm);
    }

    /**
     * Logits {@code [rows, vocab]} of one decode column per slot, from arrays by the native decoder into
     * {@code scratch} ({@link NativeDecoder#decodeLogits}: no tensor made), or null where this model has no
     * native decoder or the step has more rows than it takes: the caller then runs {@link #hidden} and
     * {@link #logits}, which give the same values.
     */
    FloatBuffer decodeLogits(NativeDecoder.Scratch scratch, long[] ids, float[] positions, int maxPosition,
            SlotCache.HostStep step) {
        if (nativeDecoder == null || !NativeDecoder.takes(ids.length)) {
            return null;
        }
        return nativeDecoder.decodeLogits(scratch, ids, positions, maxPosition, step);
    }

    /** Columns {@code [start, start + seq)} of a shared-column cache, causal on column indices. */
    private KvView sharedColumns(NDManager step, KvCache cache, int start, int seq) {
        int end = start + seq;
        return new KvView() {
            @Override
            public void write(int layer, NDArray k, NDArray v) {
                cache.write(layer, k, v, start);
            }

            @Override
            public NDArray keys(NDManager s, int layer) {
                return cache.keys(s, layer, end);
            }

            @Override
            public NDArray values(NDManager s, int layer) {
                return cache.values(s, layer, end);
            }

            @Override
            public NDArray bias(NDManager s) {
                return attentionBias(s, cache, start, seq);
            }

            @Override
            public NDArray[] keyBuffers() {
                return cache.keyBuffers();
            }

            @Override
            public NDArray[] valueBuffers() {
                return cache.valueBuffers();
            }

            @Override
            public NDArray columns(NDManager s) {
                return s.arange(start, end, 1, DataType.INT64).reshape(1, seq);
            }
        };
    }

    /** Receives each prefill chunk's final hidden states while the chunk's step manager is open. */
    interface ChunkConsumer {
        void accept(NDManager step, NDArray hidden, int start, int end);
    }

    /**
     * Runs a batch's columns through the model at most {@code chunk} columns at a time ({@link
     * #prefillColumns}), each chunk in its own step manager: a long prompt costs attention memory for one
     * chunk, not the whole prompt.
     */
    void prefill(NDManager call, Batch batch, KvCache cache, int chunk, ChunkConsumer consumer) {
        ModelForward.of(this).prefill(call, batch, cache, chunk, consumer);
    }

    /** Float32 logits {@code [batch, seq, vocab]} of hidden states {@code [batch, seq, hidden]}. */
    public NDArray logits(NDArray hidden) {
        Shape s = hidden.getShape();
        if (nativeDecoder != null && NativeDecoder.takes(s.size() / s.get(s.dimension() - 1))) {
            return nativeDecoder.logits(hidden);
        }
        return lmHeadProduct(hidden).toType(DataType.FLOAT32, false);
    }

    /**
     * {@code hidden x lmHead}, split in two along the hidden dimension for a few rows on the CPU as {@link
     * FusedDecoder} splits the layers' products (one libtorch thread would read the largest matrix alone).
     * A tied lm_head is the embedding's transposed view, which a split would copy: it keeps the one product.
     */
    private NDArray lmHeadProduct(NDArray hidden) {
        Shape s = hidden.getShape();
        long k = s.get(s.dimension() - 1);
        long rows = s.size() / k;
        if (lmHeadHalves == null || rows > FusedDecoder.SPLIT_MAX_ROWS) {
            return hidden.matMul(weights.lmHead);
        }
        long split = lmHeadHalves.getShape().get(0);
        long vocab = lmHeadHalves.getShape().get(2);
        NDArray halves = hidden.reshape(rows, split, k / split).transpose(1, 0, 2); // [split, rows, k/split]
        NDArray parts = halves.batchMatMul(lmHeadHalves);                         // [split, rows, vocab]
        long[] out = s.getShape().clone();
        out[out.length - 1] = vocab;
        return parts.sum(new int[] {0}).reshape(new Shape(out));                   // hidden's shape, vocab last
    }

    private NDArray attention(NDManager step, NDArray h, Phi3Weights.Layer w, int layer, NDList cosSin,
            NDArray mask, KvView cache) {
        long batch = h.getShape().get(0);
        long seq = h.getShape().get(1);
        int headDim = config.headDim();
        long qSize = (long) config.heads * headDim;
        long kvSize = (long) config.kvHeads * headDim;
        NDList qkv = h.matMul(w.qkv()).split(new long[] {qSize, qSize + kvSize}, 2);
        NDArray q = heads(qkv.get(0), config.heads);                           // [batch, heads, seq, headDim]
        NDArray k = heads(qkv.get(1), config.kvHeads);                         // [batch, kvHeads, seq, headDim]
        NDArray v = heads(qkv.get(2), config.kvHeads);
        q = rope.apply(q, cosSin);
        k = rope.apply(k, cosSin);
        cache.write(layer, k, v);
        NDArray keys = cache.keys(step, layer);                                 // [batch, kvHeads, end, headDim]
        NDArray values = cache.values(step, layer);
        // Query heads grouped under their key/value head, so K and V are never copied per query head.
        long groups = config.groups();
        NDArray grouped = q.reshape(batch, config.kvHeads, groups * seq, headDim); // [batch, kvHeads, groups*seq, headDim]
        NDArray out = fused == null ? plainAttention(grouped, keys, values, mask, seq)
                : fused.apply(step, grouped, keys, values, mask);              // [batch, kvHeads, groups*seq, headDim]
        out = out.reshape(batch, config.heads, seq, headDim)
                .transpose(0, 2, 1, 3)
                .reshape(batch, seq, qSize);                                    // [batch, seq, heads*headDim]
        return out.matMul(w.out());
    }

    /**
     * The reference attention: scores in the compute dtype, bias and softmax in float32. {@code bias} is
     * {@code [batch, 1, 1, seq, end]}; the others as {@link FusedAttention#apply}.
     */
    private NDArray plainAttention(NDArray grouped, NDArray keys, NDArray values, NDArray bias, long seq) {
        long batch = grouped.getShape().get(0);
        long end = keys.getShape().get(2);
        long groups = config.groups();
        NDArray scores = grouped.mul(1.0 / Math.sqrt(config.headDim()))
                .matMul(keys.transpose(0, 1, 3, 2))
                .toType(DataType.FLOAT32, false)
                .reshape(batch, config.kvHeads, groups, seq, end)
                .add(bias);                                                     // [batch, kvHeads, groups, seq, end]
        NDArray probs = scores.softmax(4).toType(dtype, false)
                .reshape(batch, config.kvHeads, groups * seq, end);
        return probs.matMul(values);                                            // [batch, kvHeads, groups*seq, headDim]
    }

    /** {@code [batch, seq, n*headDim]} to {@code [batch, n, seq, headDim]}. */
    private NDArray heads(NDArray x, int n) {
        long batch = x.getShape().get(0);
        long seq = x.getShape().get(1);
        return x.reshape(batch, seq, n, config.headDim()).transpose(0, 2, 1, 3);
    }

    private NDArray mlp(NDArray h, Phi3Weights.Layer w) {
        NDList gateUp = h.matMul(w.gateUp()).split(new long[] {config.intermediateSize}, 2); // gate first
        NDArray act = Activation.swish(gateUp.get(0), 1f).mul(gateUp.get(1));
        return act.matMul(w.down());
    }

    /** RMSNorm in float32, as HF does, then scaled by the weight in the compute dtype. */
    private NDArray rmsNorm(NDArray x, NDArray weight) {
        NDArray xf = x.toType(DataType.FLOAT32, false);
        NDArray variance = xf.pow(2).mean(new int[] {2}, true);
        NDArray normed = xf.mul(variance.add(config.rmsNormEps).pow(-0.5)).toType(dtype, false);
        return normed.mul(weight);
    }

    /**
     * Additive attention bias {@code [batch, 1, 1, seq, end]}: 0 where query column {@code start + i}
     * may see key column {@code j} (causal, and the key is a real token), a large negative otherwise.
     */
    private NDArray attentionBias(NDManager step, KvCache cache, int start, int seq) {
        int end = start + seq;
        NDArray queryCols = step.arange(start, end, 1, DataType.FLOAT32).reshape(seq, 1);
        NDArray keyCols = step.arange(0, end, 1, DataType.FLOAT32).reshape(1, end);
        NDArray causal = keyCols.lte(queryCols).toType(DataType.FLOAT32, false); // [seq, end]
        NDArray valid = cache.valid(step, end);                                 // [batch, end]
        NDArray allowed = valid.expandDims(1).mul(causal.expandDims(0));        // [batch, seq, end]
        long batch = valid.getShape().get(0);
        return allowed.sub(1f).mul(-MASK_BIAS).reshape(batch, 1, 1, seq, end);
    }

    @Override
    public void close() {
        if (decoder != null) {
            decoder.close();
        }
        if (nativeDecoder != null) {
            nativeDecoder.close();
        }
        manager.close();
    }
}
