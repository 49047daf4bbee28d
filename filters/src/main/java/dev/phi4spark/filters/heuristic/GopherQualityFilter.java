package dev.phi4spark.filters.heuristic;

import dev.phi4spark.filters.DocumentFilter;
import dev.phi4spark.filters.FilterResult;
import dev.phi4spark.filters.Words;
import java.util.List;
import java.util.Set;

/**
 * Gopher quality rules (Rae et al. 2021, appendix A; datatrove {@code GopherQualityFilter}).
 *
 * <p>Defaults ({@link #GopherQualityFilter()}): 50..100000 words, mean word length 3..10, at most
 * 0.1 {@code #} and 0.1 ellipses per word, at most 90% of lines starting with a bullet and 30%
 * ending with an ellipsis, at least 80% of words with an alphabetic character, and at least 2 stop
 * words from "the be to of and that have with" (matched case-sensitively, as the reference does).
 * A threshold of 0 disables its check, as {@code None} does in datatrove. Words come from {@link
 * Words#tokenize}; one-character ASCII punctuation tokens are not counted as words.
 *
 * <p>Reasons: {@code gopher_short_doc}, {@code gopher_long_doc}, {@code gopher_below_avg_threshold},
 * {@code gopher_above_avg_threshold}, {@code gopher_too_many_hashes}, {@code
 * gopher_too_many_ellipsis}, {@code gopher_too_many_bullets}, {@code gopher_too_many_end_ellipsis},
 * {@code gopher_below_alpha_threshold}, {@code gopher_enough_stop_words} (the reference's name for
 * "not enough stop words").
 */
public final class GopherQualityFilter implements DocumentFilter {
    private static final long serialVersionUID = 1L;

    public static final int DEFAULT_MIN_DOC_WORDS = 50;
    public static final int DEFAULT_MAX_DOC_WORDS = 100_000;
    public static final double DEFAULT_MIN_AVG_WORD_LENGTH = 3;
    public static final double DEFAULT_MAX_AVG_WORD_LENGTH = 10;
    public static final double DEFAULT_MAX_SYMBOL_WORD_RATIO = 0.1;
    public static final double DEFAULT_MAX_BULLET_LINES_RATIO = 0.9;
    public static final double DEFAULT_MAX_ELLIPSIS_LINES_RATIO = 0.3;
    public static final double DEFAULT_MAX_NON_ALPHA_WORDS_RATIO = 0.8;
    public static final int DEFAULT_MIN_STOP_WORDS = 2;
    public static final Set<String> DEFAULT_STOP_WORDS =
            Set.of("the", "be", "to", "of", "and", "that", "have", "with");

    private final int minDocWords;
    private final int maxDocWords;
    private final double minAvgWordLength;
    private final double maxAvgWordLength;
    private final double maxSymbolWordRatio;
    private final double maxBulletLinesRatio;
    private final double maxEllipsisLinesRatio;
    private final double maxNonAlphaWordsRatio;
    private final int minStopWords;
    private final Set<String> stopWords;

    /** The published defaults (see class Javadoc). */
    public GopherQualityFilter() {
        this(DEFAULT_MIN_DOC_WORDS, DEFAULT_MAX_DOC_WORDS, DEFAULT_MIN_AVG_WORD_LENGTH,
                DEFAULT_MAX_AVG_WORD_LENGTH, DEFAULT_MAX_SYMBOL_WORD_RATIO, DEFAULT_MAX_BULLET_LINES_RATIO,
                DEFAULT_MAX_ELLIPSIS_LINES_RATIO, DEFAULT_MAX_NON_ALPHA_WORDS_RATIO, DEFAULT_MIN_STOP_WORDS,
                DEFAULT_STOP_WORDS);
    }

    /**
     * @param maxNonAlphaWordsRatio despite the reference's name, the minimum fraction of words that
     *     contain an alphabetic character
     */
    public GopherQualityFilter(int minDocWords, int maxDocWords, double minAvgWordLength,
            double maxAvgWordLength, double maxSymbolWordRatio, double maxBulletLinesRatio,
            double maxEllipsisLinesRatio, double maxNonAlphaWordsRatio, int minStopWords,
            Set<String> stopWords) {
        this.minDocWords = minDocWords;
        this.maxDocWords = maxDocWords;
        this.minAvgWordLength = minAvgWordLength;
        this.maxAvgWordLength = maxAvgWordLength;
        this.maxSymbolWordRatio = maxSymbolWordRatio;
        this.maxBulletLinesRatio = maxBulletLinesRatio;
        this.maxEllipsisLinesRatio = maxEllipsisLinesRatio;
        this.maxNonAlphaWordsRatio = maxNonAlphaWordsRatio;
        this.minStopWords = minStopWords;
        this.stopWords = Set.copyOf(stopWords);
    }

    @Override
    public String name() {
        return "gopher_quality";
    }

    @Override
    public FilterResult apply(String text) {
        text = text == null ? "" : text;
        List<String> tokens = Words.tokenize(text);
        int nWords = 0;
        long wordChars = 0;
        int alphaWords = 0;
        int stopWordCount = 0;
        for (String token : tokens) {
            if (!Words.isPunctuation(token)) {
                nWords++;
                wordChars += token.length();
            }
            if (Words.hasAlpha(token)) {
                alphaWords++;
            }
            if (stopWords.contains(token)) {
                stopWordCount++;
            }
        }
        if (nWords == 0 || minDocWords > 0 && nWords < minDocWords) {
            return FilterResult.reject("gopher_short_doc");
        }
        if (maxDocWords > 0 && nWords > maxDocWords) {
            return FilterResult.reject("gopher_long_doc");
        }
        double avgWordLength = (double) wordChars / nWords;
        if (minAvgWordLength > 0 && avgWordLength < minAvgWordLength) {
            return FilterResult.reject("gopher_below_avg_threshold");
        }
        if (maxAvgWordLength > 0 && avgWordLength > maxAvgWordLength) {
            return FilterResult.reject("gopher_above_avg_threshold");
        }
        if (maxSymbolWordRatio > 0 && (double) count(text, "#") / nWords > maxSymbolWordRatio) {
            return FilterResult.reject("gopher_too_many_hashes");
        }
        int ellipses = count(text, "...") + count(text, "\u2026");
        if (maxSymbolWordRatio > 0 && (double) ellipses / nWords > maxSymbolWordRatio) {
            return FilterResult.reject("gopher_too_many_ellipsis");
        }
        FilterResult lineResult = checkLines(Words.splitLines(text));
        if (!lineResult.kept()) {
            return lineResult;
        }
        if (maxNonAlphaWordsRatio > 0 && (double) alphaWords / nWords < maxNonAlphaWordsRatio) {
            return FilterResult.reject("gopher_below_alpha_threshold");
        }
        if (minStopWords > 0 && stopWordCount < minStopWords) {
            return FilterResult.reject("gopher_enough_stop_words");
        }
        return FilterResult.keep();
    }

    private FilterResult checkLines(String[] lines) {
        int bullets = 0;
        int endEllipses = 0;
        for (String line : lines) {
            if (line.stripLeading().startsWith("\u2022")) {
                bullets++;
            }
            String end = line.stripTrailing();
            if (end.endsWith("...") || end.endsWith("\u2026")) {
                endEllipses++;
            }
        }
        if (maxBulletLinesRatio > 0 && (double) bullets / lines.length > maxBulletLinesRatio) {
            return FilterResult.reject("gopher_too_many_bullets");
        }
        if (maxEllipsisLinesRatio > 0 && (double) endEllipses / lines.length > maxEllipsisLinesRatio) {
            return FilterResult.reject("gopher_too_many_end_ellipsis");
        }
        return FilterResult.keep();
    }

    /** Non-overlapping occurrences of {@code needle}, like Python's {@code str.count}. */
    static int count(String text, String needle) {
        int n = 0;
        for (int i = text.indexOf(needle); i >= 0; i = text.indexOf(needle, i + needle.length())) {
            n++;
        }
        return n;
    }
}
