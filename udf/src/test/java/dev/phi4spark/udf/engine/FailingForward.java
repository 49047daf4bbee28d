package dev.phi4spark.udf.engine;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import java.util.function.Consumer;

/**
 * The model's forward passes, each first shown its input token ids {@code [rows, columns]} so that a test
 * can record it or throw as a full device would: failures are injected by wrapping the model.
 */
final class FailingForward implements ModelForward {

    private final ModelForward model;
    private final Consumer<NDArray> beforeForward;

    FailingForward(Phi3Model model, Consumer<NDArray> beforeForward) {
        this.model = ModelForward.of(model);
        this.beforeForward = beforeForward;
    }

    @Override
    public Phi3Model model() {
        return model.model();
    }

    @Override
    public NDArray hidden(NDManager step, NDArray tokens, NDArray positions, int maxPosition, KvCache cache,
            int start) {
        beforeForward.accept(tokens);
        return model.hidden(step, tokens, positions, maxPosition, cache, start);
    }

    @Override
    public NDArray hidden(NDManager step, NDArray tokens, NDArray positions, int maxPosition, KvView view) {
        beforeForward.accept(tokens);
        return model.hidden(step, tokens, positions, maxPosition, view);
    }

    /** Rows of a forward's input. */
    static int rows(NDArray tokens) {
        return (int) tokens.getShape().get(0);
    }

    /** Whether a forward's input holds {@code id}. */
    static boolean holds(NDArray tokens, long id) {
        return java.util.Arrays.stream(tokens.toLongArray()).anyMatch(t -> t == id);
    }
}
