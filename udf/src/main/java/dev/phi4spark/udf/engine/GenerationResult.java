package dev.phi4spark.udf.engine;

/**
 * What one row produced.
 *
 * @param tokenIds the generated ids, the stop token included when one ended the row
 * @param text the decoded completion, without the stop token or stop string (empty without a tokenizer)
 * @param finishReason stop, length or error
 * @param promptTokens tokens in the prompt
 * @param completionTokens tokens generated
 * @param error why the row failed, else null
 * @param cachedPromptTokens prompt tokens whose keys and values came from the prefix cache instead of
 *     a forward pass (0 when no cached prefix matched)
 */
public record GenerationResult(long[] tokenIds, String text, FinishReason finishReason, int promptTokens,
        int completionTokens, RowError error, int cachedPromptTokens) {

    /** Error code: the prompt has no tokens. */
    public static final String EMPTY_PROMPT = "empty_prompt";
    /** Error code: the prompt does not fit the context with room for one new token. */
    public static final String PROMPT_TOO_LONG = "prompt_too_long";
    /** Error code: a prompt id outside the vocabulary. */
    public static final String INVALID_TOKEN = "invalid_token";
    /** Error code: the device ran out of memory even with the row alone in its batch. */
    public static final String OUT_OF_MEMORY = "out_of_memory";

    /** A result computed without the prefix cache. */
    public GenerationResult(long[] tokenIds, String text, FinishReason finishReason, int promptTokens,
            int completionTokens, RowError error) {
        this(tokenIds, text, finishReason, promptTokens, completionTokens, error, 0);
    }

    /** A failed row; {@code error}'s code is one of the codes above. */
    public static GenerationResult failed(int promptTokens, RowError error) {
        return new GenerationResult(new long[0], "", FinishReason.ERROR, promptTokens, 0, error);
    }
}
