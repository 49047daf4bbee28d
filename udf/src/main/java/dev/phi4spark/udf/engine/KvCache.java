package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

/**
 * Keys and values of every layer for a batch of sequences, in preallocated buffers
 * {@code [batch, kvHeads, capacity, headDim]} written in place, so a decode step costs no copy of the
 * history. Sequences share columns; a padding column is marked invalid and masked out of attention.
 */
public final class KvCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private NDArray valid; // [batch, capacity] float32, 1 where a column holds a real token
    private final int capacity;
    private int batch;

    KvCache(Phi3Config c, NDManager parent, DataType dtype, int batch, int capacity) {
        this.manager = parent.newSubManager();
        this.capacity = capacity;
        this.batch = batch;
        this.keys = new NDArray[c.layers];
        this.values = new NDArray[c.layers];
        Shape shape = new Shape(batch, c.kvHeads, capacity, c.headDim());
        for (int i = 0; i < c.layers; i++) {
            keys[i] = manager.zeros(shape, dtype);
            values[i] = manager.zeros(shape, dtype);
        }
        valid = manager.ones(new Shape(batch, capacity), DataType.FLOAT32);
    }

    /** Columns available. */
    public int capacity() {
        return capacity;
    }

    /** Rows in the cache. */
    public int batch() {
        return batch;
    }

    /** Marks the first {@code columns} columns of a row as padding. */
    void markPadding(int row, int columns) {
        if (columns > 0) {
            valid.set(new NDIndex("{}, :{}", row, columns), 0f);
        }
    }

    /**
     * Marks columns {@code [from, to)} of a row as padding: a prompt prefilled after a reused prefix is
     * left-padded between the prefix and its own tokens.
     */
    void markInvalid(int row, int from, int to) {
        if (to > from) {
            try (NDManager scratch = manager.newSubManager()) {
                valid.set(new NDIndex("{}, {}:{}", row, from, to), scratch.zeros(new Shape(to - from), DataType.FLOAT32));
            }
        }
    }

    /** Writes a layer's new keys and values {@code [batch, kvHeads, seq, headDim]} at column {@code start}. */
    void write(int layer, NDArray k, NDArray v, int start) {
        long seq = k.getShape().get(2);
        NDIndex at = new NDIndex(":, :, {}:{}", start, start + seq);
        keys[layer].set(at, k);
        values[layer].set(at, v);
    }

    /** The first {@code end} columns of a layer's keys, on the step's manager. */
    NDArray keys(NDManager step, int layer, int end) {
        return keys[layer].get(step, new NDIndex(":, :, :{}", end));
    }

    /** The first {@code end} columns of a layer's values, on the step's manager. */
    NDArray values(NDManager step, int layer, int end) {
        return values[layer].get(step, new NDIndex(":, :, :{}", end));
    }

    /** Every layer's key buffer, written in place by the fused decoder. */
    NDArray[] keyBuffers() {
        return keys.clone();
    }

    /** Every layer's value buffer, written in place by the fused decoder. */
    NDArray[] valueBuffers() {
        return values.clone();
    }

    /** Validity of the first {@code end} columns {@code [batch, end]}, on the step's manager. */
    NDArray valid(NDManager step, int end) {
        return valid.get(step, new NDIndex(":, :{}", end));
    }

    /** Keeps only the given rows, in that order: finished sequences stop costing compute. */
    void keepRows(long[] rows) {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray index = scratch.create(rows);
            for (int i = 0; i < keys.length; i++) {
                keys[i] = replace(keys[i], index);
                values[i] = replace(values[i], index);
            }
            valid = replace(valid, index);
        }
        batch = rows.length;
    }

    private NDArray replace(NDArray old, NDArray index) {
        NDArray kept = old.get(manager, new NDIndex("{}", index));
        old.close();
        return kept;
    }

    @Override
    public void close() {
        manager.close();
    }
}
