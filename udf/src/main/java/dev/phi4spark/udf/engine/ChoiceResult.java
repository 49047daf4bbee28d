package dev.phi4spark.udf.engine;

/**
 * The probabilities of a set of candidate next tokens after a prompt, the building block of an LLM
 * judge (the digits 0 to 5, say).
 *
 * @param probabilities each candidate's probability under the full softmax
 * @param normalized the same, rescaled to sum to 1 over the candidates
 * @param error why the row failed, else null
 * @param cachedPromptTokens prompt tokens whose keys and values came from the prefix cache
 */
public record ChoiceResult(float[] probabilities, float[] normalized, RowError error, int cachedPromptTokens) {

    /** A result computed without the prefix cache. */
    public ChoiceResult(float[] probabilities, float[] normalized, RowError error) {
        this(probabilities, normalized, error, 0);
    }

    static ChoiceResult of(float[] probabilities) {
        return of(probabilities, 0);
    }

    static ChoiceResult of(float[] probabilities, int cachedPromptTokens) {
        double total = 0;
        for (float p : probabilities) {
            total += p;
        }
        if (!Double.isFinite(total)) {
            return failed(new RowError(ScoreResult.NON_FINITE, "the model produced NaN or infinite probabilities"
                    + " (damaged weights, or float16 overflow: try model.dtype=float32)"));
        }
        float[] normalized = new float[probabilities.length];
        for (int i = 0; i < normalized.length; i++) {
            normalized[i] = total > 0 ? (float) (probabilities[i] / total) : 0f;
        }
        return new ChoiceResult(probabilities, normalized, null, cachedPromptTokens);
    }

    static ChoiceResult failed(RowError error) {
        return new ChoiceResult(new float[0], new float[0], error);
    }

    /** The index of the most likely candidate, or -1 for a failed row. */
    public int argmax() {
        int best = -1;
        for (int i = 0; i < normalized.length; i++) {
            if (best < 0 || normalized[i] > normalized[best]) {
                best = i;
            }
        }
        return best;
    }

    /** The expectation of {@code values} (one per candidate) under the normalized distribution. */
    public double expected(double[] values) {
        if (values.length != normalized.length) {
            throw new IllegalArgumentException("Cannot take the expectation: " + values.length
                    + " values for " + normalized.length + " candidates");
        }
        double e = 0;
        for (int i = 0; i < values.length; i++) {
            e += values[i] * normalized[i];
        }
        return e;
    }
}
