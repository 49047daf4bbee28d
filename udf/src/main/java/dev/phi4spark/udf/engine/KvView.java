package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * One forward's window onto a KV cache: where the new keys and values go, what attention reads back,
 * and which key columns each query may see. It lets the same layer code run on shared-column caches
 * ({@link KvCache}) and on caches whose rows each have their own write column ({@link SlotCache}).
 */
interface KvView {

    /** Stores a layer's new keys and values {@code [batch, kvHeads, seq, headDim]}. */
    void write(int layer, NDArray k, NDArray v);

    /** A layer's keys {@code [batch, kvHeads, end, headDim]} on the step's manager, new ones included. */
    NDArray keys(NDManager step, int layer);

    /** A layer's values {@code [batch, kvHeads, end, headDim]} on the step's manager. */
    NDArray values(NDManager step, int layer);

    /** The additive attention bias {@code [batch, 1, 1, seq, end]}: 0 where allowed, a large negative not. */
    NDArray bias(NDManager step);

    /** Every layer's whole key buffer {@code [batch, kvHeads, capacity, headDim]}, for the fused decoder. */
    NDArray[] keyBuffers();

    /** Every layer's whole value buffer, as {@link #keyBuffers()}. */
    NDArray[] valueBuffers();

    /**
     * Where the fused decoder writes the new keys and values: each row's cache columns, int64 {@code [batch,
     * seq]} or broadcastable to it.
     */
    NDArray columns(NDManager step);
}
