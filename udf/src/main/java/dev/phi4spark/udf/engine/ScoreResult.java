package dev.phi4spark.udf.engine;

/**
 * Teacher-forced log-probabilities of one text.
 *
 * @param tokenLogprobs natural-log probability of each scored token given the ones before it
 * @param sum their sum
 * @param mean their mean
 * @param perplexity {@code exp(-mean)}
 * @param tokenCount tokens scored
 * @param error why the row failed, else null
 */
public record ScoreResult(float[] tokenLogprobs, double sum, double mean, double perplexity, int tokenCount,
        RowError error) {

    /** Error code: fewer than two tokens, so no token has a context to be scored in. */
    public static final String TOO_SHORT = "too_short";

    /** Error code: the model's log-probabilities were NaN or infinite (damaged weights, overflow). */
    public static final String NON_FINITE = "non_finite_logits";

    static ScoreResult of(float[] logprobs) {
        double sum = 0;
        for (float lp : logprobs) {
            sum += lp;
        }
        if (!Double.isFinite(sum)) {
            return failed(new RowError(NON_FINITE, "the model produced NaN or infinite log-probabilities (damaged"
                    + " weights, or float16 overflow: try model.dtype=float32)"));
        }
        double mean = sum / logprobs.length;
        return new ScoreResult(logprobs, sum, mean, Math.exp(-mean), logprobs.length, null);
    }

    static ScoreResult failed(RowError error) {
        return new ScoreResult(new float[0], Double.NaN, Double.NaN, Double.NaN, 0, error);
    }
}
