package dev.phi4spark.filters.heuristic;

import dev.phi4spark.filters.DocumentFilter;
import dev.phi4spark.filters.FilterResult;

/**
 * Bounds on a document's length in tokens: {@code token_length_too_short} below {@code minTokens},
 * {@code token_length_too_long} above {@code maxTokens}.
 *
 * <p>Defaults ({@link #TokenLengthFilter()}): 50..16384 tokens with {@link
 * TokenCounter#approximate()}; 16384 is Phi-4's context length, 50 matches Gopher's minimum of 50
 * words. The jobs module passes the Phi-4 tokenizer as the {@link TokenCounter}. A bound of 0
 * disables it.
 */
public final class TokenLengthFilter implements DocumentFilter {
    private static final long serialVersionUID = 1L;

    public static final int DEFAULT_MIN_TOKENS = 50;
    public static final int DEFAULT_MAX_TOKENS = 16_384;

    private final int minTokens;
    private final int maxTokens;
    private final TokenCounter counter;

    /** The defaults (see class Javadoc). */
    public TokenLengthFilter() {
        this(DEFAULT_MIN_TOKENS, DEFAULT_MAX_TOKENS, TokenCounter.approximate());
    }

    public TokenLengthFilter(int minTokens, int maxTokens, TokenCounter counter) {
        if (maxTokens > 0 && minTokens > maxTokens) {
            throw new IllegalArgumentException("Cannot create token length filter: min_tokens is above"
                    + " max_tokens (" + minTokens + " > " + maxTokens + ")");
        }
        this.minTokens = minTokens;
        this.maxTokens = maxTokens;
        this.counter = counter;
    }

    @Override
    public String name() {
        return "token_length";
    }

    @Override
    public FilterResult apply(String text) {
        int tokens = counter.count(text == null ? "" : text);
        if (minTokens > 0 && tokens < minTokens) {
            return FilterResult.reject("token_length_too_short");
        }
        if (maxTokens > 0 && tokens > maxTokens) {
            return FilterResult.reject("token_length_too_long");
        }
        return FilterResult.keep();
    }
}
