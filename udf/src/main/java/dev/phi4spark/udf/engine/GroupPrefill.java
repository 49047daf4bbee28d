package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;

/**
 * Prefills prompts that may start with a cached prefix: the scratch cache is laid out as
 * {@code [prefix | left padding | rest of the prompt]}, the prefix's keys and values are copied in once
 * for all rows, and only the rests run through the model, at most {@code chunk} columns per forward ({@link
 * Phi3Model#prefillColumns}).
 */
final class GroupPrefill {

    /** Receives the float32 logits {@code [rows, vocab]} of each row's last prompt token. */
    interface LastLogits {
        void accept(NDManager step, NDArray logits);
    }

    final Batch rests;
    final int offset;
    private final PrefixCache.Entry prefix;

    /** Prompts whose first {@code prefix.length()} tokens are {@code prefix}'s (none when null). */
    GroupPrefill(long[][] prompts, PrefixCache.Entry prefix) {
        this.prefix = prefix;
        this.offset = prefix == null ? 0 : prefix.length();
        long[][] r = new long[prompts.length][];
        for (int i = 0; i < prompts.length; i++) {
            r[i] = java.util.Arrays.copyOfRange(prompts[i], offset, prompts[i].length);
        }
        this.rests = new Batch(r);
    }

    /** Columns the scratch cache needs. */
    int width() {
        return offset + rests.width;
    }

    /** Row {@code r}'s own tokens sit in scratch columns {@code [firstColumn(r), width())}. */
    int firstColumn(int r) {
        return offset + rests.pad[r];
    }

    /** A scratch cache holding the prefix, with each row's padding marked. */
    KvCache scratch(Phi3Model model) {
        KvCache cache = model.newCache(rests.rows(), width());
        try {
            for (int layer = 0; prefix != null && layer < prefix.keys.length; layer++) {
                cache.write(layer, prefix.keys[layer], prefix.values[layer], 0); // [1, ...] broadcast over rows
            }
            for (int r = 0; r < rests.rows(); r++) {
                cache.markInvalid(r, offset, firstColumn(r));
            }
            return cache;
        } catch (RuntimeException e) {
            cache.close();
            throw e;
        }
    }

    /** Runs the rests through the model into {@code scratch}. */
    void run(ModelForward forward, NDManager parent, KvCache scratch, int chunk, LastLogits last) {
        int columns = forward.model().prefillColumns(rests.rows(), chunk);
        for (int start = 0; start < rests.width; start += columns) {
            int end = Math.min(rests.width, start + columns);
            try (NDManager step = parent.newSubManager()) {
                NDArray positions = rests.positions(step, start, end).add(offset);
                NDArray hidden = forward.hidden(step, rests.tokens(step, start, end), positions,
                        offset + rests.maxPosition(end), scratch, offset + start);
                if (end == rests.width) {
                    NDArray lastColumn = hidden.get(new NDIndex(":, {}:, :", end - start - 1));
                    last.accept(step, forward.model().logits(lastColumn).squeeze(1));
                }
            }
        }
    }
}
