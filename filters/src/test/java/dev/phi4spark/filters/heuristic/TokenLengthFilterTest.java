package dev.phi4spark.filters.heuristic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class TokenLengthFilterTest {

    @Test
    void boundsTheTokenCountOfThePluggedInCounter() {
        TokenCounter words = text -> text.isBlank() ? 0 : text.trim().split("\\s+").length;
        TokenLengthFilter filter = new TokenLengthFilter(3, 5, words);
        assertThat(filter.apply("one two").reason()).isEqualTo("token_length_too_short");
        assertThat(filter.apply("one two three four").kept()).isTrue();
        assertThat(filter.apply("one two three four five six").reason())
                .isEqualTo("token_length_too_long");
    }

    @Test
    void approximateCounterSplitsWordsNumbersAndPunctuation() {
        // Hello , world ! 123 45 ...
        assertThat(TokenCounter.approximate().count("Hello, world! 12345 ...")).isEqualTo(7);
        assertThat(TokenCounter.approximate().count("")).isZero();
    }

    @Test
    void defaultsRejectATweet() {
        assertThat(new TokenLengthFilter().apply("Just had lunch, it was great!").reason())
                .isEqualTo("token_length_too_short");
    }

    @Test
    void explainsInvertedBounds() {
        assertThatThrownBy(() -> new TokenLengthFilter(10, 5, TokenCounter.approximate()))
                .hasMessage("Cannot create token length filter: min_tokens is above max_tokens (10 > 5)");
    }
}
