package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.nio.FloatBuffer;

/**
 * The forward passes generation, scoring and the prefix cache run, in one place so that tests can wrap
 * the model (to make a forward fail as a full device would) without hooks in the loops.
 */
interface ModelForward {

    /** The model whose weights, config and caches the callers use. */
    Phi3Model model();

    /** Hidden states of columns written into {@code cache} from column {@code start}; see {@link Phi3Model}. */
    NDArray hidden(NDManager step, NDArray tokens, NDArray positions, int maxPosition, KvCache cache, int start);

    /** Hidden states of one decode column through a cache view (slots at their own lengths). */
    NDArray hidden(NDManager step, NDArray tokens, NDArray positions, int maxPosition, KvView view);

    /**
     * Logits {@code [rows, vocab]} of one decode column per slot without a tensor ({@link
     * Phi3Model#decodeLogits}), or null where there is no such path: the caller then takes {@link #hidden}.
     * Null unless overridden, so a wrapper sees every step through {@code hidden}.
     */
    default FloatBuffer decodeLogits(NativeDecoder.Scratch scratch, long[] ids, float[] positions, int maxPosition,
            SlotCache.HostStep step) {
        return null;
    }

    /**
     * Runs a left-padded batch through the model into {@code cache}, at most {@code chunk} columns per forward
     * ({@link Phi3Model#prefillColumns}), handing each chunk's hidden states {@code [rows, columns, hidden]} to
     * {@code consumer}.
     */
    default void prefill(NDManager call, Batch batch, KvCache cache, int chunk, Phi3Model.ChunkConsumer consumer) {
        for (int r = 0; r < batch.rows(); r++) {
            cache.markPadding(r, batch.pad[r]);
        }
        int columns = model().prefillColumns(batch.rows(), chunk);
        for (int start = 0; start < batch.width; start += columns) {
            int end = Math.min(batch.width, start + columns);
            try (NDManager step = call.newSubManager()) {
                NDArray hidden = hidden(step, batch.tokens(step, start, end), batch.positions(step, start, end),
                        batch.maxPosition(end), cache, start);
                consumer.accept(step, hidden, start, end);
            }
        }
    }

    /** The model's own forward passes. */
    static ModelForward of(Phi3Model model) {
        return new ModelForward() {
            @Override
            public Phi3Model model() {
                return model;
            }

            @Override
            public NDArray hidden(NDManager step, NDArray tokens, NDArray positions, int maxPosition, KvCache cache,
                    int start) {
                return model.hidden(step, tokens, positions, maxPosition, cache, start);
            }

            @Override
            public NDArray hidden(NDManager step, NDArray tokens, NDArray positions, int maxPosition, KvView view) {
                return model.hidden(step, tokens, positions, maxPosition, view);
            }

            @Override
            public FloatBuffer decodeLogits(NativeDecoder.Scratch scratch, long[] ids, float[] positions,
                    int maxPosition, SlotCache.HostStep step) {
                return model.decodeLogits(scratch, ids, positions, maxPosition, step);
            }
        };
    }
}
