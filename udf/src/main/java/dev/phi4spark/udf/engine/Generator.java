package dev.phi4spark.udf.engine;

import java.util.List;
import java.util.Set;

/**
 * Static batching: every request of a call is prefilled into one batch and decoded together until the
 * last row ends; finished rows leave the batch so they stop costing compute, and bad rows get an error
 * while the rest run. This is {@link ContinuousGenerator}'s loop with as many slots as requests and
 * without refill, so both share one decoding policy, one out-of-memory policy (halve the batch, then
 * fail the row alone) and give the same tokens.
 */
public final class Generator {

    private final ModelForward forward;
    private final int prefillChunk;
    private final DecodingPolicy policy;

    /**
     * @param model the model
     * @param prefillChunk columns per prefill forward
     * @param stopTokens ids that end a row (Phi-4: {@code <|im_end|>}, {@code <|endoftext|>})
     * @param decoder turns ids into text for results and stop strings
     */
    public Generator(Phi3Model model, int prefillChunk, Set<Long> stopTokens, TokenDecoder decoder) {
        this(ModelForward.of(model), prefillChunk, new DecodingPolicy(stopTokens, decoder));
    }

    /** A generator running the model through {@code forward} (tests wrap the model to inject failures). */
    Generator(ModelForward forward, int prefillChunk, DecodingPolicy policy) {
        if (prefillChunk <= 0) {
            throw new IllegalArgumentException("Cannot create generator: prefill chunk must be positive ("
                    + prefillChunk + ")");
        }
        this.forward = forward;
        this.prefillChunk = prefillChunk;
        this.policy = policy;
    }

    /** Told after each decode step: progress reports, and tests that watch memory. */
    @FunctionalInterface
    public interface StepListener {
        /** Called after decode step {@code step} (0 is the prefill) with the rows still decoding. */
        void afterStep(int step, int liveRows);

        /** A listener that does nothing. */
        StepListener NONE = (step, rows) -> { };
    }

    /** Generates for every request; results are in request order. */
    public List<GenerationResult> generate(List<GenerationRequest> requests) {
        return generate(requests, StepListener.NONE);
    }

    /** Generates for every request, telling {@code listener} after each step. */
    public List<GenerationResult> generate(List<GenerationRequest> requests, StepListener listener) {
        int slots = Math.max(1, requests.size());
        return new ContinuousGenerator(forward, slots, false, prefillChunk, policy, null, 0)
                .generate(requests, listener);
    }
}
