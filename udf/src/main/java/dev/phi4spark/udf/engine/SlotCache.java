package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;

/**
 * A KV cache whose rows are independent sequence slots: each row holds its sequence left-aligned from
 * column 0 and has its own length, so a finished sequence's row can take a new prompt while the other
 * rows keep decoding. A decode step writes each row's new column at that row's own length (one scatter
 * per layer) and a row only sees its own first {@code length + 1} columns.
 */
final class SlotCache implements AutoCloseable {

    private final NDManager manager;
    private final NDArray[] keys;   // [rows, kvHeads, capacity, headDim] per layer
    private final NDArray[] values;
    private final int capacity;
    private int[] lengths;          // columns of each row that hold its sequence

    SlotCache(Phi3Model model, int rows, int capacity) {
        Phi3Config c = model.config();
        this.manager = model.manager().newSubManager();
        this.capacity = capacity;
        this.lengths = new int[rows];
        this.keys = new NDArray[c.layers];
        this.values = new NDArray[c.layers];
        Shape shape = new Shape(rows, c.kvHeads, capacity, c.headDim());
        for (int i = 0; i < c.layers; i++) {
            keys[i] = manager.zeros(shape, model.dtype());
            values[i] = manager.zeros(shape, model.dtype());
        }
    }

    int rows() {
        return lengths.length;
    }

    int capacity() {
        return capacity;
    }

    /** The columns row {@code row} holds; the next decode step writes at this column. */
    int length(int row) {
        return lengths[row];
    }

    /**
     * Copies one prefilled row of a shared-column cache into slot {@code row}, left-aligned: columns
     * {@code [0, prefix)} (a reused prefix, or nothing) then {@code [from, to)} (the prompt after its padding).
     */
    void load(int row, KvCache source, int sourceRow, int prefix, int from, int to) {
        int length = prefix + to - from;
        if (length > capacity) {
            throw new IllegalArgumentException("Cannot load a sequence of " + length + " columns into a slot of "
                    + capacity);
        }
        try (NDManager scratch = manager.newSubManager()) {
            for (int layer = 0; layer < keys.length; layer++) {
                copy(keys[layer], source.keys(scratch, layer, to), row, sourceRow, prefix, from, to);
                copy(values[layer], source.values(scratch, layer, to), row, sourceRow, prefix, from, to);
            }
        }
        lengths[row] = length;
    }

    private static void copy(NDArray target, NDArray source, int row, int sourceRow, int prefix, int from, int to) {
        if (prefix > 0) {
            target.set(new NDIndex("{}:{}, :, :{}", row, row + 1, prefix),
                    source.get(new NDIndex("{}:{}, :, :{}", sourceRow, sourceRow + 1, prefix)));
        }
        target.set(new NDIndex("{}:{}, :, {}:{}", row, row + 1, prefix, prefix + to - from),
                source.get(new NDIndex("{}:{}, :, {}:{}", sourceRow, sourceRow + 1, from, to)));
    }

    /**
     * One decode step's inputs as arrays: each row's additive mask over columns {@code [0, end)} ({@code
     * [rows, end]}, a row sees its own columns up to and including the new one), the column each row's new
     * keys and values go to, and the layers' cache tensors ({@code [rows, kvHeads, capacity, headDim]}).
     */
    record HostStep(float[] mask, int end, long[] columns, NDArray[] keys, NDArray[] values) {}

    /** The next decode step's inputs as arrays, for a forward that takes them (the native decoder). */
    HostStep hostStep() {
        int rows = rows();
        long[] column = new long[rows];
        int end = 0;
        for (int r = 0; r < rows; r++) {
            column[r] = lengths[r];
            end = Math.max(end, lengths[r] + 1);
        }
        if (end > capacity) {
            throw new IllegalStateException("Cannot decode: a slot is full (" + capacity + " columns)");
        }
        // Built in Java: as libtorch ops (arange, compare, casts) the mask cost ~0.3 ms of a ~12 ms batch-1
        // step (docs/benchmarks.md).
        float[] mask = new float[rows * end];
        for (int r = 0; r < rows; r++) {
            Arrays.fill(mask, r * end + lengths[r] + 1, (r + 1) * end, Phi3Model.MASK_BIAS);
        }
        return new HostStep(mask, end, column, keys.clone(), values.clone());
    }

    /**
     * The view for one decode step: one new column per row, written at each row's own length. Call
     * {@link #advance()} after the forward.
     */
    KvView decode(NDManager step) {
        HostStep host = hostStep();
        int rows = rows();
        long[] column = host.columns();
        int end = host.end();
        NDArray bias = step.create(host.mask(), new Shape(rows, 1, 1, 1, end));
        NDIndex window = new NDIndex(":, :, :{}", end);
        return new KvView() {
            private NDIndex at;

            @Override
            public void write(int layer, NDArray k, NDArray v) {
                if (at == null) { // only the libtorch layers write through the view; the kernels write in place
                    long[] rowIndex = new long[rows];
                    for (int r = 0; r < rows; r++) {
                        rowIndex[r] = r;
                    }
                    at = new NDIndex("{}, :, {}", step.create(rowIndex), step.create(column));
                }
                // Advanced indices around a slice put the indexed dimension first: [rows, kvHeads, headDim].
                keys[layer].set(at, k.squeeze(2));
                values[layer].set(at, v.squeeze(2));
            }

            @Override
            public NDArray keys(NDManager s, int layer) {
                return keys[layer].get(s, window);
            }

            @Override
            public NDArray values(NDManager s, int layer) {
                return values[layer].get(s, window);
            }

            @Override
            public NDArray bias(NDManager s) {
                return bias;
            }

            @Override
            public NDArray[] keyBuffers() {
                return keys.clone();
            }

            @Override
            public NDArray[] valueBuffers() {
                return values.clone();
            }

            @Override
            public NDArray columns(NDManager s) {
                return s.create(column, new Shape(rows, 1));
            }
        };
    }

    /** Counts the column every row got in the last decode step. */
    void advance() {
        for (int r = 0; r < lengths.length; r++) {
            lengths[r]++;
        }
    }

    /** Keeps only the given rows, in that order: once the queue is empty, finished slots stop costing compute. */
    void keepRows(long[] rows) {
        try (NDManager scratch = manager.newSubManager()) {
            NDArray index = scratch.create(rows);
            for (int i = 0; i < keys.length; i++) {
                keys[i] = replace(keys[i], index);
                values[i] = replace(values[i], index);
            }
        }
        int[] kept = new int[rows.length];
        for (int i = 0; i < rows.length; i++) {
            kept[i] = lengths[(int) rows[i]];
        }
        lengths = kept;
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
