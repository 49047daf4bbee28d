package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

/**
 * Prompts of different lengths laid out left-padded in shared columns: row {@code r}'s first token sits
 * at column {@code pad[r]}, so every row's last prompt token is in the same column and decoding appends
 * one column for all rows at once. A token's position is its column minus its row's padding.
 */
final class Batch {

    final long[][] prompts;
    final int width;
    final int[] pad;

    Batch(long[][] prompts) {
        this.prompts = prompts;
        int w = 0;
        for (long[] p : prompts) {
            w = Math.max(w, p.length);
        }
        this.width = w;
        this.pad = new int[prompts.length];
        for (int r = 0; r < prompts.length; r++) {
            pad[r] = w - prompts[r].length;
        }
    }

    int rows() {
        return prompts.length;
    }

    /** Token ids of columns {@code [from, to)} {@code [rows, to - from]}; padding reads as id 0. */
    NDArray tokens(NDManager manager, int from, int to) {
        long[] ids = new long[rows() * (to - from)];
        for (int r = 0; r < rows(); r++) {
            for (int c = from; c < to; c++) {
                int i = c - pad[r];
                ids[r * (to - from) + c - from] = i >= 0 ? prompts[r][i] : 0;
            }
        }
        return manager.create(ids, new Shape(rows(), to - from));
    }

    /** Positions of columns {@code [from, to)} {@code [rows, to - from]} (float32); padding reads 0. */
    NDArray positions(NDManager manager, int from, int to) {
        float[] pos = new float[rows() * (to - from)];
        for (int r = 0; r < rows(); r++) {
            for (int c = from; c < to; c++) {
                pos[r * (to - from) + c - from] = Math.max(0, c - pad[r]);
            }
        }
        return manager.create(pos, new Shape(rows(), to - from));
    }

    /** The largest position in columns before {@code to}. */
    int maxPosition(int to) {
        int min = Integer.MAX_VALUE;
        for (int p : pad) {
            min = Math.min(min, p);
        }
        return to - 1 - min;
    }
}
