package dev.phi4spark.filters.heuristic;

import java.io.Serializable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Counts the tokens of a text. The jobs module plugs in the Phi-4 tokenizer (from the udf module)
 * through this interface; until then {@link #approximate()} stands in.
 */
@FunctionalInterface
public interface TokenCounter extends Serializable {

    /** Number of tokens in {@code text}. */
    int count(String text);

    /**
     * A tokenizer-free estimate close to BPE tokenizers of the cl100k/Phi-4 family on English prose:
     * each run of letters is a token, digits go in groups of up to three, each run of other
     * non-space characters is a token. It undercounts rare long words, which BPE splits.
     */
    static TokenCounter approximate() {
        return ApproximateTokenCounter.INSTANCE;
    }
}

/** See {@link TokenCounter#approximate()}. */
enum ApproximateTokenCounter implements TokenCounter {
    INSTANCE;

    private static final Pattern TOKEN = Pattern.compile("\\p{L}+|\\p{N}{1,3}|[^\\s\\p{L}\\p{N}]+");

    @Override
    public int count(String text) {
        if (text == null) {
            return 0;
        }
        Matcher m = TOKEN.matcher(text);
        int n = 0;
        while (m.find()) {
            n++;
        }
        return n;
    }
}
