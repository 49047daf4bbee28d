package dev.phi4spark.udf.spark;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Groups rows into batches: rows sorted by token length so batch-mates pad little, each batch under a
 * token budget and a row cap. A batch costs {@code rows * (longest + extraPerRow)}: what its KV cache
 * and activations grow with (the generator passes its {@code maxNewTokens} as the extra). A row over
 * the budget on its own still runs, alone.
 */
public final class BatchPlanner {

    private BatchPlanner() {}

    /**
     * @param lengths token length of each row
     * @param extraPerRow columns every row adds on top of its length
     * @param maxBatchTokens budget of one batch
     * @param maxBatchRows most rows in one batch
     * @return indices into {@code lengths}, one array per batch, shortest rows first
     */
    public static List<int[]> plan(int[] lengths, int extraPerRow, int maxBatchTokens, int maxBatchRows) {
        if (maxBatchTokens <= 0 || maxBatchRows <= 0) {
            throw new IllegalArgumentException("Cannot plan batches: maxBatchTokens and maxBatchRows must be > 0 ("
                    + maxBatchTokens + ", " + maxBatchRows + ")");
        }
        int[] order = IntStream.range(0, lengths.length).boxed()
                .sorted(Comparator.comparingInt(i -> lengths[i])).mapToInt(Integer::intValue).toArray();
        List<int[]> batches = new ArrayList<>();
        int start = 0;
        while (start < order.length) {
            int end = start + 1;
            while (end < order.length && end - start < maxBatchRows
                    && (long) (end - start + 1) * (lengths[order[end]] + extraPerRow) <= maxBatchTokens) {
                end++;
            }
            batches.add(java.util.Arrays.copyOfRange(order, start, end));
            start = end;
        }
        return batches;
    }
}
